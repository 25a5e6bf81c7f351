//! Streaming confusion counts at one threshold, for Keras' `Precision` and `Recall`
//! (`keras/src/metrics/confusion_metrics.py`, `metrics_utils.update_confusion_matrix_variables`).
//!
//! Every output of every sample is one decision: predicted positive when `ŷ > threshold` (no
//! clipping), actually positive when `y ≠ 0` (Keras casts the target to bool). A sample's weight
//! counts once per output.

/// Which ratio of the counts is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ratio {
    /// `TP / (TP + FP)`.
    Precision,
    /// `TP / (TP + FN)`.
    Recall,
}

/// Weighted true positive, false positive and false negative counts.
#[derive(Clone, Debug)]
pub(super) struct Confusion {
    ratio: Ratio,
    threshold: f32,
    true_positives: f64,
    false_positives: f64,
    false_negatives: f64,
}

impl Confusion {
    pub(super) fn new(ratio: Ratio, threshold: f32) -> Self {
        Self { ratio, threshold, true_positives: 0.0, false_positives: 0.0, false_negatives: 0.0 }
    }

    /// Counts the outputs of one sample with weight `w`.
    pub(super) fn add(&mut self, y: &[f32], p: &[f32], w: f64) {
        for (&y, &p) in y.iter().zip(p) {
            match (y != 0.0, p > self.threshold) {
                (true, true) => self.true_positives += w,
                (false, true) => self.false_positives += w,
                (true, false) => self.false_negatives += w,
                (false, false) => {}
            }
        }
    }

    /// The ratio, 0 when its denominator is 0 (Keras' `divide_no_nan`).
    pub(super) fn result(&self) -> f64 {
        let other = match self.ratio {
            Ratio::Precision => self.false_positives,
            Ratio::Recall => self.false_negatives,
        };
        let denominator = self.true_positives + other;
        if denominator == 0.0 { 0.0 } else { self.true_positives / denominator }
    }

    pub(super) fn reset(&mut self) {
        *self = Self::new(self.ratio, self.threshold);
    }
}
