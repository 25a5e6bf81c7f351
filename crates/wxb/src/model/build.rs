//! Building a [`Sequential`] from layer configurations read from files, every value checked
//! first: [`Sequential::from_configs`] never panics and never allocates for a configuration that
//! is invalid or too large.

use super::Sequential;
use super::names::LayerNames;
use crate::error::WxbError;
use crate::layers::{LayerConfig, snake_case};

/// The most weights (scalars) [`Sequential::from_configs`] accepts unless told otherwise: 2³⁰,
/// i.e. 4 GiB of f32 weights (training needs as much again for the gradients and for each
/// optimizer slot).
pub const MAX_PARAMS: u64 = 1 << 30;

/// Where [`MAX_PARAMS`] comes from, in [`WxbError::ModelTooLarge`].
pub(super) const WEIGHT_BUDGET: &str = "the model's weight budget";

impl Sequential {
    /// A model for samples of `input_shape` (batch excluded) whose layers are built from
    /// `configs`, as [`Sequential::add`] would, after checking everything first: the input shape
    /// (no zero dimension, no overflowing size), each layer's values for the shape it receives
    /// ([`LayerConfig::validate`]), unique layer names, and at most `max_params` weights in all
    /// (see [`MAX_PARAMS`]). Nothing is allocated for an invalid configuration.
    pub fn from_configs(
        input_shape: &[usize],
        seed: u64,
        configs: &[LayerConfig],
        max_params: u64,
    ) -> Result<Sequential, WxbError> {
        let size = input_shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if input_shape.contains(&0) || size.is_none_or(|n| n.checked_mul(4).is_none()) {
            return Err(WxbError::InvalidArgument {
                name: "input_shape",
                value: format!("{input_shape:?}"),
                reason: "every dimension must be at least 1 and the sample's size must not overflow",
            });
        }
        let mut shape = input_shape.to_vec();
        let mut names = LayerNames::default();
        let mut params: u64 = 0;
        for config in configs {
            // The name first, so that an error names the layer as the model would (`conv2d_1`).
            let name = match config.name().filter(|n| !n.is_empty()) {
                Some(n) if !names.take(n) => return Err(WxbError::DuplicateLayerName { name: n.to_string() }),
                Some(n) => n.to_string(),
                None => names.take_auto(&snake_case(config.class_name())),
            };
            let plan = config.validate_named(&shape, &name)?;
            params = params.saturating_add(plan.params);
            if params > max_params {
                return Err(WxbError::ModelTooLarge { params, limit: max_params, why: WEIGHT_BUDGET });
            }
            shape = plan.output_shape;
        }
        let mut model = Sequential::new(input_shape).seed(seed);
        for config in configs {
            model.add_boxed(config.build());
        }
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{DenseConfig, DropoutConfig, FlattenConfig};

    fn dense(units: usize) -> LayerConfig {
        LayerConfig::Dense(DenseConfig::new(units))
    }

    #[test]
    fn builds_what_add_builds() {
        let configs = [LayerConfig::Flatten(FlattenConfig::default()), dense(3), dense(2)];
        let m = Sequential::from_configs(&[2, 2], 5, &configs, MAX_PARAMS).unwrap();
        let names: Vec<&str> = m.layers().iter().map(|l| l.name()).collect();
        assert_eq!(names, ["flatten", "dense", "dense_1"]);
        assert_eq!(m.count_params(), 4 * 3 + 3 + 3 * 2 + 2);
    }

    #[test]
    fn plans_name_and_shape_every_weight_as_the_built_layers_do() {
        use crate::layers::{BatchNormalizationConfig, LayerNormalizationConfig};
        let mut no_bias = DenseConfig::new(3);
        no_bias.use_bias = false;
        let no_center = LayerNormalizationConfig { center: false, ..LayerNormalizationConfig::default() };
        let configs = [
            LayerConfig::BatchNormalization(BatchNormalizationConfig::default()),
            LayerConfig::Flatten(FlattenConfig::default()),
            dense(4),
            LayerConfig::Dense(no_bias),
            LayerConfig::LayerNormalization(no_center),
            LayerConfig::Dropout(DropoutConfig::new(0.5)),
        ];
        let m = Sequential::from_configs(&[2, 5], 0, &configs, MAX_PARAMS).unwrap();
        let mut shape = vec![2, 5];
        for (config, layer) in configs.iter().zip(m.layers()) {
            let plan = config.validate(&shape).unwrap();
            let built: Vec<(&str, Vec<usize>)> =
                layer.params().iter().map(|p| (p.name, p.value.shape().to_vec())).collect();
            assert_eq!(plan.weights, built, "{}", layer.name());
            assert_eq!(plan.params, layer.params().iter().map(|p| p.len() as u64).sum::<u64>());
            assert_eq!(plan.output_shape, layer.output_shape());
            shape = plan.output_shape;
        }
    }

    #[test]
    fn refuses_before_allocating() {
        let e = Sequential::from_configs(&[10], 0, &[dense(1_000_000_000_000)], MAX_PARAMS).unwrap_err();
        assert_eq!(
            e,
            WxbError::ModelTooLarge { params: 11_000_000_000_000, limit: MAX_PARAMS, why: "the model's weight budget" }
        );
        let e = Sequential::from_configs(&[usize::MAX], 0, &[dense(2)], MAX_PARAMS).unwrap_err();
        assert!(matches!(e, WxbError::InvalidArgument { name: "input_shape", .. }), "{e}");
        let e = Sequential::from_configs(&[1 << 40], 0, &[dense(1 << 40)], u64::MAX).unwrap_err();
        assert!(matches!(e, WxbError::InvalidLayer { field: "units", .. }), "{e}");
    }

    #[test]
    fn bad_values_and_names_are_errors() {
        let e = Sequential::from_configs(&[3], 0, &[LayerConfig::Dropout(DropoutConfig::new(1.0))], MAX_PARAMS)
            .unwrap_err();
        assert_eq!(e.to_string(), "layer \"dropout\": invalid rate = 1: must be in [0, 1)");
        let e = Sequential::from_configs(&[3], 0, &[dense(0)], MAX_PARAMS).unwrap_err();
        assert_eq!(e.to_string(), "layer \"dense\": invalid units = 0: must be at least 1");
        let e = Sequential::from_configs(&[2, 2], 0, &[dense(1)], MAX_PARAMS).unwrap_err();
        assert!(e.to_string().contains("add a Flatten layer first"), "{e}");
        let mut named = DenseConfig::new(2);
        named.name = Some("dense_1".into());
        let e = Sequential::from_configs(&[2], 0, &[dense(2), dense(2), LayerConfig::Dense(named.clone())], MAX_PARAMS)
            .unwrap_err();
        assert_eq!(e, WxbError::DuplicateLayerName { name: "dense_1".into() });
        named.bias_initializer = crate::init::Initializer::Identity { gain: 1.0 };
        named.name = None;
        let e = Sequential::from_configs(&[2], 0, &[LayerConfig::Dense(named)], MAX_PARAMS).unwrap_err();
        assert!(matches!(e, WxbError::InvalidLayer { field: "bias_initializer", .. }), "{e}");
    }
}
