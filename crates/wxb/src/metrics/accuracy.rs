//! Per-sample accuracies, as Keras 3 computes them (`keras/src/metrics/accuracy_metrics.py`); the
//! streaming mean over samples is `Mean` of `state.rs`.

use crate::tensor::argmax;

/// `mean_j [yⱼ = (ŷⱼ > threshold)]`: the prediction becomes 0 or 1 and is compared with the
/// target for equality, so a target that is neither 0 nor 1 never matches.
pub(super) fn binary(y: &[f32], p: &[f32], threshold: f32) -> f64 {
    let hits = y.iter().zip(p).filter(|&(&y, &p)| y == if p > threshold { 1.0 } else { 0.0 }).count();
    hits as f64 / p.len() as f64
}

/// `[argmax ŷ = argmax y]`.
pub(super) fn categorical(y: &[f32], p: &[f32]) -> f64 {
    indicator(argmax(p) == argmax(y))
}

/// `[argmax ŷ = y]`, the class compared as a float (a target of 1.5 never matches).
pub(super) fn sparse(label: f32, p: &[f32]) -> f64 {
    indicator(argmax(p) as f32 == label)
}

/// `[argmax y ∈ top-k(ŷ)]` as TensorFlow's `in_top_k`: true when fewer than `k` scores are strictly
/// greater than the target's, false whenever a score of the row is NaN or infinite.
pub(super) fn top_k(y: &[f32], p: &[f32], k: usize) -> f64 {
    let target = p[argmax(y)];
    if p.iter().any(|v| !v.is_finite()) {
        return 0.0;
    }
    indicator(p.iter().filter(|&&v| v > target).count() < k)
}

/// `[y ∈ top-k(ŷ)]` with `y` a class index, cast to an integer toward zero as Keras casts it to
/// `int32` (1.7 is class 1), then TensorFlow's `in_top_k`: false for a label outside the classes
/// (or NaN), and whenever a score is NaN or infinite.
pub(super) fn sparse_top_k(label: f32, p: &[f32], k: usize) -> f64 {
    let class = label.trunc();
    if !(class >= 0.0 && (class as usize) < p.len()) || p.iter().any(|v| !v.is_finite()) {
        return 0.0;
    }
    let target = p[class as usize];
    indicator(p.iter().filter(|&&v| v > target).count() < k)
}

fn indicator(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}
