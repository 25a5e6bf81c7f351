//! Per-sample regression and distribution losses with their gradients, as Keras 3 writes them.
//! Each averages over the last axis (except KL divergence, a sum).

use super::EPSILON;
use crate::activations::softplus;

fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Writes `d(p, y)/n` into `grad[j]` for each output, returns `mean_j f(p, y)`.
fn mean_of(y: &[f32], p: &[f32], grad: Option<&mut [f32]>, f: impl Fn(f32, f32) -> (f32, f32)) -> f32 {
    let n = p.len() as f32;
    let mut total = 0.0;
    let mut grad = grad;
    for (j, (&yj, &pj)) in y.iter().zip(p).enumerate() {
        let (l, d) = f(yj, pj);
        total += l;
        if let Some(g) = grad.as_deref_mut() {
            g[j] = d / n;
        }
    }
    total / n
}

/// `mean((ŷ − y)²)`.
pub(super) fn mse(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| ((p - y) * (p - y), 2.0 * (p - y)))
}

/// `mean(|ŷ − y|)`; the gradient at `ŷ = y` is 0.
pub(super) fn mae(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| ((p - y).abs(), sign(p - y)))
}

/// Huber: `½e²` for `|e| ≤ δ`, else `δ|e| − ½δ²`, with `e = ŷ − y`.
pub(super) fn huber(y: &[f32], p: &[f32], delta: f32, grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let e = p - y;
        if e.abs() <= delta { (0.5 * e * e, e) } else { (delta * e.abs() - 0.5 * delta * delta, delta * sign(e)) }
    })
}

/// `log(cosh(e)) = e + softplus(−2e) − log 2`, with `e = ŷ − y`; its derivative is `tanh(e)`.
pub(super) fn log_cosh(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let e = p - y;
        (e + softplus(-2.0 * e) - std::f32::consts::LN_2, e.tanh())
    })
}

/// `mean(max(1 − y·ŷ, 0))`; targets in {0, 1} are mapped to {−1, 1} as Keras does.
pub(super) fn hinge(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    let binary = y.iter().all(|&v| v == 0.0 || v == 1.0);
    mean_of(y, p, grad, |y, p| {
        let t = if binary { 2.0 * y - 1.0 } else { y };
        let m = 1.0 - t * p;
        if m > 0.0 { (m, -t) } else { (0.0, 0.0) }
    })
}

/// `Σ y·log(y/ŷ)` with `y` and `ŷ` clipped to `[ε, 1]`.
pub(super) fn kl_divergence(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    let mut total = 0.0;
    let mut grad = grad;
    for (j, (&yj, &pj)) in y.iter().zip(p).enumerate() {
        let t = yj.clamp(EPSILON, 1.0);
        let q = pj.clamp(EPSILON, 1.0);
        total += t * (t / q).ln();
        if let Some(g) = grad.as_deref_mut() {
            g[j] = if pj > EPSILON && pj < 1.0 { -t / q } else { 0.0 };
        }
    }
    total
}

/// `mean(ŷ − y·log(ŷ + ε))`.
pub(super) fn poisson(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| (p - y * (p + EPSILON).ln(), 1.0 - y / (p + EPSILON)))
}
