//! Streaming metrics with Keras' names and semantics: each accumulates over the batches of an epoch
//! (`update`), reports its value so far (`result`) and starts over (`reset`).
//!
//! `accuracy` is resolved from the shapes of the targets and predictions as Keras' `compile` does:
//! one output unit → binary accuracy; one target column for several outputs (integer labels) →
//! sparse categorical accuracy; otherwise categorical accuracy. The metric keeps the name it was
//! asked for (`accuracy`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::tensor::{Tensor, argmax};

/// A metric, named as in Keras.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Metric {
    /// Keras' `"accuracy"`: one of the accuracies below, chosen from the loss at compile time.
    Accuracy,
    /// The share of outputs where `(ŷ > threshold) == y` (Keras' default threshold 0.5).
    BinaryAccuracy {
        /// Decision threshold.
        threshold: f32,
    },
    /// The share of samples whose arg-max prediction is the arg-max of the one-hot target.
    CategoricalAccuracy,
    /// The share of samples whose arg-max prediction equals the integer target.
    SparseCategoricalAccuracy,
    /// Mean squared error, `"mse"`.
    MeanSquaredError,
    /// Mean absolute error, `"mae"`.
    MeanAbsoluteError,
}

impl Metric {
    /// Every metric with Keras' defaults.
    pub const ALL: [Metric; 6] = [
        Metric::Accuracy,
        Metric::BinaryAccuracy { threshold: 0.5 },
        Metric::CategoricalAccuracy,
        Metric::SparseCategoricalAccuracy,
        Metric::MeanSquaredError,
        Metric::MeanAbsoluteError,
    ];

    /// The key under which Keras logs it (`accuracy`, `mse`, …).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::BinaryAccuracy { .. } => "binary_accuracy",
            Metric::CategoricalAccuracy => "categorical_accuracy",
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            Metric::MeanSquaredError => "mse",
            Metric::MeanAbsoluteError => "mae",
        }
    }

    /// The concrete metric `accuracy` stands for, given the number of target columns and of
    /// predicted outputs (Keras' `get_metric`); other metrics are returned unchanged.
    pub fn resolve(self, y_true_cols: usize, y_pred_cols: usize) -> Metric {
        if self != Metric::Accuracy {
            return self;
        }
        if y_pred_cols == 1 {
            Metric::BinaryAccuracy { threshold: 0.5 }
        } else if y_true_cols == 1 {
            Metric::SparseCategoricalAccuracy
        } else {
            Metric::CategoricalAccuracy
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric name that wxb does not know.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown metric {name:?}; expected one of: {}", Metric::ALL.map(|m| m.name()).join(", "))]
#[non_exhaustive]
pub struct UnknownMetric {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Metric {
    type Err = UnknownMetric;

    /// Keras' names and aliases (`acc`, `mean_squared_error`, …) with Keras' defaults.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        let alias = match key.as_str() {
            "acc" => Some(Metric::Accuracy),
            "mean_squared_error" => Some(Metric::MeanSquaredError),
            "mean_absolute_error" => Some(Metric::MeanAbsoluteError),
            _ => None,
        };
        alias.or_else(|| Metric::ALL.into_iter().find(|m| m.name() == key)).ok_or(UnknownMetric { name: s.to_string() })
    }
}

/// The running state of one metric over an epoch.
#[derive(Clone, Debug)]
pub struct MetricState {
    name: String,
    metric: Metric,
    /// Σ weight·value.
    total: f64,
    /// Σ weight.
    count: f64,
}

impl MetricState {
    /// A fresh state for `metric` logged as `name`. `Accuracy` must be resolved first.
    ///
    /// # Panics
    /// For an unresolved `Metric::Accuracy`.
    pub fn new(name: &str, metric: Metric) -> Self {
        assert!(metric != Metric::Accuracy, "resolve `accuracy` with Metric::resolve first");
        Self { name: name.to_string(), metric, total: 0.0, count: 0.0 }
    }

    /// The log key.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a batch (optionally weighted per sample).
    pub fn update(&mut self, y_true: &Tensor, y_pred: &Tensor, sample_weight: Option<&[f32]>) {
        for i in 0..y_pred.rows() {
            let w = f64::from(sample_weight.map_or(1.0, |sw| sw[i]));
            let (t, p) = (y_true.row(i), y_pred.row(i));
            let v = match self.metric {
                Metric::BinaryAccuracy { threshold } => {
                    let hits = t.iter().zip(p).filter(|&(&t, &p)| (p > threshold) == (t > 0.5)).count();
                    hits as f64 / p.len() as f64
                }
                Metric::CategoricalAccuracy => f64::from(u8::from(argmax(p) == argmax(t))),
                Metric::SparseCategoricalAccuracy => f64::from(u8::from(argmax(p) == t[0] as usize)),
                Metric::MeanSquaredError => mean(t, p, |d| d * d),
                Metric::MeanAbsoluteError => mean(t, p, f64::abs),
                Metric::Accuracy => unreachable!("resolved in MetricState::new"),
            };
            self.total += w * v;
            self.count += w;
        }
    }

    /// The value over everything seen since the last reset (0 before any update).
    pub fn result(&self) -> f64 {
        if self.count == 0.0 { 0.0 } else { self.total / self.count }
    }

    /// Forgets everything seen.
    pub fn reset(&mut self) {
        self.total = 0.0;
        self.count = 0.0;
    }
}

fn mean(t: &[f32], p: &[f32], f: impl Fn(f64) -> f64) -> f64 {
    t.iter().zip(p).map(|(&t, &p)| f(f64::from(p) - f64::from(t))).sum::<f64>() / p.len() as f64
}
