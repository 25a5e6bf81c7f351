//! [`MetricState`]: the running state of one metric over an epoch.

use super::auc::Auc;
use super::confusion::{Confusion, Reported};
use super::fbeta::FBeta;
use super::regression::R2;
use super::{Metric, accuracy, regression};
use crate::tensor::Tensor;

/// The running state of one metric, logged under a name.
#[derive(Clone, Debug)]
pub struct MetricState {
    name: String,
    metric: Metric,
    running: Running,
}

/// What a metric accumulates.
#[derive(Clone, Debug)]
enum Running {
    /// Keras' `Mean`: `Σw·v / Σw` of a per-sample value `v`.
    Mean(Mean, PerSample),
    /// The square root of a `Mean` (root mean squared error).
    RootMean(Mean),
    Confusion(Confusion),
    Auc(Auc),
    R2(R2),
    FBeta(FBeta),
}

/// The per-sample value of a metric that is a mean over samples.
#[derive(Clone, Copy, Debug)]
enum PerSample {
    BinaryAccuracy(f32),
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy(usize),
    SparseTopKCategoricalAccuracy(usize),
    SquaredError,
    AbsoluteError,
    AbsolutePercentageError,
    SquaredLogarithmicError,
}

impl PerSample {
    fn value(self, y: &[f32], p: &[f32]) -> f64 {
        match self {
            PerSample::BinaryAccuracy(threshold) => accuracy::binary(y, p, threshold),
            PerSample::CategoricalAccuracy => accuracy::categorical(y, p),
            PerSample::SparseCategoricalAccuracy => accuracy::sparse(y[0], p),
            PerSample::TopKCategoricalAccuracy(k) => accuracy::top_k(y, p, k),
            PerSample::SparseTopKCategoricalAccuracy(k) => accuracy::sparse_top_k(y[0], p, k),
            PerSample::SquaredError => regression::squared_error(y, p),
            PerSample::AbsoluteError => regression::absolute_error(y, p),
            PerSample::AbsolutePercentageError => regression::absolute_percentage_error(y, p),
            PerSample::SquaredLogarithmicError => regression::squared_logarithmic_error(y, p),
        }
    }
}

/// `Σᵢ wᵢ·vᵢ / Σᵢ wᵢ`, 0 while `Σw = 0` (Keras' `divide_no_nan`).
#[derive(Clone, Debug, Default)]
struct Mean {
    total: f64,
    count: f64,
}

impl Mean {
    fn add(&mut self, v: f64, w: f64) {
        self.total += w * v;
        self.count += w;
    }

    fn result(&self) -> f64 {
        if self.count == 0.0 { 0.0 } else { self.total / self.count }
    }
}

impl MetricState {
    /// A fresh state for `metric` logged as `name`. `Accuracy` must be resolved first
    /// ([`Metric::resolve`]). Allocates what the metric keeps (AUC's buckets) now, so that updates
    /// do not.
    ///
    /// # Panics
    /// For an unresolved `Metric::Accuracy`, or an AUC with fewer than 2 thresholds. (An F-score
    /// without an average panics at its first update of several columns.)
    pub fn new(name: &str, metric: Metric) -> Self {
        let mean = |per_sample| Running::Mean(Mean::default(), per_sample);
        let confusion = |reported, threshold| Running::Confusion(Confusion::new(reported, threshold));
        let running = match metric {
            Metric::Accuracy => panic!("resolve `accuracy` with Metric::resolve first"),
            Metric::RootMeanSquaredError => Running::RootMean(Mean::default()),
            Metric::Precision { threshold } => confusion(Reported::Precision, threshold),
            Metric::Recall { threshold } => confusion(Reported::Recall, threshold),
            Metric::TruePositives { threshold } => confusion(Reported::TruePositives, threshold),
            Metric::FalsePositives { threshold } => confusion(Reported::FalsePositives, threshold),
            Metric::TrueNegatives { threshold } => confusion(Reported::TrueNegatives, threshold),
            Metric::FalseNegatives { threshold } => confusion(Reported::FalseNegatives, threshold),
            Metric::Auc { num_thresholds, curve } => Running::Auc(Auc::new(num_thresholds, curve)),
            Metric::R2Score => Running::R2(R2::default()),
            Metric::F1Score { average, threshold } => Running::FBeta(FBeta::new(1.0, average, threshold)),
            Metric::FBetaScore { beta, average, threshold } => Running::FBeta(FBeta::new(beta, average, threshold)),
            Metric::BinaryAccuracy { threshold } => mean(PerSample::BinaryAccuracy(threshold)),
            Metric::CategoricalAccuracy => mean(PerSample::CategoricalAccuracy),
            Metric::SparseCategoricalAccuracy => mean(PerSample::SparseCategoricalAccuracy),
            Metric::TopKCategoricalAccuracy { k } => mean(PerSample::TopKCategoricalAccuracy(k)),
            Metric::SparseTopKCategoricalAccuracy { k } => mean(PerSample::SparseTopKCategoricalAccuracy(k)),
            Metric::MeanSquaredError => mean(PerSample::SquaredError),
            Metric::MeanAbsoluteError => mean(PerSample::AbsoluteError),
            Metric::MeanAbsolutePercentageError => mean(PerSample::AbsolutePercentageError),
            Metric::MeanSquaredLogarithmicError => mean(PerSample::SquaredLogarithmicError),
        };
        Self { name: name.to_string(), metric, running }
    }

    /// The log key.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The (resolved) metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Adds a batch, each sample optionally weighted (Keras' `update_state(y_true, y_pred,
    /// sample_weight)`: a weight multiplies the sample's value and adds to the count; for
    /// precision, recall and AUC it weights each of the sample's outputs). Does not allocate (R²
    /// sizes its sums on its first batch).
    ///
    /// # Panics
    /// If `y_true` does not fit `y_pred` (same rows and columns, or one label per row for the
    /// sparse accuracies), naming both shapes, or if `sample_weight` has not one weight per row,
    /// or for an F-score without an average on several columns.
    pub fn update(&mut self, y_true: &Tensor, y_pred: &Tensor, sample_weight: Option<&[f32]>) {
        self.check(y_true, y_pred, sample_weight);
        for i in 0..y_pred.rows() {
            let w = f64::from(sample_weight.map_or(1.0, |sw| sw[i]));
            let (y, p) = (y_true.row(i), y_pred.row(i));
            match &mut self.running {
                Running::Mean(mean, value) => mean.add(value.value(y, p), w),
                Running::RootMean(mean) => mean.add(regression::squared_error(y, p), w),
                Running::Confusion(counts) => counts.add(y, p, w),
                Running::Auc(auc) => auc.add(y, p, w),
                Running::R2(r2) => r2.add(y, p, w),
                Running::FBeta(f) => f.add(y, p, w),
            }
        }
    }

    /// The value over everything seen since the last reset: 0 before any update (R²: NaN, as
    /// Keras' `R2Score` after a reset).
    pub fn result(&self) -> f64 {
        match &self.running {
            Running::Mean(mean, _) => mean.result(),
            Running::RootMean(mean) => mean.result().sqrt(),
            Running::Confusion(counts) => counts.result(),
            Running::Auc(auc) => auc.result(),
            Running::R2(r2) => r2.result(),
            Running::FBeta(f) => f.result(),
        }
    }

    /// Forgets everything seen (keeping allocations).
    pub fn reset(&mut self) {
        match &mut self.running {
            Running::Mean(mean, _) | Running::RootMean(mean) => *mean = Mean::default(),
            Running::Confusion(counts) => counts.reset(),
            Running::Auc(auc) => auc.reset(),
            Running::R2(r2) => r2.reset(),
            Running::FBeta(f) => f.reset(),
        }
    }

    /// Every running sum of the state, in a fixed order: data-parallel training adds each over the
    /// processes, so that [`MetricState::result`] is that of all their samples.
    pub(crate) fn sums_mut(&mut self) -> Box<dyn Iterator<Item = &mut f64> + '_> {
        match &mut self.running {
            Running::Mean(mean, _) | Running::RootMean(mean) => {
                Box::new([&mut mean.total, &mut mean.count].into_iter())
            }
            Running::Confusion(counts) => Box::new(counts.sums_mut()),
            Running::Auc(auc) => Box::new(auc.sums_mut()),
            Running::R2(r2) => Box::new(r2.sums_mut()),
            Running::FBeta(f) => Box::new(f.sums_mut()),
        }
    }

    fn check(&self, y_true: &Tensor, y_pred: &Tensor, sample_weight: Option<&[f32]>) {
        let fits = if self.metric.takes_class_indices() {
            y_true.len() == y_true.rows()
        } else {
            y_true.cols() == y_pred.cols()
        };
        assert!(
            fits && y_true.rows() == y_pred.rows(),
            "{}: y_true {:?} does not fit y_pred {:?}",
            self.name,
            y_true.shape(),
            y_pred.shape()
        );
        if let Some(sw) = sample_weight {
            assert_eq!(
                sw.len(),
                y_pred.rows(),
                "{}: {} sample weights for {} samples",
                self.name,
                sw.len(),
                y_pred.rows()
            );
        }
    }
}
