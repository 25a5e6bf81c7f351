//! [`LearningRateScheduler`]: set the learning rate from a function of the epoch at each epoch begin.

use std::fmt;

use super::{Callback, CallbackIssue, Logs, TrainParams};
use crate::model::Sequential;

/// The schedule: `(epoch, current learning rate) -> new learning rate`.
type Schedule = Box<dyn FnMut(usize, f32) -> f32 + Send>;

/// Sets the optimizer's learning rate to `schedule(epoch, lr)` before each epoch (numbered from 0),
/// `lr` being the current rate, as Keras' `LearningRateScheduler.on_epoch_begin`; at each epoch end
/// it writes the rate into the epoch's logs as `learning_rate` (so [`History`](super::History)
/// records it), as Keras 3 does.
///
/// Keras calls the function with the rate as a Python float and stores the returned float as
/// `float32`; to match its arithmetic exactly, compute in `f64` and round once:
/// `|epoch, lr| if epoch < 10 { lr } else { (f64::from(lr) * (-0.1f64).exp()) as f32 }`.
///
/// If the optimizer's rate is a schedule, it cannot be replaced: Keras raises `TypeError` before
/// the epoch's first batch; wxb records [`CallbackIssue::LearningRateNotSettable`] and stops
/// training, which (as any stop) takes effect after the epoch's first batch.
pub struct LearningRateScheduler {
    schedule: Schedule,
    issues: Vec<CallbackIssue>,
}

impl LearningRateScheduler {
    /// A scheduler calling `schedule(epoch, lr)`.
    pub fn new(schedule: impl FnMut(usize, f32) -> f32 + Send + 'static) -> Self {
        Self { schedule: Box::new(schedule), issues: Vec::new() }
    }

    /// Failures met in the last `fit` (see [`CallbackIssue`]).
    pub fn issues(&self) -> &[CallbackIssue] {
        &self.issues
    }
}

impl fmt::Debug for LearningRateScheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LearningRateScheduler").field("issues", &self.issues).finish_non_exhaustive()
    }
}

impl Callback for LearningRateScheduler {
    fn on_train_begin(&mut self, _model: &mut Sequential, _params: &TrainParams) {
        self.issues.clear();
    }

    fn on_epoch_begin(&mut self, model: &mut Sequential, epoch: usize) {
        let Some(optimizer) = model.optimizer_mut() else {
            self.issues.push(CallbackIssue::NotCompiled { epoch });
            model.stop_training();
            return;
        };
        let lr = (self.schedule)(epoch, optimizer.current_learning_rate());
        if !optimizer.set_learning_rate(lr) {
            self.issues.push(CallbackIssue::LearningRateNotSettable { epoch });
            model.stop_training();
        }
    }

    fn on_epoch_end_mut(&mut self, model: &mut Sequential, _epoch: usize, logs: &mut Logs) {
        if let Some(optimizer) = model.optimizer() {
            logs.insert("learning_rate".into(), f64::from(optimizer.current_learning_rate()));
        }
    }
}
