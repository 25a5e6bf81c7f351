//! Keras' `Activation` layer: `y = f(x)` for an [`Activation`] `f`, without weights.

use serde::{Deserialize, Serialize};

use super::check_samples;
use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, SampleValues, Scratch};
use crate::activations::Activation;
use crate::error::WxbError;
use crate::tensor::Tensor;

/// Keras' `Activation` configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationConfig {
    /// The layer's name; `None` lets the model choose `activation`, `activation_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The function applied (Keras requires it).
    pub activation: Activation,
}

impl ActivationConfig {
    /// Applies `activation`.
    pub fn new(activation: Activation) -> Self {
        Self { name: None, activation }
    }
}

impl LayerKind for ActivationConfig {
    type Layer = ActivationLayer;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        let mut plan = LayerPlan::same_shape(input_shape, &[]);
        if let Some(last) = plan.output_shape.last_mut() {
            if let Err(why) = self.activation.check_len(*last) {
                return Err(check.bad("input_shape", format!("{input_shape:?}"), why));
            }
            *last = self.activation.output_len(*last);
        }
        Ok(plan)
    }

    fn into_layer(self) -> ActivationLayer {
        ActivationLayer { config: self, shape: Vec::new() }
    }
}

/// Keras' `Activation` layer (class name `Activation`; the Rust name avoids a clash with
/// [`Activation`], the function): `y = f(x)`, element-wise or, for softmax and log_softmax, over
/// the last axis.
///
/// # Shapes
/// `x: [batch, …]`, `y` of the same shape (glu: the last axis halved).
///
/// Backward: `dx = dy ⊙ f'(x)` (for softmax,
/// `dxᵢ = yᵢ·(dyᵢ − Σⱼ dyⱼ·yⱼ)`). A final `Activation(softmax)` or `Activation(sigmoid)` fuses
/// with a crossentropy loss like a Dense layer's activation does: its logits are its input.
#[derive(Debug, Clone)]
pub struct ActivationLayer {
    config: ActivationConfig,
    shape: Vec<usize>,
}

/// What a forward pass leaves for the backward pass.
#[derive(Debug, Default)]
struct ActivationBuffers {
    /// A copy of the input: the logits of a fused loss (kept unless the activation is linear).
    z: Tensor,
    /// `x`, `y`, `dy` viewed as rows of their last axis, for the row-wise activations.
    rows: [Tensor; 3],
}

impl ActivationLayer {
    /// The layer applying `activation`.
    pub fn new(activation: Activation) -> Self {
        Self::from_config(ActivationConfig::new(activation))
    }

    config_setters! { ActivationConfig; }

    /// The activation function.
    pub fn function(&self) -> Activation {
        self.config.activation
    }

    /// For row-wise activations on samples of more than one axis: the last axis' length.
    fn last_axis_rows(&self) -> Option<usize> {
        (!self.config.activation.is_elementwise() && self.shape.len() > 1).then(|| self.shape[self.shape.len() - 1])
    }
}

impl Layer for ActivationLayer {
    layer_identity!(ActivationConfig);

    fn build(&mut self, input_shape: &[usize], _seed: u64) {
        self.shape = input_shape.to_vec();
    }

    /// The input's shape (glu: its last axis halved).
    fn output_shape(&self) -> Vec<usize> {
        self.config.activation.output_shape(&self.shape)
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.shape);
        let f = self.config.activation;
        if f == Activation::Linear {
            return f.forward(x, y);
        }
        let z = &mut scratch.get::<ActivationBuffers>().z;
        z.assign(x);
        match self.last_axis_rows() {
            None => f.forward(x, y),
            Some(last) => {
                // softmax over the last axis: view the copy as [rows, last] (no data moves).
                z.resize(&[x.len() / last.max(1), last]);
                f.forward(z, y);
                z.resize(x.shape());
                if f == Activation::Glu {
                    y.resize(&f.output_shape(x.shape()));
                } else {
                    y.resize(x.shape());
                }
            }
        }
    }

    fn backward(&mut self, x: &Tensor, y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch) {
        let Some(dx) = dx else { return };
        let f = self.config.activation;
        match self.last_axis_rows() {
            None => f.backward(x, y, dy, dx),
            Some(last) => {
                let rows = x.len() / last.max(1);
                let b = scratch.get::<ActivationBuffers>();
                for (buf, t) in b.rows.iter_mut().zip([x, y, dy]) {
                    buf.assign(t);
                    buf.resize(&[rows, t.len() / rows.max(1)]);
                }
                let [xr, yr, dyr] = &b.rows;
                f.backward(xr, yr, dyr, dx);
                dx.resize(x.shape());
            }
        }
    }

    fn output_activation(&self) -> Activation {
        self.config.activation
    }

    fn logits<'s>(&self, scratch: &'s Scratch) -> Option<&'s Tensor> {
        (self.config.activation != Activation::Linear)
            .then(|| scratch.peek::<ActivationBuffers>().map(|b| &b.z))
            .flatten()
    }

    fn backward_from_logits(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>, _scratch: &mut Scratch) {
        assert_eq!(x.shape(), dz.shape(), "{}: input {:?} vs gradient {:?}", self.name(), x.shape(), dz.shape());
        if let Some(dx) = dx {
            dx.assign(dz);
        }
    }

    /// `f(x)`, softmax, log_softmax and glu over the last axis.
    fn forward_f64(&self, input_shape: &[usize], x: &[f64]) -> Forward64 {
        let last = input_shape.last().copied().unwrap_or(1).max(1);
        let out = self.config.activation.output_len(last).max(1);
        let mut y = vec![0.0; x.len() / last * out];
        for (zr, yr) in x.chunks(last).zip(y.chunks_mut(out)) {
            self.config.activation.row(zr, yr);
        }
        Forward64::each(y)
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        LayerStep::Activation { activation: self.config.activation, values: v.chosen_values() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_rows_and_logits_are_kept() {
        let mut a = ActivationLayer::new(Activation::Softmax).named("a");
        a.build(&[3], 0);
        let mut s = Scratch::default();
        let x = Tensor::from_vec(&[2, 3], vec![1., 2., 3., 0., 0., 0.]);
        let y = a.call(&x, Mode::Infer, &mut s);
        assert!((y.row(1)[0] - 1.0 / 3.0).abs() < 1e-7);
        assert!((y.row(0).iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(a.logits(&s), Some(&x));
        assert_eq!(a.output_activation(), Activation::Softmax);
    }

    #[test]
    fn softmax_acts_on_the_last_axis_of_each_sample() {
        let mut a = ActivationLayer::new(Activation::Softmax);
        a.build(&[2, 2], 0);
        let mut s = Scratch::default();
        let x = Tensor::from_vec(&[1, 2, 2], vec![0., 0., 5., 5.]);
        let y = a.call(&x, Mode::Infer, &mut s);
        assert_eq!(y.shape(), &[1, 2, 2]);
        assert!(y.data().iter().all(|&v| (v - 0.5).abs() < 1e-7), "{y:?}");
        let mut dx = Tensor::default();
        a.backward(&x, &y, &Tensor::from_vec(&[1, 2, 2], vec![1., 0., 0., 0.]), Some(&mut dx), &mut s);
        assert_eq!(dx.shape(), &[1, 2, 2]);
        assert_eq!(dx.data(), &[0.25, -0.25, 0., 0.]);
    }

    #[test]
    fn linear_keeps_no_logits() {
        let mut a = ActivationLayer::new(Activation::Linear);
        a.build(&[2], 0);
        let mut s = Scratch::default();
        let x = Tensor::from_vec(&[1, 2], vec![-1., 2.]);
        assert_eq!(a.call(&x, Mode::Train, &mut s), x);
        assert!(a.logits(&s).is_none());
    }

    #[test]
    #[should_panic(expected = "does not match samples of shape [3]")]
    fn wrong_width_panics() {
        let mut a = ActivationLayer::new(Activation::Relu).named("a");
        a.build(&[3], 0);
        a.call(&Tensor::zeros(&[1, 4]), Mode::Infer, &mut Scratch::default());
    }
}
