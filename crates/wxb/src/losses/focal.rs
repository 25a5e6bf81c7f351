//! Focal crossentropies of one sample (Lin et al. 2017), with their gradients, as Keras 3 writes
//! them (`keras/src/losses/losses.py`): a crossentropy scaled down where the prediction is already
//! confident, by `(1 − p_t)^γ`.

use super::crossentropy::{inside, max_and_log_sum, smooth_binary, smooth_categorical};
use super::{EPSILON, Predictions};
use crate::activations::sigmoid;

/// `d/dx x^γ` at `x = base ≥ 0` (0 at 0 for γ ≠ 1, where TensorFlow's is 0 for γ > 1).
fn pow_slope(base: f32, gamma: f32) -> f32 {
    if base > 0.0 {
        gamma * base.powf(gamma - 1.0)
    } else if gamma == 1.0 {
        1.0
    } else {
        0.0
    }
}

/// The settings of [`binary`], as in Keras' `BinaryFocalCrossentropy`.
#[derive(Clone, Copy, Debug)]
pub(super) struct BinaryFocal {
    pub apply_class_balancing: bool,
    pub alpha: f32,
    pub gamma: f32,
    pub from: Predictions,
    pub label_smoothing: f32,
}

/// Binary focal crossentropy, averaged over the `n` outputs:
/// `l = (1/n)·Σⱼ wⱼ·(1 − p_t)^γ·bceⱼ` with the smoothed target `t = y·(1 − s) + s/2`, `p = ŷ` (or
/// `σ(z)` from logits), `p_t = t·p + (1 − t)·(1 − p)`, `bce` Keras' binary crossentropy of `p`
/// (clipped to `[ε, 1 − ε]`; from logits, computed stably from `z`, as Keras' TensorFlow backend
/// does for a sigmoid's output), and `w = t·α + (1 − t)·(1 − α)` with class balancing, else 1.
///
/// `∂lⱼ/∂p = w·(−γ·(1 − p_t)^(γ−1)·(2t − 1)·bce + (1 − p_t)^γ·∂bce/∂p)/n`, times `p·(1 − p)`
/// from logits (where `∂bce/∂z = σ(z) − t`).
pub(super) fn binary(y: &[f32], p: &[f32], cfg: BinaryFocal, grad: Option<&mut [f32]>) -> f32 {
    let n = p.len() as f32;
    let mut total = 0.0;
    let mut grad = grad;
    for (j, (&yj, &v)) in y.iter().zip(p).enumerate() {
        let t = smooth_binary(yj, cfg.label_smoothing);
        let (prob, bce, dbce) = match cfg.from {
            Predictions::Logits => {
                let s = sigmoid(v);
                (s, v.max(0.0) - v * t + (-v.abs()).exp().ln_1p(), s - t)
            }
            Predictions::Probabilities => {
                let c = v.clamp(EPSILON, 1.0 - EPSILON);
                let d = if inside(v, EPSILON, 1.0 - EPSILON) { -t / c + (1.0 - t) / (1.0 - c) } else { 0.0 };
                (v, -(t * c.ln() + (1.0 - t) * (1.0 - c).ln()), d)
            }
        };
        let base = 1.0 - (t * prob + (1.0 - t) * (1.0 - prob));
        let factor = base.powf(cfg.gamma);
        let w = if cfg.apply_class_balancing { t * cfg.alpha + (1.0 - t) * (1.0 - cfg.alpha) } else { 1.0 };
        total += w * factor * bce;
        if let Some(g) = grad.as_deref_mut() {
            let dfactor = -pow_slope(base, cfg.gamma) * (2.0 * t - 1.0);
            let dprob = match cfg.from {
                Predictions::Logits => prob * (1.0 - prob),
                Predictions::Probabilities => 1.0,
            };
            g[j] = w * (dfactor * dprob * bce + factor * dbce) / n;
        }
    }
    total / n
}

/// The settings of [`categorical`], as in Keras' `CategoricalFocalCrossentropy`.
#[derive(Clone, Copy, Debug)]
pub(super) struct CategoricalFocal {
    pub alpha: f32,
    pub gamma: f32,
    pub from: Predictions,
    pub label_smoothing: f32,
}

/// Categorical focal crossentropy, a sum over the `n` classes:
/// `l = −Σⱼ α·(1 − qⱼ)^γ·tⱼ·log qⱼ` with `q = clip(p/Σp, ε, 1 − ε)`, `p = ŷ` (or `softmax(z)`
/// from logits) and the smoothed targets `t = y·(1 − s) + s/n`.
///
/// With `gⱼ = ∂l/∂qⱼ = −α·tⱼ·((1 − qⱼ)^γ/qⱼ − γ·(1 − qⱼ)^(γ−1)·log qⱼ)` (0 where the clip cuts),
/// `∂l/∂pₖ = (gₖ − Σⱼ gⱼ·oⱼ)/Σp` for `o = p/Σp`; from logits, `∂l/∂zₖ = pₖ·(∂l/∂pₖ − Σⱼ pⱼ·∂l/∂pⱼ)`.
pub(super) fn categorical(y: &[f32], p: &[f32], cfg: CategoricalFocal, grad: Option<&mut [f32]>) -> f32 {
    let classes = p.len();
    let (max, log_sum) = match cfg.from {
        Predictions::Logits => max_and_log_sum(p),
        Predictions::Probabilities => (0.0, 0.0),
    };
    let prob = |k: usize| match cfg.from {
        Predictions::Logits => (p[k] - max - log_sum).exp(),
        Predictions::Probabilities => p[k],
    };
    let sum: f32 = (0..classes).map(prob).sum();
    let mut total = 0.0;
    let mut grad = grad;
    for (j, &yj) in y.iter().enumerate() {
        let t = smooth_categorical(yj, cfg.label_smoothing, classes);
        let o = prob(j) / sum;
        let q = o.clamp(EPSILON, 1.0 - EPSILON);
        let factor = (1.0 - q).powf(cfg.gamma);
        total += -cfg.alpha * factor * t * q.ln();
        if let Some(g) = grad.as_deref_mut() {
            g[j] = if inside(o, EPSILON, 1.0 - EPSILON) && t != 0.0 {
                -cfg.alpha * t * (factor / q - pow_slope(1.0 - q, cfg.gamma) * q.ln())
            } else {
                0.0
            };
        }
    }
    if let Some(g) = grad {
        let dot: f32 = g.iter().enumerate().map(|(j, &gj)| gj * prob(j) / sum).sum();
        g.iter_mut().for_each(|gj| *gj = (*gj - dot) / sum);
        if cfg.from == Predictions::Logits {
            let dot: f32 = g.iter().enumerate().map(|(j, &gj)| gj * prob(j)).sum();
            g.iter_mut().enumerate().for_each(|(k, gk)| *gk = prob(k) * (*gk - dot));
        }
    }
    total
}
