//! `wxb evaluate`: the loss and metrics of a saved model on a data file.

use anyhow::{Context, Result, bail};
use wxb::data::Targets;

use crate::cli::EvaluateArgs;
use crate::dataset;
use crate::progress::format_value;

/// Runs `wxb evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<()> {
    if args.batch_size == 0 {
        bail!("--batch-size 0: a batch needs at least one sample");
    }
    let loaded = super::load_trained(&args.model)?;
    let pre = loaded.schema;
    let model = loaded.model;
    if model.compiled().is_none() {
        bail!("{}: the model was saved without a loss: it cannot be evaluated", args.model.display());
    }
    let (x, y) = dataset::load_for_model(&args.data, &pre, Targets::Required)?;
    let x = x.with_sample_shape(model.input_shape());
    let loss = model.compiled().map(|c| c.loss).expect("compiled");
    let y = pre.targets_for(loss, y.expect("required targets"));
    let logs = model.evaluate(&x, &y, args.batch_size).with_context(|| {
        format!("evaluating the model {} on {}", args.model.display(), super::targets_file(&args.data))
    })?;
    // Keras' order: the loss, then the metrics as compiled.
    let metric_names: Vec<String> =
        model.compiled().map(|c| c.metrics.iter().map(|m| m.name().to_string()).collect()).unwrap_or_default();
    let keys: Vec<&str> = std::iter::once("loss").chain(metric_names.iter().map(String::as_str)).collect();
    if args.json {
        let fields: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                logs.get(*k).map(|v| format!("{}: {}", serde_json::to_string(k).expect("a string"), json_number(*v)))
            })
            .collect();
        println!("{{{}}}", fields.join(", "));
    } else {
        let text: Vec<String> =
            keys.iter().filter_map(|k| logs.get(*k).map(|v| format!("{k}: {}", format_value(*v)))).collect();
        println!("{} samples - {}", x.rows(), text.join(" - "));
    }
    Ok(())
}

/// A JSON number (`null` for NaN and infinities, which JSON cannot hold).
pub fn json_number(v: f64) -> String {
    if v.is_finite() { serde_json::to_string(&v).expect("a finite number") } else { "null".into() }
}
