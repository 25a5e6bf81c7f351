//! Divergence: what `fit` reports when a loss, an output, a gradient or a weight becomes NaN or
//! infinite (what it does about it is the model's [`OnDivergence`](crate::model::OnDivergence)).
//!
//! With [`OnDivergence::Stop`](crate::model::OnDivergence::Stop) (the default), every training step checks, before the optimizer
//! moves anything, that the batch loss and every gradient are finite (one pass over the
//! gradients), and after the update that every weight is finite (one pass over the weights). At
//! the first failure `fit` stops and returns [`WxbError::Diverged`](crate::WxbError::Diverged)
//! with a [`Divergence`]:
//!
//! - a non-finite loss or gradient is caught *before* the update: the model keeps the weights
//!   (and optimizer state, and batch-normalization statistics) it had before the bad batch —
//!   [`KeptWeights::BeforeBadStep`];
//! - an update that overflows although its gradients were finite (only with absurd learning
//!   rates, e.g. 1e38) is caught right after it: undoing it would need a copy of every weight at
//!   every step, so the weights are those of the bad step — [`KeptWeights::AfterBadStep`] — and
//!   the caller should fall back to its last checkpoint.

use std::fmt;

use crate::logs::History;

/// Where the first non-finite value of the bad step was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonFiniteIn {
    /// The batch's inputs: the data holds NaN or infinity.
    Inputs,
    /// The batch's targets: the data holds NaN or infinity.
    Targets,
    /// A layer's output in the forward pass (see [`Divergence::layer`]).
    Output,
    /// The loss, although the model's outputs were finite.
    Loss,
    /// A weight's gradient (see [`Divergence::layer`] and [`Divergence::variable`]).
    Gradient,
    /// A weight, after the optimizer's update (see [`Divergence::layer`] and [`Divergence::variable`]).
    Weight,
}

impl NonFiniteIn {
    /// Where, in words ("the gradient of", "the loss", …).
    pub fn describe(self) -> &'static str {
        match self {
            NonFiniteIn::Inputs => "the batch's inputs",
            NonFiniteIn::Targets => "the batch's targets",
            NonFiniteIn::Output => "the output of",
            NonFiniteIn::Loss => "the loss",
            NonFiniteIn::Gradient => "the gradient of",
            NonFiniteIn::Weight => "the updated weights of",
        }
    }
}

/// Which weights the model holds after a divergence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeptWeights {
    /// Those from before the bad batch: the last good model.
    BeforeBadStep,
    /// Those of the bad step (an update overflowed): fall back to a checkpoint.
    AfterBadStep,
}

/// Where and how training diverged. Epochs and batches are numbered from 0 (the message counts
/// from 1, as Keras' progress bar does).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Divergence {
    /// The epoch of the bad batch.
    pub epoch: usize,
    /// The bad batch, within its epoch.
    pub batch: usize,
    /// Batches per epoch.
    pub steps: usize,
    /// Optimizer steps taken before the bad one.
    pub iterations: u64,
    /// The learning rate of the bad step.
    pub learning_rate: f32,
    /// The bad batch's loss (regularization included), possibly NaN or infinite.
    pub loss: f32,
    /// What held the first non-finite value.
    pub found: NonFiniteIn,
    /// The index and name of the layer concerned, for outputs, gradients and weights.
    pub layer: Option<(usize, String)>,
    /// The weight concerned (`kernel`, `bias`, `gamma`, …), for gradients and weights.
    pub variable: Option<&'static str>,
    /// Which weights the model now holds.
    pub weights: KeptWeights,
    /// The epochs completed before the bad one.
    pub history: History,
}

impl Divergence {
    /// A learning rate worth trying instead: ten times lower.
    pub fn suggested_learning_rate(&self) -> f32 {
        self.learning_rate / 10.0
    }

    /// What to try, in words.
    pub fn suggestion(&self) -> String {
        match self.found {
            NonFiniteIn::Inputs | NonFiniteIn::Targets => {
                "remove or replace the NaN/infinite values in the data".to_string()
            }
            _ => format!(
                "lower the learning rate (e.g. {:e}), clip the gradients by norm (e.g. 1.0), or standardize the inputs",
                self.suggested_learning_rate()
            ),
        }
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "training diverged at epoch {}, batch {}/{} (learning rate {:e}, loss {}): first non-finite value in {}",
            self.epoch + 1,
            self.batch + 1,
            self.steps,
            self.learning_rate,
            self.loss,
            self.found.describe()
        )?;
        if let Some((i, name)) = &self.layer {
            write!(f, " layer {i} {name:?}")?;
        }
        if let Some(v) = self.variable {
            write!(f, " ({v})")?;
        }
        match self.weights {
            KeptWeights::BeforeBadStep => f.write_str("; the model keeps its weights from before this batch")?,
            KeptWeights::AfterBadStep => f.write_str("; the weights are those of the bad step: use a checkpoint")?,
        }
        write!(f, "; {}", self.suggestion())
    }
}
