//! [`ReduceLROnPlateau`]: lower the learning rate when a monitored value stops improving.

use super::{Callback, CallbackIssue, Logs, Monitor, MonitorMode, TrainParams};
use crate::model::Sequential;

/// One reduction of the learning rate (what Keras prints with `verbose=1`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrReduction {
    /// The epoch at whose end it happened.
    pub epoch: usize,
    /// The rate before.
    pub from: f32,
    /// The rate after.
    pub to: f32,
}

/// Multiplies the optimizer's learning rate by `factor` when the monitored value has not improved
/// for `patience` epochs.
///
/// Defaults (Keras'): monitor `val_loss`, `factor` 0.1, `patience` 10, [`MonitorMode::Auto`],
/// `min_delta` 1e-4, `cooldown` 0, `min_lr` 0.
///
/// At each epoch end, as Keras 3.15's `ReduceLROnPlateau.on_epoch_end`:
/// 1. the optimizer's current rate is written into the epoch's logs as `learning_rate` (so
///    [`History`](super::History) records it);
/// 2. if the monitored key is missing ([`CallbackIssue::MissingMonitor`]), nothing else happens;
/// 3. in cooldown, the cooldown counter drops by one and `wait` returns to 0;
/// 4. if the value improves on the best (see [`Monitor`]), it becomes the best and `wait` = 0;
/// 5. otherwise, out of cooldown, `wait += 1`; once `wait >= patience`, if the rate is above
///    `min_lr` (compared as `f32`), it becomes `max(rate·factor, min_lr)` (in `f64`, then stored as
///    `f32`), the cooldown starts (`cooldown` epochs) and `wait` = 0. A rate already at `min_lr`
///    is left alone and `wait` keeps counting.
///
/// A schedule cannot be reduced: Keras raises `TypeError`; wxb records
/// [`CallbackIssue::LearningRateNotSettable`] and stops training. Reductions are recorded
/// ([`Self::reductions`]). Every `fit` starts afresh (best, wait and cooldown are reset at train
/// begin; the learning rate stays where it is, as in Keras).
///
/// ```
/// use wxb::prelude::*;
///
/// let x = Tensor::from_vec(&[4, 1], vec![0.0, 1.0, 2.0, 3.0]);
/// let y = x.map(|v| 3.0 * v + 2.0);
/// let mut model = Sequential::new(&[1]);
/// model.add(Dense::new(1));
/// model.compile(Optimizer::sgd(0.01), Loss::MeanSquaredError, &[]);
/// // The loss falls, so watching it in Max mode sees a plateau at every epoch after the first.
/// let mut plateau = ReduceLROnPlateau::new().monitor("loss").mode(MonitorMode::Max).patience(1).factor(0.5);
/// let history = model.fit(&x, &y, &FitOptions { epochs: 3, ..FitOptions::default() }, &mut [&mut plateau]).unwrap();
/// let rates: Vec<f32> = history.get("learning_rate").unwrap().iter().map(|&r| r as f32).collect();
/// assert_eq!(rates, [0.01, 0.01, 0.005]);
/// assert_eq!(plateau.reductions().len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct ReduceLROnPlateau {
    monitor: Monitor,
    factor: f64,
    patience: usize,
    cooldown: usize,
    min_lr: f64,
    best: Option<f64>,
    wait: usize,
    cooldown_counter: usize,
    reductions: Vec<LrReduction>,
    issues: Vec<CallbackIssue>,
}

impl Default for ReduceLROnPlateau {
    fn default() -> Self {
        Self::new()
    }
}

impl ReduceLROnPlateau {
    /// Keras' defaults: watch `val_loss`, divide the rate by 10 after 10 epochs without improvement.
    pub fn new() -> Self {
        Self {
            monitor: Monitor::new("val_loss", MonitorMode::Auto, 1e-4),
            factor: 0.1,
            patience: 10,
            cooldown: 0,
            min_lr: 0.0,
            best: None,
            wait: 0,
            cooldown_counter: 0,
            reductions: Vec::new(),
            issues: Vec::new(),
        }
    }

    /// The multiplier of each reduction, `new_lr = lr · factor`.
    ///
    /// # Panics
    /// If `factor >= 1` (Keras raises `ValueError`).
    pub fn factor(mut self, factor: f64) -> Self {
        assert!(factor < 1.0, "ReduceLROnPlateau does not support a factor >= 1.0, got {factor}");
        self.factor = factor;
        self
    }

    field_setters! {
        /// Epochs without improvement before a reduction.
        patience: usize,
        /// Epochs after a reduction during which no further reduction happens and `wait` stays 0.
        cooldown: usize,
        /// The lowest rate a reduction can reach.
        min_lr: f64,
    }

    monitor_setters!();

    /// The best value seen in this `fit`.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Epochs without improvement counted towards the next reduction.
    pub fn wait(&self) -> usize {
        self.wait
    }

    /// Epochs of cooldown left.
    pub fn cooldown_counter(&self) -> usize {
        self.cooldown_counter
    }

    /// The reductions made in the last `fit`, in order.
    pub fn reductions(&self) -> &[LrReduction] {
        &self.reductions
    }

    /// Warnings and failures met in the last `fit` (see [`CallbackIssue`]).
    pub fn issues(&self) -> &[CallbackIssue] {
        &self.issues
    }

    fn in_cooldown(&self) -> bool {
        self.cooldown_counter > 0
    }

    /// Keras' `_reduce_optimizer_lr`: whether the rate was lowered.
    fn reduce(&mut self, model: &mut Sequential, epoch: usize) -> bool {
        let Some(optimizer) = model.optimizer_mut() else { return false };
        let from = optimizer.current_learning_rate();
        if from <= self.min_lr as f32 || from.is_nan() {
            return false;
        }
        let to = (f64::from(from) * self.factor).max(self.min_lr) as f32;
        if !optimizer.set_learning_rate(to) {
            self.issues.push(CallbackIssue::LearningRateNotSettable { epoch });
            model.stop_training();
            return false;
        }
        self.reductions.push(LrReduction { epoch, from, to });
        true
    }
}

impl Callback for ReduceLROnPlateau {
    fn on_train_begin(&mut self, _model: &mut Sequential, _params: &TrainParams) {
        self.best = None;
        self.cooldown_counter = 0;
        self.wait = 0;
        self.reductions.clear();
        self.issues.clear();
    }

    fn on_epoch_end_mut(&mut self, model: &mut Sequential, epoch: usize, logs: &mut Logs) {
        let Some(direction) = self.monitor.resolve(model) else {
            self.issues.push(CallbackIssue::UnknownDirection { epoch, monitor: self.monitor.key().to_string() });
            model.stop_training();
            return;
        };
        let Some(optimizer) = model.optimizer() else {
            self.issues.push(CallbackIssue::NotCompiled { epoch });
            model.stop_training();
            return;
        };
        logs.insert("learning_rate".into(), f64::from(optimizer.current_learning_rate()));
        let Some(current) = self.monitor.value(epoch, logs, &mut self.issues) else { return };
        if self.in_cooldown() {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.monitor.is_improvement(direction, current, self.best) {
            self.best = Some(current);
            self.wait = 0;
        } else if !self.in_cooldown() {
            self.wait += 1;
            if self.wait >= self.patience && self.reduce(model, epoch) {
                self.cooldown_counter = self.cooldown;
                self.wait = 0;
            }
        }
    }
}
