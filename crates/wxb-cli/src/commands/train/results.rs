//! What `wxb train` prints as its result on standard output: the saved model's figures and, on
//! the bundled MNIST, the test accuracy — as text, or as one JSON object with `--json`; and the
//! title of `training.png` (the data and the model).

use std::path::Path;

use wxb::Sequential;
use wxb::train::{History, Logs};

use crate::cli::TrainArgs;
use crate::commands::evaluate::json_number;

/// The end of a training run.
pub struct Results<'a> {
    /// The model folder.
    pub out: &'a Path,
    /// Every epoch trained, earlier runs of a resumed model included.
    pub history: &'a History,
    /// The epoch (0-based) whose weights early stopping kept, if it restored one.
    pub kept: Option<usize>,
    /// The bundled MNIST's test figures and the number of test digits.
    pub test: Option<&'a (Logs, usize)>,
}

impl Results<'_> {
    /// Prints the results on standard output.
    pub fn print(&self, json: bool) {
        if json {
            println!("{}", self.json());
        } else if let Some((logs, rows)) = self.test {
            println!(
                "Test accuracy: {:.4} (loss {:.4}) on {rows} test digits",
                logs.get("accuracy").copied().unwrap_or(f64::NAN),
                logs.get("loss").copied().unwrap_or(f64::NAN),
            );
        } else if let Some(line) = super::report::saved_model(self.history, self.kept) {
            println!("{line}");
        }
    }

    /// `{"model": DIR, "epochs": N, "epoch": E, "logs": {…}, "test": {…}}`: the folder, the epochs
    /// trained, the saved epoch (from 1) and its logs (Keras' names), the test figures (MNIST).
    pub fn json(&self) -> String {
        let h = self.history;
        let at = match self.kept {
            Some(e) => h.epochs.iter().position(|&x| x == e),
            None => h.epochs.len().checked_sub(1),
        };
        let logs = |f: &mut dyn FnMut(&str) -> Option<f64>, keys: Vec<&str>| -> serde_json::Value {
            let fields = keys.into_iter().filter_map(|k| f(k).map(|v| (k.to_string(), json_value(v)))).collect();
            serde_json::Value::Object(fields)
        };
        let saved = logs(&mut |k| at.and_then(|i| h.get(k).and_then(|v| v.get(i)).copied()), h.keys().collect());
        let mut doc = serde_json::json!({
            "model": self.out.display().to_string(),
            "epochs": h.epochs.len(),
            "epoch": at.map(|i| h.epochs[i] + 1),
            "logs": saved,
        });
        if let Some((t, rows)) = self.test {
            doc["test"] = logs(&mut |k| t.get(k).copied(), t.keys().map(String::as_str).collect());
            doc["test_samples"] = (*rows).into();
        }
        doc.to_string()
    }
}

/// A number for JSON (`null` for NaN and infinities).
fn json_value(v: f64) -> serde_json::Value {
    serde_json::from_str(&json_number(v)).unwrap_or(serde_json::Value::Null)
}

/// `training.png`'s title: the data and the model, e.g. `the bundled MNIST (8,000 digits) —
/// Dense 256-128-10, adam`; on MNIST a second part gives the test accuracy.
pub fn title(args: &TrainArgs, model: &Sequential, bundled: bool, test: Option<&(Logs, usize)>) -> String {
    let data = match &args.data.data {
        _ if bundled => "the bundled MNIST".to_string(),
        Some(file) => file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into()),
        None => String::new(),
    };
    let layers = model.layers();
    let dense: Vec<String> = layers
        .iter()
        .filter(|l| l.class_name() == "Dense")
        .map(|l| l.output_shape().last().copied().unwrap_or(0).to_string())
        .collect();
    let shape = if dense.len() + layers.iter().filter(|l| is_plumbing(l.class_name())).count() == layers.len() {
        format!("Dense {}", dense.join("-"))
    } else {
        // The layers with weights or a computation of their own, in order (with their units or
        // filters), when they are few; else their count and kinds.
        let named: Vec<String> = layers
            .iter()
            .filter(|l| !is_plumbing(l.class_name()))
            .map(|l| match l.class_name() {
                k @ ("Dense" | "Conv2D" | "Conv1D") => format!("{k} {}", l.output_shape().last().copied().unwrap_or(0)),
                k => k.to_string(),
            })
            .collect();
        if named.len() <= 6 {
            named.join(", ")
        } else {
            let kinds: Vec<&str> = layers.iter().map(|l| l.class_name()).filter(|k| !is_plumbing(k)).collect();
            format!("{} layers ({})", kinds.len(), dedup(&kinds).join(", "))
        }
    };
    let optimizer = match &args.resume {
        Some(dir) => format!("resumed from {}", dir.display()),
        None => args.optimizer.clone(),
    };
    let mut title = format!("{data} — {shape}, {optimizer}");
    if let Some((logs, rows)) = test
        && let Some(acc) = logs.get("accuracy")
    {
        title.push_str(&format!(" — test accuracy {acc:.4} on {rows} digits"));
    }
    title
}

/// Layers that reshape or regularize without weights of their own worth naming in a title.
fn is_plumbing(kind: &str) -> bool {
    matches!(kind, "Flatten" | "Dropout" | "Reshape" | "Activation")
}

/// The kinds in order, each once.
fn dedup<'a>(kinds: &[&'a str]) -> Vec<&'a str> {
    let mut seen = Vec::new();
    for k in kinds {
        if !seen.contains(k) {
            seen.push(*k);
        }
    }
    seen
}
