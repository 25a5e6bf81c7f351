//! Each element-wise activation's formula `f(x)` (generic over [`Real`]: the engine's `f32` and
//! `explain`'s `f64`) and derivative `f'(x)`, as Keras 3 (TensorFlow backend) computes them.

use super::scalar::{gelu_tanh_inner, relu, sigmoid, softplus, step};
use super::{Activation, Real, SELU_ALPHA, SELU_SCALE};

impl Activation {
    /// `f(x)` for an element-wise activation, in any [`Real`] type (`f32` in the engine, `f64` in
    /// `explain`).
    ///
    /// # Panics
    /// For `Softmax`, `LogSoftmax` and `Glu`, which need a whole row: use [`Activation::forward`]
    /// or [`Activation::row`].
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
            Activation::HardSigmoid => hard_sigmoid(x),
            Activation::Tanh => x.tanh(),
            Activation::Softplus => softplus(x),
            Activation::Softsign => x / (T::ONE + x.abs()),
            Activation::Silu => x * sigmoid(x),
            Activation::Mish => x * softplus(x).tanh(),
            Activation::Relu6 => relu(x).clamp(T::ZERO, of(6.0)),
            Activation::ReluWith { negative_slope, max_value, threshold } => {
                let th = of(threshold);
                let mut y = if threshold != 0.0 { if x > th { x } else { T::ZERO } } else { relu(x) };
                if let Some(max) = max_value {
                    y = y.clamp(T::ZERO, of(max));
                }
                if negative_slope != 0.0 {
                    y = y - of(negative_slope) * relu(th - x);
                }
                y
            }
            Activation::Celu { alpha } => {
                let a = of(alpha);
                relu(x) + a * ((if x > T::ZERO { T::ZERO } else { x }) / a).exp_m1()
            }
            Activation::Exponential => x.exp(),
            Activation::HardSilu => x * hard_sigmoid(x),
            Activation::HardTanh => x.clamp(-T::ONE, T::ONE),
            Activation::HardShrink { threshold } => {
                if x.abs() > of(threshold) {
                    x
                } else {
                    T::ZERO
                }
            }
            Activation::SoftShrink { threshold } => {
                let t = of(threshold);
                if x > t {
                    x - t
                } else if x < -t {
                    x + t
                } else {
                    T::ZERO
                }
            }
            Activation::TanhShrink => x - x.tanh(),
            Activation::LogSigmoid => -softplus(-x),
            Activation::SparsePlus => {
                if x <= -T::ONE {
                    T::ZERO
                } else if x < T::ONE {
                    of(0.25) * (x + T::ONE) * (x + T::ONE)
                } else {
                    x
                }
            }
            Activation::SparseSigmoid => {
                if x <= -T::ONE {
                    T::ZERO
                } else if x >= T::ONE {
                    T::ONE
                } else {
                    of(0.5) * (x + T::ONE)
                }
            }
            Activation::Squareplus { b } => (x + (x * x + of(b)).sqrt()) / of(2.0),
            Activation::Threshold { threshold, default_value } => {
                if x > of(threshold) {
                    x
                } else {
                    of(default_value)
                }
            }
            Activation::Softmax | Activation::LogSoftmax | Activation::Glu => {
                panic!("{self} acts on whole rows: use Activation::forward")
            }
        }
    }

    /// `f'(x)` for an element-wise activation, given the input `x` and the output `y = f(x)`
    /// (some derivatives are cheapest from `y`). At a kink, the derivative of the piece the
    /// formula's comparison selects.
    ///
    /// # Panics
    /// For `Softmax`, `LogSoftmax` and `Glu`: use [`Activation::backward`].
    pub fn df(self, x: f32, y: f32) -> f32 {
        let inside = |lo: f32, hi: f32| if x > lo && x < hi { 1.0 } else { 0.0 };
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
            Activation::HardSigmoid => inside(-3.0, 3.0) / 6.0,
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
            Activation::Relu6 => inside(0.0, 6.0),
            Activation::ReluWith { negative_slope, max_value, threshold } => {
                let passes = x > threshold;
                let kept = match max_value {
                    Some(max) => passes && x > 0.0 && x < max,
                    None => passes,
                };
                let below = if x < threshold { negative_slope } else { 0.0 };
                if kept { 1.0 + below } else { below }
            }
            Activation::Celu { alpha } => {
                if x > 0.0 {
                    1.0
                } else {
                    (x / alpha).exp()
                }
            }
            Activation::Exponential => y,
            Activation::HardSilu => {
                if x <= -3.0 {
                    0.0
                } else if x >= 3.0 {
                    1.0
                } else {
                    (2.0 * x + 3.0) / 6.0
                }
            }
            Activation::HardTanh => inside(-1.0, 1.0),
            Activation::HardShrink { threshold } | Activation::SoftShrink { threshold } => {
                if x.abs() > threshold {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::TanhShrink => {
                let t = x.tanh();
                t * t
            }
            Activation::LogSigmoid => sigmoid(-x),
            Activation::SparsePlus => {
                if x <= -1.0 {
                    0.0
                } else if x < 1.0 {
                    0.5 * (x + 1.0)
                } else {
                    1.0
                }
            }
            Activation::SparseSigmoid => 0.5 * inside(-1.0, 1.0),
            Activation::Squareplus { b } => 0.5 * (1.0 + x / (x * x + b).sqrt()),
            Activation::Threshold { threshold, .. } => {
                if x > threshold {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Softmax | Activation::LogSoftmax | Activation::Glu => {
                panic!("{self} acts on whole rows: use Activation::backward")
            }
        }
    }
}

/// Keras 3's hard sigmoid: `relu6(x + 3) / 6`.
#[inline]
fn hard_sigmoid<T: Real>(x: T) -> T {
    (x + T::of(3.0)).clamp(T::ZERO, T::of(6.0)) / T::of(6.0)
}
