//! Keras' `CosineDecay`, with an optional linear warmup.
//!
//! Without a warmup target, with `s = min(step, decay_steps)`:
//!
//! ```text
//! lr(step) = initial · ((1 − α) · ½(1 + cos(π · s / decay_steps)) + α)
//! ```
//!
//! With a warmup target, `s = min(step, decay_steps + warmup_steps)`; while `s < warmup_steps`
//! the rate rises linearly, `(target − initial) · s / warmup_steps + initial`; afterwards it is
//! the cosine decay above from `target`, at `s − warmup_steps`.

use serde::{Deserialize, Serialize};

use crate::tensor::python_complement;

/// Keras' `CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None,
/// warmup_steps=0)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CosineDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f32,
    /// The steps of the cosine decay (positive).
    pub decay_steps: u64,
    /// The final rate as a fraction of the decay's starting rate (default 0).
    #[serde(default)]
    pub alpha: f32,
    /// The rate reached by the warmup, where the decay starts (default: no warmup).
    #[serde(default)]
    pub warmup_target: Option<f32>,
    /// The steps of the warmup (default 0).
    #[serde(default)]
    pub warmup_steps: u64,
}

impl CosineDecay {
    /// A cosine decay to 0 without warmup, Keras' defaults.
    pub fn new(initial_learning_rate: f32, decay_steps: u64) -> Self {
        Self { initial_learning_rate, decay_steps, alpha: 0.0, warmup_target: None, warmup_steps: 0 }
    }

    /// The rate at `step`.
    pub fn at(&self, step: u64) -> f32 {
        let decay_steps = self.decay_steps as f32;
        let step = step as f32;
        let Some(target) = self.warmup_target else {
            return self.decay(step.min(decay_steps), decay_steps, self.initial_learning_rate);
        };
        let warmup_steps = self.warmup_steps as f32;
        let step = step.min(decay_steps + warmup_steps);
        if step < warmup_steps {
            (target - self.initial_learning_rate) * (step / warmup_steps) + self.initial_learning_rate
        } else {
            self.decay(step - warmup_steps, decay_steps, target)
        }
    }

    fn decay(&self, step: f32, decay_steps: f32, from: f32) -> f32 {
        let completed_fraction = step / decay_steps;
        let cosine_decayed = 0.5 * (1.0 + (std::f32::consts::PI * completed_fraction).cos());
        // `(1 - self.alpha)` is a Python subtraction in Keras.
        let decayed = python_complement(self.alpha) * cosine_decayed + self.alpha;
        from * decayed
    }
}
