//! [`Monitor`]: the watch on one logged value shared by [`EarlyStopping`](super::EarlyStopping) and
//! [`ReduceLROnPlateau`](super::ReduceLROnPlateau), as Keras 3's `MonitorCallback`.

use super::{CallbackIssue, Logs};
use crate::metrics::Metric;
use crate::model::Sequential;

/// Builder setters `pub fn field(mut self, field: Type) -> Self` for plain fields of a callback,
/// one per `/// doc` + `field: Type` line.
macro_rules! field_setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $field(mut self, $field: $ty) -> Self {
                self.$field = $field;
                self
            }
        )*
    };
}

/// The builder setters of a callback's `monitor: Monitor` field (`monitor`, `min_delta`, `mode`)
/// and `monitor_config`, shared by [`EarlyStopping`](super::EarlyStopping) and
/// [`ReduceLROnPlateau`](super::ReduceLROnPlateau).
macro_rules! monitor_setters {
    () => {
        /// The logged key to watch (`loss`, `val_accuracy`, …).
        pub fn monitor(mut self, key: &str) -> Self {
            self.monitor.set_key(key);
            self
        }

        /// The least change that counts as an improvement (its sign is ignored).
        pub fn min_delta(mut self, min_delta: f64) -> Self {
            self.monitor.set_min_delta(min_delta);
            self
        }

        /// Whether lower or higher is better.
        pub fn mode(mut self, mode: MonitorMode) -> Self {
            self.monitor.set_mode(mode);
            self
        }

        /// The watched value, its mode and `min_delta`.
        pub fn monitor_config(&self) -> &Monitor {
            &self.monitor
        }
    };
}

/// Whether the monitored value should fall or rise (Keras' `mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MonitorMode {
    /// Decided from the key, as Keras: without a `val_` prefix, `loss` falls; a compiled metric of
    /// that name falls or rises as Keras' metric does (accuracies rise; `mse`, `mae` fall). Any
    /// other key cannot be decided ([`CallbackIssue::UnknownDirection`]).
    #[default]
    Auto,
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// The way a monitored value improves, once [`MonitorMode`] is resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Lower is better (Keras' `monitor_op = ops.less`).
    Down,
    /// Higher is better (`ops.greater`).
    Up,
}

/// One logged value under watch: its key, its mode and the least change that counts.
///
/// The improvement test is Keras' `_is_improvement`: with `d = |min_delta|`, a value `v` improves on
/// a reference `r` when `v + d < r` (falling) or `v − d > r` (rising), the sum taken in `f64` and
/// both sides then compared as `f32`, as TensorFlow converts Python floats; anything improves on no
/// reference. NaN never improves on a number but does improve on no reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Monitor {
    key: String,
    mode: MonitorMode,
    min_delta: f64,
    /// Resolved at the first epoch end and kept, as Keras keeps `monitor_op`.
    direction: Option<Direction>,
}

impl Monitor {
    /// Watches `key` (e.g. `val_loss`) in `mode`; `min_delta`'s sign is ignored (Keras takes `abs`).
    pub fn new(key: &str, mode: MonitorMode, min_delta: f64) -> Self {
        Self { key: key.to_string(), mode, min_delta: min_delta.abs(), direction: None }
    }

    /// The monitored key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The mode as given.
    pub fn mode(&self) -> MonitorMode {
        self.mode
    }

    /// `|min_delta|`.
    pub fn min_delta(&self) -> f64 {
        self.min_delta
    }

    pub(crate) fn set_key(&mut self, key: &str) {
        self.key = key.to_string();
        self.direction = None;
    }

    pub(crate) fn set_mode(&mut self, mode: MonitorMode) {
        self.mode = mode;
        self.direction = None;
    }

    pub(crate) fn set_min_delta(&mut self, min_delta: f64) {
        self.min_delta = min_delta.abs();
    }

    /// The direction, resolving [`MonitorMode::Auto`] against the model's compiled metrics the
    /// first time (Keras' `_set_monitor_op`); `None` when Auto cannot decide.
    pub fn resolve(&mut self, model: &Sequential) -> Option<Direction> {
        if self.direction.is_none() {
            self.direction = match self.mode {
                MonitorMode::Min => Some(Direction::Down),
                MonitorMode::Max => Some(Direction::Up),
                MonitorMode::Auto => auto_direction(&self.key, model),
            };
        }
        self.direction
    }

    /// Whether `value` improves on `reference` going `direction` by more than `min_delta`.
    pub fn is_improvement(&self, direction: Direction, value: f64, reference: Option<f64>) -> bool {
        let Some(reference) = reference else { return true };
        match direction {
            Direction::Down => ((value + self.min_delta) as f32) < reference as f32,
            Direction::Up => ((value - self.min_delta) as f32) > reference as f32,
        }
    }

    /// The epoch's value of the key, or `None` after recording [`CallbackIssue::MissingMonitor`].
    pub(crate) fn value(&self, epoch: usize, logs: &Logs, issues: &mut Vec<CallbackIssue>) -> Option<f64> {
        let value = logs.get(&self.key).copied();
        if value.is_none() {
            issues.push(CallbackIssue::MissingMonitor {
                epoch,
                monitor: self.key.clone(),
                available: logs.keys().cloned().collect(),
            });
        }
        value
    }
}

/// Keras' `auto` rule: strip one `val_` prefix; `loss` falls; a compiled metric of that name
/// decides (it overrides the `loss` rule, as in Keras).
fn auto_direction(key: &str, model: &Sequential) -> Option<Direction> {
    let name = key.strip_prefix("val_").unwrap_or(key);
    let mut direction = (name == "loss").then_some(Direction::Down);
    if let Some(compiled) = model.compiled() {
        for metric in compiled.metrics.iter().filter(|m| m.name() == name) {
            direction = Some(metric_direction(*metric));
        }
    }
    direction
}

/// Keras' `_direction` of each metric (`up` for accuracies, `down` for errors). Exhaustive on
/// purpose: a new metric must say which way it improves.
fn metric_direction(metric: Metric) -> Direction {
    match metric {
        Metric::Accuracy
        | Metric::BinaryAccuracy { .. }
        | Metric::CategoricalAccuracy
        | Metric::SparseCategoricalAccuracy
        | Metric::TopKCategoricalAccuracy { .. }
        | Metric::SparseTopKCategoricalAccuracy { .. }
        | Metric::Precision { .. }
        | Metric::Recall { .. }
        | Metric::TruePositives { .. }
        | Metric::TrueNegatives { .. }
        | Metric::Auc { .. }
        | Metric::F1Score { .. }
        | Metric::FBetaScore { .. }
        | Metric::R2Score => Direction::Up,
        Metric::MeanSquaredError
        | Metric::MeanAbsoluteError
        | Metric::MeanAbsolutePercentageError
        | Metric::MeanSquaredLogarithmicError
        | Metric::RootMeanSquaredError
        | Metric::FalsePositives { .. }
        | Metric::FalseNegatives { .. } => Direction::Down,
    }
}
