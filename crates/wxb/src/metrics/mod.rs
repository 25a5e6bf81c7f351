//! Streaming metrics with Keras' names and semantics: each accumulates over the batches of an epoch
//! ([`MetricState::update`]), reports its value so far ([`MetricState::result`]) and starts over
//! ([`MetricState::reset`]).
//!
//! Shapes: `y_true` and `y_pred` are `[batch, n]` (integer labels for the sparse accuracies:
//! `[batch]` or `[batch, 1]`). Metrics see the model's output (after its activation).
//!
//! **Binary classification.** With one sigmoid output column and 0/1 targets, the confusion
//! metrics (precision, recall, the counts, F-scores, both AUCs) are those of the positive class,
//! as Keras computes them on `y_pred[:, 0]` against `y_true[:, 0]`; an F-score without a threshold
//! is resolved to 0.5 there ([`Metric::resolve`]).
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
//! `tests/fixtures/metrics.json`, which `tests/it/metrics.rs` checks to 1e-6.

mod accuracy;
mod auc;
mod confusion;
mod fbeta;
mod names;
mod regression;
mod state;

use serde::{Deserialize, Serialize};

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
    /// [`Metric::TopKCategoricalAccuracy`] with the class index `c = y` as target (`[batch]` or
    /// `[batch, 1]`); a label that is no class index never counts. Keras' default `k = 5`.
    SparseTopKCategoricalAccuracy {
        /// How many of the best-scored classes count.
        k: usize,
    },
    /// `mean_samples mean_j (ŷ − y)²`, Keras' `"mse"`.
    MeanSquaredError,
    /// `mean_samples mean_j |ŷ − y|`, Keras' `"mae"`.
    MeanAbsoluteError,
    /// `mean_samples 100·mean_j |y − ŷ| / max(|y|, ε)`, ε = 1e-7, Keras' `"mape"`.
    MeanAbsolutePercentageError,
    /// `mean_samples mean_j (ln(max(ŷ, ε) + 1) − ln(max(y, ε) + 1))²`, ε = 1e-7, Keras' `"msle"`.
    MeanSquaredLogarithmicError,
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
    /// The (weighted) count of true positives, with the conventions of [`Metric::Precision`]
    /// (Keras' `TruePositives()`, threshold 0.5).
    TruePositives {
        /// Decision threshold.
        threshold: f32,
    },
    /// The count of false positives (`ŷ > threshold`, `y = 0`), Keras' `FalsePositives()`.
    FalsePositives {
        /// Decision threshold.
        threshold: f32,
    },
    /// The count of true negatives (`ŷ ≤ threshold`, `y = 0`), Keras' `TrueNegatives()`.
    TrueNegatives {
        /// Decision threshold.
        threshold: f32,
    },
    /// The count of false negatives (`ŷ ≤ threshold`, `y ≠ 0`), Keras' `FalseNegatives()`.
    FalseNegatives {
        /// Decision threshold.
        threshold: f32,
    },
    /// Area under the ROC or precision–recall curve (Keras' `AUC(curve=…)`, summation
    /// `interpolation`), from confusion counts at `num_thresholds` thresholds
    /// `{−ε, 1/(N−1), …, (N−2)/(N−1), 1 + ε}`. ROC: `Σᵢ (FPRᵢ − FPRᵢ₊₁)·(TPRᵢ + TPRᵢ₊₁)/2`; PR:
    /// Davis & Goadrich's interpolation, as Keras' `interpolate_pr_auc`. Keras' default: 200
    /// thresholds, ROC.
    Auc {
        /// The number of thresholds `N` (at least 2).
        num_thresholds: usize,
        /// Which curve (default ROC: a `config.json` without it means ROC).
        #[serde(default)]
        curve: Curve,
    },
    /// The coefficient of determination of each output over everything seen,
    /// `1 − Σ(y − ŷ)² / Σ(y − ȳ)²` (0 where that is infinite), averaged over the outputs (Keras'
    /// `R2Score()`: `class_aggregation="uniform_average"`, `num_regressors=0`).
    R2Score,
    /// Keras' `F1Score`: [`Metric::FBetaScore`] with β = 1.
    F1Score {
        /// How the per-class scores combine (Keras' default: none, one value per class).
        #[serde(default)]
        average: Average,
        /// Decision threshold; `None` (Keras' default) marks each sample's highest output
        /// positive (resolved to 0.5 for a single output, [`Metric::resolve`]).
        #[serde(default)]
        threshold: Option<f32>,
    },
    /// Keras' `FBetaScore`: per output column (all outputs pooled for `micro`), from the counts
    /// over everything seen, `P = TP/(TP + FP + ε)`, `R = TP/(TP + FN + ε)`,
    /// `F = (1 + β²)·P·R/(β²·P + R + ε)`, ε = 1e-7, then combined by `average`. A prediction is
    /// positive when `ŷ > threshold`, or without a threshold when it is its row's maximum and
    /// `|ŷ| > 1e-9`; a target is positive when it is 1 (weighted by its value).
    #[serde(rename = "fbeta_score")]
    FBetaScore {
        /// β: recall weighs β times as much as precision (Keras' default 1).
        beta: f32,
        /// How the per-class scores combine.
        #[serde(default)]
        average: Average,
        /// Decision threshold, as for [`Metric::F1Score`].
        #[serde(default)]
        threshold: Option<f32>,
    },
}

/// Which curve an AUC integrates (Keras' `curve`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Curve {
    /// True positive rate against false positive rate (Keras' default).
    #[default]
    #[serde(rename = "ROC")]
    Roc,
    /// Precision against recall.
    #[serde(rename = "PR")]
    Pr,
}

/// How an F-score combines its per-class values (Keras' `average`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Average {
    /// Keras' `average=None`: one value per output column. wxb logs one number per metric, so it
    /// takes a single output column (the positive class of a binary classifier).
    #[default]
    #[serde(rename = "none")]
    PerClass,
    /// The counts of all columns pooled, one score.
    Micro,
    /// The mean of the per-column scores.
    Macro,
    /// The per-column scores weighted by each column's share of the positive targets.
    Weighted,
}
