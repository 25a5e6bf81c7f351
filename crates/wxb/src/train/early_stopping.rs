//! [`EarlyStopping`]: stop training when a monitored value stops improving (Keras 3.15's logic).

use super::{Callback, CallbackIssue, Logs, Monitor, MonitorMode, TrainParams};
use crate::model::Sequential;
use crate::tensor::Tensor;

/// Which weights the model keeps when training ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FinalWeights {
    /// Those of the last step (Keras' `restore_best_weights=False`).
    #[default]
    Last,
    /// Those at the end of the best epoch (`restore_best_weights=True`), restored at the end of
    /// training **whether or not training stopped early** (Keras 3's behaviour).
    Best,
}

/// Stops training when the monitored value has not improved for `patience` epochs.
///
/// Defaults (Keras'): monitor `val_loss`, `min_delta` 0, `patience` 0, [`MonitorMode::Auto`], no
/// baseline, [`FinalWeights::Last`], `start_from_epoch` 0.
///
/// At each epoch end, as Keras 3.15's `EarlyStopping.on_epoch_end`:
/// 1. if the monitored key is missing (recorded as [`CallbackIssue::MissingMonitor`]) or the epoch
///    is before `start_from_epoch`, nothing happens;
/// 2. with [`FinalWeights::Best`], the first judged epoch's weights are kept as the best so far;
/// 3. `wait += 1`;
/// 4. if the value improves on the best (see [`Monitor`]; the first judged value always does), it
///    becomes the best, its epoch and weights are kept, and `wait` returns to 0 **only if** the
///    value also improves on the baseline (or there is none);
/// 5. otherwise, if `wait >= patience` and `epoch > 0`, training stops ([`Self::stopped_epoch`]).
///
/// The baseline does not seed the best value (Keras resets `best` at train begin): it only decides
/// whether an improvement resets `wait`, so a run that never beats it stops after `patience`
/// judged epochs. At train end, with [`FinalWeights::Best`], the best epoch's weights are restored
/// ([`Self::restored_epoch`]). Every `fit` starts afresh (state is reset at train begin).
///
/// ```
/// use wxb::prelude::*;
/// use wxb::train::Shuffle;
///
/// let x = Tensor::from_vec(&[4, 1], vec![0.0, 1.0, 2.0, 3.0]);
/// let y = x.map(|v| 3.0 * v + 2.0);
/// let mut model = Sequential::new(&[1]);
/// model.add(Dense::new(1));
/// model.compile(Optimizer::sgd(0.0), Loss::MeanSquaredError, &[]); // a rate of 0: no progress
/// let mut stop = EarlyStopping::new().monitor("loss").patience(2);
/// let options = FitOptions { epochs: 50, batch_size: 4, shuffle: Shuffle::Never, ..FitOptions::default() };
/// let history = model.fit(&x, &y, &options, &mut [&mut stop]).unwrap();
/// assert_eq!(stop.stopped_epoch(), Some(2));
/// assert_eq!(history.epochs, vec![0, 1, 2]);
/// ```
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    monitor: Monitor,
    patience: usize,
    baseline: Option<f64>,
    final_weights: FinalWeights,
    start_from_epoch: usize,
    wait: usize,
    stopped_epoch: Option<usize>,
    best: Option<f64>,
    best_epoch: Option<usize>,
    best_weights: Option<Vec<Tensor>>,
    restored_epoch: Option<usize>,
    issues: Vec<CallbackIssue>,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        Self::new()
    }
}

impl EarlyStopping {
    /// Keras' defaults: monitor `val_loss`, stop at the first epoch without improvement.
    pub fn new() -> Self {
        Self {
            monitor: Monitor::new("val_loss", MonitorMode::Auto, 0.0),
            patience: 0,
            baseline: None,
            final_weights: FinalWeights::Last,
            start_from_epoch: 0,
            wait: 0,
            stopped_epoch: None,
            best: None,
            best_epoch: None,
            best_weights: None,
            restored_epoch: None,
            issues: Vec::new(),
        }
    }

    /// A value to beat: improvements that do not beat it leave `wait` counting. Like Keras' constructor,
    /// this also sets [`Self::best`] until training begins.
    pub fn baseline(mut self, baseline: f64) -> Self {
        self.baseline = Some(baseline);
        self.best = Some(baseline);
        self
    }

    field_setters! {
        /// Epochs without improvement before stopping.
        patience: usize,
        /// Which weights the model keeps at the end (Keras' `restore_best_weights`).
        final_weights: FinalWeights,
        /// Epochs to let pass (warm-up) before judging any.
        start_from_epoch: usize,
    }

    monitor_setters!();

    /// The epoch at which it stopped training in the last `fit`, if it did.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The best value judged so far (before training: the baseline, as in Keras).
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// The epoch of [`Self::best`] (Keras reports 0 where this is `None`).
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// The epoch whose weights were restored at the end of training, if any.
    pub fn restored_epoch(&self) -> Option<usize> {
        self.restored_epoch
    }

    /// Judged epochs since the counter was last reset.
    pub fn wait(&self) -> usize {
        self.wait
    }

    /// Warnings and failures met in the last `fit` (see [`CallbackIssue`]).
    pub fn issues(&self) -> &[CallbackIssue] {
        &self.issues
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _model: &mut Sequential, _params: &TrainParams) {
        self.wait = 0;
        self.stopped_epoch = None;
        self.best = None;
        self.best_epoch = None;
        self.best_weights = None;
        self.restored_epoch = None;
        self.issues.clear();
    }

    fn on_epoch_end(&mut self, model: &mut Sequential, epoch: usize, logs: &Logs) {
        let Some(direction) = self.monitor.resolve(model) else {
            self.issues.push(CallbackIssue::UnknownDirection { epoch, monitor: self.monitor.key().to_string() });
            model.stop_training();
            return;
        };
        let Some(current) = self.monitor.value(epoch, logs, &mut self.issues) else { return };
        if epoch < self.start_from_epoch {
            return;
        }
        let keep_best = self.final_weights == FinalWeights::Best;
        if keep_best && self.best_weights.is_none() {
            self.best_weights = Some(model.get_weights());
            self.best_epoch = Some(epoch);
        }
        self.wait += 1;
        if self.monitor.is_improvement(direction, current, self.best) {
            self.best = Some(current);
            self.best_epoch = Some(epoch);
            if keep_best {
                self.best_weights = Some(model.get_weights());
            }
            if self.baseline.is_none_or(|b| self.monitor.is_improvement(direction, current, Some(b))) {
                self.wait = 0;
            }
            return;
        }
        if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = Some(epoch);
            model.stop_training();
        }
    }

    /// Restores the best weights with [`FinalWeights::Best`]; they come from this model, so setting
    /// them only fails if its layers were changed during training (then nothing is restored).
    fn on_train_end(&mut self, model: &mut Sequential, _logs: &Logs) {
        if self.final_weights != FinalWeights::Best {
            return;
        }
        if let Some(weights) = &self.best_weights
            && model.set_weights(weights).is_ok()
        {
            self.restored_epoch = self.best_epoch;
        }
    }
}
