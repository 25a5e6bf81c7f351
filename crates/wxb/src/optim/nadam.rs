//! Nadam, Keras' `Nadam`: Adam with Nesterov momentum and Keras 3's momentum schedule.
//!
//! With `t = iterations + 1`, the momentum schedule `μₜ = β₁·(1 − ½·0.96ᵗ)` and the optimizer-wide
//! scalar `u_product` (starting at 1), once per step, before the variables are updated:
//! `u_product ← u_product·β₁·(1 − ½·0.96ᵗ)`. Then for each variable, with slots `momentum`
//! (`m`) and `velocity` (`v`), `Πₜ = u_product` and `Πₜ₊₁ = Πₜ·μₜ₊₁`:
//!
//! ```text
//! m ← m + (g − m)·(1 − β₁)
//! v ← v + (g² − v)·(1 − β₂)
//! m̂ = μₜ₊₁·m / (1 − Πₜ₊₁) + (1 − μₜ)·g / (1 − Πₜ)
//! v̂ = v / (1 − β₂ᵗ)
//! w ← w − m̂·lr / (√v̂ + ε)
//! ```
//!
//! Unlike Adam, Keras computes `1 − β₁` and `1 − β₂` here after casting β to `float32`.

use serde::{Deserialize, Serialize};

use super::{Step, UpdateRule};

/// The decay of Keras 3's momentum schedule, `μₜ = β₁·(1 − ½·0.96ᵗ)`.
const SCHEDULE_DECAY: f32 = 0.96;

/// Keras' `Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Nadam {
    /// Decay β₁ of the first moment (default 0.9).
    pub beta_1: f32,
    /// Decay β₂ of the second moment (default 0.999).
    pub beta_2: f32,
    /// ε added to `√v̂` (default 1e-7).
    pub epsilon: f32,
}

impl Default for Nadam {
    fn default() -> Self {
        Self { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 }
    }
}

impl Nadam {
    /// The name of the scalar state: the product of the momentum schedule so far.
    pub const U_PRODUCT: &'static str = "u_product";

    /// `1 − ½·0.96ˢ` for the 1-based step `s`.
    fn schedule(s: f32) -> f32 {
        1.0 - 0.5 * SCHEDULE_DECAY.powf(s)
    }
}

impl UpdateRule for Nadam {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["momentum", "velocity"]]
    }

    fn scalars(&self) -> Vec<(&'static str, f32)> {
        vec![(Self::U_PRODUCT, 1.0)]
    }

    fn begin_step(&self, step: Step, scalars: &mut [f32]) {
        scalars[0] = scalars[0] * self.beta_1 * Self::schedule(step.local_step());
    }

    #[inline(always)]
    fn update_step(&self, step: Step, scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let (lr, beta_1, beta_2, eps) = (step.lr, self.beta_1, self.beta_2, self.epsilon);
        let t = step.local_step();
        let u_t = beta_1 * Self::schedule(t);
        let u_t_1 = beta_1 * Self::schedule((step.iterations + 2) as f32);
        let u_product_t = scalars[0];
        let u_product_t_1 = u_product_t * u_t_1;
        let beta_2_power = beta_2.powf(t);
        let [momentum, velocity] = slots else { panic!("Nadam keeps two slots, got {}", slots.len()) };
        let n = w.len();
        let (m, v, g) = (&mut momentum[..n], &mut velocity[..n], &g[..n]);
        for i in 0..n {
            let gi = g[i];
            m[i] += (gi - m[i]) * (1.0 - beta_1);
            v[i] += (gi * gi - v[i]) * (1.0 - beta_2);
            let m_hat = (u_t_1 * m[i]) / (1.0 - u_product_t_1) + ((1.0 - u_t) * gi) / (1.0 - u_product_t);
            let v_hat = v[i] / (1.0 - beta_2_power);
            w[i] -= (m_hat * lr) / (v_hat.sqrt() + eps);
        }
    }
}
