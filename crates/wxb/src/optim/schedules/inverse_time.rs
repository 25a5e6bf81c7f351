//! Keras' `InverseTimeDecay`: `lr(step) = initial_learning_rate / (1 + decay_rate · p)` with
//! `p = step / decay_steps`, or `p = floor(step / decay_steps)` with [`Progression::Staircase`].

use serde::{Deserialize, Serialize};

use super::Progression;

/// Keras' `InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InverseTimeDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f32,
    /// The unit of `p` (positive).
    pub decay_steps: u64,
    /// How fast the rate falls per `decay_steps`.
    pub decay_rate: f32,
    /// Smooth or in whole periods (Keras' `staircase`).
    #[serde(rename = "staircase", default)]
    pub progression: Progression,
}

impl InverseTimeDecay {
    /// A smooth (non-staircase) inverse-time decay.
    pub fn new(initial_learning_rate: f32, decay_steps: u64, decay_rate: f32) -> Self {
        Self { initial_learning_rate, decay_steps, decay_rate, progression: Progression::Continuous }
    }

    /// The rate at `step`.
    pub fn at(&self, step: u64) -> f32 {
        let p = self.progression.exponent(step, self.decay_steps);
        self.initial_learning_rate / (1.0 + self.decay_rate * p)
    }
}
