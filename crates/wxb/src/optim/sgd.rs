//! Stochastic gradient descent, Keras' rule: with momentum μ, `v = μ·v − lr·g; w += v`;
//! with Nesterov, `w += μ·v − lr·g` after updating `v`.

use serde::{Deserialize, Serialize};

use super::{Step, UpdateRule};
use crate::tensor::Tensor;

/// Keras' `SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Sgd {
    /// Momentum μ ∈ [0, 1).
    #[serde(default)]
    pub momentum: f32,
    /// Whether the look-ahead (Nesterov) form is used.
    #[serde(default)]
    pub nesterov: bool,
}

impl UpdateRule for Sgd {
    fn slot_names(&self) -> Vec<&'static str> {
        if self.momentum != 0.0 { vec!["momentum"] } else { vec![] }
    }

    fn update_step(&self, step: Step, w: &mut [f32], g: &[f32], slots: &mut [Tensor]) {
        let lr = step.lr;
        if self.momentum == 0.0 {
            w.iter_mut().zip(g).for_each(|(w, g)| *w -= lr * g);
            return;
        }
        let mu = self.momentum;
        let v = slots[0].data_mut();
        for ((w, &g), v) in w.iter_mut().zip(g).zip(v) {
            *v = mu * *v - lr * g;
            if self.nesterov {
                *w += mu * *v - lr * g;
            } else {
                *w += *v;
            }
        }
    }
}
