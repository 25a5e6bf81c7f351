//! Streaming F-scores, as Keras' `FBetaScore` and `F1Score` (`keras/src/metrics/f_score_metrics.py`).
//!
//! Per output column `j` (all columns pooled for `micro`), over everything seen, with weights `w`:
//! `TPⱼ = Σ w·ŷⱼ·yⱼ`, `FPⱼ = Σ w·ŷⱼ·(1 − yⱼ)`, `FNⱼ = Σ w·(1 − ŷⱼ)·yⱼ` and the support `Sⱼ = Σ w·yⱼ`,
//! where `ŷⱼ` is 1 when the prediction is positive (`ŷⱼ > threshold`; without a threshold, when it
//! is its row's maximum and `|ŷⱼ| > 1e-9`) and 0 otherwise. Then, ε = 1e-7:
//!
//! ```text
//! P = TP/(TP + FP + ε)    R = TP/(TP + FN + ε)    F = (1 + β²)·(P·R/(β²·P + R + ε))
//! ```
//!
//! combined by the average: none (one column), the mean (`micro`, `macro`), or `Σ Fⱼ·Sⱼ/(ΣS + ε)`
//! (`weighted`).

use super::Average;

/// Keras' `backend.epsilon()`.
const EPSILON: f64 = 1e-7;

/// The counts of one F-score, one entry per column (one for `micro`).
#[derive(Clone, Debug)]
pub(super) struct FBeta {
    beta: f64,
    average: Average,
    threshold: Option<f32>,
    true_positives: Vec<f64>,
    false_positives: Vec<f64>,
    false_negatives: Vec<f64>,
    support: Vec<f64>,
}

impl FBeta {
    pub(super) fn new(beta: f32, average: Average, threshold: Option<f32>) -> Self {
        let v = Vec::new;
        Self {
            beta: f64::from(beta),
            average,
            threshold,
            true_positives: v(),
            false_positives: v(),
            false_negatives: v(),
            support: v(),
        }
    }

    /// Adds one sample (row) with weight `w`. The counts are sized by the first sample (Keras
    /// builds its variables on the first batch) and kept across resets.
    ///
    /// # Panics
    /// If the row's width differs from the first sample's, or without an average for a row of
    /// several columns (Keras' one value per class, which wxb cannot log as one number).
    pub(super) fn add(&mut self, y: &[f32], p: &[f32], w: f64) {
        let columns = if self.average == Average::Micro { 1 } else { p.len() };
        assert!(
            self.average != Average::PerClass || p.len() == 1,
            "f-score: average none gives one value per class and there are {} outputs; \
             use average micro, macro or weighted",
            p.len()
        );
        if self.support.is_empty() {
            for v in [&mut self.true_positives, &mut self.false_positives, &mut self.false_negatives, &mut self.support]
            {
                v.resize(columns, 0.0);
            }
        }
        assert_eq!(self.support.len(), columns, "f-score: {} outputs after {} before", p.len(), self.support.len());
        let row_max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for (j, (&y, &p)) in y.iter().zip(p).enumerate() {
            let positive = match self.threshold {
                Some(t) => p > t,
                None => p >= row_max && p.abs() > 1e-9,
            };
            let (predicted, y) = (if positive { 1.0 } else { 0.0 }, f64::from(y));
            let c = if self.average == Average::Micro { 0 } else { j };
            self.true_positives[c] += w * predicted * y;
            self.false_positives[c] += w * predicted * (1.0 - y);
            self.false_negatives[c] += w * (1.0 - predicted) * y;
            self.support[c] += w * y;
        }
    }

    /// The score; 0 before any sample.
    pub(super) fn result(&self) -> f64 {
        if self.support.is_empty() {
            return 0.0;
        }
        let b2 = self.beta * self.beta;
        let scores = self.true_positives.iter().zip(&self.false_positives).zip(&self.false_negatives).map(
            |((&tp, &fp), &fn_)| {
                let (precision, recall) = (tp / (tp + fp + EPSILON), tp / (tp + fn_ + EPSILON));
                (precision * recall) / (b2 * precision + recall + EPSILON) * (1.0 + b2)
            },
        );
        match self.average {
            Average::Weighted => {
                let total: f64 = self.support.iter().sum::<f64>() + EPSILON;
                scores.zip(&self.support).map(|(f, s)| f * (s / total)).sum()
            }
            _ => scores.sum::<f64>() / self.support.len() as f64,
        }
    }

    /// Zeroes the counts, keeping their allocation.
    /// Every running sum, in a fixed order (data-parallel training adds them over processes).
    pub(super) fn sums_mut(&mut self) -> impl Iterator<Item = &mut f64> {
        let counts =
            [&mut self.true_positives, &mut self.false_positives, &mut self.false_negatives, &mut self.support];
        counts.into_iter().flat_map(|v| v.iter_mut())
    }

    pub(super) fn reset(&mut self) {
        for v in [&mut self.true_positives, &mut self.false_positives, &mut self.false_negatives, &mut self.support] {
            v.fill(0.0);
        }
    }
}
