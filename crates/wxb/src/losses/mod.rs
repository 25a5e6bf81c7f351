//! Losses with Keras' names, formulas and reduction.
//!
//! Every loss is defined per sample — `lᵢ = L(y_trueᵢ, y_predᵢ)`, a mean over the last axis where
//! Keras takes one — with its gradient `∂lᵢ/∂y_predᵢ`. The batch loss is Keras'
//! `sum_over_batch_size` reduction: `L = Σᵢ swᵢ·lᵢ / batch` (sample weights `sw` default to 1; note
//! the division is by the batch size, not by the sum of the weights, exactly as in Keras 3).
//!
//! Crossentropies on probabilities that come out of a softmax (or sigmoid) are computed from the
//! logits instead, stably, as Keras' TensorFlow backend does: see [`Loss::fuses_with`].

mod crossentropy;
mod regression;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::activations::Activation;
use crate::tensor::Tensor;

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

/// A loss function, named as in Keras.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Loss {
    /// `mean((y − ŷ)²)`.
    MeanSquaredError,
    /// `mean(|y − ŷ|)`.
    MeanAbsoluteError,
    /// `mean(½e²)` where `|e| ≤ δ`, else `mean(δ·|e| − ½δ²)`; Keras' default δ = 1.
    Huber {
        /// The threshold δ.
        delta: f32,
    },
    /// `mean(log(cosh(ŷ − y)))`.
    LogCosh,
    /// `mean(−(y·log p + (1 − y)·log(1 − p)))` per output unit.
    BinaryCrossentropy {
        /// Probabilities or logits.
        from: Predictions,
        /// Targets become `y·(1 − s) + s/2`.
        label_smoothing: f32,
    },
    /// `−Σ y·log p` over the classes, with one-hot (or soft) targets.
    CategoricalCrossentropy {
        /// Probabilities or logits.
        from: Predictions,
        /// Targets become `y·(1 − s) + s/classes`.
        label_smoothing: f32,
    },
    /// `−log p[y]` with integer class targets `y` (shape `[batch]` or `[batch, 1]`).
    SparseCategoricalCrossentropy {
        /// Probabilities or logits.
        from: Predictions,
    },
    /// `mean(max(1 − y·ŷ, 0))`, with targets in {−1, 1} (targets in {0, 1} are mapped to them).
    Hinge,
    /// `Σ y·log(y / ŷ)` with both clipped to `[ε, 1]`.
    KlDivergence,
    /// `mean(ŷ − y·log(ŷ + ε))`.
    Poisson,
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

    /// Every loss with Keras' defaults.
    pub const ALL: [Loss; 10] = [
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
        }
    }

    /// Whether targets are class indices, one per sample (sparse crossentropy).
    pub fn is_sparse(self) -> bool {
        matches!(self, Loss::SparseCategoricalCrossentropy { .. })
    }

    /// Whether this loss, given the *probabilities* of `activation`, is computed from the logits
    /// instead — stably, and with the simple gradient `∂L/∂z = (p − y)·swᵢ/batch`. True for
    /// (sparse) categorical crossentropy after softmax and binary crossentropy after sigmoid, as in
    /// Keras' TensorFlow backend.
    pub fn fuses_with(self, activation: Activation) -> bool {
        match self {
            Loss::CategoricalCrossentropy { from: Predictions::Probabilities, .. }
            | Loss::SparseCategoricalCrossentropy { from: Predictions::Probabilities } => {
                activation == Activation::Softmax
            }
            Loss::BinaryCrossentropy { from: Predictions::Probabilities, .. } => activation == Activation::Sigmoid,
            _ => false,
        }
    }

    /// `lᵢ` for one sample, and, if `grad` is given, `∂lᵢ/∂ŷᵢ` written into it.
    fn sample(self, y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
        match self {
            Loss::MeanSquaredError => regression::mse(y, p, grad),
            Loss::MeanAbsoluteError => regression::mae(y, p, grad),
            Loss::Huber { delta } => regression::huber(y, p, delta, grad),
            Loss::LogCosh => regression::log_cosh(y, p, grad),
            Loss::BinaryCrossentropy { from, label_smoothing } => {
                crossentropy::binary(y, p, from, label_smoothing, grad)
            }
            Loss::CategoricalCrossentropy { from, label_smoothing } => {
                crossentropy::categorical(y, p, from, label_smoothing, grad)
            }
            Loss::SparseCategoricalCrossentropy { from } => crossentropy::sparse(class_of(y), p, from, grad),
            Loss::Hinge => regression::hinge(y, p, grad),
            Loss::KlDivergence => regression::kl_divergence(y, p, grad),
            Loss::Poisson => regression::poisson(y, p, grad),
        }
    }

    /// The same loss reading its predictions as logits.
    fn on_logits(self) -> Loss {
        match self {
            Loss::BinaryCrossentropy { label_smoothing, .. } => {
                Loss::BinaryCrossentropy { from: Predictions::Logits, label_smoothing }
            }
            Loss::CategoricalCrossentropy { label_smoothing, .. } => {
                Loss::CategoricalCrossentropy { from: Predictions::Logits, label_smoothing }
            }
            Loss::SparseCategoricalCrossentropy { .. } => {
                Loss::SparseCategoricalCrossentropy { from: Predictions::Logits }
            }
            other => other,
        }
    }

    /// The per-sample losses `lᵢ` of a batch.
    ///
    /// # Panics
    /// If the shapes of `y_true` and `y_pred` disagree (see [`Loss::check_shapes`]).
    pub fn per_sample(self, y_true: &Tensor, y_pred: &Tensor) -> Vec<f32> {
        self.check_shapes(y_true, y_pred);
        (0..y_pred.rows()).map(|i| self.sample(y_true.row(i), y_pred.row(i), None)).collect()
    }

    /// The reduced loss `Σᵢ swᵢ·lᵢ / batch`.
    pub fn compute(self, y_true: &Tensor, y_pred: &Tensor, sample_weight: Option<&[f32]>) -> f32 {
        let l = self.per_sample(y_true, y_pred);
        reduce(&l, sample_weight)
    }

    /// The reduced loss and its gradient `∂L/∂y_pred`, written into `grad` (resized to `y_pred`).
    pub fn value_and_grad(
        self,
        y_true: &Tensor,
        y_pred: &Tensor,
        sample_weight: Option<&[f32]>,
        grad: &mut Tensor,
    ) -> f32 {
        self.check_shapes(y_true, y_pred);
        grad.resize(y_pred.shape());
        let batch = y_pred.rows();
        let cols = y_pred.cols();
        let mut total = 0.0f64;
        for (i, g) in grad.data_mut().chunks_exact_mut(cols.max(1)).enumerate().take(batch) {
            let l = self.sample(y_true.row(i), y_pred.row(i), Some(g));
            let w = sample_weight.map_or(1.0, |sw| sw[i]);
            total += f64::from(w) * f64::from(l);
            let scale = w / batch as f32;
            g.iter_mut().for_each(|v| *v *= scale);
        }
        (total / batch.max(1) as f64) as f32
    }

    /// The loss of `activation(z)` computed from the logits `z`, with `∂L/∂z` written into `grad`,
    /// for a loss that [`Loss::fuses_with`] the activation.
    ///
    /// # Panics
    /// If the loss does not fuse with `activation`.
    pub fn value_and_grad_logits(
        self,
        activation: Activation,
        y_true: &Tensor,
        z: &Tensor,
        sample_weight: Option<&[f32]>,
        grad: &mut Tensor,
    ) -> f32 {
        assert!(self.fuses_with(activation), "{self} does not fuse with a {activation} activation");
        self.on_logits().value_and_grad(y_true, z, sample_weight, grad)
    }

    /// The reduced loss of `activation(z)` computed from the logits `z` (no gradient).
    pub fn compute_logits(
        self,
        activation: Activation,
        y_true: &Tensor,
        z: &Tensor,
        sample_weight: Option<&[f32]>,
    ) -> f32 {
        assert!(self.fuses_with(activation), "{self} does not fuse with a {activation} activation");
        self.on_logits().compute(y_true, z, sample_weight)
    }

    /// Checks that `y_true` fits `y_pred`: the same shape, or one class index per row for sparse
    /// crossentropy.
    ///
    /// # Panics
    /// With both shapes named, when they disagree.
    pub fn check_shapes(self, y_true: &Tensor, y_pred: &Tensor) {
        let ok = if self.is_sparse() {
            y_true.rows() == y_pred.rows() && y_true.len() == y_true.rows()
        } else {
            y_true.rows() == y_pred.rows() && y_true.cols() == y_pred.cols()
        };
        assert!(
            ok,
            "{self}: y_true {:?} does not fit y_pred {:?}{}",
            y_true.shape(),
            y_pred.shape(),
            if self.is_sparse() { " (sparse targets are one class index per sample)" } else { "" }
        );
    }
}

/// `Σᵢ swᵢ·lᵢ / n`, accumulated in f64.
pub fn reduce(losses: &[f32], sample_weight: Option<&[f32]>) -> f32 {
    let n = losses.len().max(1) as f64;
    let total: f64 = match sample_weight {
        Some(sw) => losses.iter().zip(sw).map(|(&l, &w)| f64::from(l) * f64::from(w)).sum(),
        None => losses.iter().map(|&l| f64::from(l)).sum(),
    };
    (total / n) as f32
}

/// The class index stored in a sparse target row.
fn class_of(y: &[f32]) -> usize {
    y[0] as usize
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A loss name that wxb does not know.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown loss {name:?}; expected one of: {}", Loss::ALL.map(|l| l.name()).join(", "))]
#[non_exhaustive]
pub struct UnknownLoss {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Loss {
    type Err = UnknownLoss;

    /// Keras' names and aliases (`mse`, `mae`, `kld`, …) with Keras' defaults.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        let alias = match key.as_str() {
            "mse" => Some(Loss::MeanSquaredError),
            "mae" => Some(Loss::MeanAbsoluteError),
            "kld" | "kullback_leibler_divergence" => Some(Loss::KlDivergence),
            "logcosh" => Some(Loss::LogCosh),
            "huber_loss" => Some(Loss::HUBER),
            _ => None,
        };
        alias.or_else(|| Loss::ALL.into_iter().find(|l| l.name() == key)).ok_or(UnknownLoss { name: s.to_string() })
    }
}
