//! Lion, Keras' `Lion` (evolved sign momentum).
//!
//! With slot `momentum` (`m`):
//!
//! ```text
//! c = β₁·m + (1 − β₁)·g
//! m ← β₂·m + (1 − β₂)·g
//! w ← w − lr·sign(c)
//! ```
//!
//! (`c` uses the momentum before its update; Keras moves `w` first, which is the same.)
//!
//! `sign(0) = 0`, as TensorFlow's. Keras computes `1 − β` after casting β to `float32`.

use super::hyperparameters;
use super::update::each1;
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};

hyperparameters! {
    /// Keras' `Lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99)`.
    Lion {
        /// The weight β₁ of the momentum in the sign's argument (default 0.9).
        beta_1: f32 = 0.9,
        /// Decay β₂ of the momentum (default 0.99).
        beta_2: f32 = 0.99,
    }
}

const DIRECTION: Formula = Formula::new("c = β₁·m + (1 − β₁)·g", "{}·{p} + {}·{p}");
const STEP: Formula = Formula::new("w ← w − lr·sign(c)", "{} − {}·sign({p})");
const MOMENTUM: Formula = Formula::new("m ← β₂·m + (1 − β₂)·g", "{}·{p} + {}·{p}");

/// TensorFlow's `sign`: −1, 0 or 1, and NaN for NaN (Rust's `signum` gives 1 for 0).
#[inline(always)]
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

impl Lion {
    /// One element's step: `c`, `m`, then `w`.
    #[inline(always)]
    fn element<R: Record + ?Sized>(&self, lr: f32, w: &mut f32, g: f32, m: &mut f32, r: &mut R) {
        let (b1, b2) = (self.beta_1, self.beta_2);
        let (c1, c2) = (1.0 - b1, 1.0 - b2);
        let c = r.record(&DIRECTION, &[b1, *m, c1, g], *m * b1 + g * c1);
        *m = r.record(&MOMENTUM, &[b2, *m, c2, g], *m * b2 + g * c2);
        *w = r.record(&STEP, &[*w, lr, c], *w - lr * sign(c));
    }
}

impl RuleMath for Lion {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["momentum"]]
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let [m] = slots else { panic!("Lion keeps one slot, got {}", slots.len()) };
        each1(w, g, m, |w, g, m| self.element(step.lr, w, g, m, &mut NoRecord));
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let lr = t.step.lr;
        t.with1(|w, g, m, r| self.element(lr, w, g, m, r))
    }
}
