//! A loss over a batch: per-sample values, the `sum_over_batch_size` reduction with sample weights,
//! the gradient, and the fused logits path. Nothing here allocates except [`Loss::per_sample`].

use super::focal::{BinaryFocal, CategoricalFocal};
use super::margin::HingeLabels;
use super::{Loss, Predictions, cosine, crossentropy, focal, margin, probabilistic, regression};
use crate::activations::Activation;
use crate::tensor::Tensor;

impl Loss {
    /// `lᵢ` for one sample, and, if `grad` is given, `∂lᵢ/∂ŷᵢ` written into it. `hinge` is the
    /// batch's hinge label decision (ignored by the other losses).
    fn sample(self, y: &[f32], p: &[f32], hinge: HingeLabels, grad: Option<&mut [f32]>) -> f32 {
        match self {
            Loss::MeanSquaredError => regression::mse(y, p, grad),
            Loss::MeanAbsoluteError => regression::mae(y, p, grad),
            Loss::Huber { delta } => regression::huber(y, p, delta, grad),
            Loss::LogCosh => regression::log_cosh(y, p, grad),
            Loss::BinaryCrossentropy { from, label_smoothing } => {
                crossentropy::binary(y, p, from, label_smoothing, grad)
            }
            Loss::CategoricalCrossentropy { from, label_smoothing } => {
                crossentropy::categorical(y, p, from, label_smoothing, grad)
            }
            Loss::SparseCategoricalCrossentropy { from } => crossentropy::sparse(class_of(y), p, from, grad),
            Loss::Hinge => margin::hinge(y, p, hinge, grad),
            Loss::KlDivergence => probabilistic::kl_divergence(y, p, grad),
            Loss::Poisson => probabilistic::poisson(y, p, grad),
            Loss::MeanAbsolutePercentageError => regression::mape(y, p, grad),
            Loss::MeanSquaredLogarithmicError => regression::msle(y, p, grad),
            Loss::SquaredHinge => margin::squared_hinge(y, p, hinge, grad),
            Loss::CategoricalHinge => margin::categorical_hinge(y, p, grad),
            Loss::CosineSimilarity => cosine::cosine_similarity(y, p, grad),
            Loss::BinaryFocalCrossentropy { apply_class_balancing, alpha, gamma, from, label_smoothing } => {
                let cfg = BinaryFocal { apply_class_balancing, alpha, gamma, from, label_smoothing };
                focal::binary(y, p, cfg, grad)
            }
            Loss::CategoricalFocalCrossentropy { alpha, gamma, from, label_smoothing } => {
                focal::categorical(y, p, CategoricalFocal { alpha, gamma, from, label_smoothing }, grad)
            }
        }
    }

    /// The batch-wide facts a per-sample loss needs: Keras' hinge label conversion.
    fn hinge_labels(self, y_true: &Tensor) -> HingeLabels {
        match self {
            Loss::Hinge | Loss::SquaredHinge => HingeLabels::of(y_true.data()),
            _ => HingeLabels::Signed,
        }
    }

    /// The same crossentropy reading its predictions as logits (what Keras' TensorFlow backend
    /// computes after a softmax or sigmoid, see [`Loss::fuses_with`]).
    fn on_logits(self) -> Loss {
        match self {
            Loss::BinaryCrossentropy { label_smoothing, .. } => {
                Loss::BinaryCrossentropy { from: Predictions::Logits, label_smoothing }
            }
            Loss::CategoricalCrossentropy { label_smoothing, .. } => {
                Loss::CategoricalCrossentropy { from: Predictions::Logits, label_smoothing }
            }
            Loss::SparseCategoricalCrossentropy { .. } => {
                Loss::SparseCategoricalCrossentropy { from: Predictions::Logits }
            }
            other => other,
        }
    }

    /// The per-sample losses `lᵢ` of a batch (Keras' `reduction=None`).
    ///
    /// # Panics
    /// If the shapes of `y_true` and `y_pred` disagree (see [`Loss::check_shapes`]).
    pub fn per_sample(self, y_true: &Tensor, y_pred: &Tensor) -> Vec<f32> {
        self.check_shapes(y_true, y_pred);
        let hinge = self.hinge_labels(y_true);
        (0..y_pred.rows()).map(|i| self.sample(y_true.row(i), y_pred.row(i), hinge, None)).collect()
    }

    /// The reduced loss `L = Σᵢ swᵢ·lᵢ / batch`.
    ///
    /// # Panics
    /// If the shapes disagree (see [`Loss::check_shapes`]) or `sample_weight` does not hold one
    /// weight per sample.
    pub fn compute(self, y_true: &Tensor, y_pred: &Tensor, sample_weight: Option<&[f32]>) -> f32 {
        self.check_shapes(y_true, y_pred);
        check_weights(sample_weight, y_pred.rows());
        let hinge = self.hinge_labels(y_true);
        let batch = y_pred.rows();
        let total: f64 = (0..batch)
            .map(|i| weight(sample_weight, i) * f64::from(self.sample(y_true.row(i), y_pred.row(i), hinge, None)))
            .sum();
        (total / batch.max(1) as f64) as f32
    }

    /// The reduced loss `L = Σᵢ swᵢ·lᵢ / batch` and its gradient `∂L/∂y_pred = swᵢ·∂lᵢ/∂ŷᵢ / batch`,
    /// written into `grad` (resized to `y_pred`'s shape, reusing its allocation).
    ///
    /// # Panics
    /// If the shapes disagree (see [`Loss::check_shapes`]) or `sample_weight` does not hold one
    /// weight per sample.
    pub fn value_and_grad(
        self,
        y_true: &Tensor,
        y_pred: &Tensor,
        sample_weight: Option<&[f32]>,
        grad: &mut Tensor,
    ) -> f32 {
        self.check_shapes(y_true, y_pred);
        check_weights(sample_weight, y_pred.rows());
        grad.resize(y_pred.shape());
        let hinge = self.hinge_labels(y_true);
        let batch = y_pred.rows();
        let cols = y_pred.cols();
        let mut total = 0.0f64;
        for (i, g) in grad.data_mut().chunks_exact_mut(cols.max(1)).enumerate().take(batch) {
            let l = self.sample(y_true.row(i), y_pred.row(i), hinge, Some(g));
            let w = weight(sample_weight, i);
            total += w * f64::from(l);
            let scale = (w / batch as f64) as f32;
            g.iter_mut().for_each(|v| *v *= scale);
        }
        (total / batch.max(1) as f64) as f32
    }

    /// The loss Keras reports for `activation(z)`, computed from the logits `z` (see
    /// [`Loss::fuses_with`]), with `∂L/∂z` written into `grad` (resized to `z`'s shape).
    ///
    /// # Panics
    /// If the loss does not fuse with `activation`, or as [`Loss::value_and_grad`].
    pub fn value_and_grad_logits(
        self,
        activation: Activation,
        y_true: &Tensor,
        z: &Tensor,
        sample_weight: Option<&[f32]>,
        grad: &mut Tensor,
    ) -> f32 {
        assert!(self.fuses_with(activation), "{self} does not fuse with a {activation} activation");
        self.on_logits().value_and_grad(y_true, z, sample_weight, grad)
    }

    /// The loss Keras reports for `activation(z)`, computed from the logits `z` (no gradient).
    ///
    /// # Panics
    /// If the loss does not fuse with `activation`, or as [`Loss::compute`].
    pub fn compute_logits(
        self,
        activation: Activation,
        y_true: &Tensor,
        z: &Tensor,
        sample_weight: Option<&[f32]>,
    ) -> f32 {
        assert!(self.fuses_with(activation), "{self} does not fuse with a {activation} activation");
        self.on_logits().compute(y_true, z, sample_weight)
    }

    /// Checks that `y_true` fits `y_pred`: the same number of rows and columns, or one class index
    /// per row for sparse crossentropy.
    ///
    /// # Panics
    /// With both shapes named, when they disagree.
    pub fn check_shapes(self, y_true: &Tensor, y_pred: &Tensor) {
        let ok = if self.is_sparse() {
            y_true.rows() == y_pred.rows() && y_true.len() == y_true.rows()
        } else {
            y_true.rows() == y_pred.rows() && y_true.cols() == y_pred.cols()
        };
        assert!(
            ok,
            "{self}: y_true {:?} does not fit y_pred {:?}{}",
            y_true.shape(),
            y_pred.shape(),
            if self.is_sparse() { " (sparse targets are one class index per sample)" } else { "" }
        );
    }
}

/// `L = Σᵢ swᵢ·lᵢ / n` (Keras' `sum_over_batch_size`), accumulated in f64.
///
/// # Panics
/// If `sample_weight` does not hold one weight per loss.
pub fn reduce(losses: &[f32], sample_weight: Option<&[f32]>) -> f32 {
    check_weights(sample_weight, losses.len());
    let total: f64 = losses.iter().enumerate().map(|(i, &l)| weight(sample_weight, i) * f64::from(l)).sum();
    (total / losses.len().max(1) as f64) as f32
}

/// `swᵢ`, 1 without weights.
fn weight(sample_weight: Option<&[f32]>, i: usize) -> f64 {
    sample_weight.map_or(1.0, |sw| f64::from(sw[i]))
}

fn check_weights(sample_weight: Option<&[f32]>, batch: usize) {
    if let Some(sw) = sample_weight {
        assert_eq!(sw.len(), batch, "sample_weight has {} weights for a batch of {batch} samples", sw.len());
    }
}

/// The class index stored in a sparse target row (truncated toward zero, as Keras' cast to int64).
fn class_of(y: &[f32]) -> usize {
    y[0] as usize
}
