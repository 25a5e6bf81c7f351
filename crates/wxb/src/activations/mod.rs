//! Activation functions: each is `f(x)` with its derivative `df(x)`, as Keras 3 defines them.
//!
//! Element-wise activations act on every value; `softmax` and `log_softmax` act on each row (the last
//! axis) and are computed stably by subtracting the row maximum first.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::tensor::Tensor;

mod real;
mod scalar;

pub use real::Real;
pub(crate) use scalar::relu;
use scalar::{gelu_tanh_inner, last_axis, map_into, step};
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
}

impl Activation {
    /// Keras' default LeakyReLU activation (`keras.activations.leaky_relu`): slope 0.2.
    pub const LEAKY_RELU: Activation = Activation::LeakyRelu { negative_slope: 0.2 };
    /// Keras' default ELU: α = 1.
    pub const ELU: Activation = Activation::Elu { alpha: 1.0 };

    /// Whether the activation works on each value alone (all but softmax and log_softmax).
    pub fn is_elementwise(self) -> bool {
        !matches!(self, Activation::Softmax | Activation::LogSoftmax)
    }

    /// `f(x)` for an element-wise activation, in any [`Real`] type (`f32` in the engine, `f64` in
    /// `explain`).
    ///
    /// # Panics
    /// For `Softmax` and `LogSoftmax`, which need a whole row: use [`Activation::forward`].
    pub fn f<T: Real>(self, x: T) -> T {
        let of = T::of;
        match self {
            Activation::Linear => x,
            Activation::Relu => relu(x),
            Activation::LeakyRelu { negative_slope } => {
                if x > T::ZERO {
                    x
                } else {
                    of(negative_slope) * x
                }
            }
            Activation::Elu { alpha } => {
                if x > T::ZERO {
                    x
                } else {
                    of(alpha) * x.exp_m1()
                }
            }
            Activation::Selu => {
                if x > T::ZERO {
                    of(SELU_SCALE) * x
                } else {
                    of(SELU_SCALE) * of(SELU_ALPHA) * x.exp_m1()
                }
            }
            Activation::Gelu => of(0.5) * x * (T::ONE + (x * T::FRAC_1_SQRT_2).erf()),
            Activation::GeluTanh => of(0.5) * x * (T::ONE + gelu_tanh_inner(x).tanh()),
            Activation::Sigmoid => sigmoid(x),
            Activation::HardSigmoid => ((x + of(3.0)).clamp(T::ZERO, of(6.0))) / of(6.0),
            Activation::Tanh => x.tanh(),
            Activation::Softplus => softplus(x),
            Activation::Softsign => x / (T::ONE + x.abs()),
            Activation::Silu => x * sigmoid(x),
            Activation::Mish => x * softplus(x).tanh(),
            Activation::Softmax | Activation::LogSoftmax => {
                panic!("{self} acts on whole rows: use Activation::forward")
            }
        }
    }

    /// `y = f(z)` for one row `z` (one sample's last axis), in any [`Real`] type: softmax and
    /// log_softmax over the row, the others value by value. `explain` calls it in `f64`.
    ///
    /// # Panics
    /// If `y` and `z` differ in length.
    pub fn row<T: Real>(self, z: &[T], y: &mut [T]) {
        assert_eq!(z.len(), y.len(), "{self}: row of {} values into {}", z.len(), y.len());
        match self {
            Activation::Softmax => softmax_row(z, y),
            Activation::LogSoftmax => log_softmax_row(z, y),
            other => y.iter_mut().zip(z).for_each(|(o, &v)| *o = other.f(v)),
        }
    }

    /// `f'(x)` for an element-wise activation, given the input `x` and the output `y = f(x)`
    /// (some derivatives are cheapest from `y`).
    ///
    /// # Panics
    /// For `Softmax` and `LogSoftmax`: use [`Activation::backward`].
    pub fn df(self, x: f32, y: f32) -> f32 {
        match self {
            Activation::Linear => 1.0,
            Activation::Relu => step(x),
            Activation::LeakyRelu { negative_slope } => {
                if x > 0.0 {
                    1.0
                } else {
                    negative_slope
                }
            }
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    1.0
                } else {
                    y + alpha
                }
            }
            Activation::Selu => {
                if x > 0.0 {
                    SELU_SCALE
                } else {
                    y + SELU_SCALE * SELU_ALPHA
                }
            }
            Activation::Gelu => {
                let cdf = 0.5 * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2));
                let pdf = (-0.5 * x * x).exp() * 0.398_942_3; // 1/√(2π)
                cdf + x * pdf
            }
            Activation::GeluTanh => {
                const C: f32 = 0.797_884_6; // √(2/π)
                let t = gelu_tanh_inner(x).tanh();
                0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * C * (1.0 + 3.0 * 0.044_715 * x * x)
            }
            Activation::Sigmoid => y * (1.0 - y),
            Activation::HardSigmoid => {
                if x > -3.0 && x < 3.0 {
                    1.0 / 6.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => 1.0 - y * y,
            Activation::Softplus => sigmoid(x),
            Activation::Softsign => {
                let d = 1.0 + x.abs();
                1.0 / (d * d)
            }
            Activation::Silu => {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            }
            Activation::Mish => {
                let t = softplus(x).tanh();
                t + x * (1.0 - t * t) * sigmoid(x)
            }
            Activation::Softmax | Activation::LogSoftmax => {
                panic!("{self} acts on whole rows: use Activation::backward")
            }
        }
    }

    /// `y = f(z)`, row by row for softmax/log_softmax. `y` is resized to `z`'s shape.
    pub fn forward(self, z: &Tensor, y: &mut Tensor) {
        y.resize(z.shape());
        let cols = last_axis(z);
        match self {
            Activation::Linear => y.data_mut().copy_from_slice(z.data()),
            Activation::Relu => map_into(z, y, relu),
            Activation::Softmax => {
                for (zr, yr) in z.data().chunks_exact(cols).zip(y.data_mut().chunks_exact_mut(cols)) {
                    softmax_row(zr, yr);
                }
            }
            Activation::LogSoftmax => {
                for (zr, yr) in z.data().chunks_exact(cols).zip(y.data_mut().chunks_exact_mut(cols)) {
                    log_softmax_row(zr, yr);
                }
            }
            other => map_into(z, y, |x| other.f(x)),
        }
    }

    /// `dz = dy · ∂y/∂z`, given the forward input `z` and output `y`. `dz` is resized to `z`'s shape.
    ///
    /// For softmax, `dzᵢ = yᵢ·(dyᵢ − Σⱼ dyⱼ·yⱼ)`; for log_softmax, `dzᵢ = dyᵢ − softmax(z)ᵢ·Σⱼ dyⱼ`.
    pub fn backward(self, z: &Tensor, y: &Tensor, dy: &Tensor, dz: &mut Tensor) {
        assert_eq!(z.shape(), dy.shape(), "{self} backward: input {:?} vs gradient {:?}", z.shape(), dy.shape());
        dz.resize(z.shape());
        let cols = last_axis(z);
        match self {
            Activation::Linear => dz.data_mut().copy_from_slice(dy.data()),
            Activation::Relu => {
                for ((d, &g), &x) in dz.data_mut().iter_mut().zip(dy.data()).zip(z.data()) {
                    *d = if x > 0.0 { g } else { 0.0 };
                }
            }
            Activation::Softmax => {
                let rows = y.data().chunks_exact(cols).zip(dy.data().chunks_exact(cols));
                for ((yr, gr), dr) in rows.zip(dz.data_mut().chunks_exact_mut(cols)) {
                    let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
                    for ((d, &yi), &gi) in dr.iter_mut().zip(yr).zip(gr) {
                        *d = yi * (gi - dot);
                    }
                }
            }
            Activation::LogSoftmax => {
                let rows = y.data().chunks_exact(cols).zip(dy.data().chunks_exact(cols));
                for ((yr, gr), dr) in rows.zip(dz.data_mut().chunks_exact_mut(cols)) {
                    let total: f32 = gr.iter().sum();
                    for ((d, &yi), &gi) in dr.iter_mut().zip(yr).zip(gr) {
                        *d = gi - yi.exp() * total;
                    }
                }
            }
            other => {
                let it = dz.data_mut().iter_mut().zip(dy.data()).zip(z.data()).zip(y.data());
                for (((d, &g), &x), &yv) in it {
                    *d = g * other.df(x, yv);
                }
            }
        }
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
        }
    }

    /// Every activation, with Keras' default parameters.
    pub const ALL: [Activation; 16] = [
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
    ];
}

crate::error::display_as_name!(Activation, name);

impl FromStr for Activation {
    type Err = crate::error::UnknownName;

    /// Parses Keras' names, with Keras' default parameters; `swish` is an alias of `silu`,
    /// `None`/`none` of `linear`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        let alias = match key.as_str() {
            "swish" => Some(Activation::Silu),
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
