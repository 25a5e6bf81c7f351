//! Validation of user data against the model, returning typed errors.

use crate::error::WxbError;
use crate::losses::Loss;
use crate::metrics::{Average, Metric};
use crate::tensor::Tensor;

/// `x` must be `[n, input_shape…]` with `n ≥ 1` and finite values.
pub(crate) fn input(x: &Tensor, input_shape: &[usize], what: &'static str) -> Result<(), WxbError> {
    if x.rank() == 0 || x.shape()[1..] != *input_shape {
        let mut expected = vec![x.shape().first().copied().unwrap_or(0)];
        expected.extend_from_slice(input_shape);
        return Err(WxbError::Shape { what, expected, got: x.shape().to_vec() });
    }
    if x.rows() == 0 {
        return Err(WxbError::Empty { what });
    }
    Ok(())
}

/// `y` must have one row per sample of `x` and fit the loss and the output width.
pub(crate) fn targets(
    y: &Tensor,
    samples: usize,
    outputs: usize,
    loss: Loss,
    what: &'static str,
) -> Result<(), WxbError> {
    if y.rows() != samples || y.rank() == 0 {
        return Err(WxbError::SampleCount { what, expected: samples, got: y.rows() });
    }
    if loss.is_sparse() {
        if y.cols() != 1 {
            return Err(WxbError::Shape { what, expected: vec![samples, 1], got: y.shape().to_vec() });
        }
        for (index, &label) in y.data().iter().enumerate() {
            if !(label >= 0.0 && label.fract() == 0.0 && (label as usize) < outputs) {
                return Err(WxbError::LabelOutOfRange { what, index, label, classes: outputs });
            }
        }
    } else if y.cols() != outputs {
        return Err(WxbError::Shape { what, expected: vec![samples, outputs], got: y.shape().to_vec() });
    }
    Ok(())
}

/// `y` must fit every metric: one column (class indices) for the sparse accuracies, one per
/// output for the others (`accuracy` resolved as the metrics will be); an F-score without an
/// average needs a single output (wxb logs one number per metric).
pub(crate) fn metric_targets(y: &Tensor, outputs: usize, metrics: &[Metric]) -> Result<(), WxbError> {
    for &m in metrics {
        let cols = if m.resolve(y.cols(), outputs).takes_class_indices() { 1 } else { outputs };
        if y.cols() != cols {
            return Err(WxbError::Shape { what: m.name(), expected: vec![y.rows(), cols], got: y.shape().to_vec() });
        }
        if let Metric::F1Score { average: Average::PerClass, .. }
        | Metric::FBetaScore { average: Average::PerClass, .. } = m
            && outputs > 1
        {
            return Err(WxbError::InvalidArgument {
                name: m.name(),
                value: format!("average none with {outputs} outputs"),
                reason: "it gives one value per class: choose average micro, macro or weighted (e.g. f1_score_macro)",
            });
        }
    }
    Ok(())
}

/// Sample weights: one finite, non-negative value per sample.
pub(crate) fn sample_weights(sw: &[f32], samples: usize) -> Result<(), WxbError> {
    if sw.len() != samples {
        return Err(WxbError::SampleCount { what: "sample_weight", expected: samples, got: sw.len() });
    }
    if let Some(w) = sw.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
        return Err(WxbError::InvalidArgument {
            name: "sample_weight",
            value: w.to_string(),
            reason: "weights must be finite and non-negative",
        });
    }
    Ok(())
}

/// A batch size of at least 1.
pub(crate) fn batch_size(b: usize) -> Result<(), WxbError> {
    if b == 0 {
        return Err(WxbError::InvalidArgument { name: "batch_size", value: "0".into(), reason: "must be at least 1" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_need_targets_of_their_shape() {
        let indices = Tensor::from_vec(&[2, 1], vec![0.0, 1.0]);
        let one_hot = Tensor::from_vec(&[2, 2], vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(metric_targets(&indices, 2, &[Metric::Accuracy, Metric::SparseCategoricalAccuracy]), Ok(()));
        assert_eq!(metric_targets(&one_hot, 2, &[Metric::Accuracy, Metric::AUC]), Ok(()));
        assert_eq!(
            metric_targets(&indices, 2, &[Metric::Accuracy, Metric::AUC]),
            Err(WxbError::Shape { what: "auc", expected: vec![2, 2], got: vec![2, 1] })
        );
    }
}
