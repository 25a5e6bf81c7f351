//! Keras' `PolynomialDecay`, from `initial_learning_rate` to `end_learning_rate` over
//! `decay_steps`:
//!
//! ```text
//! lr(step) = (initial − end) · (1 − s / d)^power + end
//! ```
//!
//! With [`AfterDecay::Hold`], `s = min(step, decay_steps)` and `d = decay_steps`. With
//! [`AfterDecay::Cycle`], `s = step` and `d = decay_steps · ceil(step / decay_steps)` (1 at step 0).

use serde::{Deserialize, Serialize};

use super::AfterDecay;

/// Keras' `PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate=0.0001,
/// power=1.0, cycle=False)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolynomialDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f32,
    /// The steps to reach `end_learning_rate` (positive).
    pub decay_steps: u64,
    /// The final rate (default 1e-4).
    #[serde(default = "default_end_learning_rate")]
    pub end_learning_rate: f32,
    /// The polynomial's power (default 1: linear).
    #[serde(default = "default_power")]
    pub power: f32,
    /// Hold at the end or cycle (Keras' `cycle`).
    #[serde(rename = "cycle", default)]
    pub after_decay: AfterDecay,
}

fn default_end_learning_rate() -> f32 {
    1e-4
}

fn default_power() -> f32 {
    1.0
}

impl PolynomialDecay {
    /// A linear decay to 1e-4 that then holds, Keras' defaults.
    pub fn new(initial_learning_rate: f32, decay_steps: u64) -> Self {
        Self {
            initial_learning_rate,
            decay_steps,
            end_learning_rate: default_end_learning_rate(),
            power: default_power(),
            after_decay: AfterDecay::Hold,
        }
    }

    /// The rate at `step`.
    pub fn at(&self, step: u64) -> f32 {
        let mut step = step as f32;
        let mut decay_steps = self.decay_steps as f32;
        match self.after_decay {
            AfterDecay::Cycle => {
                let multiplier = if step == 0.0 { 1.0 } else { (step / decay_steps).ceil() };
                decay_steps *= multiplier;
            }
            AfterDecay::Hold => step = step.min(decay_steps),
        }
        let p = step / decay_steps;
        (self.initial_learning_rate - self.end_learning_rate) * (1.0 - p).powf(self.power) + self.end_learning_rate
    }
}
