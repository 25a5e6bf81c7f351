//! [`TerminateOnNaN`]: stop training at the first batch whose loss is NaN or infinite.

use super::{Callback, Logs, TrainParams};
use crate::model::Sequential;

/// Where [`TerminateOnNaN`] stopped training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonFiniteLoss {
    /// The epoch.
    pub epoch: usize,
    /// The batch within the epoch (numbered from 0).
    pub batch: usize,
    /// The logged `loss` (the epoch's running mean, as Keras logs it): NaN or ±∞.
    pub loss: f64,
}

/// Stops training when a batch's logged `loss` is NaN or infinite, as Keras' `TerminateOnNaN`
/// (which checks at every batch end; batches without a `loss` are skipped).
///
/// Training stops gracefully: the epoch ends (validation and epoch-end callbacks run) and
/// `on_train_end` is called, as with Keras' default `raise_error=False`. Keras prints
/// `Batch {b}: Invalid loss, terminating training`; wxb records where ([`Self::stopped_at`]).
/// Keras' `raise_error=True` has no counterpart: a callback cannot fail `fit`.
#[derive(Clone, Debug, Default)]
pub struct TerminateOnNaN {
    epoch: usize,
    stopped_at: Option<NonFiniteLoss>,
}

impl TerminateOnNaN {
    /// A fresh callback.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where training was stopped in the last `fit`, if it was.
    pub fn stopped_at(&self) -> Option<NonFiniteLoss> {
        self.stopped_at
    }
}

impl Callback for TerminateOnNaN {
    fn on_train_begin(&mut self, _model: &mut Sequential, params: &TrainParams) {
        self.epoch = params.initial_epoch;
        self.stopped_at = None;
    }

    fn on_epoch_begin(&mut self, _model: &mut Sequential, epoch: usize) {
        self.epoch = epoch;
    }

    fn on_batch_end(&mut self, model: &mut Sequential, batch: usize, logs: &Logs) {
        let Some(&loss) = logs.get("loss") else { return };
        if !loss.is_finite() {
            if self.stopped_at.is_none() {
                self.stopped_at = Some(NonFiniteLoss { epoch: self.epoch, batch, loss });
            }
            model.stop_training();
        }
    }
}
