//! Regression metrics: the per-sample errors averaged by `Mean` of `state.rs`, and the streaming
//! R² of Keras' `R2Score` (`keras/src/metrics/regression_metrics.py`).

/// `mean_j (ŷⱼ − yⱼ)²`.
pub(super) fn squared_error(y: &[f32], p: &[f32]) -> f64 {
    mean(y, p, |d| d * d)
}

/// `mean_j |ŷⱼ − yⱼ|`.
pub(super) fn absolute_error(y: &[f32], p: &[f32]) -> f64 {
    mean(y, p, f64::abs)
}

/// Keras' `backend.epsilon()`.
const EPSILON: f64 = 1e-7;

/// `100·mean_j |yⱼ − ŷⱼ| / max(|yⱼ|, ε)`.
pub(super) fn absolute_percentage_error(y: &[f32], p: &[f32]) -> f64 {
    let n = p.len() as f64;
    100.0
        * y.iter()
            .zip(p)
            .map(|(&y, &p)| (f64::from(y) - f64::from(p)).abs() / f64::from(y).abs().max(EPSILON))
            .sum::<f64>()
        / n
}

/// `mean_j (ln(max(ŷⱼ, ε) + 1) − ln(max(yⱼ, ε) + 1))²`.
pub(super) fn squared_logarithmic_error(y: &[f32], p: &[f32]) -> f64 {
    let log = |v: f32| (f64::from(v).max(EPSILON) + 1.0).ln();
    y.iter().zip(p).map(|(&y, &p)| (log(p) - log(y)).powi(2)).sum::<f64>() / p.len() as f64
}

fn mean(y: &[f32], p: &[f32], f: impl Fn(f64) -> f64) -> f64 {
    y.iter().zip(p).map(|(&y, &p)| f(f64::from(p) - f64::from(y))).sum::<f64>() / p.len() as f64
}

/// Running sums of Keras' `R2Score`, one set per output column, each sample weighted by `w`:
/// `Σw·y`, `Σw·y²`, `Σw·(y − ŷ)²` and `Σw`.
#[derive(Clone, Debug, Default)]
pub(super) struct R2 {
    sum: Vec<f64>,
    squared_sum: Vec<f64>,
    residual: Vec<f64>,
    count: Vec<f64>,
}

impl R2 {
    /// Adds one sample (row) with weight `w`. The sums are sized by the first sample (Keras builds
    /// its variables on the first batch) and kept across resets.
    ///
    /// # Panics
    /// If the row's width differs from that of the first sample.
    pub(super) fn add(&mut self, y: &[f32], p: &[f32], w: f64) {
        if self.sum.is_empty() {
            for v in [&mut self.sum, &mut self.squared_sum, &mut self.residual, &mut self.count] {
                v.resize(p.len(), 0.0);
            }
        }
        assert_eq!(p.len(), self.sum.len(), "r2_score: {} outputs after {} before", p.len(), self.sum.len());
        for (j, (&y, &p)) in y.iter().zip(p).enumerate() {
            let (y, p) = (f64::from(y), f64::from(p));
            self.sum[j] += w * y;
            self.squared_sum[j] += w * y * y;
            self.residual[j] += w * (y - p) * (y - p);
            self.count[j] += w;
        }
    }

    /// `mean_j rⱼ` with `rⱼ = 1 − residualⱼ / (Σy²ⱼ − Σyⱼ·ȳⱼ)`, `ȳⱼ = Σyⱼ/countⱼ`, and `rⱼ = 0` where
    /// it is infinite. NaN before any sample (as Keras after a reset) or for a column without
    /// weight.
    pub(super) fn result(&self) -> f64 {
        if self.sum.is_empty() {
            return f64::NAN;
        }
        let columns = self.sum.iter().zip(&self.squared_sum).zip(&self.residual).zip(&self.count);
        let total: f64 = columns
            .map(|(((&sum, &squared_sum), &residual), &count)| {
                let mean = sum / count;
                let r = 1.0 - residual / (squared_sum - sum * mean);
                if r.is_infinite() { 0.0 } else { r }
            })
            .sum();
        total / self.sum.len() as f64
    }

    /// Zeroes the sums, keeping their allocation.
    /// Every running sum, in a fixed order (data-parallel training adds them over processes).
    pub(super) fn sums_mut(&mut self) -> impl Iterator<Item = &mut f64> {
        self.sum.iter_mut().chain(&mut self.squared_sum).chain(&mut self.residual).chain(&mut self.count)
    }

    pub(super) fn reset(&mut self) {
        for v in [&mut self.sum, &mut self.squared_sum, &mut self.residual, &mut self.count] {
            v.fill(0.0);
        }
    }
}
