//! Nadam, Keras' `Nadam`: Adam with Nesterov momentum and Keras 3's momentum schedule.
//!
//! With `t = iterations + 1`, the momentum schedule `μₜ = β₁·(1 − ½·0.96ᵗ)` and the optimizer-wide
//! scalar `u_product` (starting at 1), once per step, before the variables are updated:
//! `u_product ← u_product·β₁·(1 − ½·0.96ᵗ)`. Then for each variable, with slots `momentum`
//! (`m`) and `velocity` (`v`), `Πₜ = u_product` and `Πₜ₊₁ = Πₜ·μₜ₊₁`:
//!
//! ```text
//! m ← m + (g − m)·(1 − β₁)
//! v ← v + (g² − v)·(1 − β₂)
//! m̂ = μₜ₊₁·m / (1 − Πₜ₊₁) + (1 − μₜ)·g / (1 − Πₜ)
//! v̂ = v / (1 − β₂ᵗ)
//! w ← w − m̂·lr / (√v̂ + ε)
//! ```
//!
//! Unlike Adam, Keras computes `1 − β₁` and `1 − β₂` here after casting β to `float32`.

use super::hyperparameters;
use super::update::each2;
use super::{Formula, NoRecord, Record, RuleMath, StepContext, Traced};

/// The decay of Keras 3's momentum schedule, `μₜ = β₁·(1 − ½·0.96ᵗ)`.
const SCHEDULE_DECAY: f32 = 0.96;

hyperparameters! {
    /// Keras' `Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
    Nadam {
        /// Decay β₁ of the first moment (default 0.9).
        beta_1: f32 = 0.9,
        /// Decay β₂ of the second moment (default 0.999).
        beta_2: f32 = 0.999,
        /// ε added to `√v̂` (default 1e-7).
        epsilon: f32 = 1e-7,
    }
}

impl Nadam {
    /// The name of the scalar state: the product of the momentum schedule so far.
    pub const U_PRODUCT: &'static str = "u_product";

    /// `1 − ½·0.96ˢ` for the 1-based step `s`.
    fn schedule(s: f32) -> f32 {
        1.0 - 0.5 * SCHEDULE_DECAY.powf(s)
    }

    /// Keras' `_backend_update_step`: `Π ← Π·β₁·(1 − ½·0.96ᵗ)`, once per step.
    fn begin<R: Record + ?Sized>(&self, step: StepContext, scalars: &mut [f32], r: &mut R) {
        let (u_product, t) = (scalars[0], step.local_step());
        scalars[0] = r.record(&PRODUCT, &[u_product, self.beta_1, t], u_product * self.beta_1 * Self::schedule(t));
    }

    fn constants<R: Record + ?Sized>(&self, step: StepContext, scalars: &[f32], r: &mut R) -> Constants {
        let (beta_1, beta_2) = (self.beta_1, self.beta_2);
        let (t, t_next) = (step.local_step(), (step.iterations + 2) as f32);
        let u_product = scalars[0];
        let u_t = r.record(&MU, &[beta_1, t], beta_1 * Self::schedule(t));
        let u_t_1 = r.record(&MU_NEXT, &[beta_1, t_next], beta_1 * Self::schedule(t_next));
        let u_product_t_1 = r.record(&PRODUCT_NEXT, &[u_product, u_t_1], u_product * u_t_1);
        Constants {
            lr: step.lr,
            t,
            u_t,
            u_t_1,
            u_product_t: u_product,
            u_product_t_1,
            beta_2_power: beta_2.powf(t),
            one_minus_beta_1: 1.0 - beta_1,
            one_minus_beta_2: 1.0 - beta_2,
        }
    }

    /// One element's step: `m`, `v`, `m̂`, `v̂`, then `w`.
    #[inline(always)]
    fn element<R: Record + ?Sized>(&self, k: Constants, w: &mut f32, g: f32, m: &mut f32, v: &mut f32, r: &mut R) {
        let (lr, eps) = (k.lr, self.epsilon);
        *m = r.record(&MOMENTUM, &[*m, g, *m, k.one_minus_beta_1], *m + (g - *m) * k.one_minus_beta_1);
        *v = r.record(&VELOCITY, &[*v, g, *v, k.one_minus_beta_2], *v + (g * g - *v) * k.one_minus_beta_2);
        let m_hat = r.record(
            &M_HAT,
            &[k.u_t_1, *m, k.u_product_t_1, k.u_t, g, k.u_product_t],
            (k.u_t_1 * *m) / (1.0 - k.u_product_t_1) + ((1.0 - k.u_t) * g) / (1.0 - k.u_product_t),
        );
        let v_hat = r.record(&V_HAT, &[*v, self.beta_2, k.t], *v / (1.0 - k.beta_2_power));
        *w = r.record(&STEP, &[*w, m_hat, lr, v_hat, eps], *w - (m_hat * lr) / (v_hat.sqrt() + eps));
    }
}

const PRODUCT: Formula = Formula::new("Π ← Π·β₁·(1 − ½·0.96ᵗ)", "{}·{}·(1 − ½·0.96^{})");
const MU: Formula = Formula::new("μₜ = β₁·(1 − ½·0.96ᵗ)", "{}·(1 − ½·0.96^{})");
const MU_NEXT: Formula = Formula::new("μₜ₊₁ = β₁·(1 − ½·0.96ᵗ⁺¹)", "{}·(1 − ½·0.96^{})");
const PRODUCT_NEXT: Formula = Formula::new("Π·μₜ₊₁", "{}·{}");
const MOMENTUM: Formula = super::adam::MOMENTUM;
const VELOCITY: Formula = super::adam::VELOCITY;
const M_HAT: Formula =
    Formula::new("m̂ = μₜ₊₁·m/(1 − Π·μₜ₊₁) + (1 − μₜ)·g/(1 − Π)", "{}·{p}/(1 − {}) + (1 − {})·{p}/(1 − {})");
const V_HAT: Formula = Formula::new("v̂ = v/(1 − β₂ᵗ)", "{}/(1 − {}^{})");
const STEP: Formula = Formula::new("w ← w − m̂·lr/(√v̂ + ε)", "{} − {p}·{}/(√{} + {})");

/// The constants of one step (after [`Nadam::begin`]).
#[derive(Clone, Copy, Debug)]
struct Constants {
    lr: f32,
    t: f32,
    /// `μₜ` and `μₜ₊₁`.
    u_t: f32,
    u_t_1: f32,
    /// `Π` and `Π·μₜ₊₁`.
    u_product_t: f32,
    u_product_t_1: f32,
    /// `β₂ᵗ`.
    beta_2_power: f32,
    /// `1 − β₁` and `1 − β₂`, in `f32` as Keras' Nadam.
    one_minus_beta_1: f32,
    one_minus_beta_2: f32,
}

impl RuleMath for Nadam {
    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        vec![vec!["momentum", "velocity"]]
    }

    fn scalars(&self) -> Vec<(&'static str, f32)> {
        vec![(Self::U_PRODUCT, 1.0)]
    }

    fn begin_step(&self, step: StepContext, scalars: &mut [f32]) {
        self.begin(step, scalars, &mut NoRecord);
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let k = self.constants(step, scalars, &mut NoRecord);
        let [m, v] = slots else { panic!("Nadam keeps two slots, got {}", slots.len()) };
        each2(w, g, m, v, |w, g, m, v| self.element(k, w, g, m, v, &mut NoRecord));
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        self.begin(t.step, t.scalars, &mut *t.record);
        let k = self.constants(t.step, t.scalars, &mut *t.record);
        t.with2(|w, g, m, v, r| self.element(k, w, g, m, v, r))
    }
}
