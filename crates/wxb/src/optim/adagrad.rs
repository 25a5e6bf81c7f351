//! Adagrad, Keras' `Adagrad`.
//!
//! With slot `accumulator` (`a`, starting at `initial_accumulator_value`):
//! `a ← a + g²`, then `w ← w − lr·g / √(a + ε)`.

use serde::{Deserialize, Serialize};

use super::{Step, UpdateRule};

/// Keras' `Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Adagrad {
    /// The accumulator's starting value (default 0.1).
    pub initial_accumulator_value: f32,
    /// ε added under the square root (default 1e-7).
    pub epsilon: f32,
}

impl Default for Adagrad {
    fn default() -> Self {
        Self { initial_accumulator_value: 0.1, epsilon: 1e-7 }
    }
}

impl UpdateRule for Adagrad {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["accumulator"]]
    }

    fn initial_slot_value(&self, _slot: usize) -> f32 {
        self.initial_accumulator_value
    }

    #[inline(always)]
    fn update_step(&self, step: Step, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let (lr, eps) = (step.lr, self.epsilon);
        let a = &mut *slots[0];
        for ((w, &g), a) in w.iter_mut().zip(g).zip(a) {
            *a += g * g;
            *w -= (lr * g) / (*a + eps).sqrt();
        }
    }
}
