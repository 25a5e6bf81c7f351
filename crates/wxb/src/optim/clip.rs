//! Gradient clipping shared by all optimizers (Keras' `clipnorm`, `global_clipnorm`, `clipvalue`).
//!
//! With `c` the threshold and `‖·‖` the L2 norm (0 for an all-zero gradient):
//!
//! - `clipnorm` (TensorFlow's `clip_by_norm`, per variable): `g ← (g·c) / max(‖g‖, c)`;
//! - `global_clipnorm` (`clip_by_global_norm`): with `N = √(Σᵥ ‖gᵥ‖²)` over all variables,
//!   `s = c·min(1/N, 1/c)` and every `g ← g·s` (NaN when `N` is not finite);
//! - `clipvalue`: `g ← min(max(g, −c), c)`.
//!
//! As in Keras, a threshold that is not positive disables clipping, and the expressions are
//! evaluated in Keras' order (so a gradient under the threshold may still move by an ulp).

use serde::{Deserialize, Serialize};

use crate::layers::Param;
use crate::tensor::python_float;

/// Which clipping an optimizer applies to the gradients before its update (at most one in Keras).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Clipping {
    /// No clipping.
    #[default]
    None,
    /// Keras' `clipnorm`: each gradient scaled so that its L2 norm is at most this.
    Norm(f32),
    /// Keras' `clipvalue`: each gradient value clipped into `[−v, v]`.
    Value(f32),
    /// Keras' `global_clipnorm`: all gradients scaled together so that their joint L2 norm is at
    /// most this.
    GlobalNorm(f32),
}

impl Clipping {
    /// Clips the gradients of `params` in place.
    pub fn clip(self, params: &mut [&mut Param]) {
        match self {
            Clipping::Norm(c) if c > 0.0 => {
                for p in params.iter_mut() {
                    let norm = l2_norm(p.grad.data());
                    let denominator = norm.max(c);
                    p.grad.data_mut().iter_mut().for_each(|g| *g = (*g * c) / denominator);
                }
            }
            Clipping::GlobalNorm(c) if c > 0.0 => {
                let squared: f32 = params.iter().map(|p| squared_sum(p.grad.data())).sum();
                let norm = squared.sqrt();
                // `1 / clip_norm` is a Python division in Keras, hence in double precision. Keras
                // adds `norm − norm`: a non-finite norm makes every gradient NaN.
                let scale =
                    if norm.is_finite() { c * (1.0 / norm).min((1.0 / python_float(c)) as f32) } else { f32::NAN };
                for p in params.iter_mut() {
                    p.grad.data_mut().iter_mut().for_each(|g| *g *= scale);
                }
            }
            Clipping::Value(c) if c > 0.0 => {
                for p in params.iter_mut() {
                    p.grad.data_mut().iter_mut().for_each(|g| *g = g.max(-c).min(c));
                }
            }
            _ => {}
        }
    }
}

fn squared_sum(g: &[f32]) -> f32 {
    g.iter().map(|x| x * x).sum()
}

/// TensorFlow's `clip_by_norm` norm: `√Σg²` where the sum is positive, else the sum itself.
fn l2_norm(g: &[f32]) -> f32 {
    let sum = squared_sum(g);
    if sum > 0.0 { sum.sqrt() } else { sum }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;

    fn param(grad: &[f32]) -> Param {
        let mut p = Param::trainable("kernel", Tensor::zeros(&[grad.len()]));
        p.grad = Tensor::from_vec(&[grad.len()], grad.to_vec());
        p
    }

    fn clipped(clipping: Clipping, grads: &[&[f32]]) -> Vec<Vec<f32>> {
        let mut params: Vec<Param> = grads.iter().map(|g| param(g)).collect();
        let mut refs: Vec<&mut Param> = params.iter_mut().collect();
        clipping.clip(&mut refs);
        params.iter().map(|p| p.grad.data().to_vec()).collect()
    }

    #[test]
    fn norm_clips_each_variable_separately() {
        let out = clipped(Clipping::Norm(1.0), &[&[3.0, 4.0], &[0.3, 0.4]]);
        assert_eq!(out[0], vec![0.6, 0.8]);
        assert_eq!(out[1], vec![0.3, 0.4]);
    }

    #[test]
    fn global_norm_scales_all_variables_together() {
        // Joint norm 13 (3, 4 and 12): everything is scaled by 1/13.
        let out = clipped(Clipping::GlobalNorm(1.0), &[&[3.0, 4.0], &[12.0]]);
        assert!((out[0][0] - 3.0 / 13.0).abs() < 1e-7 && (out[1][0] - 12.0 / 13.0).abs() < 1e-7);
        let small = clipped(Clipping::GlobalNorm(100.0), &[&[3.0, 4.0], &[12.0]]);
        assert!((small[1][0] - 12.0).abs() < 1e-5);
    }

    #[test]
    fn value_clamps_and_non_positive_thresholds_disable() {
        assert_eq!(clipped(Clipping::Value(0.5), &[&[-2.0, 0.1, 0.7]])[0], vec![-0.5, 0.1, 0.5]);
        assert_eq!(clipped(Clipping::Value(0.0), &[&[-2.0, 0.7]])[0], vec![-2.0, 0.7]);
        assert_eq!(clipped(Clipping::Norm(-1.0), &[&[3.0, 4.0]])[0], vec![3.0, 4.0]);
        assert_eq!(clipped(Clipping::Norm(1.0), &[&[0.0, 0.0]])[0], vec![0.0, 0.0]);
    }
}
