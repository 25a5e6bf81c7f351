//! Adam, Keras' `Adam`.
//!
//! With slots `momentum` (`m`) and `velocity` (`v`), `t = iterations + 1`:
//!
//! ```text
//! α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
//! m ← m + (g − m)·(1 − β₁)
//! v ← v + (g² − v)·(1 − β₂)
//! w ← w − m·α / (√v + ε)
//! ```
//!
//! With AMSGrad (slot `velocity_hat`, `v̂ ← max(v̂, v)`), `v̂` replaces `v` in the last line.
//! The operations and their order are Keras': `1 − β` in double precision, the rest in `f32`.

use super::hyperparameters;
use super::update::{each2, each3};
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};
use crate::tensor::python_complement;

hyperparameters! {
    /// Keras' `Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
    Adam {
        /// Decay β₁ of the first moment (default 0.9).
        beta_1: f32 = 0.9,
        /// Decay β₂ of the second moment (default 0.999).
        beta_2: f32 = 0.999,
        /// ε added to `√v` (default 1e-7).
        epsilon: f32 = 1e-7,
        /// Whether the AMSGrad variant (running maximum of `v`) is used (default false).
        amsgrad: bool = false,
    }
}

const ALPHA: Formula = Formula::new("α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)", "{}·√(1 − {}^{})/(1 − {}^{})");
pub(super) const MOMENTUM: Formula = Formula::new("m ← m + (g − m)·(1 − β₁)", "{} + ({p} − {p})·{}");
pub(super) const VELOCITY: Formula = Formula::new("v ← v + (g² − v)·(1 − β₂)", "{} + ({p}² − {p})·{}");
const VELOCITY_HAT: Formula = Formula::new("v̂ ← max(v̂, v)", "max({}, {})");
const STEP: Formula = Formula::new("w ← w − m·α/(√v + ε)", "{} − {p}·{}/(√{} + {})");
const STEP_AMSGRAD: Formula = Formula::new("w ← w − m·α/(√v̂ + ε)", "{} − {p}·{}/(√{} + {})");

/// The constants of one step.
#[derive(Clone, Copy, Debug)]
struct Constants {
    alpha: f32,
    /// `1 − β₁` and `1 − β₂`, from the decimal β in double precision as Keras.
    one_minus_beta_1: f32,
    one_minus_beta_2: f32,
}

impl Adam {
    fn constants<R: Record + ?Sized>(&self, step: StepContext, r: &mut R) -> Constants {
        let (lr, t) = (step.lr, step.local_step());
        let (beta_1_power, beta_2_power) = (self.beta_1.powf(t), self.beta_2.powf(t));
        let alpha = lr * (1.0 - beta_2_power).sqrt() / (1.0 - beta_1_power);
        Constants {
            alpha: r.record(&ALPHA, &[lr, self.beta_2, t, self.beta_1, t], alpha),
            one_minus_beta_1: python_complement(self.beta_1),
            one_minus_beta_2: python_complement(self.beta_2),
        }
    }

    /// One element's step: `m`, `v`, `v̂` with AMSGrad, and `w`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // the element and its slots
    fn element<R: Record + ?Sized>(
        &self,
        k: Constants,
        w: &mut f32,
        g: f32,
        m: &mut f32,
        v: &mut f32,
        v_hat: Option<&mut f32>,
        r: &mut R,
    ) {
        let (alpha, eps) = (k.alpha, self.epsilon);
        *m = r.record(&MOMENTUM, &[*m, g, *m, k.one_minus_beta_1], *m + (g - *m) * k.one_minus_beta_1);
        *v = r.record(&VELOCITY, &[*v, g, *v, k.one_minus_beta_2], *v + (g * g - *v) * k.one_minus_beta_2);
        *w = match v_hat {
            Some(h) => {
                *h = r.record(&VELOCITY_HAT, &[*h, *v], h.max(*v));
                r.record(&STEP_AMSGRAD, &[*w, *m, alpha, *h, eps], *w - (*m * alpha) / (h.sqrt() + eps))
            }
            None => r.record(&STEP, &[*w, *m, alpha, *v, eps], *w - (*m * alpha) / (v.sqrt() + eps)),
        };
    }
}

impl RuleMath for Adam {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        let mut groups = vec![vec!["momentum", "velocity"]];
        if self.amsgrad {
            groups.push(vec!["velocity_hat"]);
        }
        groups
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let k = self.constants(step, &mut NoRecord);
        match slots {
            [m, v] => each2(w, g, m, v, |w, g, m, v| self.element(k, w, g, m, v, None, &mut NoRecord)),
            [m, v, h] => each3(w, g, [m, v, h], |w, g, m, v, h| self.element(k, w, g, m, v, Some(h), &mut NoRecord)),
            _ => panic!("Adam keeps two slots (three with AMSGrad), got {}", slots.len()),
        }
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let k = self.constants(t.step, &mut *t.record);
        t.with(|w, g, slots, r| match slots {
            [m, v, rest @ ..] => self.element(k, w, g, m, v, rest.first_mut(), r),
            _ => panic!("Adam keeps two slots (three with AMSGrad), got {}", slots.len()),
        })
    }
}
