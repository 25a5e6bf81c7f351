//! Adamax, Keras' `Adamax`: Adam with the infinity norm.
//!
//! With slots `momentum` (`m`) and `norm` (`u`), `t = iterations + 1`:
//!
//! ```text
//! m ← m + (g − m)·(1 − β₁)
//! u ← max(β₂·u, |g|)
//! w ← w − lr·m / ((1 − β₁ᵗ)·(u + ε))
//! ```

use super::hyperparameters;
use super::update::each2;
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};
use crate::tensor::python_complement;

hyperparameters! {
    /// Keras' `Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
    Adamax {
        /// Decay β₁ of the first moment (default 0.9).
        beta_1: f32 = 0.9,
        /// Decay β₂ of the infinity norm (default 0.999).
        beta_2: f32 = 0.999,
        /// ε added to `u` (default 1e-7).
        epsilon: f32 = 1e-7,
    }
}

const BIAS: Formula = Formula::new("1 − β₁ᵗ", "1 − {}^{}");
const MOMENTUM: Formula = super::adam::MOMENTUM;
const NORM: Formula = Formula::new("u ← max(β₂·u, |g|)", "max({}·{}, {})");
const STEP: Formula = Formula::new("w ← w − lr·m/((1 − β₁ᵗ)·(u + ε))", "{} − {}·{p}/({}·({} + {}))");

/// The constants of one step.
#[derive(Clone, Copy, Debug)]
struct Constants {
    lr: f32,
    /// `1 − β₁ᵗ`.
    one_minus_beta_1_power: f32,
    /// `1 − β₁`, from the decimal β₁ in double precision as Keras.
    one_minus_beta_1: f32,
}

impl Adamax {
    fn constants<R: Record + ?Sized>(&self, step: StepContext, r: &mut R) -> Constants {
        let t = step.local_step();
        let one_minus_beta_1_power = r.record(&BIAS, &[self.beta_1, t], 1.0 - self.beta_1.powf(t));
        Constants { lr: step.lr, one_minus_beta_1_power, one_minus_beta_1: python_complement(self.beta_1) }
    }

    /// One element's step: `m`, `u`, then `w`.
    #[inline(always)]
    fn element<R: Record + ?Sized>(&self, k: Constants, w: &mut f32, g: f32, m: &mut f32, u: &mut f32, r: &mut R) {
        let (lr, beta_2, eps, bias) = (k.lr, self.beta_2, self.epsilon, k.one_minus_beta_1_power);
        *m = r.record(&MOMENTUM, &[*m, g, *m, k.one_minus_beta_1], *m + (g - *m) * k.one_minus_beta_1);
        *u = r.record(&NORM, &[beta_2, *u, g.abs()], (beta_2 * *u).max(g.abs()));
        *w = r.record(&STEP, &[*w, lr, *m, bias, *u, eps], *w - (lr * *m) / (bias * (*u + eps)));
    }
}

impl RuleMath for Adamax {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["momentum", "norm"]]
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let k = self.constants(step, &mut NoRecord);
        let [m, u] = slots else { panic!("Adamax keeps two slots, got {}", slots.len()) };
        each2(w, g, m, u, |w, g, m, u| self.element(k, w, g, m, u, &mut NoRecord));
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let k = self.constants(t.step, &mut *t.record);
        t.with2(|w, g, m, u, r| self.element(k, w, g, m, u, r))
    }
}
