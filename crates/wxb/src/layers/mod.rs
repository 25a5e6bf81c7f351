//! Layers: the [`Layer`] trait, trainable [`Param`]s, and the serialisable [`LayerConfig`].
//!
//! A layer maps a batch `x: [batch, …]` to `y: [batch, …]` in [`Layer::forward`], keeps what its
//! backward pass needs in the caller's [`Scratch`], and in [`Layer::backward`] turns `∂L/∂y` into
//! `∂L/∂x` while writing the gradients of its parameters.
//!
//! # Adding a layer kind
//!
//! One file, `layers/{kind}.rs`, holds everything about it: its configuration (serde, Keras'
//! defaults, builder setters), [`LayerKind`] (validation against the input shape, building),
//! and [`Layer`] (build, forward, backward, weights, and what `explain` shows: its `f64` forward
//! pass and its [`LayerStep`] trace). Then, here, `mod {kind};`, its `pub use`, and one line in
//! the registry below, which adds it to [`LayerConfig`] and every dispatch over the kinds
//! (`build`, `name`, `class_name`, `validate`). A trace of a new shape is a new [`LayerStep`]
//! variant in `layers/trace.rs`.
//!
//! # Weights and work buffers
//!
//! A layer owns its weights ([`Layer::weights`]); what a pass keeps between forward and backward
//! lives in a [`Scratch`] the caller owns (the model's [`Workspace`](crate::model::Workspace)
//! holds one per layer). Inference takes `&self`; training's backward pass writes the gradients
//! into [`Param::grad`] with `&mut self`, and [`Layer::end_train_forward`] moves the state a
//! training pass changes (moving averages, dropout's step).

#[macro_use]
mod macros;

mod activation;
mod affine;
mod batch_normalization;
#[macro_use]
mod conv;
#[macro_use]
mod pool;
mod conv1d;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod global_pooling;
mod layer;
mod layer_normalization;
mod neuron;
mod permute;
mod pooling1d;
mod pooling2d;
mod rescaling;
mod reshape;
mod scratch;
mod spatial_dropout2d;
mod spec;
mod trace;
mod validate;
mod zero_padding2d;

pub use activation::{ActivationConfig, ActivationLayer};
pub use batch_normalization::{BatchNormalization, BatchNormalizationConfig};
pub(crate) use conv::ConvPool;
pub use conv::{ConvTrace, Geometry, Padding};
pub use conv1d::{Conv1D, Conv1DConfig};
pub use conv2d::{Conv2D, Conv2DConfig};
pub use dense::{Dense, DenseConfig};
pub use dropout::{Dropout, DropoutConfig};
pub use flatten::{DataFormat, Flatten, FlattenConfig};
pub use global_pooling::{GlobalAveragePooling1D, GlobalAveragePooling1DConfig, GlobalAveragePooling2D};
pub use global_pooling::{GlobalAveragePooling2DConfig, GlobalMaxPooling1D, GlobalMaxPooling1DConfig};
pub use global_pooling::{GlobalMaxPooling2D, GlobalMaxPooling2DConfig};
pub use layer::Layer;
pub use layer_normalization::{LayerNormalization, LayerNormalizationConfig};
pub use neuron::{NeuronTrace, OtherTerms, Similarity, Term, dense_products};
pub use permute::{Permute, PermuteConfig};
pub use pool::{PoolInput, PoolOp, PoolTrace};
pub use pooling1d::{AveragePooling1D, AveragePooling1DConfig, MaxPooling1D, MaxPooling1DConfig};
pub use pooling2d::{AveragePooling2D, AveragePooling2DConfig, MaxPooling2D, MaxPooling2DConfig};
pub use rescaling::{Rescaling, RescalingConfig};
pub use reshape::{Reshape, ReshapeConfig};
pub use scratch::Scratch;
pub use spatial_dropout2d::{SpatialDropout2D, SpatialDropout2DConfig};
pub use spec::{SpecError, parse_spec};
pub use trace::{FeatureTrace, Forward64, LayerStep, SampleValues, Statistics, ValueTrace};
pub use validate::{Check, LayerPlan, Rank};
pub use zero_padding2d::{ZeroPadding2D, ZeroPadding2DConfig};

use serde::{Deserialize, Serialize};

use crate::constraints::Constraint;
use crate::error::WxbError;
use crate::init::Initializer;
use crate::regularizers::Regularizer;
use crate::rng::WxbRng;
use crate::tensor::Tensor;

// The registry: one line per layer kind (its Keras class name and its configuration type).
layer_registry! {
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
    /// [`Conv2D`].
    Conv2D(Conv2DConfig),
    /// [`Conv1D`].
    Conv1D(Conv1DConfig),
    /// [`MaxPooling2D`].
    MaxPooling2D(MaxPooling2DConfig),
    /// [`AveragePooling2D`].
    AveragePooling2D(AveragePooling2DConfig),
    /// [`MaxPooling1D`].
    MaxPooling1D(MaxPooling1DConfig),
    /// [`AveragePooling1D`].
    AveragePooling1D(AveragePooling1DConfig),
    /// [`GlobalAveragePooling2D`].
    GlobalAveragePooling2D(GlobalAveragePooling2DConfig),
    /// [`GlobalAveragePooling1D`].
    GlobalAveragePooling1D(GlobalAveragePooling1DConfig),
    /// [`GlobalMaxPooling2D`].
    GlobalMaxPooling2D(GlobalMaxPooling2DConfig),
    /// [`GlobalMaxPooling1D`].
    GlobalMaxPooling1D(GlobalMaxPooling1DConfig),
    /// [`Reshape`].
    Reshape(ReshapeConfig),
    /// [`Rescaling`].
    Rescaling(RescalingConfig),
    /// [`ZeroPadding2D`].
    ZeroPadding2D(ZeroPadding2DConfig),
    /// [`SpatialDropout2D`].
    SpatialDropout2D(SpatialDropout2DConfig),
    /// [`Permute`].
    Permute(PermuteConfig),
}

/// A layer kind's configuration, implemented in the kind's file: it checks itself against the
/// shape of its input and builds its layer. Listed once in the registry of [`LayerConfig`].
///
/// The configuration is the `config` object of Keras' JSON (serde, `deny_unknown_fields`, Keras'
/// defaults as serde defaults) and has a field `name: Option<String>`; its layer keeps it in a
/// field `config` (see `config_setters!` and `layer_identity!` in `layers/macros.rs`).
pub trait LayerKind: Clone + Into<LayerConfig> {
    /// The layer it builds.
    type Layer: Layer + 'static;

    /// Checks every value for samples of `input_shape` (batch excluded) and returns the output
    /// shape and the weights, without allocating them (see [`LayerConfig::validate`]).
    ///
    /// # Errors
    /// [`WxbError::InvalidLayer`] naming the first invalid field.
    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError>;

    /// A new, unbuilt layer.
    fn into_layer(self) -> Self::Layer;
}

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

/// Keras' snake-cased default name stem for a class, by Keras' `to_snake_case` (`Dense` →
/// `dense`, `BatchNormalization` → `batch_normalization`, `Conv2D` → `conv2d`,
/// `MaxPooling2D` → `max_pooling2d`): an underscore before each capital that starts a lowercase
/// run, and between a lowercase letter and a capital.
pub fn snake_case(class_name: &str) -> String {
    let c: Vec<char> = class_name.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    let mut s = String::new();
    for (i, &ch) in c.iter().enumerate() {
        let starts_word = i > 0 && ch.is_ascii_uppercase() && c.get(i + 1).is_some_and(char::is_ascii_lowercase);
        let after_lower = i > 0 && ch.is_ascii_uppercase() && c[i - 1].is_ascii_lowercase();
        if starts_word || after_lower {
            s.push('_');
        }
        s.push(ch.to_ascii_lowercase());
    }
    s
}

/// A configuration whose every field has a serde default: the configuration of `{}`, so that
/// Keras' defaults are written once, in the serde attributes.
fn keras_defaults<T: serde::de::DeserializeOwned>() -> T {
    serde_json::from_str("{}").expect("every field has a serde default")
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

/// Resizes `t` to `[batch, sample…]` without allocating once its buffer is large enough.
///
/// # Panics
/// If `sample` has more than 7 axes.
pub(crate) fn resize_batch(t: &mut Tensor, batch: usize, sample: &[usize]) {
    let mut shape = [0usize; 8];
    shape[0] = batch;
    shape[1..=sample.len()].copy_from_slice(sample);
    t.resize(&shape[..=sample.len()]);
}

/// Asserts that the samples of `t` (batch first) have `shape`.
///
/// # Panics
/// Otherwise, naming the layer and what `t` is.
pub(crate) fn check_samples(layer: &str, what: &str, t: &Tensor, shape: &[usize]) {
    assert_eq!(
        &t.shape()[1.min(t.rank())..],
        shape,
        "{layer}: {what} {:?} does not match samples of shape {shape:?}",
        t.shape()
    );
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
        assert_eq!(snake_case("Conv2D"), "conv2d");
        assert_eq!(snake_case("Conv1D"), "conv1d");
        assert_eq!(snake_case("MaxPooling2D"), "max_pooling2d");
        assert_eq!(snake_case("GlobalAveragePooling1D"), "global_average_pooling1d");
        assert_eq!(snake_case("ReLU"), "re_lu");
    }

    #[test]
    fn python_floats_are_the_written_decimals() {
        assert_eq!(python_float(0.99), 0.99);
        assert_eq!(python_float(0.2), 0.2);
        assert_eq!((1.0 - python_float(0.99)) as f32, (1.0f64 - 0.99) as f32);
    }
}
