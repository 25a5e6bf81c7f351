//! Layers: the [`Layer`] trait, trainable [`Param`]s, and the serialisable [`LayerConfig`].
//!
//! A layer maps a batch `x: [batch, …]` to `y: [batch, …]` in [`Layer::forward`], keeps what its
//! backward pass needs, and in [`Layer::backward`] turns `∂L/∂y` into `∂L/∂x` while writing the
//! gradients of its parameters. Buffers are owned by the layer and reused from batch to batch.

mod activation;
mod batch_normalization;
mod dense;
mod dropout;
mod flatten;
mod layer_normalization;
mod spec;
mod validate;

pub use activation::{ActivationConfig, ActivationLayer};
pub use batch_normalization::{BatchNormalization, BatchNormalizationConfig};
pub use dense::{Dense, DenseConfig};
pub use dropout::{Dropout, DropoutConfig};
pub use flatten::{DataFormat, Flatten, FlattenConfig};
pub use layer_normalization::{LayerNormalization, LayerNormalizationConfig};
pub use spec::{SpecError, parse_spec};
pub use validate::LayerPlan;

use serde::{Deserialize, Serialize};

use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::init::Initializer;
use crate::regularizers::Regularizer;
use crate::rng::WxbRng;
use crate::tensor::Tensor;

/// Whether a forward pass is part of training (dropout active, batch statistics) or inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Training: dropout drops, batch normalization uses and updates batch statistics.
    Train,
    /// Inference: dropout is the identity, batch normalization uses its moving statistics.
    Infer,
}

/// A weight tensor of a layer, with its gradient and what the optimizer must respect.
#[derive(Clone, Debug)]
pub struct Param {
    /// Keras' variable name within the layer: `kernel`, `bias`, `gamma`, `moving_mean`, …
    pub name: &'static str,
    /// The current values.
    pub value: Tensor,
    /// `∂L/∂value` from the last backward pass (same shape as `value` when trainable).
    pub grad: Tensor,
    /// Whether the optimizer updates it (`false` for moving statistics).
    pub trainable: bool,
    /// A penalty added to the loss, if any.
    pub regularizer: Option<Regularizer>,
    /// A projection applied after each optimizer step, if any.
    pub constraint: Option<Constraint>,
}

impl Param {
    /// A trainable parameter with a zero gradient.
    pub fn trainable(name: &'static str, value: Tensor) -> Self {
        let grad = Tensor::zeros(value.shape());
        Self { name, value, grad, trainable: true, regularizer: None, constraint: None }
    }

    /// A non-trainable parameter (no gradient).
    pub fn non_trainable(name: &'static str, value: Tensor) -> Self {
        Self { name, value, grad: Tensor::default(), trainable: false, regularizer: None, constraint: None }
    }

    /// The number of scalars.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// Whether it holds no scalars.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
}

/// A building block of a [`crate::Sequential`] model.
///
/// Shapes exclude the batch dimension where they describe one sample (`input_shape`,
/// `output_shape`); tensors passed to `forward`/`backward` carry it first.
pub trait Layer: Send + Sync + std::fmt::Debug {
    /// The layer's unique name in its model (`dense`, `dense_1`, …).
    fn name(&self) -> &str;

    /// Renames the layer (the model names unnamed layers as Keras does).
    fn set_name(&mut self, name: String);

    /// Keras' class name (`Dense`, `Dropout`, …).
    fn class_name(&self) -> &'static str;

    /// Creates the weights for samples of `input_shape`, drawing from streams derived from `seed`.
    ///
    /// # Panics
    /// If the layer cannot take inputs of that shape.
    fn build(&mut self, input_shape: &[usize], seed: u64);

    /// The shape of one output sample, once built.
    fn output_shape(&self) -> Vec<usize>;

    /// Called by the model before each training step with the optimizer's step count, so that a
    /// layer's random draws (dropout masks) depend on the step, not on how many passes this
    /// process ran: a resumed run then repeats an uninterrupted one. Default: nothing.
    fn begin_train_step(&mut self, _step: u64) {}

    /// `y = layer(x)` for a batch. `y` is the model's buffer for this layer's output: resize it
    /// (reusing its allocation) and overwrite it. Keep whatever the backward pass needs.
    fn forward(&mut self, x: &Tensor, y: &mut Tensor, mode: Mode);

    /// Given the forward input `x`, output `y` and `dy = ∂L/∂y`, writes the parameters' gradients
    /// (overwriting them) and, when `dx` is given, `∂L/∂x` into it (resized to `x`'s shape). The
    /// first layer gets no `dx`, which saves its largest product.
    fn backward(&mut self, x: &Tensor, y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>);

    /// The activation applied last in `forward`, when the layer has one (Dense, Activation).
    /// The model fuses a final softmax or sigmoid with a crossentropy loss through it.
    fn output_activation(&self) -> Activation {
        Activation::Linear
    }

    /// The pre-activation values `z` of the last forward pass, for layers whose
    /// [`Layer::output_activation`] is not linear (except a Dense layer with ReLU, which applies it
    /// inside its product and keeps no `z`).
    fn logits(&self) -> Option<&Tensor> {
        None
    }

    /// Like [`Layer::backward`], but given `dz = ∂L/∂z` for the pre-activation values `z`, skipping
    /// the [`Layer::output_activation`]. Used for fused softmax/sigmoid–crossentropy gradients.
    ///
    /// # Panics
    /// In layers without an output activation.
    fn backward_from_logits(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>) {
        let _ = (x, dz, dx);
        panic!("{} ({}) has no fused output activation", self.name(), self.class_name())
    }

    /// A convenience for tests and tools: `forward` into a new tensor.
    fn call(&mut self, x: &Tensor, mode: Mode) -> Tensor {
        let mut y = Tensor::default();
        self.forward(x, &mut y, mode);
        y
    }

    /// The weights, in Keras' order (e.g. kernel, bias; gamma, beta, moving_mean, moving_variance).
    fn params(&self) -> Vec<&Param>;

    /// The weights, mutable, in the same order.
    fn params_mut(&mut self) -> Vec<&mut Param>;

    /// Calls `f` on each weight, in [`Layer::params`] order. Used on every batch (regularization
    /// losses), so layers with weights override it to allocate nothing (the default collects
    /// [`Layer::params`]).
    fn for_each_param(&self, f: &mut dyn FnMut(&Param)) {
        for p in self.params() {
            f(p);
        }
    }

    /// Calls `f` on each weight, mutable, in [`Layer::params`] order. The training loop uses it on
    /// every step, so layers with weights override it to allocate nothing (the default collects
    /// [`Layer::params_mut`]).
    fn for_each_param_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        for p in self.params_mut() {
            f(p);
        }
    }

    /// The configuration that rebuilds this layer (without its weights).
    fn config(&self) -> LayerConfig;
}

/// A layer's architecture as Keras writes it: `{"class_name": "Dense", "config": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
#[non_exhaustive]
pub enum LayerConfig {
    /// [`Dense`].
    Dense(DenseConfig),
    /// [`ActivationLayer`].
    Activation(ActivationConfig),
    /// [`Dropout`].
    Dropout(DropoutConfig),
    /// [`BatchNormalization`].
    BatchNormalization(BatchNormalizationConfig),
    /// [`LayerNormalization`].
    LayerNormalization(LayerNormalizationConfig),
    /// [`Flatten`].
    Flatten(FlattenConfig),
}

impl LayerConfig {
    /// A new, unbuilt layer from this configuration.
    pub fn build(&self) -> Box<dyn Layer> {
        match self {
            LayerConfig::Dense(c) => Box::new(Dense::from_config(c.clone())),
            LayerConfig::Activation(c) => Box::new(ActivationLayer::from_config(c.clone())),
            LayerConfig::Dropout(c) => Box::new(Dropout::from_config(c.clone())),
            LayerConfig::BatchNormalization(c) => Box::new(BatchNormalization::from_config(c.clone())),
            LayerConfig::LayerNormalization(c) => Box::new(LayerNormalization::from_config(c.clone())),
            LayerConfig::Flatten(c) => Box::new(Flatten::from_config(c.clone())),
        }
    }

    /// The name the configuration gives the layer, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            LayerConfig::Dense(c) => c.name.as_deref(),
            LayerConfig::Activation(c) => c.name.as_deref(),
            LayerConfig::Dropout(c) => c.name.as_deref(),
            LayerConfig::BatchNormalization(c) => c.name.as_deref(),
            LayerConfig::LayerNormalization(c) => c.name.as_deref(),
            LayerConfig::Flatten(c) => c.name.as_deref(),
        }
    }
}

/// Keras' snake-cased default name stem for a class (`Dense` → `dense`,
/// `BatchNormalization` → `batch_normalization`).
pub fn snake_case(class_name: &str) -> String {
    let mut s = String::new();
    for (i, ch) in class_name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(ch.to_ascii_lowercase());
        } else {
            s.push(ch);
        }
    }
    s
}

// Serde defaults shared by the normalization layers' configurations (Keras' values).
fn last_axis() -> i32 {
    -1
}
fn default_epsilon() -> f32 {
    1e-3
}
fn yes() -> bool {
    true
}
fn zeros() -> Initializer {
    Initializer::Zeros
}
fn ones() -> Initializer {
    Initializer::Ones
}

/// A per-feature weight (`gamma`, `beta`) of shape `[features]`, drawn from the stream
/// `{layer}/{variable}` and carrying its penalty and projection.
pub(crate) fn feature_param(
    layer: &str,
    variable: &'static str,
    features: usize,
    init: Initializer,
    regularizer: Option<Regularizer>,
    constraint: Option<Constraint>,
    seed: u64,
) -> Param {
    let mut rng = WxbRng::derive(seed, &format!("{layer}/{variable}"));
    let mut p = Param::trainable(variable, init.init(&[features], &mut rng));
    p.regularizer = regularizer;
    p.constraint = constraint;
    p
}

/// The Python `float` a user most likely wrote for `x` (its shortest decimal form). Keras computes
/// `1 − momentum` and `1 / (1 − rate)` in Python floats before TensorFlow rounds them to `f32`;
/// doing the same keeps wxb's constants bit-identical.
pub(crate) fn python_float(x: f32) -> f64 {
    crate::tensor::python_float(x)
}

/// Checks that a normalization `axis` (Keras' numbering, batch included, `-1` for the last) names
/// the last axis of samples of `input_shape`, the only one wxb normalizes.
///
/// # Panics
/// Otherwise, naming the layer, the axis and the shape.
pub(crate) fn check_last_axis(layer: &str, axis: i32, input_shape: &[usize]) {
    let last = input_shape.len() as i32; // batch dimension included: axes 0..=len
    assert!(
        !input_shape.is_empty() && (axis == -1 || axis == last),
        "{layer}: axis {axis} for samples of shape {input_shape:?}; only the last axis (-1 or {last}) is supported"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(snake_case("Dense"), "dense");
        assert_eq!(snake_case("BatchNormalization"), "batch_normalization");
        assert_eq!(snake_case("LayerNormalization"), "layer_normalization");
    }

    #[test]
    fn python_floats_are_the_written_decimals() {
        assert_eq!(python_float(0.99), 0.99);
        assert_eq!(python_float(0.2), 0.2);
        assert_eq!((1.0 - python_float(0.99)) as f32, (1.0f64 - 0.99) as f32);
    }
}
