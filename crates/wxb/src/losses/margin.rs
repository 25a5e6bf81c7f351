//! The hinge losses of one sample (hinge, squared hinge, categorical hinge), with their gradients,
//! and Keras' conversion of binary labels.

use super::regression::mean_of;

/// How hinge targets are read, decided once per batch as Keras' `convert_binary_labels_to_hinge`
/// does: if **every** target of the batch is 0 or 1, they are binary labels mapped to `2y − 1`;
/// otherwise all are used as given (expected in {−1, 1}).
///
/// The decision covers the whole `y_true` passed to one loss call, not each sample: a batch with
/// one target of −1 leaves the 0/1 rows of the same batch unconverted, exactly as in Keras.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HingeLabels {
    /// Every target is 0 or 1: each becomes `2y − 1`.
    Binary,
    /// Some target is neither 0 nor 1: targets are used as given.
    Signed,
}

impl HingeLabels {
    /// Keras' decision for a batch of targets.
    pub(super) fn of(targets: &[f32]) -> HingeLabels {
        if targets.iter().all(|&v| v == 0.0 || v == 1.0) { HingeLabels::Binary } else { HingeLabels::Signed }
    }

    /// The target as the hinge formula uses it.
    fn signed(self, y: f32) -> f32 {
        match self {
            HingeLabels::Binary => 2.0 * y - 1.0,
            HingeLabels::Signed => y,
        }
    }
}

/// Hinge: `(1/n)·Σⱼ max(1 − tⱼ·ŷⱼ, 0)` with `t` the (converted) targets; `∂/∂ŷⱼ = −tⱼ/n` where
/// `1 − tⱼ·ŷⱼ ≥ 0` (TensorFlow's `maximum` passes the gradient to its first argument on a tie), else 0.
pub(super) fn hinge(y: &[f32], p: &[f32], labels: HingeLabels, grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let t = labels.signed(y);
        let margin = 1.0 - t * p;
        if margin >= 0.0 { (margin, -t) } else { (0.0, 0.0) }
    })
}

/// Squared hinge: `(1/n)·Σⱼ max(1 − tⱼ·ŷⱼ, 0)²` with `t` the (converted) targets;
/// `∂/∂ŷⱼ = −2·tⱼ·max(1 − tⱼ·ŷⱼ, 0)/n`.
pub(super) fn squared_hinge(y: &[f32], p: &[f32], labels: HingeLabels, grad: Option<&mut [f32]>) -> f32 {
    mean_of(y, p, grad, |y, p| {
        let t = labels.signed(y);
        let margin = (1.0 - t * p).max(0.0);
        (margin * margin, -2.0 * t * margin)
    })
}

/// Categorical hinge: `l = max(neg − pos + 1, 0)` with `pos = Σⱼ yⱼ·ŷⱼ` and
/// `neg = maxⱼ (1 − yⱼ)·ŷⱼ` (no conversion of the targets). Where `neg − pos + 1 ≥ 0`,
/// `∂l/∂ŷⱼ = −yⱼ + (1 − yⱼ)·[j attains the max]/m`, the `m` maxima sharing the gradient as
/// TensorFlow's `reduce_max` does; else 0.
pub(super) fn categorical_hinge(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    let pos: f32 = y.iter().zip(p).map(|(&t, &v)| t * v).sum();
    let neg = y.iter().zip(p).map(|(&t, &v)| (1.0 - t) * v).fold(f32::NEG_INFINITY, f32::max);
    let margin = neg - pos + 1.0;
    if let Some(g) = grad {
        let at_max = |t: f32, v: f32| (1.0 - t) * v == neg;
        let m = y.iter().zip(p).filter(|&(&t, &v)| at_max(t, v)).count().max(1) as f32;
        for ((gj, &t), &v) in g.iter_mut().zip(y).zip(p) {
            *gj = if margin >= 0.0 { -t + if at_max(t, v) { (1.0 - t) / m } else { 0.0 } } else { 0.0 };
        }
    }
    margin.max(0.0)
}
