//! Projections applied to a weight after every optimizer step, as Keras' `keras.constraints`.
//!
//! Norms are taken along `axis` (Keras' default 0: for a Dense kernel `(in, units)` that is each
//! unit's incoming weight vector). `ε = 1e-7` is Keras' `backend.epsilon()`.

use serde::{Deserialize, Serialize};

use crate::tensor::Tensor;

const EPSILON: f32 = 1e-7;

/// A projection of a weight tensor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
#[non_exhaustive]
pub enum Constraint {
    /// Rescales vectors whose norm exceeds `max_value`: `w · clip(‖w‖, 0, max) / (ε + ‖w‖)`.
    MaxNorm {
        /// Largest norm (Keras' default 2).
        max_value: f32,
        /// Axis of the norm (0 or 1; Keras' default 0).
        axis: usize,
    },
    /// `w · (rate·clip(‖w‖, min, max) + (1 − rate)·‖w‖) / (ε + ‖w‖)`.
    MinMaxNorm {
        /// Smallest norm (default 0).
        min_value: f32,
        /// Largest norm (default 1).
        max_value: f32,
        /// How far to move toward the interval each step (default 1).
        rate: f32,
        /// Axis of the norm (default 0).
        axis: usize,
    },
    /// `max(w, 0)`.
    NonNeg,
    /// `w / (ε + ‖w‖)`.
    UnitNorm {
        /// Axis of the norm (default 0).
        axis: usize,
    },
}

impl Constraint {
    /// `MaxNorm(max_value=2, axis=0)`, Keras' default.
    pub const MAX_NORM: Constraint = Constraint::MaxNorm { max_value: 2.0, axis: 0 };
    /// `MinMaxNorm(0, 1, rate=1, axis=0)`, Keras' default.
    pub const MIN_MAX_NORM: Constraint = Constraint::MinMaxNorm { min_value: 0.0, max_value: 1.0, rate: 1.0, axis: 0 };
    /// `UnitNorm(axis=0)`, Keras' default.
    pub const UNIT_NORM: Constraint = Constraint::UnitNorm { axis: 0 };

    /// Projects `w` in place.
    ///
    /// # Panics
    /// For `MinMaxNorm` with `min_value > max_value` or a NaN bound (a layer configuration read
    /// from JSON is validated before it is built, so only constraints made in code can panic).
    pub fn apply(self, w: &mut Tensor) {
        match self {
            Constraint::NonNeg => w.data_mut().iter_mut().for_each(|x| *x = x.max(0.0)),
            Constraint::MaxNorm { max_value, axis } => scale_norms(w, axis, |n| n.clamp(0.0, max_value)),
            Constraint::MinMaxNorm { min_value, max_value, rate, axis } => {
                scale_norms(w, axis, |n| rate * n.clamp(min_value, max_value) + (1.0 - rate) * n)
            }
            Constraint::UnitNorm { axis } => scale_norms(w, axis, |_| 1.0),
        }
    }
}

/// Multiplies each vector along `axis` by `desired(‖v‖) / (ε + ‖v‖)`. A 1-D tensor is one vector.
fn scale_norms(w: &mut Tensor, axis: usize, desired: impl Fn(f32) -> f32) {
    let (rows, cols) = if w.rank() <= 1 { (w.len(), 1) } else { (w.rows(), w.cols()) };
    let d = w.data_mut();
    if axis == 0 {
        for c in 0..cols {
            let norm = (0..rows).map(|r| d[r * cols + c] * d[r * cols + c]).sum::<f32>().sqrt();
            let f = desired(norm) / (EPSILON + norm);
            (0..rows).for_each(|r| d[r * cols + c] *= f);
        }
    } else {
        for row in d.chunks_exact_mut(cols) {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            let f = desired(norm) / (EPSILON + norm);
            row.iter_mut().for_each(|x| *x *= f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col_norms(w: &Tensor) -> Vec<f32> {
        (0..w.cols()).map(|c| (0..w.rows()).map(|r| w.at(&[r, c]).powi(2)).sum::<f32>().sqrt()).collect()
    }

    #[test]
    fn norms_end_where_each_constraint_puts_them() {
        let w0 = Tensor::from_vec(&[2, 2], vec![3.0, 0.1, 4.0, 0.1]); // column norms 5 and ~0.14
        let mut w = w0.clone();
        Constraint::MAX_NORM.apply(&mut w);
        let n = col_norms(&w);
        assert!((n[0] - 2.0).abs() < 1e-5 && (n[1] - 0.141_421).abs() < 1e-5, "{n:?}");
        let mut w = w0.clone();
        Constraint::UNIT_NORM.apply(&mut w);
        assert!(col_norms(&w).iter().all(|n| (n - 1.0).abs() < 1e-5));
        let mut w = w0.clone();
        Constraint::MinMaxNorm { min_value: 0.5, max_value: 1.0, rate: 1.0, axis: 0 }.apply(&mut w);
        let n = col_norms(&w);
        assert!((n[0] - 1.0).abs() < 1e-5 && (n[1] - 0.5).abs() < 1e-5, "{n:?}");
        let mut w = Tensor::from_vec(&[3], vec![-1.0, 0.0, 2.0]);
        Constraint::NonNeg.apply(&mut w);
        assert_eq!(w.data(), &[0.0, 0.0, 2.0]);
    }
}
