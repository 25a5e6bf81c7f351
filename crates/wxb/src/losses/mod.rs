//! Losses with Keras' names, formulas and reduction.
//!
//! Every loss is defined per sample — `lᵢ = L(y_trueᵢ, y_predᵢ)` for `y_true, y_pred: [batch, n]`,
//! a mean over the `n` outputs where Keras takes one — with its gradient `∂lᵢ/∂y_predᵢ`. The batch
//! loss is Keras' `sum_over_batch_size` reduction:
//!
//! `L = Σᵢ swᵢ·lᵢ / batch`, and so `∂L/∂y_predᵢ = swᵢ·∂lᵢ/∂y_predᵢ / batch`,
//!
//! with sample weights `sw` defaulting to 1. The division is by the batch size, not by the sum of
//! the weights, exactly as in Keras 3 (`keras/src/losses/loss.py`, `reduce_values`).
//!
//! Crossentropies on the output of a softmax or sigmoid are computed from its logits instead,
//! stably, as Keras' TensorFlow backend does: see [`Loss::fuses_with`].
//!
//! Golden values: `tests/fixtures/keras/losses.py` (Keras 3.15.1, TensorFlow 2.21) writes
//! `tests/fixtures/losses.json`, which `tests/it/losses.rs` checks to 1e-6.

mod batch;
mod cosine;
mod crossentropy;
mod focal;
mod margin;
mod probabilistic;
mod regression;

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::activations::Activation;
use crate::error::UnknownName;

pub use batch::reduce;

/// Keras' `backend.epsilon()`: probabilities are clipped to `[ε, 1 − ε]` before a logarithm.
pub const EPSILON: f32 = 1e-7;

/// Whether a crossentropy receives probabilities or raw scores (Keras' `from_logits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Predictions {
    /// `y_pred` are probabilities (`from_logits=False`, Keras' default).
    #[default]
    Probabilities,
    /// `y_pred` are logits (`from_logits=True`).
    Logits,
}

/// A loss function, named as in Keras. Shapes: `y_true` and `y_pred` are `[batch, n]` (sparse
/// crossentropy: `y_true` is `[batch]` or `[batch, 1]` class indices); `lᵢ` is one sample's loss and
/// `e = ŷ − y` the error.
///
/// Serialized (in `config.json`) as `"name"` for a loss without parameters, else as
/// `{"name": {parameters}}`; a bare Keras name parses too, with Keras' defaults
/// (`"binary_focal_crossentropy"`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Loss {
    /// `lᵢ = mean_j (ŷ − y)²`.
    MeanSquaredError,
    /// `lᵢ = mean_j |ŷ − y|`.
    MeanAbsoluteError,
    /// `lᵢ = mean_j h(e)` with `h(e) = ½e²` where `|e| ≤ δ`, else `δ·|e| − ½δ²`; Keras' default δ = 1.
    Huber {
        /// The threshold δ.
        delta: f32,
    },
    /// `lᵢ = mean_j log(cosh(e))`, computed as `e + softplus(−2e) − log 2`.
    LogCosh,
    /// `lᵢ = mean_j −(t·log p + (1 − t)·log(1 − p))` with `p = clip(ŷ, ε, 1 − ε)` and smoothed
    /// targets `t = y·(1 − s) + s/2`; from logits, `mean_j max(z, 0) − z·t + log(1 + e^(−|z|))`.
    BinaryCrossentropy {
        /// Probabilities or logits.
        from: Predictions,
        /// The smoothing `s` in `[0, 1]`.
        label_smoothing: f32,
    },
    /// `lᵢ = −Σⱼ tⱼ·log qⱼ` with `q = clip(ŷ/Σŷ, ε, 1 − ε)` (each row renormalised first) and
    /// smoothed one-hot (or soft) targets `t = y·(1 − s) + s/n`; from logits,
    /// `q = softmax(z)` computed as `log qⱼ = zⱼ − log Σₖ e^(zₖ)`.
    CategoricalCrossentropy {
        /// Probabilities or logits.
        from: Predictions,
        /// The smoothing `s` in `[0, 1]`.
        label_smoothing: f32,
    },
    /// `lᵢ = −log q[yᵢ]` with integer class targets `yᵢ`, `q = c/Σc` and `c = clip(ŷ, ε, 1 − ε)`
    /// (Keras feeds `log c` to a softmax); from logits, `q = softmax(z)`. No label smoothing in Keras.
    SparseCategoricalCrossentropy {
        /// Probabilities or logits.
        from: Predictions,
    },
    /// `lᵢ = mean_j max(1 − t·ŷ, 0)`, targets expected in {−1, 1}; if every target of the batch is 0
    /// or 1, `t = 2y − 1` (Keras decides over the whole batch, and so does wxb).
    Hinge,
    /// `lᵢ = Σⱼ t·log(t/q)` with `t = clip(y, ε, 1)` and `q = clip(ŷ, ε, 1)` (a sum, not a mean).
    KlDivergence,
    /// `lᵢ = mean_j ŷ − y·log(ŷ + ε)`.
    Poisson,
    /// `lᵢ = 100·mean_j |y − ŷ| / max(|y|, ε)`.
    MeanAbsolutePercentageError,
    /// `lᵢ = mean_j (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))²`.
    MeanSquaredLogarithmicError,
    /// `lᵢ = mean_j max(1 − t·ŷ, 0)²`, with the targets read as for [`Loss::Hinge`].
    SquaredHinge,
    /// `lᵢ = max(maxⱼ (1 − yⱼ)·ŷⱼ − Σⱼ yⱼ·ŷⱼ + 1, 0)` for one-hot targets.
    CategoricalHinge,
    /// `lᵢ = −Σⱼ y'ⱼ·ŷ'ⱼ`, each row L2-normalized (`x' = x·min(1/‖x‖, 1/ε)`): −1 for vectors
    /// pointing the same way, as Keras' sign.
    CosineSimilarity,
    /// `lᵢ = mean_j w·(1 − p_t)^γ·bce(t, p)` with `p_t = t·p + (1 − t)·(1 − p)`, `p = ŷ` (or `σ(ŷ)`
    /// from logits), `t` the smoothed target and `w = t·α + (1 − t)·(1 − α)` when balancing classes,
    /// else 1 (Keras' defaults: no balancing, α = 0.25, γ = 2, probabilities, no smoothing).
    BinaryFocalCrossentropy {
        /// Whether `w` weighs the classes by `α` and `1 − α`.
        apply_class_balancing: bool,
        /// The positive class' weight when balancing.
        alpha: f32,
        /// The focusing exponent γ ≥ 0.
        gamma: f32,
        /// Probabilities or logits.
        from: Predictions,
        /// The smoothing `s` in `[0, 1]`.
        label_smoothing: f32,
    },
    /// `lᵢ = −Σⱼ α·(1 − qⱼ)^γ·tⱼ·log qⱼ` with `q = clip(p/Σp, ε, 1 − ε)`, `p = ŷ` (or `softmax(ŷ)`
    /// from logits) and smoothed targets `t = y·(1 − s) + s/n` (Keras' defaults: α = 0.25, γ = 2,
    /// probabilities, no smoothing).
    CategoricalFocalCrossentropy {
        /// The weight α of every class.
        alpha: f32,
        /// The focusing exponent γ ≥ 0.
        gamma: f32,
        /// Probabilities or logits.
        from: Predictions,
        /// The smoothing `s` in `[0, 1]`.
        label_smoothing: f32,
    },
}

impl Loss {
    /// Keras' `"binary_crossentropy"` (from probabilities, no smoothing).
    pub const BINARY_CROSSENTROPY: Loss =
        Loss::BinaryCrossentropy { from: Predictions::Probabilities, label_smoothing: 0.0 };
    /// Keras' `"categorical_crossentropy"`.
    pub const CATEGORICAL_CROSSENTROPY: Loss =
        Loss::CategoricalCrossentropy { from: Predictions::Probabilities, label_smoothing: 0.0 };
    /// Keras' `"sparse_categorical_crossentropy"`.
    pub const SPARSE_CATEGORICAL_CROSSENTROPY: Loss =
        Loss::SparseCategoricalCrossentropy { from: Predictions::Probabilities };
    /// Keras' `"huber"` (δ = 1).
    pub const HUBER: Loss = Loss::Huber { delta: 1.0 };
    /// Keras' `"binary_focal_crossentropy"`: no class balancing, α = 0.25, γ = 2, probabilities, no
    /// smoothing.
    pub const BINARY_FOCAL_CROSSENTROPY: Loss = Loss::BinaryFocalCrossentropy {
        apply_class_balancing: false,
        alpha: 0.25,
        gamma: 2.0,
        from: Predictions::Probabilities,
        label_smoothing: 0.0,
    };
    /// Keras' `"categorical_focal_crossentropy"`: α = 0.25, γ = 2, probabilities, no smoothing.
    pub const CATEGORICAL_FOCAL_CROSSENTROPY: Loss = Loss::CategoricalFocalCrossentropy {
        alpha: 0.25,
        gamma: 2.0,
        from: Predictions::Probabilities,
        label_smoothing: 0.0,
    };

    /// Every loss with Keras' defaults.
    pub const ALL: [Loss; 17] = [
        Loss::MeanSquaredError,
        Loss::MeanAbsoluteError,
        Loss::HUBER,
        Loss::LogCosh,
        Loss::BINARY_CROSSENTROPY,
        Loss::CATEGORICAL_CROSSENTROPY,
        Loss::SPARSE_CATEGORICAL_CROSSENTROPY,
        Loss::Hinge,
        Loss::KlDivergence,
        Loss::Poisson,
        Loss::MeanAbsolutePercentageError,
        Loss::MeanSquaredLogarithmicError,
        Loss::SquaredHinge,
        Loss::CategoricalHinge,
        Loss::CosineSimilarity,
        Loss::BINARY_FOCAL_CROSSENTROPY,
        Loss::CATEGORICAL_FOCAL_CROSSENTROPY,
    ];

    /// Keras' name.
    pub fn name(self) -> &'static str {
        match self {
            Loss::MeanSquaredError => "mean_squared_error",
            Loss::MeanAbsoluteError => "mean_absolute_error",
            Loss::Huber { .. } => "huber",
            Loss::LogCosh => "log_cosh",
            Loss::BinaryCrossentropy { .. } => "binary_crossentropy",
            Loss::CategoricalCrossentropy { .. } => "categorical_crossentropy",
            Loss::SparseCategoricalCrossentropy { .. } => "sparse_categorical_crossentropy",
            Loss::Hinge => "hinge",
            Loss::KlDivergence => "kl_divergence",
            Loss::Poisson => "poisson",
            Loss::MeanAbsolutePercentageError => "mean_absolute_percentage_error",
            Loss::MeanSquaredLogarithmicError => "mean_squared_logarithmic_error",
            Loss::SquaredHinge => "squared_hinge",
            Loss::CategoricalHinge => "categorical_hinge",
            Loss::CosineSimilarity => "cosine_similarity",
            Loss::BinaryFocalCrossentropy { .. } => "binary_focal_crossentropy",
            Loss::CategoricalFocalCrossentropy { .. } => "categorical_focal_crossentropy",
        }
    }

    /// Whether targets are class indices, one per sample (sparse crossentropy).
    pub fn is_sparse(self) -> bool {
        matches!(self, Loss::SparseCategoricalCrossentropy { .. })
    }

    /// Whether this loss, applied to the output of `activation`, is computed from that activation's
    /// logits `z` instead (with [`Loss::value_and_grad_logits`]), as Keras' TensorFlow backend does.
    ///
    /// Keras' `softmax` and `sigmoid` activations attach their input to their output
    /// (`_keras_logits`), and every crossentropy of the TensorFlow backend then uses those logits,
    /// whatever its `from_logits` and whichever of the two activations produced them
    /// (`keras/src/backend/tensorflow/nn.py`, `_get_logits`). So this is true for the three
    /// crossentropies, probabilities or logits, after `Softmax` or `Sigmoid`; the loss becomes:
    ///
    /// - binary crossentropy: `sigmoid_cross_entropy_with_logits(t, z)`, gradient `(σ(z) − t)/n`;
    /// - (sparse) categorical crossentropy: `softmax_cross_entropy_with_logits(t, z)`, gradient
    ///   `softmax(z) − t`.
    ///
    /// For the usual pairs (binary after sigmoid, categorical after softmax) this is the same loss,
    /// computed stably. For the crossed pairs it is **not** the crossentropy of the activation's
    /// output — categorical crossentropy after a sigmoid is the softmax crossentropy of the sigmoid's
    /// logits — and wxb reproduces that Keras behaviour rather than correcting it.
    pub fn fuses_with(self, activation: Activation) -> bool {
        let crossentropy = matches!(
            self,
            Loss::BinaryCrossentropy { .. }
                | Loss::CategoricalCrossentropy { .. }
                | Loss::SparseCategoricalCrossentropy { .. }
        );
        crossentropy && matches!(activation, Activation::Softmax | Activation::Sigmoid)
    }
}

crate::error::display_as_name!(Loss, name);

impl FromStr for Loss {
    type Err = UnknownName;

    /// Keras' names with Keras' defaults: the function names (`mean_squared_error`), the class
    /// names (`MeanSquaredError`) and the aliases (`mse`, `mae`, `mape`, `msle`, `kld`, `bce`, and
    /// the legacy `logcosh`, `kullback_leibler_divergence`, `huber_loss`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let loss = match crate::error::keras_key(s).as_str() {
            "mse" | "meansquarederror" => Loss::MeanSquaredError,
            "mae" | "meanabsoluteerror" => Loss::MeanAbsoluteError,
            "huber" | "huberloss" => Loss::HUBER,
            "logcosh" => Loss::LogCosh,
            "bce" | "binarycrossentropy" => Loss::BINARY_CROSSENTROPY,
            "categoricalcrossentropy" => Loss::CATEGORICAL_CROSSENTROPY,
            "sparsecategoricalcrossentropy" => Loss::SPARSE_CATEGORICAL_CROSSENTROPY,
            "hinge" => Loss::Hinge,
            "kld" | "kldivergence" | "kullbackleiblerdivergence" => Loss::KlDivergence,
            "poisson" => Loss::Poisson,
            "mape" | "meanabsolutepercentageerror" => Loss::MeanAbsolutePercentageError,
            "msle" | "meansquaredlogarithmicerror" => Loss::MeanSquaredLogarithmicError,
            "squaredhinge" => Loss::SquaredHinge,
            "categoricalhinge" => Loss::CategoricalHinge,
            "cosinesimilarity" => Loss::CosineSimilarity,
            "binaryfocalcrossentropy" => Loss::BINARY_FOCAL_CROSSENTROPY,
            "categoricalfocalcrossentropy" => Loss::CATEGORICAL_FOCAL_CROSSENTROPY,
            _ => return Err(UnknownName::new("loss", s, Loss::ALL.map(|l| l.name()))),
        };
        Ok(loss)
    }
}

impl Serialize for Loss {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Loss::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for Loss {
    /// Accepts a Keras name (any that [`Loss::from_str`] knows, with Keras' defaults) or the tagged
    /// form with parameters.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(deserializer)?;
        match &value {
            serde_json::Value::String(name) => name.parse().map_err(D::Error::custom),
            _ => Loss::deserialize(value).map_err(D::Error::custom),
        }
    }
}
