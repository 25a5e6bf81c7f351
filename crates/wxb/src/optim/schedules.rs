//! Learning-rate schedules, evaluated at the optimizer's `iterations` as in Keras.

use serde::{Deserialize, Serialize};

/// A constant learning rate or a schedule of the step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LearningRate {
    /// The same rate at every step.
    Constant(f32),
}

impl LearningRate {
    /// The rate at step `iterations` (0 for the first step).
    pub fn at(&self, _iterations: u64) -> f32 {
        match self {
            LearningRate::Constant(lr) => *lr,
        }
    }
}
