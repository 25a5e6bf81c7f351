//! Training: [`FitOptions`], the [`Callback`] hooks, [`History`] and the built-in callbacks.
//!
//! `fit` calls every callback at the start and end of training, of each epoch and of each batch,
//! with a [`Logs`] map of the values so far (`loss`, each metric, and `val_…` at epoch ends). The
//! library itself never prints: a progress bar is a callback of the program that shows it.
//!
//! Built-in callbacks, with Keras 3's semantics: [`EarlyStopping`], [`ReduceLROnPlateau`],
//! [`TerminateOnNaN`], [`LearningRateScheduler`]. What Keras would warn about or raise, they
//! record as [`CallbackIssue`]s.

#[macro_use]
mod monitor;
mod collective;
mod early_stopping;
mod fit;
mod fit_source;
mod issue;
mod learning_rate_scheduler;
mod parts;
mod reduce_lr_on_plateau;
mod source;
mod split;
mod terminate_on_nan;

pub use crate::error::{Divergence, KeptWeights, NonFiniteIn};
pub use crate::logs::{History, Logs};
pub use crate::model::OnDivergence;
pub use collective::{Collective, SingleProcess, all_gather_counts, rank_part};
pub use early_stopping::{EarlyStopping, FinalWeights};
pub use issue::CallbackIssue;
pub use learning_rate_scheduler::LearningRateScheduler;
pub use monitor::{Direction, Monitor, MonitorMode};
pub use reduce_lr_on_plateau::{LrReduction, ReduceLROnPlateau};
pub use source::{BatchSource, Part};
pub use split::{SplitRows, SplitRule, ValidationSplit};
pub use terminate_on_nan::{NonFiniteLoss, TerminateOnNaN};

use std::collections::BTreeMap;

use crate::model::Sequential;
use crate::tensor::Tensor;

/// Whether `fit` shuffles the training samples before each epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Shuffle {
    /// A new random order every epoch (Keras' default, `shuffle=True`).
    #[default]
    EveryEpoch,
    /// The samples in their given order (`shuffle=False`).
    Never,
}

/// `fit`'s options, with Keras' defaults.
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// The epoch to stop before (default 1).
    pub epochs: usize,
    /// Samples per gradient step (default 32).
    pub batch_size: usize,
    /// Shuffling of the training samples (default: every epoch).
    pub shuffle: Shuffle,
    /// The fraction of the samples, taken from the **end** of `x`/`y` before any shuffling, held out
    /// for validation (default 0). Ignored when `validation_data` is given.
    pub validation_split: f64,
    /// Explicit validation inputs and targets.
    pub validation_data: Option<(Tensor, Tensor)>,
    /// Validate every this many epochs (default 1).
    pub validation_freq: usize,
    /// Batch size for validation (default: `batch_size`).
    pub validation_batch_size: Option<usize>,
    /// Loss weight of each class (integer label or arg-max of a one-hot target); others weigh 1.
    pub class_weight: Option<BTreeMap<usize, f32>>,
    /// Loss weight of each training sample (cannot be combined with `class_weight`).
    pub sample_weight: Option<Vec<f32>>,
    /// The epoch to start at, for resuming (default 0).
    pub initial_epoch: usize,
    /// What to do when a loss, gradient or weight becomes NaN or infinite (default: stop, keeping
    /// the last good weights, and return [`WxbError::Diverged`](crate::WxbError::Diverged)).
    pub on_divergence: OnDivergence,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            epochs: 1,
            batch_size: crate::model::DEFAULT_BATCH_SIZE,
            shuffle: Shuffle::EveryEpoch,
            validation_split: 0.0,
            validation_data: None,
            validation_freq: 1,
            validation_batch_size: None,
            class_weight: None,
            sample_weight: None,
            initial_epoch: 0,
            on_divergence: OnDivergence::Stop,
        }
    }
}

/// What a callback learns at the start of training (Keras' `callback.params`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainParams {
    /// The epoch training stops before.
    pub epochs: usize,
    /// The first epoch.
    pub initial_epoch: usize,
    /// Batches per epoch.
    pub steps: usize,
    /// Training samples.
    pub samples: usize,
    /// Validation samples (0 without validation).
    pub validation_samples: usize,
}

/// Hooks that `fit` calls; every method has an empty default. Callbacks receive the model to read
/// or change it (its weights, its optimizer's learning rate) or to stop training
/// ([`Sequential::stop_training`]).
///
/// `fit` calls the callbacks in the order given, then the built-in [`History`] (Keras appends its
/// `History` last), so entries a callback adds to an epoch's logs in
/// [`Callback::on_epoch_end_mut`] reach the callbacks after it, the returned [`History`] and
/// `on_train_end`.
pub trait Callback {
    /// Before the first epoch.
    fn on_train_begin(&mut self, _model: &mut Sequential, _params: &TrainParams) {}
    /// After the last epoch, with the last epoch's logs.
    fn on_train_end(&mut self, _model: &mut Sequential, _logs: &Logs) {}
    /// Before each epoch (numbered from 0).
    fn on_epoch_begin(&mut self, _model: &mut Sequential, _epoch: usize) {}
    /// After each epoch, with its training and validation logs.
    fn on_epoch_end(&mut self, _model: &mut Sequential, _epoch: usize, _logs: &Logs) {}
    /// What `fit` calls after each epoch: by default [`Callback::on_epoch_end`]. Override it instead
    /// to add entries to the epoch's logs, as Keras 3 callbacks write into their `logs` dict (e.g.
    /// [`ReduceLROnPlateau`] adds `learning_rate`).
    fn on_epoch_end_mut(&mut self, model: &mut Sequential, epoch: usize, logs: &mut Logs) {
        self.on_epoch_end(model, epoch, logs);
    }
    /// Before each batch (numbered from 0 within the epoch).
    fn on_batch_begin(&mut self, _model: &mut Sequential, _batch: usize) {}
    /// After each batch, with the epoch's running loss and metrics.
    fn on_batch_end(&mut self, _model: &mut Sequential, _batch: usize, _logs: &Logs) {}
}

/// Keras' `History` callback: records every epoch's logs (`fit` calls it after the others).
impl Callback for History {
    fn on_epoch_end(&mut self, _model: &mut Sequential, epoch: usize, logs: &Logs) {
        self.record(epoch, logs);
    }
}
