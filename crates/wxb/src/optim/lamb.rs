//! LAMB, Keras' `Lamb`: Adam's direction scaled per variable by a trust ratio.
//!
//! With slots `momentum` (`m`) and `velocity` (`v`), `t = iterations + 1`, for each element:
//!
//! ```text
//! m ← m + (g − m)·(1 − β₁)
//! v ← v + (g² − v)·(1 − β₂)
//! u = (m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε)
//! ```
//!
//! then over the whole variable `‖w‖ = √Σw²`, `‖u‖ = √Σu²` and the trust ratio
//! `r = ‖w‖/‖u‖` (1 when either norm is 0), and for each element `w ← w − (r·lr)·u`.
//!
//! **Whole variables.** The ratio depends on every element of the variable, so Lamb is a
//! [`RuleMath::whole_variable`] rule: `update_step` receives whole variables and runs two passes
//! (moments and norms, then the step, `u` recomputed from the stored `m` and `v` by the same
//! code, so bit for bit the value the norm summed); `trace_step` sums the norms over
//! [`Traced::variable`] with the same code. The sums run in `f64` in index order (TensorFlow sums
//! `float32` in its own order: the norms agree to rounding).

use super::hyperparameters;
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced, Variable};
use crate::tensor::python_complement;

hyperparameters! {
    /// Keras' `Lamb(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
    Lamb {
        /// Decay β₁ of the first moment (default 0.9).
        beta_1: f32 = 0.9,
        /// Decay β₂ of the second moment (default 0.999).
        beta_2: f32 = 0.999,
        /// ε added to `√v̂` (default 1e-7).
        epsilon: f32 = 1e-7,
    }
}

const BIAS_1: Formula = Formula::new("1 − β₁ᵗ", "1 − {}^{}");
const BIAS_2: Formula = Formula::new("1 − β₂ᵗ", "1 − {}^{}");
const MOMENTUM: Formula = super::adam::MOMENTUM;
const VELOCITY: Formula = super::adam::VELOCITY;
const DIRECTION: Formula = Formula::new("u = (m/(1 − β₁ᵗ))/(√(v/(1 − β₂ᵗ)) + ε)", "({p}/{})/(√({}/{}) + {})");
const W_NORM: Formula = Formula::new("‖w‖ = √Σw² (whole variable)", "√{}");
const U_NORM: Formula = Formula::new("‖u‖ = √Σu² (whole variable)", "√{}");
const RATIO: Formula = Formula::new("r = ‖w‖/‖u‖", "{}/{}");
const RATIO_ONE: Formula = Formula::new("r = 1 (a norm is 0)", "1");
const STEP: Formula = Formula::new("w ← w − (r·lr)·u", "{} − ({}·{})·{p}");

/// The constants of one step.
#[derive(Clone, Copy, Debug)]
struct Constants {
    lr: f32,
    /// `1 − β₁ᵗ` and `1 − β₂ᵗ`.
    bias_1: f32,
    bias_2: f32,
    /// `1 − β₁` and `1 − β₂`, from the decimal β in double precision as Keras.
    one_minus_beta_1: f32,
    one_minus_beta_2: f32,
}

impl Lamb {
    fn constants<R: Record + ?Sized>(&self, step: StepContext, r: &mut R) -> Constants {
        let t = step.local_step();
        Constants {
            lr: step.lr,
            bias_1: r.record(&BIAS_1, &[self.beta_1, t], 1.0 - self.beta_1.powf(t)),
            bias_2: r.record(&BIAS_2, &[self.beta_2, t], 1.0 - self.beta_2.powf(t)),
            one_minus_beta_1: python_complement(self.beta_1),
            one_minus_beta_2: python_complement(self.beta_2),
        }
    }

    /// One element's moments: `m`, `v`, then its direction `u`.
    #[inline(always)]
    fn moments<R: Record + ?Sized>(&self, k: Constants, g: f32, m: &mut f32, v: &mut f32, r: &mut R) -> f32 {
        *m = r.record(&MOMENTUM, &[*m, g, *m, k.one_minus_beta_1], *m + (g - *m) * k.one_minus_beta_1);
        *v = r.record(&VELOCITY, &[*v, g, *v, k.one_minus_beta_2], *v + (g * g - *v) * k.one_minus_beta_2);
        self.direction(k, *m, *v, r)
    }

    /// `u` from the updated `m` and `v`.
    #[inline(always)]
    fn direction<R: Record + ?Sized>(&self, k: Constants, m: f32, v: f32, r: &mut R) -> f32 {
        let eps = self.epsilon;
        r.record(&DIRECTION, &[m, k.bias_1, v, k.bias_2, eps], (m / k.bias_1) / ((v / k.bias_2).sqrt() + eps))
    }

    /// The trust ratio `r` and `r·lr` from the sums `Σw²` and `Σu²`.
    fn ratio<R: Record + ?Sized>(k: Constants, w_squares: f64, u_squares: f64, r: &mut R) -> (f32, f32) {
        let (w2, u2) = (w_squares as f32, u_squares as f32);
        let w_norm = r.record(&W_NORM, &[w2], w2.sqrt());
        let u_norm = r.record(&U_NORM, &[u2], u2.sqrt());
        let ratio = if w_norm > 0.0 && u_norm > 0.0 {
            r.record(&RATIO, &[w_norm, u_norm], w_norm / u_norm)
        } else {
            r.record(&RATIO_ONE, &[], 1.0)
        };
        (ratio, ratio * k.lr)
    }

    /// `Σw²` and `Σu²` of a variable before the step, its slots left as they are.
    fn norms_before(&self, k: Constants, variable: Variable<'_>) -> (f64, f64) {
        let Variable { w, g, slots } = variable;
        let [m, v] = slots else { panic!("Lamb keeps two slots, got {}", slots.len()) };
        let (mut w2, mut u2) = (0.0f64, 0.0f64);
        for i in 0..w.len() {
            let u = self.moments(k, g[i], &mut m[i].clone(), &mut v[i].clone(), &mut NoRecord);
            w2 += f64::from(w[i]) * f64::from(w[i]);
            u2 += f64::from(u) * f64::from(u);
        }
        (w2, u2)
    }
}

impl RuleMath for Lamb {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["momentum", "velocity"]]
    }

    fn whole_variable(&self) -> bool {
        true
    }

    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let k = self.constants(step, &mut NoRecord);
        let [m, v] = slots else { panic!("Lamb keeps two slots, got {}", slots.len()) };
        let n = w.len();
        let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
        let (mut w2, mut u2) = (0.0f64, 0.0f64);
        for i in 0..n {
            let u = self.moments(k, g[i], &mut m[i], &mut v[i], &mut NoRecord);
            w2 += f64::from(w[i]) * f64::from(w[i]);
            u2 += f64::from(u) * f64::from(u);
        }
        let (_, ratio_lr) = Self::ratio(k, w2, u2, &mut NoRecord);
        for i in 0..n {
            w[i] -= ratio_lr * self.direction(k, m[i], v[i], &mut NoRecord);
        }
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let k = self.constants(t.step, &mut *t.record);
        let variable = t.variable.expect("Lamb's trace needs the whole variable (Traced::variable)");
        let (w2, u2) = self.norms_before(k, variable);
        t.with2(|w, g, m, v, r| {
            let u = self.moments(k, g, m, v, r);
            let (ratio, ratio_lr) = Self::ratio(k, w2, u2, r);
            *w = r.record(&STEP, &[*w, ratio, k.lr, u], *w - ratio_lr * u);
        })
    }
}
