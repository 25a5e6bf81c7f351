//! One optimizer step of one scalar weight, replayed with every intermediate value: the update
//! rule's formula with its numbers.
//!
//! [`replay`] repeats, for a single weight, exactly the `f32` operations of the rules in
//! [`crate::optim`] (same order, same constants), so its new value and new slots are the engine's
//! bit for bit; `tests/explain.rs` checks that against real training for every rule. `w_old` is
//! the weight the rule receives (after decoupled weight decay, when the optimizer has one) and
//! `g` the gradient it receives (after the regularizer's term and clipping).

use serde::Serialize;

use crate::optim::{Rule, Step};
use crate::tensor::python_complement;

/// A slot's value before and after the step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Moved {
    /// Before.
    pub old: f32,
    /// After.
    pub new: f32,
}

/// One rule's step for one weight. Symbols as in each rule's documentation (`crate::optim`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "rule")]
pub enum RuleStep {
    /// SGD: `w ← w − lr·g`.
    #[serde(rename = "SGD")]
    Sgd { lr: f32, g: f32, w_old: f32, update: f32, w: f32 },
    /// SGD with momentum μ: `v ← v·μ − g·lr`, `w ← w + v`.
    #[serde(rename = "SGD_momentum")]
    SgdMomentum { lr: f32, mu: f32, g: f32, v: Moved, w_old: f32, w: f32 },
    /// SGD with Nesterov momentum: `v ← v·μ − g·lr`, `w ← w + (v·μ − g·lr)`.
    #[serde(rename = "SGD_nesterov")]
    SgdNesterov { lr: f32, mu: f32, g: f32, v: Moved, update: f32, w_old: f32, w: f32 },
    /// RMSprop: `v ← ρ·v + (1 − ρ)·g²`, `Δ = lr·g/√(v [− ḡ²] + ε)`, `w ← w − Δ` (or, with momentum,
    /// `m ← μ·m + Δ`, `w ← w − m`).
    #[serde(rename = "RMSprop")]
    RmsProp {
        lr: f32,
        rho: f32,
        /// `1 − ρ` as the engine uses it (from the decimal ρ, in double precision, as Keras).
        one_minus_rho: f32,
        epsilon: f32,
        g: f32,
        v: Moved,
        /// Centered: `ḡ ← ρ·ḡ + (1 − ρ)·g`.
        average_gradient: Option<Moved>,
        /// `v [− ḡ²] + ε`.
        denominator: f32,
        /// `Δ`.
        increment: f32,
        /// With momentum: `(μ, m)`.
        momentum: Option<(f32, Moved)>,
        w_old: f32,
        w: f32,
    },
    /// Adam (and AdamW after its decay): `α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)`, `m ← m + (g − m)·(1 − β₁)`,
    /// `v ← v + (g² − v)·(1 − β₂)`, `w ← w − m·α/(√v + ε)` (AMSGrad: `v̂ = max(v̂, v)` for `v`).
    Adam {
        lr: f32,
        beta_1: f32,
        beta_2: f32,
        /// `1 − β₁` and `1 − β₂` as the engine uses them (double precision from the decimal β).
        one_minus_beta_1: f32,
        one_minus_beta_2: f32,
        epsilon: f32,
        t: f32,
        beta_1_power: f32,
        beta_2_power: f32,
        alpha: f32,
        g: f32,
        m: Moved,
        v: Moved,
        v_hat: Option<Moved>,
        update: f32,
        w_old: f32,
        w: f32,
    },
    /// Adagrad: `a ← a + g²`, `w ← w − lr·g/√(a + ε)`.
    Adagrad { lr: f32, epsilon: f32, g: f32, a: Moved, update: f32, w_old: f32, w: f32 },
    /// Adadelta: `E[g²] ← ρ·E[g²] + (1 − ρ)·g²`, `Δ = −√(E[Δ²] + ε)·g/√(E[g²] + ε)`,
    /// `E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ²`, `w ← w + lr·Δ`.
    Adadelta {
        lr: f32,
        rho: f32,
        /// `1 − ρ` as the engine uses it.
        one_minus_rho: f32,
        epsilon: f32,
        g: f32,
        eg2: Moved,
        delta: f32,
        ed2: Moved,
        w_old: f32,
        w: f32,
    },
    /// Adamax: `m ← m + (g − m)·(1 − β₁)`, `u ← max(β₂·u, |g|)`, `w ← w − lr·m/((1 − β₁ᵗ)·(u + ε))`.
    Adamax {
        lr: f32,
        beta_1: f32,
        beta_2: f32,
        /// `1 − β₁` as the engine uses it.
        one_minus_beta_1: f32,
        epsilon: f32,
        t: f32,
        one_minus_beta_1_power: f32,
        g: f32,
        m: Moved,
        u: Moved,
        update: f32,
        w_old: f32,
        w: f32,
    },
    /// Nadam: `μₜ = β₁·(1 − ½·0.96ᵗ)`, `Π ← Π·μₜ`, `m̂ = μₜ₊₁·m/(1 − Π·μₜ₊₁) + (1 − μₜ)·g/(1 − Π)`,
    /// `v̂ = v/(1 − β₂ᵗ)`, `w ← w − m̂·lr/(√v̂ + ε)`.
    Nadam {
        lr: f32,
        beta_1: f32,
        beta_2: f32,
        /// `1 − β₁` and `1 − β₂` as the engine uses them (here in `f32`, as Keras' Nadam).
        one_minus_beta_1: f32,
        one_minus_beta_2: f32,
        epsilon: f32,
        t: f32,
        mu_t: f32,
        mu_next: f32,
        u_product: Moved,
        u_product_next: f32,
        beta_2_power: f32,
        g: f32,
        m: Moved,
        v: Moved,
        m_hat: f32,
        v_hat: f32,
        update: f32,
        w_old: f32,
        w: f32,
    },
}

impl RuleStep {
    /// The new value of the weight.
    pub fn new_value(&self) -> f32 {
        match self {
            RuleStep::Sgd { w, .. }
            | RuleStep::SgdMomentum { w, .. }
            | RuleStep::SgdNesterov { w, .. }
            | RuleStep::RmsProp { w, .. }
            | RuleStep::Adam { w, .. }
            | RuleStep::Adagrad { w, .. }
            | RuleStep::Adadelta { w, .. }
            | RuleStep::Adamax { w, .. }
            | RuleStep::Nadam { w, .. } => *w,
        }
    }

    /// The slots after the step, by the engine's slot names.
    pub fn slots(&self) -> Vec<(&'static str, Moved)> {
        match self {
            RuleStep::Sgd { .. } => vec![],
            RuleStep::SgdMomentum { v, .. } | RuleStep::SgdNesterov { v, .. } => vec![("momentum", *v)],
            RuleStep::RmsProp { v, average_gradient, momentum, .. } => std::iter::once(("velocity", *v))
                .chain(momentum.map(|(_, m)| ("momentum", m)))
                .chain(average_gradient.map(|a| ("average_gradient", a)))
                .collect(),
            RuleStep::Adam { m, v, v_hat, .. } => {
                [("momentum", *m), ("velocity", *v)].into_iter().chain(v_hat.map(|h| ("velocity_hat", h))).collect()
            }
            RuleStep::Adagrad { a, .. } => vec![("accumulator", *a)],
            RuleStep::Adadelta { eg2, ed2, .. } => vec![("accumulated_grad", *eg2), ("accumulated_delta_var", *ed2)],
            RuleStep::Adamax { m, u, .. } => vec![("momentum", *m), ("norm", *u)],
            RuleStep::Nadam { m, v, .. } => vec![("momentum", *m), ("velocity", *v)],
        }
    }
}

/// Replays `rule`'s step on one weight `w_old` with gradient `g`. `slot(name)` gives the weight's
/// slot values before the step; `u_product` is Nadam's scalar before the step (ignored otherwise).
pub fn replay(rule: &Rule, step: Step, u_product: f32, w_old: f32, g: f32, slot: impl Fn(&str) -> f32) -> RuleStep {
    let lr = step.lr;
    let moved = |name: &str, new: f32| Moved { old: slot(name), new };
    match rule {
        Rule::Sgd(r) if r.momentum == 0.0 => {
            let update = g * lr;
            RuleStep::Sgd { lr, g, w_old, update, w: w_old - update }
        }
        Rule::Sgd(r) => {
            let mu = r.momentum;
            let v = moved("momentum", slot("momentum") * mu - g * lr);
            if r.nesterov {
                let update = v.new * mu - g * lr;
                RuleStep::SgdNesterov { lr, mu, g, v, update, w_old, w: w_old + update }
            } else {
                RuleStep::SgdMomentum { lr, mu, g, v, w_old, w: w_old + v.new }
            }
        }
        Rule::RmsProp(r) => {
            let (rho, eps, omr) = (r.rho, r.epsilon, python_complement(r.rho));
            let v = moved("velocity", rho * slot("velocity") + omr * (g * g));
            let average_gradient =
                r.centered.then(|| moved("average_gradient", rho * slot("average_gradient") + omr * g));
            let denominator = match average_gradient {
                Some(a) => v.new - a.new * a.new + eps,
                None => v.new + eps,
            };
            let increment = (lr * g) / denominator.sqrt();
            let momentum =
                (r.momentum > 0.0).then(|| (r.momentum, moved("momentum", r.momentum * slot("momentum") + increment)));
            let w = match momentum {
                Some((_, m)) => w_old - m.new,
                None => w_old - increment,
            };
            let one_minus_rho = omr;
            RuleStep::RmsProp {
                lr,
                rho,
                one_minus_rho,
                epsilon: eps,
                g,
                v,
                average_gradient,
                denominator,
                increment,
                momentum,
                w_old,
                w,
            }
        }
        Rule::Adam(_) | Rule::AdamW(_) => {
            let (beta_1, beta_2, epsilon, amsgrad) = match rule {
                Rule::AdamW(r) => (r.beta_1, r.beta_2, r.epsilon, r.amsgrad),
                Rule::Adam(r) => (r.beta_1, r.beta_2, r.epsilon, r.amsgrad),
                _ => unreachable!("matched above"),
            };
            let t = step.local_step();
            let (beta_1_power, beta_2_power) = (beta_1.powf(t), beta_2.powf(t));
            let alpha = lr * (1.0 - beta_2_power).sqrt() / (1.0 - beta_1_power);
            let m_old = slot("momentum");
            let v_old = slot("velocity");
            let (one_minus_beta_1, one_minus_beta_2) = (python_complement(beta_1), python_complement(beta_2));
            let m = moved("momentum", m_old + (g - m_old) * one_minus_beta_1);
            let v = moved("velocity", v_old + (g * g - v_old) * one_minus_beta_2);
            let v_hat = amsgrad.then(|| moved("velocity_hat", slot("velocity_hat").max(v.new)));
            let update = (m.new * alpha) / (v_hat.map_or(v.new, |h| h.new).sqrt() + epsilon);
            let w = w_old - update;
            RuleStep::Adam {
                lr,
                beta_1,
                beta_2,
                one_minus_beta_1,
                one_minus_beta_2,
                epsilon,
                t,
                beta_1_power,
                beta_2_power,
                alpha,
                g,
                m,
                v,
                v_hat,
                update,
                w_old,
                w,
            }
        }
        Rule::Adagrad(r) => {
            let a = moved("accumulator", slot("accumulator") + g * g);
            let update = (lr * g) / (a.new + r.epsilon).sqrt();
            RuleStep::Adagrad { lr, epsilon: r.epsilon, g, a, update, w_old, w: w_old - update }
        }
        Rule::Adadelta(r) => {
            let (rho, eps, omr) = (r.rho, r.epsilon, python_complement(r.rho));
            let eg2 = moved("accumulated_grad", rho * slot("accumulated_grad") + omr * (g * g));
            let ed_old = slot("accumulated_delta_var");
            let delta = -(((ed_old + eps).sqrt() * g) / (eg2.new + eps).sqrt());
            let ed2 = moved("accumulated_delta_var", rho * ed_old + omr * (delta * delta));
            RuleStep::Adadelta {
                lr,
                rho,
                one_minus_rho: omr,
                epsilon: eps,
                g,
                eg2,
                delta,
                ed2,
                w_old,
                w: w_old + lr * delta,
            }
        }
        Rule::Adamax(r) => {
            let t = step.local_step();
            let one_minus_beta_1_power = 1.0 - r.beta_1.powf(t);
            let m_old = slot("momentum");
            let one_minus_beta_1 = python_complement(r.beta_1);
            let m = moved("momentum", m_old + (g - m_old) * one_minus_beta_1);
            let u = moved("norm", (r.beta_2 * slot("norm")).max(g.abs()));
            let update = (lr * m.new) / (one_minus_beta_1_power * (u.new + r.epsilon));
            let (beta_1, beta_2, epsilon) = (r.beta_1, r.beta_2, r.epsilon);
            RuleStep::Adamax {
                lr,
                beta_1,
                beta_2,
                one_minus_beta_1,
                epsilon,
                t,
                one_minus_beta_1_power,
                g,
                m,
                u,
                update,
                w_old,
                w: w_old - update,
            }
        }
        Rule::Nadam(r) => {
            let (beta_1, beta_2, epsilon) = (r.beta_1, r.beta_2, r.epsilon);
            let schedule = |s: f32| 1.0 - 0.5 * 0.96f32.powf(s);
            let t = step.local_step();
            let u_product = Moved { old: u_product, new: u_product * beta_1 * schedule(t) };
            let mu_t = beta_1 * schedule(t);
            let mu_next = beta_1 * schedule((step.iterations + 2) as f32);
            let u_product_next = u_product.new * mu_next;
            let beta_2_power = beta_2.powf(t);
            let (m_old, v_old) = (slot("momentum"), slot("velocity"));
            let (one_minus_beta_1, one_minus_beta_2) = (1.0 - beta_1, 1.0 - beta_2);
            let m = moved("momentum", m_old + (g - m_old) * one_minus_beta_1);
            let v = moved("velocity", v_old + (g * g - v_old) * one_minus_beta_2);
            let m_hat = (mu_next * m.new) / (1.0 - u_product_next) + ((1.0 - mu_t) * g) / (1.0 - u_product.new);
            let v_hat = v.new / (1.0 - beta_2_power);
            let update = (m_hat * lr) / (v_hat.sqrt() + epsilon);
            RuleStep::Nadam {
                lr,
                beta_1,
                beta_2,
                one_minus_beta_1,
                one_minus_beta_2,
                epsilon,
                t,
                mu_t,
                mu_next,
                u_product,
                u_product_next,
                beta_2_power,
                g,
                m,
                v,
                m_hat,
                v_hat,
                update,
                w_old,
                w: w_old - update,
            }
        }
    }
}
