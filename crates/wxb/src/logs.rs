//! What training reports, as plain data: [`Logs`] (named values after a batch or an epoch) and
//! [`History`] (every epoch's logs, as Keras' `History` callback records them).
//!
//! Plain data at the bottom of the crate, so that the model (whose `evaluate` returns [`Logs`]),
//! the divergence report (which carries the [`History`] so far) and training all read the same
//! types without importing one another. `train` re-exports both.

use std::collections::BTreeMap;

/// Named values reported to callbacks: `loss`, the metrics, and `val_loss`, `val_<metric>`.
/// Ordered by name, as Keras' progress bar shows them.
pub type Logs = BTreeMap<String, f64>;

/// Per-epoch values of the loss and metrics (`history["loss"][i]` is epoch `epochs[i]`'s loss).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct History {
    /// The epochs recorded, in order.
    pub epochs: Vec<usize>,
    /// Each log key's values, one per recorded epoch.
    pub history: BTreeMap<String, Vec<f64>>,
}

impl History {
    /// The values of `key` (`loss`, `val_accuracy`, …), if recorded.
    pub fn get(&self, key: &str) -> Option<&[f64]> {
        self.history.get(key).map(Vec::as_slice)
    }

    /// The last value of `key`.
    pub fn last(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(|v| v.last().copied())
    }

    /// Appends the epochs of a later `fit` (e.g. after resuming).
    pub fn extend(&mut self, later: &History) {
        let before = self.epochs.len();
        self.epochs.extend_from_slice(&later.epochs);
        for (k, v) in &later.history {
            let column = self.history.entry(k.clone()).or_default();
            // A key that appears only later gets NaN for the earlier epochs.
            column.resize(before.max(column.len()), f64::NAN);
            column.extend_from_slice(v);
        }
        for column in self.history.values_mut() {
            column.resize(self.epochs.len(), f64::NAN);
        }
    }

    /// The recorded keys.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.history.keys().map(String::as_str)
    }
}

impl History {
    /// Records one epoch's logs (what Keras' `History.on_epoch_end` does).
    pub fn record(&mut self, epoch: usize, logs: &Logs) {
        self.epochs.push(epoch);
        for (k, &v) in logs {
            self.history.entry(k.clone()).or_default().push(v);
        }
    }
}
