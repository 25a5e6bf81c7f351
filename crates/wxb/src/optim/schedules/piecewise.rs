//! Keras' `PiecewiseConstantDecay`: `values[0]` while `step ≤ boundaries[0]`, `values[i]` while
//! `boundaries[i−1] < step ≤ boundaries[i]`, and `values[n]` once `step > boundaries[n−1]`.
//!
//! Computed as Keras does, as a sum of indicator-weighted values (first, last, then the middle
//! intervals), so that even unsorted boundaries give Keras' number.

use serde::{Deserialize, Serialize};

/// Keras' `PiecewiseConstantDecay(boundaries, values)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PiecewiseConstantDecay {
    /// The steps where the rate changes, increasing (at least one).
    pub boundaries: Vec<u64>,
    /// The rates, one more than `boundaries`.
    pub values: Vec<f32>,
}

impl PiecewiseConstantDecay {
    /// A piecewise-constant rate.
    pub fn new(boundaries: Vec<u64>, values: Vec<f32>) -> Self {
        Self { boundaries, values }
    }

    /// The rate at `step`.
    ///
    /// # Panics
    /// If `boundaries` is empty or `values` has not exactly one more element.
    pub fn at(&self, step: u64) -> f32 {
        let (b, v) = (&self.boundaries, &self.values);
        assert!(
            !b.is_empty() && v.len() == b.len() + 1,
            "PiecewiseConstantDecay: {} boundaries and {} values (needs one more value than boundaries, at least one boundary)",
            b.len(),
            v.len()
        );
        let indicator = |c: bool| if c { 1.0f32 } else { 0.0 };
        let mut result = 0.0f32;
        result += indicator(step <= b[0]) * v[0];
        result += indicator(step > b[b.len() - 1]) * v[v.len() - 1];
        for (pair, &value) in b.windows(2).zip(&v[1..v.len() - 1]) {
            result += indicator(step > pair[0] && step <= pair[1]) * value;
        }
        result
    }
}
