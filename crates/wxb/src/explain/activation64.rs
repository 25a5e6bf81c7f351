//! Every [`Activation`] again, in `f64`, for explanations that recompute a network by hand.
//!
//! The formulas are Keras' (see [`crate::activations`]); only the precision differs, so a traced
//! value agrees with the engine's `f32` one to about `1e-6` relative.

use crate::activations::{Activation, SELU_ALPHA, SELU_SCALE};

/// `f(z)` for a whole row `z` (softmax and log_softmax need the row; the others act on each value).
pub fn apply_row(activation: Activation, z: &[f64]) -> Vec<f64> {
    match activation {
        Activation::Softmax => {
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = z.iter().map(|&v| (v - max).exp()).collect();
            let sum: f64 = e.iter().sum();
            e.into_iter().map(|v| v / sum).collect()
        }
        Activation::LogSoftmax => {
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum = z.iter().map(|&v| (v - max).exp()).sum::<f64>().ln();
            z.iter().map(|&v| (v - max) - log_sum).collect()
        }
        other => z.iter().map(|&v| apply(other, v)).collect(),
    }
}

/// `f(x)` for an element-wise activation.
///
/// # Panics
/// For softmax and log_softmax, which need a whole row: use [`apply_row`].
pub fn apply(activation: Activation, x: f64) -> f64 {
    let (selu_alpha, selu_scale) = (f64::from(SELU_ALPHA), f64::from(SELU_SCALE));
    match activation {
        Activation::Linear => x,
        Activation::Relu => {
            if x < 0.0 {
                0.0
            } else {
                x
            }
        }
        Activation::LeakyRelu { negative_slope } => {
            if x > 0.0 {
                x
            } else {
                f64::from(negative_slope) * x
            }
        }
        Activation::Elu { alpha } => {
            if x > 0.0 {
                x
            } else {
                f64::from(alpha) * x.exp_m1()
            }
        }
        Activation::Selu => {
            if x > 0.0 {
                selu_scale * x
            } else {
                selu_scale * selu_alpha * x.exp_m1()
            }
        }
        Activation::Gelu => 0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2)),
        Activation::GeluTanh => {
            let inner = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044_715 * x * x * x);
            0.5 * x * (1.0 + inner.tanh())
        }
        Activation::Sigmoid => sigmoid(x),
        Activation::HardSigmoid => (x + 3.0).clamp(0.0, 6.0) / 6.0,
        Activation::Tanh => x.tanh(),
        Activation::Softplus => softplus(x),
        Activation::Softsign => x / (1.0 + x.abs()),
        Activation::Silu => x * sigmoid(x),
        Activation::Mish => x * softplus(x).tanh(),
        Activation::Softmax | Activation::LogSoftmax => panic!("{activation} acts on whole rows: use apply_row"),
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;

    #[test]
    fn agrees_with_the_f32_activations() {
        let z: Vec<f32> = (-12..=12).map(|i| i as f32 * 0.37).collect();
        let zt = Tensor::from_vec(&[1, z.len()], z.clone());
        let z64: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
        for a in Activation::ALL {
            let mut y = Tensor::default();
            a.forward(&zt, &mut y);
            for (got, want) in apply_row(a, &z64).iter().zip(y.data()) {
                assert!((got - f64::from(*want)).abs() <= 1e-5 * (1.0 + got.abs()), "{a}: {got} vs {want}");
            }
        }
    }
}
