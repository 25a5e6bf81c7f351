//! Streaming confusion counts at one threshold, for Keras' `Precision`, `Recall`, `TruePositives`,
//! `FalsePositives`, `TrueNegatives` and `FalseNegatives` (`keras/src/metrics/confusion_metrics.py`,
//! `metrics_utils.update_confusion_matrix_variables`).
//!
//! Every output of every sample is one decision: predicted positive when `ŷ > threshold` (no
//! clipping), actually positive when `y ≠ 0` (Keras casts the target to bool). A sample's weight
//! counts once per output.

/// What is reported from the counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reported {
    /// `TP / (TP + FP)`.
    Precision,
    /// `TP / (TP + FN)`.
    Recall,
    /// `TP`.
    TruePositives,
    /// `FP`.
    FalsePositives,
    /// `TN`.
    TrueNegatives,
    /// `FN`.
    FalseNegatives,
}

/// Weighted true positive, false positive, true negative and false negative counts.
#[derive(Clone, Debug)]
pub(super) struct Confusion {
    reported: Reported,
    threshold: f32,
    true_positives: f64,
    false_positives: f64,
    true_negatives: f64,
    false_negatives: f64,
}

impl Confusion {
    pub(super) fn new(reported: Reported, threshold: f32) -> Self {
        let zero = 0.0;
        Self {
            reported,
            threshold,
            true_positives: zero,
            false_positives: zero,
            true_negatives: zero,
            false_negatives: zero,
        }
    }

    /// Counts the outputs of one sample with weight `w`.
    pub(super) fn add(&mut self, y: &[f32], p: &[f32], w: f64) {
        for (&y, &p) in y.iter().zip(p) {
            match (y != 0.0, p > self.threshold) {
                (true, true) => self.true_positives += w,
                (false, true) => self.false_positives += w,
                (true, false) => self.false_negatives += w,
                (false, false) => self.true_negatives += w,
            }
        }
    }

    /// The count or ratio, a ratio 0 when its denominator is 0 (Keras' `divide_no_nan`).
    pub(super) fn result(&self) -> f64 {
        let ratio = |other: f64| {
            let denominator = self.true_positives + other;
            if denominator == 0.0 { 0.0 } else { self.true_positives / denominator }
        };
        match self.reported {
            Reported::Precision => ratio(self.false_positives),
            Reported::Recall => ratio(self.false_negatives),
            Reported::TruePositives => self.true_positives,
            Reported::FalsePositives => self.false_positives,
            Reported::TrueNegatives => self.true_negatives,
            Reported::FalseNegatives => self.false_negatives,
        }
    }

    /// Every running sum, in a fixed order (data-parallel training adds them over processes).
    pub(super) fn sums_mut(&mut self) -> impl Iterator<Item = &mut f64> {
        [&mut self.true_positives, &mut self.false_positives, &mut self.true_negatives, &mut self.false_negatives]
            .into_iter()
    }

    pub(super) fn reset(&mut self) {
        *self = Self::new(self.reported, self.threshold);
    }
}
