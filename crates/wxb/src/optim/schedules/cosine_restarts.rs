//! Keras' `CosineDecayRestarts` (SGDR): cosine decays that restart, each period `t_mul` times
//! longer and starting `m_mul` times lower than the previous one.
//!
//! With `f = step / first_decay_steps`: for `t_mul = 1`, restart `i = floor(f)` and
//! `f ← f − i`; otherwise `i = floor(ln(1 − f·(1 − t_mul)) / ln(t_mul))` and
//! `f ← (f − (1 − t_mulⁱ)/(1 − t_mul)) / t_mulⁱ`. Then
//!
//! ```text
//! lr(step) = initial · ((1 − α) · ½·m_mulⁱ·(1 + cos(π·f)) + α)
//! ```

use serde::{Deserialize, Serialize};

/// Keras' `CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
/// alpha=0.0)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CosineDecayRestarts {
    /// The rate at step 0.
    pub initial_learning_rate: f32,
    /// The length of the first period (positive).
    pub first_decay_steps: u64,
    /// Each period's length relative to the previous one (default 2).
    #[serde(default = "two")]
    pub t_mul: f32,
    /// Each period's starting rate relative to the previous one (default 1).
    #[serde(default = "one")]
    pub m_mul: f32,
    /// The lowest rate as a fraction of the period's starting rate (default 0).
    #[serde(default)]
    pub alpha: f32,
}

fn two() -> f32 {
    2.0
}

fn one() -> f32 {
    1.0
}

impl CosineDecayRestarts {
    /// Periods doubling in length, restarting at the same rate, decaying to 0: Keras' defaults.
    pub fn new(initial_learning_rate: f32, first_decay_steps: u64) -> Self {
        Self { initial_learning_rate, first_decay_steps, t_mul: two(), m_mul: one(), alpha: 0.0 }
    }

    /// The rate at `step`.
    pub fn at(&self, step: u64) -> f32 {
        let (t_mul, m_mul, alpha) = (self.t_mul, self.m_mul, self.alpha);
        let mut completed_fraction = step as f32 / self.first_decay_steps as f32;
        let i_restart;
        if t_mul == 1.0 {
            i_restart = completed_fraction.floor();
            completed_fraction -= i_restart;
        } else {
            i_restart = ((1.0 - completed_fraction * (1.0 - t_mul)).ln() / t_mul.ln()).floor();
            let sum_r = (1.0 - t_mul.powf(i_restart)) / (1.0 - t_mul);
            completed_fraction = (completed_fraction - sum_r) / t_mul.powf(i_restart);
        }
        let m_fac = m_mul.powf(i_restart);
        let cosine_decayed = 0.5 * m_fac * (1.0 + (std::f32::consts::PI * completed_fraction).cos());
        let decayed = (1.0 - alpha) * cosine_decayed + alpha;
        self.initial_learning_rate * decayed
    }
}
