//! Activation functions: each is `f(x)` with its derivative `df(x)`, as Keras 3 defines them.
//!
//! Element-wise activations act on every value; `softmax` and `log_softmax` act on each row (the last
//! axis) and are computed stably by subtracting the row maximum first; `glu` halves each row.
//! The formulas (`f`, `df`) are in `formulas.rs`, the passes over tensors in `tensor_ops.rs`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod formulas;
mod real;
mod scalar;
mod tensor_ops;

pub use real::Real;

pub use scalar::{log_softmax_row, sigmoid, softmax_row, softplus};

/// SELU's α (Klambauer et al. 2017), as in Keras/TensorFlow.
pub const SELU_ALPHA: f32 = 1.673_263_2;
/// SELU's scale λ.
pub const SELU_SCALE: f32 = 1.050_701;

/// An activation function, named as in Keras (`"relu"`, `"softmax"`, …).
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Activation {
    /// `f(x) = x`.
    #[default]
    Linear,
    /// `f(x) = max(x, 0)`.
    #[serde(skip)]
    Relu,
    /// `f(x) = x` for `x > 0`, else `negative_slope·x` (Keras' default slope: 0.2).
    LeakyRelu {
        /// The slope for negative inputs.
        negative_slope: f32,
    },
    /// `f(x) = x` for `x > 0`, else `alpha·(eˣ − 1)`.
    Elu {
        /// The scale of the negative part (Keras' default: 1.0).
        alpha: f32,
    },
    /// `f(x) = λ·x` for `x > 0`, else `λ·α·(eˣ − 1)` with the constants [`SELU_SCALE`], [`SELU_ALPHA`].
    Selu,
    /// Exact GELU: `f(x) = x·Φ(x) = ½·x·(1 + erf(x/√2))`.
    Gelu,
    /// GELU's tanh approximation: `½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
    GeluTanh,
    /// `f(x) = 1 / (1 + e⁻ˣ)`.
    Sigmoid,
    /// Keras 3's hard sigmoid: `relu6(x + 3) / 6`, i.e. 0 below −3, 1 above 3, `x/6 + ½` between.
    HardSigmoid,
    /// `f(x) = tanh(x)`.
    Tanh,
    /// `f(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ)` over each row.
    Softmax,
    /// `f(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ)` over each row.
    LogSoftmax,
    /// `f(x) = ln(1 + eˣ)`.
    Softplus,
    /// `f(x) = x / (1 + |x|)`.
    Softsign,
    /// SiLU, also called swish: `f(x) = x·σ(x)`.
    Silu,
    /// `f(x) = x·tanh(softplus(x))`.
    Mish,
    /// `f(x) = min(max(x, 0), 6)`.
    Relu6,
    /// Keras' `relu(x, negative_slope, max_value, threshold)` (the `ReLU` layer's options):
    /// `f(x) = clip(x·[x > threshold], 0, max_value) − negative_slope·max(threshold − x, 0)`, the
    /// clip only when `max_value` is given (with `threshold = 0`, `[x > 0]·x` is `max(x, 0)`).
    /// Serialized as `{"relu": {"negative_slope": …, "max_value": …, "threshold": …}}`; build it
    /// with [`Activation::relu_with`].
    #[serde(rename = "relu")]
    ReluWith {
        /// The slope below `threshold` (Keras' default: 0).
        negative_slope: f32,
        /// The largest output (Keras' default: none).
        max_value: Option<f32>,
        /// Inputs at or below it give `negative_slope·(x − threshold)` (Keras' default: 0).
        threshold: f32,
    },
    /// `f(x) = max(x, 0) + α·(e^(min(x, 0)/α) − 1)` (Keras' default α: 1).
    Celu {
        /// α.
        alpha: f32,
    },
    /// `f(x) = eˣ`.
    Exponential,
    /// Gated linear unit over the last axis: the row `[a, b]` (two halves) gives `a ⊙ σ(b)`, so the
    /// output has half as many values as the input (which must have an even number).
    Glu,
    /// `f(x) = x·hard_sigmoid(x) = x·relu6(x + 3)/6` (Keras' alias: `hard_swish`).
    HardSilu,
    /// `f(x) = clip(x, −1, 1)`.
    HardTanh,
    /// `f(x) = x` where `|x| > threshold`, else 0 (Keras' default threshold: 0.5).
    HardShrink {
        /// The half-width of the zeroed band.
        threshold: f32,
    },
    /// `f(x) = x − threshold` above `threshold`, `x + threshold` below `−threshold`, else 0
    /// (Keras' default threshold: 0.5).
    SoftShrink {
        /// The half-width of the zeroed band.
        threshold: f32,
    },
    /// `f(x) = x − tanh(x)`.
    TanhShrink,
    /// `f(x) = ln σ(x) = −softplus(−x)`.
    LogSigmoid,
    /// `f(x) = 0` for `x ≤ −1`, `(x + 1)²/4` for `−1 < x < 1`, `x` for `x ≥ 1`.
    SparsePlus,
    /// `f(x) = 0` for `x ≤ −1`, `(x + 1)/2` for `−1 < x < 1`, `1` for `x ≥ 1`.
    SparseSigmoid,
    /// `f(x) = (x + √(x² + b))/2` (Keras' default b: 4).
    Squareplus {
        /// b.
        b: f32,
    },
    /// Keras' `threshold(x, threshold, default_value)`: `f(x) = x` for `x > threshold`, else
    /// `default_value`. Keras gives it no defaults, so the bare name `"threshold"` does not parse:
    /// write `{"threshold": {"threshold": …, "default_value": …}}`.
    Threshold {
        /// Inputs at or below it are replaced.
        threshold: f32,
        /// Their replacement.
        default_value: f32,
    },
}

impl Activation {
    /// Keras' default LeakyReLU activation (`keras.activations.leaky_relu`): slope 0.2.
    pub const LEAKY_RELU: Activation = Activation::LeakyRelu { negative_slope: 0.2 };
    /// Keras' default ELU: α = 1.
    pub const ELU: Activation = Activation::Elu { alpha: 1.0 };
    /// Keras' default CELU: α = 1.
    pub const CELU: Activation = Activation::Celu { alpha: 1.0 };
    /// Keras' default hard_shrink: threshold 0.5.
    pub const HARD_SHRINK: Activation = Activation::HardShrink { threshold: 0.5 };
    /// Keras' default soft_shrink: threshold 0.5.
    pub const SOFT_SHRINK: Activation = Activation::SoftShrink { threshold: 0.5 };
    /// Keras' default squareplus: b = 4.
    pub const SQUAREPLUS: Activation = Activation::Squareplus { b: 4.0 };

    /// Keras' `relu(x, negative_slope, max_value, threshold)`: [`Activation::Relu`] for Keras'
    /// defaults `(0, None, 0)`, else [`Activation::ReluWith`].
    pub fn relu_with(negative_slope: f32, max_value: Option<f32>, threshold: f32) -> Activation {
        if negative_slope == 0.0 && max_value.is_none() && threshold == 0.0 {
            Activation::Relu
        } else {
            Activation::ReluWith { negative_slope, max_value, threshold }
        }
    }

    /// Whether the activation works on each value alone (all but softmax, log_softmax and glu).
    pub fn is_elementwise(self) -> bool {
        !matches!(self, Activation::Softmax | Activation::LogSoftmax | Activation::Glu)
    }

    /// The length of the output's last axis for an input whose last axis has `len` values: `len`,
    /// or `len / 2` for glu.
    pub fn output_len(self, len: usize) -> usize {
        if self == Activation::Glu { len / 2 } else { len }
    }

    /// Why the activation cannot act on a last axis of `len` values, if it cannot (glu needs an
    /// even number).
    pub fn check_len(self, len: usize) -> Result<(), &'static str> {
        if self == Activation::Glu && !len.is_multiple_of(2) {
            return Err("glu splits the last axis in two halves: it must have an even length");
        }
        Ok(())
    }

    /// Keras' name of the activation (`"relu"`, `"gelu"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Selu => "selu",
            Activation::Gelu => "gelu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::HardSigmoid => "hard_sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
            Activation::LogSoftmax => "log_softmax",
            Activation::Softplus => "softplus",
            Activation::Softsign => "softsign",
            Activation::Silu => "silu",
            Activation::Mish => "mish",
            Activation::Relu6 => "relu6",
            Activation::ReluWith { .. } => "relu",
            Activation::Celu { .. } => "celu",
            Activation::Exponential => "exponential",
            Activation::Glu => "glu",
            Activation::HardSilu => "hard_silu",
            Activation::HardTanh => "hard_tanh",
            Activation::HardShrink { .. } => "hard_shrink",
            Activation::SoftShrink { .. } => "soft_shrink",
            Activation::TanhShrink => "tanh_shrink",
            Activation::LogSigmoid => "log_sigmoid",
            Activation::SparsePlus => "sparse_plus",
            Activation::SparseSigmoid => "sparse_sigmoid",
            Activation::Squareplus { .. } => "squareplus",
            Activation::Threshold { .. } => "threshold",
        }
    }

    /// Every activation that has Keras' default parameters (all but `threshold`, which has none).
    pub const ALL: [Activation; 29] = [
        Activation::Linear,
        Activation::Relu,
        Activation::LEAKY_RELU,
        Activation::ELU,
        Activation::Selu,
        Activation::Gelu,
        Activation::GeluTanh,
        Activation::Sigmoid,
        Activation::HardSigmoid,
        Activation::Tanh,
        Activation::Softmax,
        Activation::LogSoftmax,
        Activation::Softplus,
        Activation::Softsign,
        Activation::Silu,
        Activation::Mish,
        Activation::Relu6,
        Activation::CELU,
        Activation::Exponential,
        Activation::Glu,
        Activation::HardSilu,
        Activation::HardTanh,
        Activation::HARD_SHRINK,
        Activation::SOFT_SHRINK,
        Activation::TanhShrink,
        Activation::LogSigmoid,
        Activation::SparsePlus,
        Activation::SparseSigmoid,
        Activation::SQUAREPLUS,
    ];
}

crate::error::display_as_name!(Activation, name);

impl FromStr for Activation {
    type Err = crate::error::UnknownName;

    /// Parses Keras' names, with Keras' default parameters; `swish` is an alias of `silu`,
    /// `hard_swish` of `hard_silu`, `None`/`none` of `linear`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        let alias = match key.as_str() {
            "swish" => Some(Activation::Silu),
            "hard_swish" => Some(Activation::HardSilu),
            "none" | "identity" => Some(Activation::Linear),
            "gelu_approximate" | "approximate_gelu" => Some(Activation::GeluTanh),
            _ => None,
        };
        alias
            .or_else(|| Activation::ALL.into_iter().find(|a| a.name() == key))
            .ok_or_else(|| crate::error::UnknownName::new("activation", s, Activation::ALL.map(|a| a.name())))
    }
}

crate::error::serde_by_keras_name!(Activation);

#[cfg(test)]
mod tests;
