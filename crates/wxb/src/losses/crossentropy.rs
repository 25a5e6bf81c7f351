//! Crossentropies of one sample, with their gradients with respect to the prediction, as Keras 3's
//! TensorFlow backend computes them (`keras/src/backend/tensorflow/nn.py`).
//!
//! - From probabilities `p`: clip to `[ε, 1 − ε]` and take logarithms. `tf.clip_by_value` passes the
//!   gradient at the bounds themselves, so a value *on* a bound still gets one; strictly outside
//!   it gets 0.
//! - From logits `z`: the stable forms of TensorFlow's fused kernels, whose gradients are
//!   `σ(z) − t` and `softmax(z) − t`. TensorFlow's softmax kernels return `softmax(z) − t` for any
//!   targets — the derivative of the loss when `Σt = 1` (one-hot or soft distributions, with or
//!   without label smoothing) — and wxb returns the same.
//!
//! Nothing here allocates: the log-sum-exp of a row is computed in place.

use super::{EPSILON, Predictions};
use crate::activations::sigmoid;

/// Label smoothing of binary targets: `t = y·(1 − s) + s/2`.
pub(super) fn smooth_binary(y: f32, smoothing: f32) -> f32 {
    y * (1.0 - smoothing) + 0.5 * smoothing
}

/// Label smoothing over `classes` categories: `t = y·(1 − s) + s/classes`.
pub(super) fn smooth_categorical(y: f32, smoothing: f32, classes: usize) -> f32 {
    y * (1.0 - smoothing) + smoothing / classes as f32
}

/// Whether the gradient flows through `clip(x, low, high)` (bounds included, as in TensorFlow).
pub(super) fn inside(x: f32, low: f32, high: f32) -> bool {
    x >= low && x <= high
}

/// The maximum of a row and `ln Σⱼ e^(zⱼ − max)`: `log_softmax(z)ⱼ = zⱼ − max − log_sum`.
pub(super) fn max_and_log_sum(z: &[f32]) -> (f32, f32) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = z.iter().map(|&x| (x - max).exp()).sum();
    (max, sum.ln())
}

/// Binary crossentropy of one sample, averaged over its `n` output units:
/// `l = (1/n)·Σⱼ −(tⱼ·log pⱼ + (1 − tⱼ)·log(1 − pⱼ))` with `tⱼ` the smoothed target.
///
/// - probabilities: `p = clip(ŷ, ε, 1 − ε)`; `∂l/∂ŷⱼ = (−tⱼ/pⱼ + (1 − tⱼ)/(1 − pⱼ))/n` inside the clip
///   range, else 0;
/// - logits: `l = (1/n)·Σⱼ max(zⱼ, 0) − zⱼ·tⱼ + log(1 + e^(−|zⱼ|))`; `∂l/∂zⱼ = (σ(zⱼ) − tⱼ)/n`.
pub(super) fn binary(y: &[f32], p: &[f32], from: Predictions, smoothing: f32, grad: Option<&mut [f32]>) -> f32 {
    let n = p.len() as f32;
    let mut total = 0.0;
    let mut grad = grad;
    for (j, (&yj, &pj)) in y.iter().zip(p).enumerate() {
        let t = smooth_binary(yj, smoothing);
        let (l, d) = match from {
            Predictions::Logits => (pj.max(0.0) - pj * t + (-pj.abs()).exp().ln_1p(), sigmoid(pj) - t),
            Predictions::Probabilities => {
                let c = pj.clamp(EPSILON, 1.0 - EPSILON);
                let l = -(t * c.ln() + (1.0 - t) * (1.0 - c).ln());
                let d = if inside(pj, EPSILON, 1.0 - EPSILON) { -t / c + (1.0 - t) / (1.0 - c) } else { 0.0 };
                (l, d)
            }
        };
        total += l;
        if let Some(g) = grad.as_deref_mut() {
            g[j] = d / n;
        }
    }
    total / n
}

/// Categorical crossentropy of one sample over `k` classes, `l = −Σⱼ tⱼ·log qⱼ`, with one-hot or
/// soft targets smoothed to `tⱼ = yⱼ·(1 − s) + s/k`.
///
/// - probabilities: each row is first renormalised, `qⱼ = clip(ŷⱼ/Σŷ, ε, 1 − ε)`; with
///   `dⱼ = −tⱼ/qⱼ` inside the clip range (else 0), `∂l/∂ŷᵢ = (dᵢ − Σⱼ dⱼ·ŷⱼ/Σŷ) / Σŷ`;
/// - logits: `l = Σⱼ tⱼ·(lse(z) − zⱼ)` with `lse` the log-sum-exp; `∂l/∂zⱼ = softmax(z)ⱼ − tⱼ`.
pub(super) fn categorical(y: &[f32], p: &[f32], from: Predictions, smoothing: f32, grad: Option<&mut [f32]>) -> f32 {
    let k = p.len();
    match from {
        Predictions::Logits => {
            let (max, log_sum) = max_and_log_sum(p);
            let mut total = 0.0;
            let mut grad = grad;
            for (j, (&yj, &zj)) in y.iter().zip(p).enumerate() {
                let t = smooth_categorical(yj, smoothing, k);
                let log_q = zj - max - log_sum;
                total -= t * log_q;
                if let Some(g) = grad.as_deref_mut() {
                    g[j] = log_q.exp() - t;
                }
            }
            total
        }
        Predictions::Probabilities => {
            let sum: f32 = p.iter().sum();
            let mut total = 0.0;
            let mut dot = 0.0;
            let mut grad = grad;
            for (j, (&yj, &pj)) in y.iter().zip(p).enumerate() {
                let t = smooth_categorical(yj, smoothing, k);
                let q = pj / sum;
                let c = q.clamp(EPSILON, 1.0 - EPSILON);
                total -= t * c.ln();
                if let Some(g) = grad.as_deref_mut() {
                    let d = if inside(q, EPSILON, 1.0 - EPSILON) { -t / c } else { 0.0 };
                    dot += d * q;
                    g[j] = d;
                }
            }
            if let Some(g) = grad {
                g.iter_mut().for_each(|gi| *gi = (*gi - dot) / sum);
            }
            total
        }
    }
}

/// Sparse categorical crossentropy of one sample with integer target `class`: the categorical
/// crossentropy of a one-hot target, without smoothing (Keras has none for it).
///
/// - probabilities: Keras takes `log(clip(ŷ, ε, 1 − ε))` as logits, so with `c = clip(ŷ)`,
///   `l = log Σⱼ cⱼ − log c[class]` (the renormalisation is part of the formula) and
///   `∂l/∂ŷⱼ = 1/Σc − [j = class]/c[class]` inside the clip range, else 0;
/// - logits: `l = lse(z) − z[class]`; `∂l/∂zⱼ = softmax(z)ⱼ − [j = class]`.
///
/// # Panics
/// If `class` is not below the number of outputs.
pub(super) fn sparse(class: usize, p: &[f32], from: Predictions, grad: Option<&mut [f32]>) -> f32 {
    assert!(class < p.len(), "sparse crossentropy: class {class} out of range for {} outputs", p.len());
    let one_hot = |j: usize| if j == class { 1.0 } else { 0.0 };
    match from {
        Predictions::Logits => {
            let (max, log_sum) = max_and_log_sum(p);
            if let Some(g) = grad {
                for (j, (gj, &zj)) in g.iter_mut().zip(p).enumerate() {
                    *gj = (zj - max - log_sum).exp() - one_hot(j);
                }
            }
            log_sum - (p[class] - max)
        }
        Predictions::Probabilities => {
            let clip = |x: f32| x.clamp(EPSILON, 1.0 - EPSILON);
            let sum: f32 = p.iter().map(|&pj| clip(pj)).sum();
            let target = clip(p[class]);
            if let Some(g) = grad {
                for (j, (gj, &pj)) in g.iter_mut().zip(p).enumerate() {
                    let d = 1.0 / sum - one_hot(j) / target;
                    *gj = if inside(pj, EPSILON, 1.0 - EPSILON) { d } else { 0.0 };
                }
            }
            sum.ln() - target.ln()
        }
    }
}
