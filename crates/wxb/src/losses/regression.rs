//! Regression losses of one sample, with their gradients: each is a mean over the sample's `n`
//! output units of a function of the error `e = ŷ − y`, as Keras 3 writes them
//! (`keras/src/losses/losses.py`). Where the function has a kink, the gradient is TensorFlow's:
//! `d|e|/de = sign(e)`, 0 at `e = 0`.

use crate::activations::softplus;

/// `sign(x)`, 0 at 0 (TensorFlow's gradient of `abs`).
pub(super) fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `(1/n)·Σⱼ f(yⱼ, ŷⱼ)`, writing `∂/∂ŷⱼ = df(yⱼ, ŷⱼ)/n` into `grad`; `f` returns `(f, df)`.
pub(super) fn mean_of(y: &[f32], p: &[f32], grad: Option<&mut [f32]>, f: impl Fn(f32, f32) -> (f32, f32)) -> f32 {
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

/// Mean squared error: `f(e) = e²`, `df = 2e`.
pub(super) fn mse(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let e = p - y;
        (e * e, 2.0 * e)
    })
}

/// Mean absolute error: `f(e) = |e|`, `df = sign(e)`.
pub(super) fn mae(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let e = p - y;
        (e.abs(), sign(e))
    })
}

/// Huber: `f(e) = ½e²` for `|e| ≤ δ` (`df = e`), else `δ·|e| − ½δ²` (`df = δ·sign(e)`).
pub(super) fn huber(y: &[f32], p: &[f32], delta: f32, grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let e = p - y;
        if e.abs() <= delta { (0.5 * e * e, e) } else { (delta * e.abs() - 0.5 * delta * delta, delta * sign(e)) }
    })
}

/// Log-cosh: `f(e) = log(cosh(e))`, computed as Keras does, `e + softplus(−2e) − log 2`; `df = tanh(e)`.
pub(super) fn log_cosh(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let e = p - y;
        (e + softplus(-2.0 * e) - std::f32::consts::LN_2, e.tanh())
    })
}

/// Mean absolute percentage error: `f = 100·|y − ŷ| / max(|y|, ε)`,
/// `df = 100·sign(ŷ − y) / max(|y|, ε)`.
pub(super) fn mape(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let scale = 100.0 / y.abs().max(super::EPSILON);
        ((y - p).abs() * scale, sign(p - y) * scale)
    })
}

/// Mean squared logarithmic error: `f = (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))²`,
/// `df = 2·(that difference) / (ŷ + 1)` where `ŷ ≥ ε` (TensorFlow's `maximum` passes the gradient
/// to its first argument on a tie), else 0.
pub(super) fn msle(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let d = (p.max(super::EPSILON) + 1.0).ln() - (y.max(super::EPSILON) + 1.0).ln();
        let df = if p >= super::EPSILON { 2.0 * d / (p + 1.0) } else { 0.0 };
        (d * d, df)
    })
}
