//! Adagrad, Keras' `Adagrad`.
//!
//! With slot `accumulator` (`a`, starting at `initial_accumulator_value`):
//! `a ← a + g²`, then `w ← w − lr·g / √(a + ε)`.

use super::hyperparameters;
use super::update::each1;
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};

hyperparameters! {
    /// Keras' `Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)`.
    Adagrad {
        /// The accumulator's starting value (default 0.1).
        initial_accumulator_value: f32 = 0.1,
        /// ε added under the square root (default 1e-7).
        epsilon: f32 = 1e-7,
    }
}

const ACCUMULATOR: Formula = Formula::new("a ← a + g²", "{} + {p}²");
const STEP: Formula = Formula::new("w ← w − lr·g/√(a + ε)", "{} − {}·{p}/√({} + {})");

impl Adagrad {
    /// One element's step: `a`, then `w`.
    #[inline(always)]
    fn element<R: Record + ?Sized>(&self, lr: f32, w: &mut f32, g: f32, a: &mut f32, r: &mut R) {
        let eps = self.epsilon;
        *a = r.record(&ACCUMULATOR, &[*a, g], *a + g * g);
        *w = r.record(&STEP, &[*w, lr, g, *a, eps], *w - (lr * g) / (*a + eps).sqrt());
    }
}

impl RuleMath for Adagrad {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["accumulator"]]
    }

    fn initial_slot_value(&self, _slot: usize) -> f32 {
        self.initial_accumulator_value
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let [a] = slots else { panic!("Adagrad keeps one slot, got {}", slots.len()) };
        each1(w, g, a, |w, g, a| self.element(step.lr, w, g, a, &mut NoRecord));
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let lr = t.step.lr;
        t.with1(|w, g, a, r| self.element(lr, w, g, a, r))
    }
}
