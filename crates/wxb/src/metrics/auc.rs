//! Streaming ROC AUC as Keras' `AUC()` computes it (`keras/src/metrics/confusion_metrics.py` and
//! `metrics_utils._update_confusion_matrix_variables_optimized`).
//!
//! With `N` thresholds `τ₀ = −ε, τᵢ = i/(N−1) (0 < i < N−1), τ_{N−1} = 1 + ε`, a prediction counts as
//! positive at threshold `i` when its bucket `b = max(⌈clip(ŷ, 0, 1)·(N−1)⌉ − 1, 0)` (computed in
//! f32, as Keras) is at least `i`. Targets are positive when `y ≠ 0`. Only the per-bucket weights
//! are stored; the confusion counts are their suffix sums:
//! `TPᵢ = Σ_{b ≥ i} pos_b`, `FPᵢ = Σ_{b ≥ i} neg_b`, `FNᵢ = P − TPᵢ`, `TNᵢ = N − FPᵢ`, and
//!
//! `AUC = Σᵢ (FPRᵢ − FPRᵢ₊₁)·(TPRᵢ + TPRᵢ₊₁)/2`, `TPR = TP/(TP + FN)`, `FPR = FP/(FP + TN)`
//! (each 0 when its denominator is 0).

/// Per-bucket weights of positive and negative targets.
#[derive(Clone, Debug)]
pub(super) struct Auc {
    positives: Vec<f64>,
    negatives: Vec<f64>,
}

impl Auc {
    /// Empty buckets for `num_thresholds` thresholds.
    ///
    /// # Panics
    /// If `num_thresholds < 2` (Keras refuses it too).
    pub(super) fn new(num_thresholds: usize) -> Self {
        assert!(num_thresholds > 1, "auc: num_thresholds must be > 1, got {num_thresholds}");
        Self { positives: vec![0.0; num_thresholds], negatives: vec![0.0; num_thresholds] }
    }

    /// The bucket of a prediction: the highest threshold index it is counted positive at.
    fn bucket(&self, p: f32) -> usize {
        let steps = (self.positives.len() - 1) as f32;
        let b = (p.clamp(0.0, 1.0) * steps).ceil() - 1.0;
        // A NaN prediction lands in bucket 0 (`max` returns the number).
        b.max(0.0) as usize
    }

    /// Adds the outputs of one sample with weight `w`.
    pub(super) fn add(&mut self, y: &[f32], p: &[f32], w: f64) {
        for (&y, &p) in y.iter().zip(p) {
            let b = self.bucket(p);
            if y != 0.0 {
                self.positives[b] += w;
            } else {
                self.negatives[b] += w;
            }
        }
    }

    /// The interpolated area under the ROC curve, walking the thresholds from the highest down.
    pub(super) fn result(&self) -> f64 {
        let all_positive: f64 = self.positives.iter().sum();
        let all_negative: f64 = self.negatives.iter().sum();
        let ratio = |num: f64, den: f64| if den == 0.0 { 0.0 } else { num / den };
        let rates = |tp: f64, fp: f64| {
            let (false_negatives, true_negatives) = (all_positive - tp, all_negative - fp);
            (ratio(fp, fp + true_negatives), ratio(tp, tp + false_negatives))
        };
        let n = self.positives.len();
        let (mut tp, mut fp) = (self.positives[n - 1], self.negatives[n - 1]);
        let (mut fpr_above, mut tpr_above) = rates(tp, fp);
        let mut area = 0.0;
        for i in (0..n - 1).rev() {
            tp += self.positives[i];
            fp += self.negatives[i];
            let (fpr, tpr) = rates(tp, fp);
            area += (fpr - fpr_above) * (tpr + tpr_above) / 2.0;
            (fpr_above, tpr_above) = (fpr, tpr);
        }
        area
    }

    pub(super) fn reset(&mut self) {
        self.positives.fill(0.0);
        self.negatives.fill(0.0);
    }
}
