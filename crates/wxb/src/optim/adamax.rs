//! Adamax, Keras' `Adamax`: Adam with the infinity norm.
//!
//! With slots `momentum` (`m`) and `norm` (`u`), `t = iterations + 1`:
//!
//! ```text
//! m ← m + (g − m)·(1 − β₁)
//! u ← max(β₂·u, |g|)
//! w ← w − lr·m / ((1 − β₁ᵗ)·(u + ε))
//! ```

use serde::{Deserialize, Serialize};

use super::{Step, UpdateRule};
use crate::tensor::python_complement;

/// Keras' `Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Adamax {
    /// Decay β₁ of the first moment (default 0.9).
    pub beta_1: f32,
    /// Decay β₂ of the infinity norm (default 0.999).
    pub beta_2: f32,
    /// ε added to `u` (default 1e-7).
    pub epsilon: f32,
}

impl Default for Adamax {
    fn default() -> Self {
        Self { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 }
    }
}

impl UpdateRule for Adamax {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["momentum", "norm"]]
    }

    #[inline(always)]
    fn update_step(&self, step: Step, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let (lr, beta_2, eps) = (step.lr, self.beta_2, self.epsilon);
        let one_minus_beta_1_power = 1.0 - self.beta_1.powf(step.local_step());
        let one_minus_beta_1 = python_complement(self.beta_1);
        let [momentum, norm] = slots else { panic!("Adamax keeps two slots, got {}", slots.len()) };
        let n = w.len();
        let (m, u, g) = (&mut momentum[..n], &mut norm[..n], &g[..n]);
        for i in 0..n {
            let gi = g[i];
            m[i] += (gi - m[i]) * one_minus_beta_1;
            u[i] = (beta_2 * u[i]).max(gi.abs());
            w[i] -= (lr * m[i]) / (one_minus_beta_1_power * (u[i] + eps));
        }
    }
}
