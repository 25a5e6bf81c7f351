//! Adam, Keras' `Adam`.
//!
//! With slots `momentum` (`m`) and `velocity` (`v`), `t = iterations + 1`:
//!
//! ```text
//! α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
//! m ← m + (g − m)·(1 − β₁)
//! v ← v + (g² − v)·(1 − β₂)
//! w ← w − m·α / (√v + ε)
//! ```
//!
//! With AMSGrad (slot `velocity_hat`, `v̂ ← max(v̂, v)`), `v̂` replaces `v` in the last line.
//! The operations and their order are Keras': `1 − β` in double precision, the rest in `f32`.

use serde::{Deserialize, Serialize};

use super::{Step, UpdateRule};
use crate::tensor::python_complement;

/// Keras' `Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Adam {
    /// Decay β₁ of the first moment (default 0.9).
    pub beta_1: f32,
    /// Decay β₂ of the second moment (default 0.999).
    pub beta_2: f32,
    /// ε added to `√v` (default 1e-7).
    pub epsilon: f32,
    /// Whether the AMSGrad variant (running maximum of `v`) is used (default false).
    pub amsgrad: bool,
}

impl Default for Adam {
    fn default() -> Self {
        Self { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false }
    }
}

impl UpdateRule for Adam {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        let mut groups = vec![vec!["momentum", "velocity"]];
        if self.amsgrad {
            groups.push(vec!["velocity_hat"]);
        }
        groups
    }

    #[inline(always)]
    fn update_step(&self, step: Step, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let t = step.local_step();
        let beta_1_power = self.beta_1.powf(t);
        let beta_2_power = self.beta_2.powf(t);
        let alpha = step.lr * (1.0 - beta_2_power).sqrt() / (1.0 - beta_1_power);
        let (one_minus_beta_1, one_minus_beta_2) = (python_complement(self.beta_1), python_complement(self.beta_2));
        let eps = self.epsilon;
        let n = w.len();
        match slots {
            [m, v] => {
                let (m, v, g) = (&mut m[..n], &mut v[..n], &g[..n]);
                for i in 0..n {
                    let gi = g[i];
                    m[i] += (gi - m[i]) * one_minus_beta_1;
                    v[i] += (gi * gi - v[i]) * one_minus_beta_2;
                    w[i] -= (m[i] * alpha) / (v[i].sqrt() + eps);
                }
            }
            [m, v, v_hat] => {
                let (m, v, v_hat, g) = (&mut m[..n], &mut v[..n], &mut v_hat[..n], &g[..n]);
                for i in 0..n {
                    let gi = g[i];
                    m[i] += (gi - m[i]) * one_minus_beta_1;
                    v[i] += (gi * gi - v[i]) * one_minus_beta_2;
                    v_hat[i] = v_hat[i].max(v[i]);
                    w[i] -= (m[i] * alpha) / (v_hat[i].sqrt() + eps);
                }
            }
            _ => panic!("Adam keeps two slots (three with AMSGrad), got {}", slots.len()),
        }
    }
}
