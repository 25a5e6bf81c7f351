//! [`LayerConfig::check`]: whether a configuration read from a file can be built, so that a bad
//! `config.json` or layer list is an error rather than a panic inside `build`.

use super::LayerConfig;
use crate::init::Initializer;
use crate::model::Sequential;

impl LayerConfig {
    /// Checks that this layer can be built for samples of `input_shape`: Dense on flat samples
    /// with at least one unit, a dropout rate in `[0, 1)`, normalization on the last axis, and
    /// initializers that suit their variables (orthogonal and identity need a matrix). The message
    /// says what is wrong, with the value found.
    pub fn check(&self, input_shape: &[usize]) -> Result<(), String> {
        if input_shape.contains(&0) {
            return Err(format!("samples of shape {input_shape:?} have no values"));
        }
        match self {
            LayerConfig::Dense(c) => {
                if input_shape.len() != 1 {
                    return Err(format!(
                        "Dense takes samples of shape [features], got {input_shape:?}; add a Flatten layer first"
                    ));
                }
                if c.units == 0 {
                    return Err("Dense needs at least 1 unit, got 0".into());
                }
                if c.use_bias {
                    vector_initializer("bias_initializer", c.bias_initializer)?;
                }
            }
            LayerConfig::Dropout(c) => {
                if !(0.0..1.0).contains(&c.rate) {
                    return Err(format!("the dropout rate must be in [0, 1), got {}", c.rate));
                }
            }
            LayerConfig::BatchNormalization(c) => {
                last_axis(c.axis, input_shape)?;
                vector_initializer("gamma_initializer", c.gamma_initializer)?;
                vector_initializer("beta_initializer", c.beta_initializer)?;
                vector_initializer("moving_mean_initializer", c.moving_mean_initializer)?;
                vector_initializer("moving_variance_initializer", c.moving_variance_initializer)?;
            }
            LayerConfig::LayerNormalization(c) => {
                last_axis(c.axis, input_shape)?;
                vector_initializer("gamma_initializer", c.gamma_initializer)?;
                vector_initializer("beta_initializer", c.beta_initializer)?;
            }
            LayerConfig::Activation(_) | LayerConfig::Flatten(_) => {}
        }
        Ok(())
    }
}

impl Sequential {
    /// Builds the layer `config` describes and appends it, or says why it cannot: its
    /// [`LayerConfig::check`] fails for this model's output shape, or its name is taken. For
    /// configurations read from files, where [`Sequential::add`] would panic.
    pub fn try_add_config(&mut self, config: &LayerConfig) -> Result<(), String> {
        if let Some(name) = config.name() {
            if self.layers().iter().any(|l| l.name() == name) {
                return Err(format!("a layer named {name:?} is already in the model"));
            }
        }
        config.check(&self.output_shape())?;
        self.add_boxed(config.build());
        Ok(())
    }
}

fn vector_initializer(what: &str, init: Initializer) -> Result<(), String> {
    match init {
        Initializer::Orthogonal { .. } | Initializer::Identity { .. } => {
            Err(format!("{what}: {} needs a matrix, this variable is a vector", init.name()))
        }
        _ => Ok(()),
    }
}

fn last_axis(axis: i32, input_shape: &[usize]) -> Result<(), String> {
    let last = input_shape.len() as i32;
    if input_shape.is_empty() || !(axis == -1 || axis == last) {
        return Err(format!(
            "axis {axis} for samples of shape {input_shape:?}; only the last axis (-1 or {last}) is supported"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{DenseConfig, DropoutConfig};

    #[test]
    fn buildable_configs_pass_and_others_say_why() {
        let dense: LayerConfig = serde_json::from_str(r#"{"class_name": "Dense", "config": {"units": 3}}"#).unwrap();
        assert_eq!(dense.check(&[4]), Ok(()));
        assert!(dense.check(&[2, 2]).unwrap_err().contains("add a Flatten layer first"));
        let LayerConfig::Dense(c) = dense else { unreachable!() };
        let zero = LayerConfig::Dense(DenseConfig { units: 0, ..c.clone() });
        assert!(zero.check(&[4]).unwrap_err().contains("got 0"));
        let ortho = LayerConfig::Dense(DenseConfig { bias_initializer: Initializer::Orthogonal { gain: 1.0 }, ..c });
        assert!(ortho.check(&[4]).unwrap_err().contains("bias_initializer: orthogonal needs a matrix"));
        let drop = LayerConfig::Dropout(DropoutConfig::new(1.5));
        assert!(drop.check(&[4]).unwrap_err().contains("got 1.5"));
        let bn: LayerConfig =
            serde_json::from_str(r#"{"class_name": "BatchNormalization", "config": {"axis": 0}}"#).unwrap();
        assert!(bn.check(&[4]).unwrap_err().contains("axis 0"));
    }

    #[test]
    fn try_add_config_refuses_a_taken_name() {
        let dense: LayerConfig =
            serde_json::from_str(r#"{"class_name": "Dense", "config": {"name": "d", "units": 3}}"#).unwrap();
        let mut model = Sequential::new(&[4]);
        assert_eq!(model.try_add_config(&dense), Ok(()));
        assert!(model.try_add_config(&dense).unwrap_err().contains("\"d\" is already in the model"));
        assert_eq!(model.layers().len(), 1);
    }
}
