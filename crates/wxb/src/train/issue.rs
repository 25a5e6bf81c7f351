//! [`CallbackIssue`]: what a built-in callback met where Keras would warn or raise.

use std::fmt;

/// Something a built-in callback met that Keras reports with a warning or an exception. wxb never
/// prints and a callback cannot fail `fit`, so the callback records it (see each callback's
/// `issues()`) for the caller to show; [`fmt::Display`] gives a Keras-like message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CallbackIssue {
    /// The epoch's logs had no value under the monitored key, so the epoch was not judged (Keras
    /// warns and carries on).
    MissingMonitor {
        /// The epoch.
        epoch: usize,
        /// The monitored key.
        monitor: String,
        /// The keys the logs had.
        available: Vec<String>,
    },
    /// [`MonitorMode::Auto`](super::MonitorMode::Auto) could not tell whether the monitored value
    /// should fall or rise: it is neither `loss`/`val_loss` nor a compiled metric (Keras raises
    /// `ValueError` at the first epoch end). wxb stops training at that epoch end.
    UnknownDirection {
        /// The epoch.
        epoch: usize,
        /// The monitored key.
        monitor: String,
    },
    /// The optimizer's learning rate is a schedule, so it cannot be replaced (Keras raises
    /// `TypeError`). wxb leaves the rate unchanged and stops training.
    LearningRateNotSettable {
        /// The epoch.
        epoch: usize,
    },
    /// The model has no optimizer: it was not compiled (Keras fails with `AttributeError`). wxb
    /// stops training.
    NotCompiled {
        /// The epoch.
        epoch: usize,
    },
}

impl CallbackIssue {
    /// The epoch at which it happened.
    pub fn epoch(&self) -> usize {
        match self {
            CallbackIssue::MissingMonitor { epoch, .. }
            | CallbackIssue::UnknownDirection { epoch, .. }
            | CallbackIssue::LearningRateNotSettable { epoch }
            | CallbackIssue::NotCompiled { epoch } => *epoch,
        }
    }
}

impl fmt::Display for CallbackIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackIssue::MissingMonitor { epoch, monitor, available } => write!(
                f,
                "epoch {}: the monitored metric `{monitor}` is not available; available metrics are: {}",
                epoch + 1,
                available.join(",")
            ),
            CallbackIssue::UnknownDirection { epoch, monitor } => write!(
                f,
                "epoch {}: cannot tell whether `{monitor}` should be minimized or maximized; \
                 give the mode (Min or Max); training stopped",
                epoch + 1
            ),
            CallbackIssue::LearningRateNotSettable { epoch } => write!(
                f,
                "epoch {}: the optimizer's learning rate is a schedule and cannot be set; training stopped",
                epoch + 1
            ),
            CallbackIssue::NotCompiled { epoch } => {
                write!(f, "epoch {}: the model has no optimizer (not compiled); training stopped", epoch + 1)
            }
        }
    }
}
