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
    /// Their logs (a NaN or infinite value is written as the text `"NaN"`, `"inf"` or `"-inf"`:
    /// JSON has no such numbers, and `null` would not read back as a number).
    #[serde(with = "text_floats")]
    pub history: History,
    /// The fraction of rows held out for validation by the first run: `--resume` holds out the
    /// same rows.
    #[serde(default)]
    pub validation_split: f64,
    /// How they were chosen (with the seed of a shuffled split); `None` (models saved before the
    /// rule was recorded): the last rows, as Keras.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_rule: Option<wxb::train::SplitRule>,
}

/// [`History`] in JSON with non-finite values as text (and `null`, which older wxb wrote for
/// them, read back as NaN).
mod text_floats {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use wxb::train::History;

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Value {
        Number(f64),
        Text(String),
        Null(()),
    }

    #[derive(Serialize, Deserialize)]
    struct Json {
        epochs: Vec<usize>,
        history: BTreeMap<String, Vec<Value>>,
    }

    fn to_json(v: f64) -> Value {
        match v {
            v if v.is_finite() => Value::Number(v),
            v if v.is_nan() => Value::Text("NaN".into()),
            v if v > 0.0 => Value::Text("inf".into()),
            _ => Value::Text("-inf".into()),
        }
    }

    fn from_json<E: serde::de::Error>(v: Value) -> Result<f64, E> {
        match v {
            Value::Number(v) => Ok(v),
            Value::Null(()) => Ok(f64::NAN),
            Value::Text(t) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                _ => Err(E::custom(format!("{t:?} is not a number (expected a number, \"NaN\", \"inf\" or \"-inf\")"))),
            },
        }
    }

    pub fn serialize<S: Serializer>(h: &History, s: S) -> Result<S::Ok, S::Error> {
        let history = h.history.iter().map(|(k, v)| (k.clone(), v.iter().map(|&x| to_json(x)).collect())).collect();
        Json { epochs: h.epochs.clone(), history }.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<History, D::Error> {
        let json = Json::deserialize(d)?;
        let mut history = BTreeMap::new();
        for (k, v) in json.history {
            history.insert(k, v.into_iter().map(from_json).collect::<Result<Vec<f64>, D::Error>>()?);
        }
        Ok(History { epochs: json.epochs, history })
    }

    #[cfg(test)]
    mod tests {
        use super::super::TrainingState;

        #[test]
        fn non_finite_logs_round_trip_as_text_and_null_reads_as_nan() {
            let mut state = TrainingState { epochs_completed: 3, validation_split: 0.25, ..TrainingState::default() };
            state.history.epochs = vec![0, 1, 2];
            state.history.history.insert("val_loss".into(), vec![0.5, f64::NAN, f64::INFINITY]);
            let json = serde_json::to_string(&state).unwrap();
            assert!(json.contains(r#"[0.5,"NaN","inf"]"#) && !json.contains("null"), "{json}");
            let back: TrainingState = serde_json::from_str(&json).unwrap();
            let v = &back.history.history["val_loss"];
            assert!(v[0] == 0.5 && v[1].is_nan() && v[2] == f64::INFINITY && back.validation_split == 0.25);
            let old = r#"{"epochs_completed":1,"history":{"epochs":[0],"history":{"val_loss":[null]}}}"#;
            let old: TrainingState = serde_json::from_str(old).unwrap();
            assert!(old.history.history["val_loss"][0].is_nan() && old.validation_split == 0.0);
        }
    }
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
