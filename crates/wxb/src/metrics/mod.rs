//! Streaming metrics with Keras' names and semantics: each accumulates over the batches of an epoch
//! ([`MetricState::update`]), reports its value so far ([`MetricState::result`]) and starts over
//! ([`MetricState::reset`]).
//!
//! Shapes: `y_true` and `y_pred` are `[batch, n]` (integer labels for sparse categorical accuracy:
//! `[batch]` or `[batch, 1]`). Metrics see the model's output (after its activation).
//!
//! `accuracy` is resolved from the shapes of the targets and predictions as Keras' `compile` does
//! ([`Metric::resolve`]): one output unit → binary accuracy; one target column for several outputs
//! (integer labels) → sparse categorical accuracy; otherwise categorical accuracy.
//!
//! Keras 3 passes sample weights to `weighted_metrics` only, never to `metrics=`; the training loop
//! therefore updates metrics without weights. [`MetricState::update`] still accepts them, with the
//! semantics of Keras' `update_state(..., sample_weight)`.
//!
//! Golden values: `tests/fixtures/keras/metrics.py` (Keras 3.15.1, TensorFlow 2.21) writes
//! `tests/fixtures/metrics.json`, which `tests/metrics.rs` checks to 1e-6.

mod accuracy;
mod auc;
mod confusion;
mod regression;
mod state;

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownName;

pub use state::MetricState;

/// A metric, named as in Keras, with Keras' defaults available as constants.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Metric {
    /// Keras' `"accuracy"`: one of the three accuracies below, chosen from the shapes
    /// ([`Metric::resolve`]).
    Accuracy,
    /// Per sample `mean_j [yⱼ = (ŷⱼ > threshold)]` (targets must be exactly 0 or 1 to match);
    /// averaged over samples. Keras' default threshold: 0.5.
    BinaryAccuracy {
        /// Decision threshold.
        threshold: f32,
    },
    /// Per sample `[argmax ŷ = argmax y]` (first index on ties), averaged over samples.
    CategoricalAccuracy,
    /// Per sample `[argmax ŷ = y]` with `y` the class index as a float, averaged over samples.
    SparseCategoricalAccuracy,
    /// Per sample `[c ∈ top-k(ŷ)]` with `c = argmax y`: fewer than `k` classes score strictly
    /// higher than `ŷ_c` (so ties at the boundary count as in), and no score is NaN or infinite
    /// (TensorFlow's `in_top_k`). Keras' default `k = 5`.
    TopKCategoricalAccuracy {
        /// How many of the best-scored classes count.
        k: usize,
    },
    /// `mean_samples mean_j (ŷ − y)²`, Keras' `"mse"`.
    MeanSquaredError,
    /// `mean_samples mean_j |ŷ − y|`, Keras' `"mae"`.
    MeanAbsoluteError,
    /// `√(mean_samples mean_j (ŷ − y)²)` over everything seen (the root of the running mean, not a
    /// mean of roots).
    RootMeanSquaredError,
    /// `TP / (TP + FP)` over every output, a prediction being positive when `ŷ > threshold` and a
    /// target when `y ≠ 0`; 0 when nothing was predicted positive. Keras' default threshold: 0.5.
    Precision {
        /// Decision threshold.
        threshold: f32,
    },
    /// `TP / (TP + FN)`, with the conventions of [`Metric::Precision`]; 0 without positive targets.
    Recall {
        /// Decision threshold.
        threshold: f32,
    },
    /// Area under the ROC curve (Keras' `AUC()`: curve `ROC`, summation `interpolation`), from
    /// confusion counts at `num_thresholds` thresholds `{−ε, 1/(N−1), …, (N−2)/(N−1), 1 + ε}`:
    /// `Σᵢ (FPRᵢ − FPRᵢ₊₁)·(TPRᵢ + TPRᵢ₊₁)/2`. Keras' default: 200 thresholds.
    Auc {
        /// The number of thresholds `N` (at least 2).
        num_thresholds: usize,
    },
    /// The coefficient of determination of each output over everything seen,
    /// `1 − Σ(y − ŷ)² / Σ(y − ȳ)²` (0 where that is infinite), averaged over the outputs (Keras'
    /// `R2Score()`: `class_aggregation="uniform_average"`, `num_regressors=0`).
    R2Score,
}

impl Metric {
    /// Keras' `"binary_accuracy"` (threshold 0.5).
    pub const BINARY_ACCURACY: Metric = Metric::BinaryAccuracy { threshold: 0.5 };
    /// Keras' `"top_k_categorical_accuracy"` (k = 5).
    pub const TOP_K_CATEGORICAL_ACCURACY: Metric = Metric::TopKCategoricalAccuracy { k: 5 };
    /// Keras' `"precision"` (threshold 0.5).
    pub const PRECISION: Metric = Metric::Precision { threshold: 0.5 };
    /// Keras' `"recall"` (threshold 0.5).
    pub const RECALL: Metric = Metric::Recall { threshold: 0.5 };
    /// Keras' `"auc"` (200 thresholds, ROC, interpolation).
    pub const AUC: Metric = Metric::Auc { num_thresholds: 200 };

    /// Every metric with Keras' defaults.
    pub const ALL: [Metric; 12] = [
        Metric::Accuracy,
        Metric::BINARY_ACCURACY,
        Metric::CategoricalAccuracy,
        Metric::SparseCategoricalAccuracy,
        Metric::TOP_K_CATEGORICAL_ACCURACY,
        Metric::MeanSquaredError,
        Metric::MeanAbsoluteError,
        Metric::RootMeanSquaredError,
        Metric::PRECISION,
        Metric::RECALL,
        Metric::AUC,
        Metric::R2Score,
    ];

    /// The key under which Keras logs it. Keras logs a metric given as a string under that string,
    /// and one given as an object under its class' default name; this is `"accuracy"`, `"mse"` and
    /// `"mae"` for the three usually given as strings, and the default name for the others
    /// (`"root_mean_squared_error"`, `"precision"`, `"auc"`, …), which is also their string.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::BinaryAccuracy { .. } => "binary_accuracy",
            Metric::CategoricalAccuracy => "categorical_accuracy",
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            Metric::TopKCategoricalAccuracy { .. } => "top_k_categorical_accuracy",
            Metric::MeanSquaredError => "mse",
            Metric::MeanAbsoluteError => "mae",
            Metric::RootMeanSquaredError => "root_mean_squared_error",
            Metric::Precision { .. } => "precision",
            Metric::Recall { .. } => "recall",
            Metric::Auc { .. } => "auc",
            Metric::R2Score => "r2_score",
        }
    }

    /// The concrete metric `accuracy` stands for, given the number of target columns and of
    /// predicted outputs (Keras' `get_metric` / `is_binary_or_sparse_categorical`): one output →
    /// binary accuracy; one target column for several outputs → sparse categorical accuracy;
    /// otherwise categorical accuracy. Other metrics are returned unchanged.
    pub fn resolve(self, y_true_cols: usize, y_pred_cols: usize) -> Metric {
        if self != Metric::Accuracy {
            return self;
        }
        if y_pred_cols == 1 {
            Metric::BINARY_ACCURACY
        } else if y_true_cols == 1 {
            Metric::SparseCategoricalAccuracy
        } else {
            Metric::CategoricalAccuracy
        }
    }
}

crate::error::display_as_name!(Metric, name);

impl FromStr for Metric {
    type Err = UnknownName;

    /// The strings Keras' `compile(metrics=[...])` accepts, with Keras' defaults: function names
    /// (`binary_accuracy`), class names (`BinaryAccuracy`, `AUC`, `R2Score`) and aliases (`mse`,
    /// `mae`, `acc`), case-insensitively. `rmse` is accepted too (a wxb convenience: Keras rejects
    /// it) for `root_mean_squared_error`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let metric = match crate::error::keras_key(s).as_str() {
            "accuracy" | "acc" => Metric::Accuracy,
            "binaryaccuracy" => Metric::BINARY_ACCURACY,
            "categoricalaccuracy" => Metric::CategoricalAccuracy,
            "sparsecategoricalaccuracy" => Metric::SparseCategoricalAccuracy,
            "topkcategoricalaccuracy" => Metric::TOP_K_CATEGORICAL_ACCURACY,
            "mse" | "meansquarederror" => Metric::MeanSquaredError,
            "mae" | "meanabsoluteerror" => Metric::MeanAbsoluteError,
            "rmse" | "rootmeansquarederror" => Metric::RootMeanSquaredError,
            "precision" => Metric::PRECISION,
            "recall" => Metric::RECALL,
            "auc" => Metric::AUC,
            "r2score" => Metric::R2Score,
            _ => return Err(UnknownName::new("metric", s, Metric::ALL.map(|m| m.name()))),
        };
        Ok(metric)
    }
}
