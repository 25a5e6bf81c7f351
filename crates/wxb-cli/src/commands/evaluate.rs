//! `wxb evaluate`: the loss and metrics of a saved model on a data file.

use anyhow::{Context, Result, bail};
use wxb::data::{Targets, Task};
use wxb::prelude::{Loss, Metric, Optimizer};

use crate::cli::EvaluateArgs;
use crate::dataset;
use crate::progress::format_value;

/// Runs `wxb evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<()> {
    if args.batch_size == 0 {
        bail!("--batch-size 0: a batch needs at least one sample");
    }
    let loaded = super::load_trained(&args.model)?;
    let pre = dataset::bind(&args.data, loaded.schema, &args.model, Targets::Required)?;
    let mut model = loaded.model;
    if model.compiled().is_none() {
        // An ONNX file (or an uncompiled Keras one) keeps no loss: the one `wxb train` would
        // choose for this output, said.
        let outputs: usize = model.output_shape().iter().product();
        let (loss, metrics) = match pre.task {
            Task::Classification if outputs == 1 => (Loss::BINARY_CROSSENTROPY, vec![Metric::Accuracy]),
            Task::Classification => (Loss::SPARSE_CATEGORICAL_CROSSENTROPY, vec![Metric::Accuracy]),
            _ => (Loss::MeanSquaredError, vec![Metric::MeanAbsoluteError]),
        };
        eprintln!(
            "{} keeps no loss: evaluating with {} and {}, as wxb train would compile it",
            args.model.display(),
            loss.name(),
            metrics.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
        );
        model.compile(Optimizer::adam(), loss, &metrics);
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
