//! What Conv1D and Conv2D share: the [`Geometry`] of a convolution (output sizes, padding),
//! `im2col`/`col2im`, the engine (`y = activation(im2col(x)·K + b)` on wxb's GEMM, and its
//! backward pass), the fused training pass of a convolution and its following max pooling
//! ([`ConvPool`]) and the `explain` trace ([`ConvTrace`]). Conv1D is a Conv2D of height 1.
//!
//! Each kind's file (`layers/conv1d.rs`, `layers/conv2d.rs`) holds its Keras configuration and
//! maps it to the shared settings; `conv_layer!` writes its [`Layer`](super::Layer) methods.

mod engine;
mod explain;
mod geometry;
mod im2col;
mod pooled;
mod split;

pub(crate) use engine::{ConvCore, ConvSpec};
pub use explain::ConvTrace;
pub(crate) use geometry::axis;
pub use geometry::{Geometry, Padding};
pub(crate) use pooled::ConvPool;

use serde::{Deserialize, Deserializer};

/// Keras' per-axis sizes (`kernel_size`, `strides`, `dilation_rate`): one number for every axis,
/// or one per axis.
pub(crate) fn int_or_list<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[usize; N], D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Sizes {
        One(usize),
        Each(Vec<usize>),
    }
    match Sizes::deserialize(d)? {
        Sizes::One(n) => Ok([n; N]),
        Sizes::Each(v) => <[usize; N]>::try_from(v.as_slice())
            .map_err(|_| serde::de::Error::custom(format!("expected {N} sizes or one number, got {v:?}"))),
    }
}

/// `[1, …]`: Keras' default strides and dilation rates.
pub(crate) fn ones<const N: usize>() -> [usize; N] {
    [1; N]
}

/// Keras' default number of groups.
pub(crate) fn one() -> usize {
    1
}

/// The [`Layer`](super::Layer) methods of a convolution kind whose layer has fields `config`
/// (with a method `spec() -> ConvSpec`) and `core: ConvCore`.
macro_rules! conv_layer {
    ($config:ident) => {
        layer_identity!($config);

        /// # Panics
        /// If the settings do not fit samples of `input_shape` (the message of
        /// [`LayerConfig::validate`]'s error).
        fn build(&mut self, input_shape: &[usize], seed: u64) {
            let name = self.name().to_string();
            self.core = ConvCore::build(&self.config.spec(), &name, input_shape, seed);
        }

        fn output_shape(&self) -> Vec<usize> {
            self.config.spec().output_shape(&self.core.geometry)
        }

        /// # Panics
        /// If `x`'s samples do not have the built shape.
        fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, scratch: &mut Scratch) {
            self.core.forward(&self.config.spec(), self.name(), x, y, scratch);
        }

        fn backward(&mut self, x: &Tensor, y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch) {
            let spec = self.config.spec();
            self.core.backward(&spec, x, y, dy, dx, scratch);
        }

        fn output_activation(&self) -> Activation {
            self.config.activation
        }

        fn activity_regularizer(&self) -> Option<Regularizer> {
            self.config.activity_regularizer
        }

        fn logits<'s>(&self, scratch: &'s Scratch) -> Option<&'s Tensor> {
            self.core.logits(&self.config.spec(), scratch)
        }

        fn backward_from_logits(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch) {
            self.core.backward_from_logits(x, dz, dx, scratch);
        }

        fn weights(&self) -> &[Param] {
            &self.core.weights
        }

        fn weights_mut(&mut self) -> &mut [Param] {
            &mut self.core.weights
        }

        /// Every output value's dot product of its patch with its filter, plus the bias, then
        /// the activation, in `f64`.
        fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
            self.core.forward_f64(&self.config.spec(), x)
        }

        /// A [`ConvTrace`](super::ConvTrace) per chosen output value.
        fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
            self.core.trace(&self.config.spec(), v)
        }

        /// The `k` input values with the largest `Σ |xᵢ·kᵢ|` in the chosen outputs' dot products.
        fn strongest_inputs(&self, x: &[f64], _forward: &Forward64, chosen: &[usize], k: usize) -> Vec<usize> {
            self.core.strongest_inputs(&self.config.spec(), x, chosen, k)
        }
    };
}
