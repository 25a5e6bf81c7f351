//! `wxb summary`: a saved model's layer table (Keras' `model.summary()`), or with `--json` its
//! layers and parameter counts as one JSON object.

use anyhow::Result;
use wxb::Sequential;

use crate::cli::SummaryArgs;

/// Runs `wxb summary`.
pub fn run(args: &SummaryArgs) -> Result<()> {
    let model = super::open_model(&args.model)?.model;
    if args.json {
        println!("{}", json(&model));
    } else {
        print!("{}", model.summary());
    }
    Ok(())
}

/// `{"name", "input_shape", "layers": [{"name", "class_name", "output_shape", "params"}],
/// "trainable_params", "non_trainable_params"}`: the table's numbers (shapes without the batch
/// axis).
fn json(model: &Sequential) -> serde_json::Value {
    let layers: Vec<serde_json::Value> = model
        .layers()
        .iter()
        .map(|l| {
            serde_json::json!({
                "name": l.name(),
                "class_name": l.class_name(),
                "output_shape": l.output_shape(),
                "params": l.params().iter().map(|p| p.len()).sum::<usize>(),
            })
        })
        .collect();
    let count = |trainable: bool| -> usize {
        model.params().filter(|(_, _, p)| p.trainable == trainable).map(|(_, _, p)| p.len()).sum()
    };
    serde_json::json!({
        "name": model.name(),
        "input_shape": model.input_shape(),
        "layers": layers,
        "trainable_params": count(true),
        "non_trainable_params": count(false),
    })
}
