//! Keras' `Reshape`: `[batch, …] → [batch, target_shape…]`, the values in the same row-major order.

use serde::{Deserialize, Serialize};

use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, SampleValues, Scratch};
use super::{check_samples, resize_batch};
use crate::error::WxbError;
use crate::tensor::Tensor;

/// Keras' `Reshape` configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReshapeConfig {
    /// The layer's name; `None` lets the model choose `reshape`, `reshape_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The shape of one output sample; at most one `-1`, which takes the length that keeps the
    /// number of values.
    pub target_shape: Vec<i64>,
}

impl ReshapeConfig {
    /// Samples reshaped to `target_shape` (one `-1` allowed).
    pub fn new(target_shape: &[i64]) -> Self {
        Self { name: None, target_shape: target_shape.to_vec() }
    }

    /// The output shape for samples of `input_shape`.
    fn output_shape(&self, input_shape: &[usize], check: &Check) -> Result<Vec<usize>, WxbError> {
        let shown = || format!("{:?} for samples of shape {input_shape:?}", self.target_shape);
        let n = input_shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let n = n.ok_or_else(|| check.bad("input_shape", format!("{input_shape:?}"), "the sample size overflows"))?;
        let unknown = self.target_shape.iter().filter(|&&d| d == -1).count();
        if unknown > 1 || self.target_shape.iter().any(|&d| d == 0 || d < -1) {
            return Err(check.bad("target_shape", shown(), "needs positive lengths and at most one -1"));
        }
        let known = self.target_shape.iter().filter(|&&d| d > 0).try_fold(1usize, |p, &d| p.checked_mul(d as usize));
        let known = known.ok_or_else(|| check.bad("target_shape", shown(), "the target size overflows"))?;
        let fits = if unknown == 1 { n % known == 0 } else { n == known };
        if !fits {
            return Err(check.bad("target_shape", shown(), "does not hold the input's number of values"));
        }
        Ok(self.target_shape.iter().map(|&d| if d == -1 { n / known } else { d as usize }).collect())
    }
}

impl LayerKind for ReshapeConfig {
    type Layer = Reshape;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        let output_shape = self.output_shape(input_shape, check)?;
        Ok(LayerPlan { output_shape, params: 0, weights: Vec::new() })
    }

    fn into_layer(self) -> Reshape {
        Reshape { config: self, input: Vec::new(), output: Vec::new() }
    }
}

/// Gives each sample a new shape, as Keras' `Reshape`.
///
/// # Shapes
/// `x: [batch, d1, …] → y: [batch, t1, …]` with `Π t = Π d`, the values in the same row-major
/// order. Backward: `dx` is `dy` given `x`'s shape back.
#[derive(Debug, Clone)]
pub struct Reshape {
    config: ReshapeConfig,
    input: Vec<usize>,
    output: Vec<usize>,
}

impl Reshape {
    /// Samples reshaped to `target_shape` (one `-1` allowed).
    pub fn new(target_shape: &[i64]) -> Self {
        Self::from_config(ReshapeConfig::new(target_shape))
    }

    config_setters! { ReshapeConfig; }
}

impl Layer for Reshape {
    layer_identity!(ReshapeConfig);

    /// # Panics
    /// If `target_shape` does not fit `input_shape` (the message of the validation error).
    fn build(&mut self, input_shape: &[usize], _seed: u64) {
        let check = Check::for_layer(self.name());
        self.output = self.config.output_shape(input_shape, &check).unwrap_or_else(|e| panic!("{e}"));
        self.input = input_shape.to_vec();
    }

    fn output_shape(&self) -> Vec<usize> {
        self.output.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, _scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.input);
        resize_batch(y, x.rows(), &self.output);
        y.data_mut().copy_from_slice(x.data());
    }

    /// # Panics
    /// If `dy` does not hold as many values as `x`.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, _scratch: &mut Scratch) {
        assert_eq!(dy.len(), x.len(), "{}: gradient {:?} for input {:?}", self.name(), dy.shape(), x.shape());
        let Some(dx) = dx else { return };
        dx.resize(x.shape());
        dx.data_mut().copy_from_slice(dy.data());
    }

    /// The same values.
    fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
        Forward64::each(x.to_vec())
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        LayerStep::Reshape { input_shape: v.input_shape.to_vec(), output_shape: self.output.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_one_takes_the_rest() {
        let c: LayerConfig =
            serde_json::from_str(r#"{"class_name": "Reshape", "config": {"target_shape": [-1, 4, 1]}}"#).unwrap();
        assert_eq!(c.validate(&[16]).unwrap().output_shape, [4, 4, 1]);
        let mut r = Reshape::new(&[2, -1]).named("r");
        r.build(&[3, 2], 0);
        assert_eq!(r.output_shape(), [2, 3]);
        let x = Tensor::from_vec(&[2, 3, 2], (0..12).map(|v| v as f32).collect());
        let y = r.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!((y.shape(), y.data()), (&[2, 2, 3][..], x.data()));
        let mut dx = Tensor::default();
        r.backward(&x, &y, &y, Some(&mut dx), &mut Scratch::default());
        assert_eq!(dx, x);
    }

    #[test]
    fn shapes_that_do_not_fit_are_refused() {
        let e = LayerConfig::from(ReshapeConfig::new(&[5, 5])).validate(&[28, 28]).unwrap_err().to_string();
        assert!(e.contains("reshape") && e.contains("[5, 5] for samples of shape [28, 28]"), "{e}");
        assert!(LayerConfig::from(ReshapeConfig::new(&[-1, -1])).validate(&[4]).is_err());
        assert!(LayerConfig::from(ReshapeConfig::new(&[-1, 3])).validate(&[4]).is_err());
        assert!(LayerConfig::from(ReshapeConfig::new(&[0, 4])).validate(&[4]).is_err());
    }
}
