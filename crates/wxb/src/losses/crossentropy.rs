//! Crossentropies, per sample, with their gradients with respect to the prediction.
//!
//! From probabilities they follow Keras' TensorFlow backend: clip to `[ε, 1 − ε]` (categorical first
//! renormalises each row to sum to 1). From logits they use the stable log-sum-exp forms, whose
//! gradients are `softmax(z) − y` and `sigmoid(z) − y`.

use super::{EPSILON, Predictions};
use crate::activations::{log_softmax_row, sigmoid};

/// Binary crossentropy averaged over the output units of one sample.
pub(super) fn binary(y: &[f32], p: &[f32], from: Predictions, smoothing: f32, grad: Option<&mut [f32]>) -> f32 {
    let n = p.len() as f32;
    let mut total = 0.0;
    let mut grad = grad;
    for (j, (&yj, &pj)) in y.iter().zip(p).enumerate() {
        let t = yj * (1.0 - smoothing) + 0.5 * smoothing;
        let (l, d) = match from {
            // max(z, 0) − z·t + log(1 + e^(−|z|)); d/dz = σ(z) − t.
            Predictions::Logits => (pj.max(0.0) - pj * t + (-pj.abs()).exp().ln_1p(), sigmoid(pj) - t),
            Predictions::Probabilities => {
                let c = pj.clamp(EPSILON, 1.0 - EPSILON);
                let l = -(t * c.ln() + (1.0 - t) * (1.0 - c).ln());
                let inside = pj > EPSILON && pj < 1.0 - EPSILON;
                let d = if inside { -t / c + (1.0 - t) / (1.0 - c) } else { 0.0 };
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

/// Categorical crossentropy `−Σ y·log p` of one sample with one-hot or soft targets.
pub(super) fn categorical(y: &[f32], p: &[f32], from: Predictions, smoothing: f32, grad: Option<&mut [f32]>) -> f32 {
    let k = p.len() as f32;
    let t = |yj: f32| yj * (1.0 - smoothing) + smoothing / k;
    match from {
        Predictions::Logits => {
            let mut logp = vec![0.0; p.len()];
            log_softmax_row(p, &mut logp);
            let l = -y.iter().zip(&logp).map(|(&yj, &lp)| t(yj) * lp).sum::<f32>();
            if let Some(g) = grad {
                // d/dz = softmax(z)·Σt − t
                let tsum: f32 = y.iter().map(|&yj| t(yj)).sum();
                for ((gj, &lp), &yj) in g.iter_mut().zip(&logp).zip(y) {
                    *gj = lp.exp() * tsum - t(yj);
                }
            }
            l
        }
        Predictions::Probabilities => {
            let s: f32 = p.iter().sum();
            let q: Vec<f32> = p.iter().map(|&pj| pj / s).collect();
            let l = -y.iter().zip(&q).map(|(&yj, &qj)| t(yj) * qj.clamp(EPSILON, 1.0 - EPSILON).ln()).sum::<f32>();
            if let Some(g) = grad {
                // ∂l/∂qⱼ = −tⱼ/qⱼ inside the clip range, 0 outside; q = p/Σp, so
                // ∂l/∂pᵢ = (∂l/∂qᵢ − Σⱼ ∂l/∂qⱼ·qⱼ) / Σp.
                let dq: Vec<f32> = y
                    .iter()
                    .zip(&q)
                    .map(|(&yj, &qj)| if qj > EPSILON && qj < 1.0 - EPSILON { -t(yj) / qj } else { 0.0 })
                    .collect();
                let dot: f32 = dq.iter().zip(&q).map(|(a, b)| a * b).sum();
                for (gi, &dqi) in g.iter_mut().zip(&dq) {
                    *gi = (dqi - dot) / s;
                }
            }
            l
        }
    }
}

/// Sparse categorical crossentropy `−log p[class]` of one sample.
pub(super) fn sparse(class: usize, p: &[f32], from: Predictions, grad: Option<&mut [f32]>) -> f32 {
    assert!(class < p.len(), "sparse crossentropy: class {class} out of range for {} outputs", p.len());
    match from {
        Predictions::Logits => {
            let mut logp = vec![0.0; p.len()];
            log_softmax_row(p, &mut logp);
            if let Some(g) = grad {
                for (j, (gj, &lp)) in g.iter_mut().zip(&logp).enumerate() {
                    *gj = lp.exp() - if j == class { 1.0 } else { 0.0 };
                }
            }
            -logp[class]
        }
        Predictions::Probabilities => {
            // Keras clips every probability and takes log_softmax of log(p): the normalisation by
            // Σ clip(p) is part of the formula.
            let c: Vec<f32> = p.iter().map(|&pj| pj.clamp(EPSILON, 1.0 - EPSILON)).collect();
            let s: f32 = c.iter().sum();
            let l = -(c[class] / s).ln();
            if let Some(g) = grad {
                for (j, (gj, &pj)) in g.iter_mut().zip(p).enumerate() {
                    let inside = pj > EPSILON && pj < 1.0 - EPSILON;
                    let d = 1.0 / s - if j == class { 1.0 / c[class] } else { 0.0 };
                    *gj = if inside { d } else { 0.0 };
                }
            }
            l
        }
    }
}
