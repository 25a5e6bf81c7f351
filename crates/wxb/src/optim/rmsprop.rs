//! RMSprop, Keras' `RMSprop`.
//!
//! With decay ρ (slot `velocity`, `v`): `v ← ρ·v + (1 − ρ)·g²`. Plain:
//! `Δ = lr·g / √(v + ε)` (ε inside the square root, as Keras). Centered (slot
//! `average_gradient`, `ḡ ← ρ·ḡ + (1 − ρ)·g`): `Δ = lr·g / √(v − ḡ² + ε)`.
//!
//! Without momentum `w ← w − Δ`; with momentum μ (slot `momentum`, `m`): `m ← μ·m + Δ`,
//! `w ← w − m`.

use super::hyperparameters;
use super::update::{each1, each2, each3};
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};
use crate::tensor::python_complement;

hyperparameters! {
    /// Keras' `RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)`.
    RmsProp {
        /// Discount ρ of the squared-gradient average (default 0.9).
        rho: f32 = 0.9,
        /// Momentum μ (default 0: no momentum slot).
        momentum: f32 = 0.0,
        /// ε added under the square root (default 1e-7).
        epsilon: f32 = 1e-7,
        /// Whether the gradient's variance rather than its second moment normalises (default false).
        centered: bool = false,
    }
}

const VELOCITY: Formula = Formula::new("v ← ρ·v + (1 − ρ)·g²", "{}·{p} + {}·{p}²");
const AVERAGE: Formula = Formula::new("ḡ ← ρ·ḡ + (1 − ρ)·g", "{}·{p} + {}·{p}");
const INCREMENT: Formula = Formula::new("Δ = lr·g/√(v + ε)", "{}·{p}/√({} + {})");
const INCREMENT_CENTERED: Formula = Formula::new("Δ = lr·g/√(v − ḡ² + ε)", "{}·{p}/√({} − {p}² + {})");
const MOMENTUM: Formula = Formula::new("m ← μ·m + Δ", "{}·{p} + {p}");
const STEP: Formula = Formula::new("w ← w − Δ", "{} − {p}");
const STEP_MOMENTUM: Formula = Formula::new("w ← w − m", "{} − {p}");

/// The constants of one step.
#[derive(Clone, Copy, Debug)]
struct Constants {
    lr: f32,
    /// `1 − ρ`, from the decimal ρ in double precision as Keras.
    one_minus_rho: f32,
}

impl RmsProp {
    fn constants(&self, step: StepContext) -> Constants {
        Constants { lr: step.lr, one_minus_rho: python_complement(self.rho) }
    }

    /// One element's step: `v`, then `ḡ` when centered, `Δ`, `m` with momentum, and `w`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // the element and its slots, each optional as configured
    fn element<R: Record + ?Sized>(
        &self,
        k: Constants,
        w: &mut f32,
        g: f32,
        v: &mut f32,
        momentum: Option<&mut f32>,
        average: Option<&mut f32>,
        r: &mut R,
    ) {
        let (lr, rho, eps, mu, omr) = (k.lr, self.rho, self.epsilon, self.momentum, k.one_minus_rho);
        *v = r.record(&VELOCITY, &[rho, *v, omr, g], rho * *v + omr * (g * g));
        let increment = match average {
            Some(a) => {
                *a = r.record(&AVERAGE, &[rho, *a, omr, g], rho * *a + omr * g);
                r.record(&INCREMENT_CENTERED, &[lr, g, *v, *a, eps], (lr * g) / (*v - *a * *a + eps).sqrt())
            }
            None => r.record(&INCREMENT, &[lr, g, *v, eps], (lr * g) / (*v + eps).sqrt()),
        };
        *w = match momentum {
            Some(m) => {
                *m = r.record(&MOMENTUM, &[mu, *m, increment], mu * *m + increment);
                r.record(&STEP_MOMENTUM, &[*w, *m], *w - *m)
            }
            None => r.record(&STEP, &[*w, increment], *w - increment),
        };
    }
}

impl RuleMath for RmsProp {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        let mut groups = vec![vec!["velocity"]];
        if self.momentum > 0.0 {
            groups.push(vec!["momentum"]);
        }
        if self.centered {
            groups.push(vec!["average_gradient"]);
        }
        groups
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let k = self.constants(step);
        let no = &mut NoRecord;
        match (&mut *slots, self.momentum > 0.0) {
            ([v], _) => each1(w, g, v, |w, g, v| self.element(k, w, g, v, None, None, no)),
            ([v, m], true) => each2(w, g, v, m, |w, g, v, m| self.element(k, w, g, v, Some(m), None, no)),
            ([v, a], false) => each2(w, g, v, a, |w, g, v, a| self.element(k, w, g, v, None, Some(a), no)),
            ([v, m, a], _) => {
                each3(w, g, [v, m, a], |w, g, v, m, a| self.element(k, w, g, v, Some(m), Some(a), no));
            }
            _ => panic!("RMSprop keeps one to three slots, got {}", slots.len()),
        }
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let k = self.constants(t.step);
        t.with(|w, g, slots, r| {
            let (v, rest) = slots.split_first_mut().expect("RMSprop keeps a velocity slot");
            let mut rest = rest.iter_mut();
            let momentum = if self.momentum > 0.0 { rest.next() } else { None };
            let average = if self.centered { rest.next() } else { None };
            self.element(k, w, g, v, momentum, average, r);
        })
    }
}
