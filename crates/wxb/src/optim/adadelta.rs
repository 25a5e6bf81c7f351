//! Adadelta, Keras' `Adadelta`.
//!
//! With slots `accumulated_grad` (`E[g²]`) and `accumulated_delta_var` (`E[Δ²]`), and
//! `rms(x) = √(x + ε)`:
//!
//! ```text
//! E[g²] ← ρ·E[g²] + (1 − ρ)·g²
//! Δ     = −(rms(E[Δ²])·g) / rms(E[g²])
//! E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ²
//! w     ← w + lr·Δ
//! ```
//!
//! Keras 3 scales the step by the learning rate (default 0.001), unlike the original paper.

use serde::{Deserialize, Serialize};

use super::{Step, UpdateRule};
use crate::tensor::python_complement;

/// Keras' `Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Adadelta {
    /// Decay ρ of both running averages (default 0.95).
    pub rho: f32,
    /// ε added under the square roots (default 1e-7).
    pub epsilon: f32,
}

impl Default for Adadelta {
    fn default() -> Self {
        Self { rho: 0.95, epsilon: 1e-7 }
    }
}

impl UpdateRule for Adadelta {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["accumulated_grad", "accumulated_delta_var"]]
    }

    #[inline(always)]
    fn update_step(&self, step: Step, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let (lr, rho, eps) = (step.lr, self.rho, self.epsilon);
        let one_minus_rho = python_complement(rho);
        let [acc_grad, acc_delta] = slots else { panic!("Adadelta keeps two slots, got {}", slots.len()) };
        let n = w.len();
        let (eg, ed, g) = (&mut acc_grad[..n], &mut acc_delta[..n], &g[..n]);
        for i in 0..n {
            let gi = g[i];
            eg[i] = rho * eg[i] + one_minus_rho * (gi * gi);
            let delta = -(((ed[i] + eps).sqrt() * gi) / (eg[i] + eps).sqrt());
            ed[i] = rho * ed[i] + one_minus_rho * (delta * delta);
            w[i] += lr * delta;
        }
    }
}
