//! Adadelta, Keras' `Adadelta`.
//!
//! With slots `accumulated_grad` (`E[g²]`) and `accumulated_delta_var` (`E[Δ²]`), and
//! `rms(x) = √(x + ε)`:
//!
//! ```text
//! E[g²] ← ρ·E[g²] + (1 − ρ)·g²
//! Δ     = −(rms(E[Δ²])·g) / rms(E[g²])
//! E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ²
//! w     ← w + lr·Δ
//! ```
//!
//! Keras 3 scales the step by the learning rate (default 0.001), unlike the original paper.

use super::hyperparameters;
use super::update::each2;
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};
use crate::tensor::python_complement;

hyperparameters! {
    /// Keras' `Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`.
    Adadelta {
        /// Decay ρ of both running averages (default 0.95).
        rho: f32 = 0.95,
        /// ε added under the square roots (default 1e-7).
        epsilon: f32 = 1e-7,
    }
}

const GRAD: Formula = Formula::new("E[g²] ← ρ·E[g²] + (1 − ρ)·g²", "{}·{} + {}·{p}²");
const DELTA: Formula = Formula::new("Δ = −√(E[Δ²] + ε)·g/√(E[g²] + ε)", "−√({} + {})·{p}/√({} + {})");
const DELTA_VAR: Formula = Formula::new("E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ²", "{}·{} + {}·{p}²");
const STEP: Formula = Formula::new("w ← w + lr·Δ", "{} + {}·{p}");

impl Adadelta {
    /// One element's step: `E[g²]`, `Δ`, `E[Δ²]`, then `w`; `one_minus_rho` is `1 − ρ` from the
    /// decimal ρ in double precision, as Keras.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // the element and its slots
    fn element<R: Record + ?Sized>(
        &self,
        lr: f32,
        one_minus_rho: f32,
        w: &mut f32,
        g: f32,
        eg: &mut f32,
        ed: &mut f32,
        r: &mut R,
    ) {
        let (rho, eps, omr) = (self.rho, self.epsilon, one_minus_rho);
        *eg = r.record(&GRAD, &[rho, *eg, omr, g], rho * *eg + omr * (g * g));
        let delta = r.record(&DELTA, &[*ed, eps, g, *eg, eps], -(((*ed + eps).sqrt() * g) / (*eg + eps).sqrt()));
        *ed = r.record(&DELTA_VAR, &[rho, *ed, omr, delta], rho * *ed + omr * (delta * delta));
        *w = r.record(&STEP, &[*w, lr, delta], *w + lr * delta);
    }
}

impl RuleMath for Adadelta {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["accumulated_grad", "accumulated_delta_var"]]
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let (lr, omr) = (step.lr, python_complement(self.rho));
        let [eg, ed] = slots else { panic!("Adadelta keeps two slots, got {}", slots.len()) };
        each2(w, g, eg, ed, |w, g, eg, ed| self.element(lr, omr, w, g, eg, ed, &mut NoRecord));
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let (lr, one_minus_rho) = (t.step.lr, python_complement(self.rho));
        t.with2(|w, g, eg, ed, r| self.element(lr, one_minus_rho, w, g, eg, ed, r))
    }
}
