//! Keras' `Rescaling`: `y = x·scale + offset` (e.g. `scale = 1/255` for pixel values).

use serde::{Deserialize, Serialize};

use super::check_samples;
use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, SampleValues, Scratch};
use crate::error::WxbError;
use crate::tensor::Tensor;

/// Keras' `Rescaling` configuration (one scale and one offset for every value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescalingConfig {
    /// The layer's name; `None` lets the model choose `rescaling`, `rescaling_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The factor.
    pub scale: f32,
    /// Added after scaling (default 0).
    #[serde(default)]
    pub offset: f32,
}

impl LayerKind for RescalingConfig {
    type Layer = Rescaling;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        check.finite("scale", self.scale)?;
        check.finite("offset", self.offset)?;
        Ok(LayerPlan { output_shape: input_shape.to_vec(), params: 0, weights: Vec::new() })
    }

    fn into_layer(self) -> Rescaling {
        Rescaling { config: self, shape: Vec::new() }
    }
}

/// `y = x·scale + offset`, in `f32` (the product rounded, then the sum, as TensorFlow does).
///
/// # Shapes
/// `x`, `y`: `[batch, …]`. Backward: `dx = dy·scale`.
#[derive(Debug, Clone)]
pub struct Rescaling {
    config: RescalingConfig,
    shape: Vec<usize>,
}

impl Rescaling {
    /// `y = x·scale + offset`.
    pub fn new(scale: f32, offset: f32) -> Self {
        Self::from_config(RescalingConfig { name: None, scale, offset })
    }

    config_setters! { RescalingConfig; }
}

impl Layer for Rescaling {
    layer_identity!(RescalingConfig);

    fn build(&mut self, input_shape: &[usize], _seed: u64) {
        self.shape = input_shape.to_vec();
    }

    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, _scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.shape);
        let (scale, offset) = (self.config.scale, self.config.offset);
        y.resize(x.shape());
        y.data_mut().iter_mut().zip(x.data()).for_each(|(o, &v)| *o = v * scale + offset);
    }

    /// # Panics
    /// If `dy`'s shape differs from `x`'s.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, _scratch: &mut Scratch) {
        assert_eq!(x.shape(), dy.shape(), "{}: input {:?} vs gradient {:?}", self.name(), x.shape(), dy.shape());
        let Some(dx) = dx else { return };
        let scale = self.config.scale;
        dx.resize(dy.shape());
        dx.data_mut().iter_mut().zip(dy.data()).for_each(|(d, &g)| *d = g * scale);
    }

    fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
        let (scale, offset) = (f64::from(self.config.scale), f64::from(self.config.offset));
        Forward64::each(x.iter().map(|v| v * scale + offset).collect())
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        LayerStep::Rescaling {
            scale: f64::from(self.config.scale),
            offset: f64::from(self.config.offset),
            values: v.chosen_values(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_then_offsets_and_scales_the_gradient() {
        let c: LayerConfig =
            serde_json::from_str(r#"{"class_name": "Rescaling", "config": {"scale": 0.5, "offset": -1}}"#).unwrap();
        let mut r = c.build();
        r.build(&[3], 0);
        let x = Tensor::from_vec(&[1, 3], vec![0., 2., 4.]);
        let y = r.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!(y.data(), &[-1., 0., 1.]);
        let mut dx = Tensor::default();
        r.backward(&x, &y, &x, Some(&mut dx), &mut Scratch::default());
        assert_eq!(dx.data(), &[0., 1., 2.]);
        let bad = RescalingConfig { name: None, scale: f32::NAN, offset: 0.0 };
        assert!(LayerConfig::from(bad).validate(&[3]).unwrap_err().to_string().contains("rescaling"));
    }
}
