//! Losses between distributions or counts, of one sample, with their gradients, as Keras 3 writes
//! them (`keras/src/losses/losses.py`).

use super::EPSILON;
use super::regression::mean_of;

/// Kullback–Leibler divergence, a **sum** over the outputs: `l = Σⱼ tⱼ·log(tⱼ/qⱼ)` with
/// `t = clip(y, ε, 1)` and `q = clip(ŷ, ε, 1)`; `∂l/∂ŷⱼ = −tⱼ/qⱼ` where `ε ≤ ŷⱼ ≤ 1` (bounds
/// included, as `tf.clip_by_value`), else 0.
pub(super) fn kl_divergence(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    let mut total = 0.0;
    let mut grad = grad;
    for (j, (&yj, &pj)) in y.iter().zip(p).enumerate() {
        let t = yj.clamp(EPSILON, 1.0);
        let q = pj.clamp(EPSILON, 1.0);
        total += t * (t / q).ln();
        if let Some(g) = grad.as_deref_mut() {
            g[j] = if (EPSILON..=1.0).contains(&pj) { -t / q } else { 0.0 };
        }
    }
    total
}

/// Poisson: `(1/n)·Σⱼ ŷⱼ − yⱼ·log(ŷⱼ + ε)`; `∂/∂ŷⱼ = (1 − yⱼ/(ŷⱼ + ε))/n`. No clipping: a
/// prediction at or below −ε gives NaN, as in Keras.
pub(super) fn poisson(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| (p - y * (p + EPSILON).ln(), 1.0 - y / (p + EPSILON)))
}
