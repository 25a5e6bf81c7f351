//! `--checkpoint`: after every epoch, the last model and the best one so far are saved (with the
//! optimizer's state and the training progress) under `OUT/checkpoints/{last,best}`, so that
//! `--resume` can continue exactly where a run stopped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wxb::Sequential;
use wxb::io::{self, OptimizerState};
use wxb::train::{Callback, History, Logs};

/// The metadata key of the training progress.
pub const TRAINING_KEY: &str = "training";

/// How far a model has trained: the epochs done and their logs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingState {
    /// Completed epochs.
    pub epochs_completed: usize,
    /// Their logs.
    pub history: History,
}

impl TrainingState {
    /// Adds the epochs of a `fit`.
    pub fn extend(&mut self, later: &History) {
        self.history.extend(later);
        self.epochs_completed = self.history.epochs.last().map_or(self.epochs_completed, |e| e + 1);
    }
}

/// The checkpointing callback.
pub struct Checkpoint {
    dir: PathBuf,
    monitor: String,
    best: Option<f64>,
    metadata: BTreeMap<String, serde_json::Value>,
    state: TrainingState,
    /// The first error met while saving; training goes on, the command reports it at the end.
    pub error: Option<anyhow::Error>,
}

impl Checkpoint {
    /// Checkpoints under `out/checkpoints`, judging "best" by `monitor` (lower is better).
    pub fn new(out: &Path, monitor: &str, metadata: BTreeMap<String, serde_json::Value>, state: TrainingState) -> Self {
        Self { dir: out.join("checkpoints"), monitor: monitor.into(), best: None, metadata, state, error: None }
    }

    /// The folder of the last epoch's model.
    pub fn last_dir(&self) -> PathBuf {
        self.dir.join("last")
    }

    /// The folder of the best model.
    pub fn best_dir(&self) -> PathBuf {
        self.dir.join("best")
    }

    fn save(&mut self, model: &mut Sequential, dir: &Path) -> anyhow::Result<()> {
        let mut meta = self.metadata.clone();
        meta.insert(TRAINING_KEY.into(), serde_json::to_value(&self.state)?);
        io::save(model, dir, &meta, OptimizerState::Include)?;
        Ok(())
    }
}

impl Callback for Checkpoint {
    fn on_epoch_end(&mut self, model: &mut Sequential, epoch: usize, logs: &Logs) {
        let mut one = History::default();
        one.epochs.push(epoch);
        for (k, &v) in logs {
            one.history.insert(k.clone(), vec![v]);
        }
        self.state.extend(&one);
        let last = self.last_dir();
        if let Err(e) = self.save(model, &last) {
            self.error.get_or_insert(e);
        }
        let value = logs.get(&self.monitor).copied().filter(|v| v.is_finite());
        if let Some(v) = value
            && self.best.is_none_or(|b| v < b)
        {
            self.best = Some(v);
            let best = self.best_dir();
            if let Err(e) = self.save(model, &best) {
                self.error.get_or_insert(e);
            }
        }
    }
}
