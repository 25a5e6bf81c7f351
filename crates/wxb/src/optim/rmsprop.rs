//! RMSprop, Keras' `RMSprop`.
//!
//! With decay ρ (slot `velocity`, `v`): `v ← ρ·v + (1 − ρ)·g²`. Plain:
//! `Δ = lr·g / √(v + ε)` (ε inside the square root, as Keras). Centered (slot
//! `average_gradient`, `ḡ ← ρ·ḡ + (1 − ρ)·g`): `Δ = lr·g / √(v − ḡ² + ε)`.
//!
//! Without momentum `w ← w − Δ`; with momentum μ (slot `momentum`, `m`): `m ← μ·m + Δ`,
//! `w ← w − m`.

use serde::{Deserialize, Serialize};

use super::{Step, UpdateRule};
use crate::tensor::python_complement;

/// Keras' `RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RmsProp {
    /// Discount ρ of the squared-gradient average (default 0.9).
    pub rho: f32,
    /// Momentum μ (default 0: no momentum slot).
    pub momentum: f32,
    /// ε added under the square root (default 1e-7).
    pub epsilon: f32,
    /// Whether the gradient's variance rather than its second moment normalises (default false).
    pub centered: bool,
}

impl Default for RmsProp {
    fn default() -> Self {
        Self { rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false }
    }
}

impl UpdateRule for RmsProp {
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
    fn update_step(&self, step: Step, _scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        let (lr, rho, eps, mu) = (step.lr, self.rho, self.epsilon, self.momentum);
        let one_minus_rho = python_complement(rho);
        let mut slots = slots.iter_mut().map(|s| &mut **s);
        let v = slots.next().expect("RMSprop keeps a velocity slot");
        let mut mom = if mu > 0.0 { slots.next() } else { None };
        let mut avg = if self.centered { slots.next() } else { None };
        for i in 0..w.len() {
            let gi = g[i];
            v[i] = rho * v[i] + one_minus_rho * (gi * gi);
            let denominator = match avg.as_deref_mut() {
                Some(a) => {
                    a[i] = rho * a[i] + one_minus_rho * gi;
                    v[i] - a[i] * a[i] + eps
                }
                None => v[i] + eps,
            };
            let increment = (lr * gi) / denominator.sqrt();
            match mom.as_deref_mut() {
                Some(m) => {
                    m[i] = mu * m[i] + increment;
                    w[i] -= m[i];
                }
                None => w[i] -= increment,
            }
        }
    }
}
