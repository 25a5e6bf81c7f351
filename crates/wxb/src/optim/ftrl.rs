//! FTRL-proximal, Keras' `Ftrl`.
//!
//! With slots `accumulator` (`a`, starting at `initial_accumulator_value`) and `linear` (`z`),
//! `k = −learning_rate_power` (½ by default), L1 strength `λ₁`, L2 strength `λ₂`, shrinkage
//! strength `λ₂ₛ` and `β`:
//!
//! ```text
//! λ₂′ = λ₂ + β/(2·lr)
//! ĝ  = g + 2·λ₂ₛ·w
//! a′ = a + g²
//! z ← z + ĝ − (a′ᵏ − aᵏ)/lr·w
//! q  = a′ᵏ/lr + 2·λ₂′
//! a ← a′
//! w ← (clip(z, −λ₁, λ₁) − z)/q
//! ```
//!
//! The operations and their order are Keras', in `float32`.

use super::hyperparameters;
use super::update::each2;
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};

hyperparameters! {
    /// Keras' `Ftrl(learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
    /// l1_regularization_strength=0.0, l2_regularization_strength=0.0,
    /// l2_shrinkage_regularization_strength=0.0, beta=0.0)`.
    Ftrl {
        /// How the learning rate falls as the accumulator grows, ≤ 0 (default −0.5).
        learning_rate_power: f32 = -0.5,
        /// The accumulator's starting value, ≥ 0 (default 0.1).
        initial_accumulator_value: f32 = 0.1,
        /// L1 strength λ₁ ≥ 0 (default 0).
        l1_regularization_strength: f32 = 0.0,
        /// L2 strength λ₂ ≥ 0 (default 0).
        l2_regularization_strength: f32 = 0.0,
        /// L2 shrinkage strength λ₂ₛ ≥ 0, a penalty on the weight added to the gradient (default 0).
        l2_shrinkage_regularization_strength: f32 = 0.0,
        /// β ≥ 0 of the paper, added to λ₂ as `β/(2·lr)` (default 0).
        beta: f32 = 0.0,
    }
}

const L2: Formula = Formula::new("λ₂′ = λ₂ + β/(2·lr)", "{} + {}/(2·{})");
const GRADIENT: Formula = Formula::new("ĝ = g + 2·λ₂ₛ·w", "{p} + {}·{p}");
const ACCUMULATOR: Formula = Formula::new("a′ = a + g²", "{} + {p}²");
const LINEAR: Formula = Formula::new("z ← z + ĝ − (a′ᵏ − aᵏ)/lr·w", "{} + {p} − ({}^{} − {}^{})/{}·{p}");
const QUADRATIC: Formula = Formula::new("q = a′ᵏ/lr + 2·λ₂′", "{}^{}/{} + 2·{}");
const STEP: Formula = Formula::new("w ← (clip(z, −λ₁, λ₁) − z)/q", "(clip({p}, −{}, {}) − {p})/{}");
const ACCUMULATOR_NEW: Formula = Formula::new("a ← a′", "{}");

/// The constants of one step.
#[derive(Clone, Copy, Debug)]
struct Constants {
    lr: f32,
    /// `k = −learning_rate_power`.
    power: f32,
    /// `λ₂′ = λ₂ + β/(2·lr)`.
    l2: f32,
    /// `2·λ₂ₛ`.
    shrinkage: f32,
}

impl Ftrl {
    fn constants<R: Record + ?Sized>(&self, step: StepContext, r: &mut R) -> Constants {
        let (lr, l2, beta) = (step.lr, self.l2_regularization_strength, self.beta);
        Constants {
            lr,
            power: -self.learning_rate_power,
            l2: r.record(&L2, &[l2, beta, lr], l2 + beta / (2.0 * lr)),
            shrinkage: 2.0 * self.l2_shrinkage_regularization_strength,
        }
    }

    /// One element's step: `ĝ`, `a′`, `z`, `q`, `a`, then `w`.
    #[inline(always)]
    fn element<R: Record + ?Sized>(&self, k: Constants, w: &mut f32, g: f32, a: &mut f32, z: &mut f32, r: &mut R) {
        let (lr, p, l1) = (k.lr, k.power, self.l1_regularization_strength);
        let g_hat = r.record(&GRADIENT, &[g, k.shrinkage, *w], g + k.shrinkage * *w);
        let a_new = r.record(&ACCUMULATOR, &[*a, g], *a + g * g);
        let (a_new_p, a_p) = (a_new.powf(p), a.powf(p));
        *z = r.record(&LINEAR, &[*z, g_hat, a_new, p, *a, p, lr, *w], *z + (g_hat - (a_new_p - a_p) / lr * *w));
        let q = r.record(&QUADRATIC, &[a_new, p, lr, k.l2], a_new_p / lr + 2.0 * k.l2);
        *a = r.record(&ACCUMULATOR_NEW, &[a_new], a_new);
        *w = r.record(&STEP, &[*z, l1, l1, *z, q], (z.clamp(-l1, l1) - *z) / q);
    }
}

impl RuleMath for Ftrl {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["accumulator", "linear"]]
    }

    fn initial_slot_value(&self, slot: usize) -> f32 {
        if slot == 0 { self.initial_accumulator_value } else { 0.0 }
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let k = self.constants(step, &mut NoRecord);
        let [a, z] = slots else { panic!("Ftrl keeps two slots, got {}", slots.len()) };
        each2(w, g, a, z, |w, g, a, z| self.element(k, w, g, a, z, &mut NoRecord));
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        let k = self.constants(t.step, &mut *t.record);
        t.with2(|w, g, a, z, r| self.element(k, w, g, a, z, r))
    }
}
