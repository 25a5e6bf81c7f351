//! Stochastic gradient descent, Keras' `SGD`.
//!
//! Without momentum: `w ← w − lr·g`.
//!
//! With momentum μ (slot `momentum`, `v`): `v ← μ·v − lr·g`, then `w ← w + v`; with Nesterov,
//! `w ← w + (μ·v − lr·g)` using the updated `v`.

use super::hyperparameters;
use super::update::{each0, each1};
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};

hyperparameters! {
    /// Keras' `SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`.
    Sgd {
        /// Momentum μ ∈ [0, 1] (Keras' default 0: no momentum slot).
        momentum: f32 = 0.0,
        /// Whether the look-ahead (Nesterov) form is used (default false).
        nesterov: bool = false,
    }
}

const PLAIN: Formula = Formula::new("w ← w − lr·g", "{} − {}·{p}");
const VELOCITY: Formula = Formula::new("v ← μ·v − lr·g", "{}·{p} − {}·{p}");
const MOMENTUM: Formula = Formula::new("w ← w + v", "{} + {p}");
const NESTEROV: Formula = Formula::new("w ← w + (μ·v − lr·g)", "{} + ({}·{p} − {}·{p})");

impl Sgd {
    /// One element's step: `w` moves, and `v` with momentum.
    #[inline(always)]
    fn element<R: Record + ?Sized>(&self, lr: f32, w: &mut f32, g: f32, v: Option<&mut f32>, r: &mut R) {
        let mu = self.momentum;
        let Some(v) = v else {
            *w = r.record(&PLAIN, &[*w, lr, g], *w - g * lr);
            return;
        };
        *v = r.record(&VELOCITY, &[mu, *v, lr, g], *v * mu - g * lr);
        *w = if self.nesterov {
            r.record(&NESTEROV, &[*w, mu, *v, lr, g], *w + (*v * mu - g * lr))
        } else {
            r.record(&MOMENTUM, &[*w, *v], *w + *v)
        };
    }
}

impl RuleMath for Sgd {
    fn default_learning_rate(&self) -> f32 {
        0.01
    }

    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        if self.momentum != 0.0 { vec![vec!["momentum"]] } else { vec![] }
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let lr = step.lr;
        match slots {
            [] => each0(w, g, |w, g| self.element(lr, w, g, None, &mut NoRecord)),
            [v] => each1(w, g, v, |w, g, v| self.element(lr, w, g, Some(v), &mut NoRecord)),
            _ => panic!("SGD keeps at most one slot, got {}", slots.len()),
        }
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let lr = t.step.lr;
        t.with(|w, g, slots, r| self.element(lr, w, g, slots.first_mut(), r))
    }
}
