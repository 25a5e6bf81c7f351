//! Keras' `Activation` layer: `y = f(x)` for an [`Activation`] `f`, without weights.

use serde::{Deserialize, Serialize};

use super::{Layer, LayerConfig, Mode, Param};
use crate::activations::Activation;
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

/// Keras' `Activation` layer (class name `Activation`; the Rust name avoids a clash with
/// [`Activation`], the function): `y = f(x)`, element-wise or, for softmax and log_softmax, over
/// the last axis.
///
/// Shapes: `x: [batch, …]`, `y` of the same shape. Backward: `dx = dy ⊙ f'(x)` (for softmax,
/// `dxᵢ = yᵢ·(dyᵢ − Σⱼ dyⱼ·yⱼ)`). A final `Activation(softmax)` or `Activation(sigmoid)` fuses
/// with a crossentropy loss like a Dense layer's activation does: its logits are its input.
#[derive(Debug, Clone)]
pub struct ActivationLayer {
    config: ActivationConfig,
    name: String,
    shape: Vec<usize>,
    /// A copy of the last input (the logits) for a non-linear function.
    z: Tensor,
    /// `x`, `y`, `dy` viewed as `[rows, last axis]` for softmax/log_softmax on samples of rank > 1.
    rows: [Tensor; 3],
}

impl ActivationLayer {
    /// A layer applying `activation`.
    pub fn new(activation: Activation) -> Self {
        Self::from_config(ActivationConfig::new(activation))
    }

    /// The layer from its configuration.
    pub fn from_config(config: ActivationConfig) -> Self {
        let name = config.name.clone().unwrap_or_default();
        Self { name, config, shape: Vec::new(), z: Tensor::default(), rows: Default::default() }
    }

    /// Names the layer.
    pub fn named(mut self, name: &str) -> Self {
        self.set_name(name.to_string());
        self
    }

    /// The function applied.
    pub fn function(&self) -> Activation {
        self.config.activation
    }

    /// Whether `f` acts on rows of the last axis of samples with more than one axis, which the
    /// matrix view of [`Activation::forward`] (rows = batch) would get wrong.
    fn last_axis_rows(&self) -> Option<usize> {
        (!self.config.activation.is_elementwise() && self.shape.len() > 1).then(|| self.shape[self.shape.len() - 1])
    }

    fn check(&self, what: &str, t: &Tensor) {
        assert_eq!(
            &t.shape()[1.min(t.rank())..],
            self.shape.as_slice(),
            "{}: {what} {:?} does not match samples of shape {:?}",
            self.name,
            t.shape(),
            self.shape
        );
    }
}

impl Layer for ActivationLayer {
    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.config.name = Some(name.clone());
        self.name = name;
    }

    fn class_name(&self) -> &'static str {
        "Activation"
    }

    fn build(&mut self, input_shape: &[usize], _seed: u64) {
        self.shape = input_shape.to_vec();
    }

    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&mut self, x: &Tensor, y: &mut Tensor, _mode: Mode) {
        self.check("input", x);
        let f = self.config.activation;
        if f != Activation::Linear {
            self.z.assign(x);
        }
        match self.last_axis_rows() {
            None => f.forward(x, y),
            Some(last) => {
                // softmax over the last axis: view the copy as [rows, last] (no data moves).
                self.z.resize(&[x.len() / last.max(1), last]);
                f.forward(&self.z, y);
                y.resize(x.shape());
                self.z.resize(x.shape());
            }
        }
    }

    /// # Panics
    /// If `dy`'s shape differs from `x`'s.
    fn backward(&mut self, x: &Tensor, y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>) {
        let Some(dx) = dx else { return };
        let f = self.config.activation;
        match self.last_axis_rows() {
            None => f.backward(x, y, dy, dx),
            Some(last) => {
                let rows = [x.len() / last.max(1), last];
                for (buf, t) in self.rows.iter_mut().zip([x, y, dy]) {
                    buf.assign(t);
                    buf.resize(&rows);
                }
                let [xr, yr, dyr] = &self.rows;
                f.backward(xr, yr, dyr, dx);
                dx.resize(x.shape());
            }
        }
    }

    fn output_activation(&self) -> Activation {
        self.config.activation
    }

    fn logits(&self) -> Option<&Tensor> {
        (self.config.activation != Activation::Linear).then_some(&self.z)
    }

    /// `dx = dz`: the layer's input is the logits.
    fn backward_from_logits(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>) {
        assert_eq!(x.shape(), dz.shape(), "{}: input {:?} vs gradient {:?}", self.name, x.shape(), dz.shape());
        if let Some(dx) = dx {
            dx.assign(dz);
        }
    }

    fn params(&self) -> Vec<&Param> {
        Vec::new()
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        Vec::new()
    }

    fn for_each_param(&self, _f: &mut dyn FnMut(&Param)) {}

    fn for_each_param_mut(&mut self, _f: &mut dyn FnMut(&mut Param)) {}

    fn config(&self) -> LayerConfig {
        LayerConfig::Activation(self.config.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_rows_and_logits_are_kept() {
        let mut a = ActivationLayer::new(Activation::Softmax).named("a");
        a.build(&[3], 0);
        let x = Tensor::from_vec(&[2, 3], vec![1., 2., 3., 0., 0., 0.]);
        let y = a.call(&x, Mode::Infer);
        assert!((y.row(1)[0] - 1.0 / 3.0).abs() < 1e-7);
        assert!((y.row(0).iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(a.logits(), Some(&x));
        assert_eq!(a.output_activation(), Activation::Softmax);
    }

    #[test]
    fn softmax_acts_on_the_last_axis_of_each_sample() {
        let mut a = ActivationLayer::new(Activation::Softmax);
        a.build(&[2, 2], 0);
        let x = Tensor::from_vec(&[1, 2, 2], vec![0., 0., 5., 5.]);
        let y = a.call(&x, Mode::Infer);
        assert_eq!(y.shape(), &[1, 2, 2]);
        assert!(y.data().iter().all(|&v| (v - 0.5).abs() < 1e-7), "{y:?}");
        let mut dx = Tensor::default();
        a.backward(&x, &y, &Tensor::from_vec(&[1, 2, 2], vec![1., 0., 0., 0.]), Some(&mut dx));
        assert_eq!(dx.shape(), &[1, 2, 2]);
        assert_eq!(dx.data(), &[0.25, -0.25, 0., 0.]);
    }

    #[test]
    fn linear_keeps_no_logits() {
        let mut a = ActivationLayer::new(Activation::Linear);
        a.build(&[2], 0);
        let x = Tensor::from_vec(&[1, 2], vec![-1., 2.]);
        assert_eq!(a.call(&x, Mode::Train), x);
        assert!(a.logits().is_none());
    }

    #[test]
    #[should_panic(expected = "does not match samples of shape [3]")]
    fn wrong_width_panics() {
        let mut a = ActivationLayer::new(Activation::Relu).named("a");
        a.build(&[3], 0);
        a.call(&Tensor::zeros(&[1, 4]), Mode::Infer);
    }
}
