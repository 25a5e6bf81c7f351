//! A [`Metric`]'s Keras defaults, log name, resolution from the shapes, and parsing from the names
//! Keras' `compile(metrics=[...])` accepts.

use std::str::FromStr;

use super::{Average, Curve, Metric};
use crate::error::UnknownName;

impl Metric {
    /// Keras' `"binary_accuracy"` (threshold 0.5).
    pub const BINARY_ACCURACY: Metric = Metric::BinaryAccuracy { threshold: 0.5 };
    /// Keras' `"top_k_categorical_accuracy"` (k = 5).
    pub const TOP_K_CATEGORICAL_ACCURACY: Metric = Metric::TopKCategoricalAccuracy { k: 5 };
    /// Keras' `"sparse_top_k_categorical_accuracy"` (k = 5).
    pub const SPARSE_TOP_K_CATEGORICAL_ACCURACY: Metric = Metric::SparseTopKCategoricalAccuracy { k: 5 };
    /// Keras' `"precision"` (threshold 0.5).
    pub const PRECISION: Metric = Metric::Precision { threshold: 0.5 };
    /// Keras' `"recall"` (threshold 0.5).
    pub const RECALL: Metric = Metric::Recall { threshold: 0.5 };
    /// Keras' `"true_positives"` (threshold 0.5).
    pub const TRUE_POSITIVES: Metric = Metric::TruePositives { threshold: 0.5 };
    /// Keras' `"false_positives"` (threshold 0.5).
    pub const FALSE_POSITIVES: Metric = Metric::FalsePositives { threshold: 0.5 };
    /// Keras' `"true_negatives"` (threshold 0.5).
    pub const TRUE_NEGATIVES: Metric = Metric::TrueNegatives { threshold: 0.5 };
    /// Keras' `"false_negatives"` (threshold 0.5).
    pub const FALSE_NEGATIVES: Metric = Metric::FalseNegatives { threshold: 0.5 };
    /// Keras' `"auc"` (200 thresholds, ROC, interpolation).
    pub const AUC: Metric = Metric::Auc { num_thresholds: 200, curve: Curve::Roc };
    /// Keras' `AUC(curve="PR")` (200 thresholds, interpolation), named `pr_auc` in wxb.
    pub const PR_AUC: Metric = Metric::Auc { num_thresholds: 200, curve: Curve::Pr };
    /// Keras' `"f1_score"`: `F1Score()`, no average, no threshold.
    pub const F1_SCORE: Metric = Metric::F1Score { average: Average::PerClass, threshold: None };
    /// Keras' `FBetaScore()`: β = 1, no average, no threshold.
    pub const FBETA_SCORE: Metric = Metric::FBetaScore { beta: 1.0, average: Average::PerClass, threshold: None };

    /// Every metric with Keras' defaults.
    pub const ALL: [Metric; 22] = [
        Metric::Accuracy,
        Metric::BINARY_ACCURACY,
        Metric::CategoricalAccuracy,
        Metric::SparseCategoricalAccuracy,
        Metric::TOP_K_CATEGORICAL_ACCURACY,
        Metric::SPARSE_TOP_K_CATEGORICAL_ACCURACY,
        Metric::MeanSquaredError,
        Metric::MeanAbsoluteError,
        Metric::MeanAbsolutePercentageError,
        Metric::MeanSquaredLogarithmicError,
        Metric::RootMeanSquaredError,
        Metric::PRECISION,
        Metric::RECALL,
        Metric::TRUE_POSITIVES,
        Metric::FALSE_POSITIVES,
        Metric::TRUE_NEGATIVES,
        Metric::FALSE_NEGATIVES,
        Metric::AUC,
        Metric::PR_AUC,
        Metric::R2Score,
        Metric::F1_SCORE,
        Metric::FBETA_SCORE,
    ];

    /// The key under which it is logged. Keras logs a metric given as a string under that string,
    /// and one given as an object under its class' default name; this is `"accuracy"`, `"mse"`,
    /// `"mae"`, `"mape"` and `"msle"` for those usually given as strings, and the default name for
    /// the others (`"root_mean_squared_error"`, `"precision"`, `"auc"`, …), which is also their
    /// string. wxb names what Keras would log under one name by its variant: `"pr_auc"` (Keras:
    /// `"auc"`), and an F-score's average as a suffix, `"f1_score_macro"` (Keras: `"f1_score"`).
    /// Each name parses back to the metric with Keras' defaults.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::BinaryAccuracy { .. } => "binary_accuracy",
            Metric::CategoricalAccuracy => "categorical_accuracy",
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            Metric::TopKCategoricalAccuracy { .. } => "top_k_categorical_accuracy",
            Metric::SparseTopKCategoricalAccuracy { .. } => "sparse_top_k_categorical_accuracy",
            Metric::MeanSquaredError => "mse",
            Metric::MeanAbsoluteError => "mae",
            Metric::MeanAbsolutePercentageError => "mape",
            Metric::MeanSquaredLogarithmicError => "msle",
            Metric::RootMeanSquaredError => "root_mean_squared_error",
            Metric::Precision { .. } => "precision",
            Metric::Recall { .. } => "recall",
            Metric::TruePositives { .. } => "true_positives",
            Metric::FalsePositives { .. } => "false_positives",
            Metric::TrueNegatives { .. } => "true_negatives",
            Metric::FalseNegatives { .. } => "false_negatives",
            Metric::Auc { curve: Curve::Roc, .. } => "auc",
            Metric::Auc { curve: Curve::Pr, .. } => "pr_auc",
            Metric::R2Score => "r2_score",
            Metric::F1Score { average, .. } => match average {
                Average::PerClass => "f1_score",
                Average::Micro => "f1_score_micro",
                Average::Macro => "f1_score_macro",
                Average::Weighted => "f1_score_weighted",
            },
            Metric::FBetaScore { average, .. } => match average {
                Average::PerClass => "fbeta_score",
                Average::Micro => "fbeta_score_micro",
                Average::Macro => "fbeta_score_macro",
                Average::Weighted => "fbeta_score_weighted",
            },
        }
    }

    /// The concrete metric, given the number of target columns and of predicted outputs. For
    /// `accuracy`, Keras' `get_metric` / `is_binary_or_sparse_categorical`: one output → binary
    /// accuracy; one target column for several outputs → sparse categorical accuracy; otherwise
    /// categorical accuracy. An F-score without a threshold on one output gets threshold 0.5
    /// (Keras' row-maximum rule would mark every nonzero prediction of a single sigmoid positive;
    /// wxb scores the positive class instead). Other metrics are returned unchanged.
    pub fn resolve(self, y_true_cols: usize, y_pred_cols: usize) -> Metric {
        match self {
            Metric::Accuracy if y_pred_cols == 1 => Metric::BINARY_ACCURACY,
            Metric::Accuracy if y_true_cols == 1 => Metric::SparseCategoricalAccuracy,
            Metric::Accuracy => Metric::CategoricalAccuracy,
            Metric::F1Score { average, threshold: None } if y_pred_cols == 1 => {
                Metric::F1Score { average, threshold: Some(0.5) }
            }
            Metric::FBetaScore { beta, average, threshold: None } if y_pred_cols == 1 => {
                Metric::FBetaScore { beta, average, threshold: Some(0.5) }
            }
            other => other,
        }
    }

    /// Whether the metric takes class indices as targets (one column) rather than one target per
    /// output: the sparse accuracies.
    pub fn takes_class_indices(self) -> bool {
        matches!(self, Metric::SparseCategoricalAccuracy | Metric::SparseTopKCategoricalAccuracy { .. })
    }
}

crate::error::display_as_name!(Metric, name);

impl FromStr for Metric {
    type Err = UnknownName;

    /// The strings Keras' `compile(metrics=[...])` accepts, with Keras' defaults: function names
    /// (`binary_accuracy`), class names (`BinaryAccuracy`, `AUC`, `R2Score`, `F1Score`) and aliases
    /// (`mse`, `mae`, `mape`, `msle`, `acc`), case-insensitively, and every [`Metric::name`]. Also
    /// (wxb conveniences, which Keras rejects): `rmse` for `root_mean_squared_error`, `pr_auc` for
    /// `AUC(curve="PR")`, `fbeta_score`, and an F-score's average as a suffix: `f1_score_micro`,
    /// `f1_score_macro`, `f1_score_weighted`, `fbeta_score_macro`, ….
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = crate::error::keras_key(s);
        let metric = match key.as_str() {
            "accuracy" | "acc" => Metric::Accuracy,
            "binaryaccuracy" => Metric::BINARY_ACCURACY,
            "categoricalaccuracy" => Metric::CategoricalAccuracy,
            "sparsecategoricalaccuracy" => Metric::SparseCategoricalAccuracy,
            "topkcategoricalaccuracy" => Metric::TOP_K_CATEGORICAL_ACCURACY,
            "sparsetopkcategoricalaccuracy" => Metric::SPARSE_TOP_K_CATEGORICAL_ACCURACY,
            "mse" | "meansquarederror" => Metric::MeanSquaredError,
            "mae" | "meanabsoluteerror" => Metric::MeanAbsoluteError,
            "mape" | "meanabsolutepercentageerror" => Metric::MeanAbsolutePercentageError,
            "msle" | "meansquaredlogarithmicerror" => Metric::MeanSquaredLogarithmicError,
            "rmse" | "rootmeansquarederror" => Metric::RootMeanSquaredError,
            "precision" => Metric::PRECISION,
            "recall" => Metric::RECALL,
            "truepositives" => Metric::TRUE_POSITIVES,
            "falsepositives" => Metric::FALSE_POSITIVES,
            "truenegatives" => Metric::TRUE_NEGATIVES,
            "falsenegatives" => Metric::FALSE_NEGATIVES,
            "auc" | "rocauc" => Metric::AUC,
            "prauc" => Metric::PR_AUC,
            "r2score" => Metric::R2Score,
            _ => return f_score(&key).ok_or_else(|| UnknownName::new("metric", s, Metric::ALL.map(|m| m.name()))),
        };
        Ok(metric)
    }
}

/// `f1score`, `fbetascore` and their `micro`/`macro`/`weighted` suffixes (keys without `_`).
fn f_score(key: &str) -> Option<Metric> {
    let (stem, suffix) =
        ["f1score", "fbetascore"].into_iter().find_map(|stem| Some((stem, key.strip_prefix(stem)?)))?;
    let average = match suffix {
        "" => Average::PerClass,
        "micro" => Average::Micro,
        "macro" => Average::Macro,
        "weighted" => Average::Weighted,
        _ => return None,
    };
    Some(match stem {
        "f1score" => Metric::F1Score { average, threshold: None },
        _ => Metric::FBetaScore { beta: 1.0, average, threshold: None },
    })
}
