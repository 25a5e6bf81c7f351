//! Streaming ROC and PR AUC as Keras' `AUC()` computes them (`keras/src/metrics/confusion_metrics.py` and
//! `metrics_utils._update_confusion_matrix_variables_optimized`).
//!
//! With `N` thresholds `τ₀ = −ε, τᵢ = i/(N−1) (0 < i < N−1), τ_{N−1} = 1 + ε`, a prediction counts as
//! positive at threshold `i` when its bucket `b = max(⌈clip(ŷ, 0, 1)·(N−1)⌉ − 1, 0)` (computed in
//! f32, as Keras) is at least `i`. Targets are positive when `y ≠ 0`. Only the per-bucket weights
//! are stored; the confusion counts are their suffix sums:
//! `TPᵢ = Σ_{b ≥ i} pos_b`, `FPᵢ = Σ_{b ≥ i} neg_b`, `FNᵢ = P − TPᵢ`, `TNᵢ = N − FPᵢ`, and
//!
//! `AUC = Σᵢ (FPRᵢ − FPRᵢ₊₁)·(TPRᵢ + TPRᵢ₊₁)/2`, `TPR = TP/(TP + FN)`, `FPR = FP/(FP + TN)`
//! (each 0 when its denominator is 0). The PR curve (Keras' `interpolate_pr_auc`, after Davis &
//! Goadrich) with `Pᵢ = TPᵢ + FPᵢ`, between successive thresholds:
//!
//! ```text
//! s = (TPᵢ − TPᵢ₊₁)/max(Pᵢ − Pᵢ₊₁, 0)      c = TPᵢ₊₁ − s·Pᵢ₊₁
//! AUC = Σᵢ s·(TPᵢ − TPᵢ₊₁ + c·ln(Pᵢ/Pᵢ₊₁)) / max(TPᵢ₊₁ + FNᵢ₊₁, 0)
//! ```
//!
//! (each division 0 when its denominator is 0, and the ratio `Pᵢ/Pᵢ₊₁` 1 unless both are
//! positive).

use super::Curve;

/// Per-bucket weights of positive and negative targets.
#[derive(Clone, Debug)]
pub(super) struct Auc {
    curve: Curve,
    positives: Vec<f64>,
    negatives: Vec<f64>,
}

impl Auc {
    /// Empty buckets for `num_thresholds` thresholds.
    ///
    /// # Panics
    /// If `num_thresholds < 2` (Keras refuses it too).
    pub(super) fn new(num_thresholds: usize, curve: Curve) -> Self {
        assert!(num_thresholds > 1, "auc: num_thresholds must be > 1, got {num_thresholds}");
        Self { curve, positives: vec![0.0; num_thresholds], negatives: vec![0.0; num_thresholds] }
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

    /// The interpolated area under the curve.
    pub(super) fn result(&self) -> f64 {
        match self.curve {
            Curve::Roc => self.roc(),
            Curve::Pr => self.pr(),
        }
    }

    /// The area under the PR curve, Keras' `interpolate_pr_auc`.
    fn pr(&self) -> f64 {
        let all_positive: f64 = self.positives.iter().sum();
        let divide_no_nan = |num: f64, den: f64| if den == 0.0 { 0.0 } else { num / den };
        let n = self.positives.len();
        // Walking down from the highest threshold: (TP, FP) at i + 1, then at i.
        let (mut tp_next, mut fp_next) = (self.positives[n - 1], self.negatives[n - 1]);
        let mut area = 0.0;
        for i in (0..n - 1).rev() {
            let (tp, fp) = (tp_next + self.positives[i], fp_next + self.negatives[i]);
            let (p, p_next) = (tp + fp, tp_next + fp_next);
            let dtp = tp - tp_next;
            let slope = divide_no_nan(dtp, (p - p_next).max(0.0));
            let intercept = tp_next - slope * p_next;
            let ratio = if p > 0.0 && p_next > 0.0 { divide_no_nan(p, p_next.max(0.0)) } else { 1.0 };
            let false_negatives_next = all_positive - tp_next;
            area += divide_no_nan(slope * (dtp + intercept * ratio.ln()), (tp_next + false_negatives_next).max(0.0));
            (tp_next, fp_next) = (tp, fp);
        }
        area
    }

    /// The interpolated area under the ROC curve, walking the thresholds from the highest down.
    fn roc(&self) -> f64 {
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

    /// Every running sum, in a fixed order (data-parallel training adds them over processes).
    pub(super) fn sums_mut(&mut self) -> impl Iterator<Item = &mut f64> {
        self.positives.iter_mut().chain(&mut self.negatives)
    }

    pub(super) fn reset(&mut self) {
        self.positives.fill(0.0);
        self.negatives.fill(0.0);
    }
}
