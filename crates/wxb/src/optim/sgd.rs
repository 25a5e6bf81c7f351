//! Stochastic gradient descent, Keras' `SGD`.
//!
//! Without momentum: `w ← w − g·lr`.
//!
//! With momentum μ (slot `momentum`, `v`): `v ← v·μ − g·lr`, then `w ← w + v`; with Nesterov,
//! `w ← w + (v·μ − g·lr)` using the updated `v`.

use serde::{Deserialize, Serialize};

use super::{Step, UpdateRule};

/// Keras' `SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Sgd {
    /// Momentum μ ∈ [0, 1] (Keras' default 0: no momentum slot).
    #[serde(default)]
    pub momentum: f32,
    /// Whether the look-ahead (Nesterov) form is used (default false).
    #[serde(default)]
    pub nesterov: bool,
}

impl UpdateRule for Sgd {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        if self.momentum != 0.0 { vec![vec!["momentum"]] } else { vec![] }
    }

    #[inline(always)]
    fn update_step(&self, step: Step, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let lr = step.lr;
        if self.momentum == 0.0 {
            w.iter_mut().zip(g).for_each(|(w, g)| *w -= g * lr);
            return;
        }
        let mu = self.momentum;
        let v = &mut *slots[0];
        for ((w, &g), v) in w.iter_mut().zip(g).zip(v) {
            *v = *v * mu - g * lr;
            if self.nesterov {
                *w += *v * mu - g * lr;
            } else {
                *w += *v;
            }
        }
    }
}
