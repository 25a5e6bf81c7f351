//! The scalar and per-row functions behind the activations, shared with the losses and the GEMM's
//! fused epilogue.

use super::Real;
use crate::Tensor;

/// The length of the last axis (softmax and log_softmax normalise along it, as Keras).
#[inline]
pub(super) fn last_axis(z: &Tensor) -> usize {
    z.shape().last().copied().unwrap_or(1).max(1)
}

pub(super) fn map_into(z: &Tensor, y: &mut Tensor, f: impl Fn(f32) -> f32) {
    for (o, &x) in y.data_mut().iter_mut().zip(z.data()) {
        *o = f(x);
    }
}

/// `max(x, 0)`, NaN staying NaN (as in PyTorch and TensorFlow: a NaN must not vanish in a
/// dead unit, or a diverging run would look healthy).
#[inline]
pub(crate) fn relu<T: Real>(x: T) -> T {
    if x < T::ZERO { T::ZERO } else { x }
}

#[inline]
pub(super) fn step(x: f32) -> f32 {
    if x > 0.0 { 1.0 } else { 0.0 }
}

#[inline]
pub(super) fn gelu_tanh_inner<T: Real>(x: T) -> T {
    T::of(0.797_884_6) * (x + T::of(0.044_715) * x * x * x)
}

/// The logistic function, stable for large |x|.
#[inline]
pub fn sigmoid<T: Real>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

/// `ln(1 + eˣ)`, stable for large |x|.
#[inline]
pub fn softplus<T: Real>(x: T) -> T {
    x.max(T::ZERO) + (-x.abs()).exp().ln_1p()
}

/// Softmax of one row, after subtracting its maximum.
pub fn softmax_row<T: Real>(z: &[T], y: &mut [T]) {
    let max = z.iter().copied().fold(T::NEG_INFINITY, T::max);
    let mut sum = T::ZERO;
    for (o, &x) in y.iter_mut().zip(z) {
        *o = (x - max).exp();
        sum = sum + *o;
    }
    let inv = T::ONE / sum;
    y.iter_mut().for_each(|o| *o = *o * inv);
}

/// Log-softmax of one row: `(zᵢ − max) − ln Σ e^(zⱼ − max)` (shifting first keeps the precision
/// of large logits).
pub fn log_softmax_row<T: Real>(z: &[T], y: &mut [T]) {
    let max = z.iter().copied().fold(T::NEG_INFINITY, T::max);
    let log_sum = z.iter().map(|&x| (x - max).exp()).sum::<T>().ln();
    for (o, &x) in y.iter_mut().zip(z) {
        *o = (x - max) - log_sum;
    }
}
