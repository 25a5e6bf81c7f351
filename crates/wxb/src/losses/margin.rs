//! The hinge loss of one sample, with its gradient, and Keras' conversion of binary labels.

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
