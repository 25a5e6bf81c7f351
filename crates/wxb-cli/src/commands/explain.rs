//! `wxb explain`: what each neuron computes for one sample, with the real numbers, as text, JSON
//! or pictures.

use anyhow::{Context, Result, bail};
use serde::Serialize;
use wxb::Sequential;
use wxb::data::table::{Cells, ColumnKind, PrepLayer};
use wxb::data::{InputFormat, Schema, Targets, Task, read_table_for_model};
use wxb::explain::{ExplainOptions, Explainer, Explanation, LayerChoice, NeuronChoice, Reading};
use wxb::layers::DenseConfig;

use super::explain_draw;
use crate::cli::ExplainArgs;
use crate::dataset;
use crate::explain_text::{Sample, render};
use crate::formula::num;

/// The JSON document: where the sample comes from, then the calculation.
#[derive(Serialize)]
struct Document<'a> {
    model: String,
    data: String,
    row: usize,
    #[serde(flatten)]
    explanation: &'a Explanation,
}

/// Runs `wxb explain`.
pub fn run(args: &ExplainArgs) -> Result<()> {
    let loaded = super::load_trained(&args.model)?;
    let pre = dataset::bind(&args.data, loaded.schema, &args.model, Targets::Ignored)?;
    let model = loaded.model;
    let file = args.data.data.as_deref().map_or_else(|| dataset::BUNDLED_TEST.to_string(), |p| p.display().to_string());
    let per_layer = args.per_layer.unwrap_or(if args.html.is_some() { 6 } else { 3 });
    if per_layer == 0 {
        bail!("--per-layer 0: show at least one neuron per layer");
    }
    if let Some(out) = &args.html {
        // The true labels when the data has them: the page shows them beside the prediction.
        let (x, y) = match dataset::load_for_model(&args.data, &pre, Targets::Required) {
            Ok((x, y)) => (x, y),
            Err(_) => dataset::load_for_model(&args.data, &pre, Targets::Ignored)?,
        };
        let source = crate::html::Source { model: &model, schema: &pre, x: &x, y: y.as_ref(), file: &file };
        return crate::html::write(args, &source, per_layer, out);
    }
    let (x, _) = dataset::load_for_model(&args.data, &pre, Targets::Ignored)?;
    let row_index = args.row.expect("clap requires --row without --html");
    if row_index >= x.rows() {
        bail!("--row {row_index}: {file} has {} rows (0..={})", x.rows(), x.rows().saturating_sub(1));
    }
    let layer = args.layer.as_deref().map(|l| layer_index(&model, l)).transpose()?;
    let neuron = match (layer, &args.position, args.filter) {
        (Some(l), Some(position), Some(f)) => Some(output_index(&model, l, position, f)?),
        _ => args.neuron,
    };
    if let (Some(l), Some(k)) = (layer, neuron) {
        let width: usize = model.layers()[l].output_shape().iter().product();
        if k >= width {
            let what = if model.layers()[l].class_name() == DenseConfig::CLASS_NAME { "neurons" } else { "values" };
            bail!("--neuron {k}: layer {l} ({}) has {width} {what} (0..={})", model.layers()[l].name(), width - 1);
        }
    }
    let reading = match (pre.task, &pre.class_names) {
        (Task::Classification, Some(names)) => Reading::Classes(names.clone()),
        _ => Reading::Values,
    };
    let options = ExplainOptions {
        input_names: pre.feature_names.clone(),
        reading,
        layers: layer.map_or(LayerChoice::Every, LayerChoice::Only),
        neuron: neuron.map_or(NeuronChoice::MatterMost, NeuronChoice::Only),
        per_layer,
        top: args.top,
    };
    if args.draw.is_some() {
        explain_draw::drawn_layer(&model, options.layers)?;
    }
    let row = x.row(row_index).to_vec();
    // One pass through the model, explained as asked and, with --draw, drawn from.
    let explainer = Explainer::new(&model, &row, &options.input_names)?;
    let e = explainer.explain(&options)?;
    if args.json {
        let doc =
            Document { model: args.model.display().to_string(), data: file.clone(), row: row_index, explanation: &e };
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let preparation = preparation(&pre);
        let raw = raw_values(args, &pre, row_index)?;
        let sample = Sample {
            raw: raw.as_deref(),
            row: row_index,
            file: &file,
            preparation: &preparation,
            classes: pre.class_names.as_deref(),
            asked: (layer, neuron),
        };
        print!("{}", render(&e, &sample));
    }
    if let Some(path) = &args.draw {
        let truth = truth(args, &pre, row_index);
        let ink = Some(explain_draw::ink(&x));
        let sample = explain_draw::Drawing { row: row_index, file: &file, truth, ink };
        explain_draw::draw(&model, &explainer, &options, &pre, &sample, path)?;
        // Status, on standard error (standard output stays the text or one JSON document).
        eprintln!("Drew {}", path.display());
    }
    Ok(())
}

/// The index in the flattened output of layer `l` of the value at `position` (`Y,X` or `T`) of
/// filter `f`: `(y·W + x)·F + f` for outputs `[H, W, F]`.
fn output_index(model: &Sequential, l: usize, position: &[usize], f: usize) -> Result<usize> {
    let layer = &model.layers()[l];
    let shape = layer.output_shape();
    let what = format!("layer {l} ({}, {})", layer.name(), layer.class_name());
    let dims = shape.iter().map(usize::to_string).collect::<Vec<_>>().join("×");
    let Some((&filters, spatial)) = shape.split_last().filter(|(_, s)| !s.is_empty()) else {
        bail!("--position/--filter: {what} has outputs of shape {dims}, not positions and filters; use --neuron");
    };
    if position.len() != spatial.len() {
        bail!("--position {}: {what} has {}-D positions (outputs {dims})", join(position), spatial.len());
    }
    if let Some((&p, &n)) = position.iter().zip(spatial).find(|(p, n)| p >= n) {
        bail!("--position {}: {p} is beyond {what}'s outputs {dims} (0..={})", join(position), n - 1);
    }
    if f >= filters {
        bail!("--filter {f}: {what} has {filters} filters (0..={})", filters - 1);
    }
    let at = position.iter().zip(spatial).fold(0, |acc, (&p, &n)| acc * n + p);
    Ok(at * filters + f)
}

fn join(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// The sample's true label, when the data has labels the model's classes read (`None` otherwise:
/// the picture then says nothing of it).
fn truth(args: &ExplainArgs, pre: &Schema, row: usize) -> Option<String> {
    let (_, y) = dataset::load_for_model(&args.data, pre, Targets::Required).ok()?;
    let y = y.filter(|y| row < y.rows())?;
    let value = match y.row(row) {
        [v] => *v,
        many => wxb::tensor::argmax(many) as f32,
    };
    match &pre.class_names {
        Some(names) if pre.task == Task::Classification => names.get(value as usize).cloned(),
        _ => Some(num(value)),
    }
}

/// A layer by index or name.
fn layer_index(model: &Sequential, l: &str) -> Result<usize> {
    let layers = model.layers();
    let found = match l.parse::<usize>() {
        Ok(i) => (i < layers.len()).then_some(i),
        Err(_) => layers.iter().position(|x| x.name() == l),
    };
    found.with_context(|| {
        let names: Vec<String> = layers.iter().enumerate().map(|(i, x)| format!("{i} {}", x.name())).collect();
        format!("--layer {l}: the model's layers are {}", names.join(", "))
    })
}

/// The row's cells as the file holds them, for a model that reads a table's columns:
/// `bill=39.1, island="Dream", sex (missing)`.
fn raw_values(args: &ExplainArgs, pre: &Schema, row: usize) -> Result<Option<String>> {
    let (Some(path), Some(_)) = (&args.data.data, &pre.columns) else { return Ok(None) };
    let table = read_table_for_model(path, pre, &dataset::options(&args.data, None)).map_err(dataset::error)?;
    let cells: Vec<String> = table
        .columns
        .iter()
        .map(|c| match &c.cells {
            Cells::Numbers(v) => v[row].map_or(format!("{} (missing)", c.name), |x| format!("{}={}", c.name, num(x))),
            Cells::Text(v) => v[row].as_ref().map_or(format!("{} (missing)", c.name), |t| format!("{}={t:?}", c.name)),
        })
        .collect();
    Ok(Some(cells.join(", ")))
}

/// How the inputs were prepared, in words.
fn preparation(pre: &Schema) -> String {
    let mut steps = Vec::new();
    if let Some(columns) = &pre.columns {
        if columns.iter().any(|c| c.missing > 0 || c.missing_indicator) {
            steps.push("missing cells filled with the training mean or most frequent value".to_string());
        }
        if columns.iter().any(|c| matches!(c.layer, Some(PrepLayer::Normalization { .. }))) {
            steps.push("numbers standardized with the training rows' mean and variance".to_string());
        }
        if columns.iter().any(|c| c.kind == ColumnKind::Text) {
            steps.push("text one-hot encoded (column=value; [UNK] for a value unseen in training)".to_string());
        }
    } else if pre.format != InputFormat::Csv {
        steps.push("read as in training, byte images scaled to [0, 1]".to_string());
    } else if pre.scale != 1.0 {
        steps.push(format!("multiplied by {}", num(pre.scale)));
    }
    if pre.standardize.is_some() {
        steps.push("standardized with the training data's mean and deviation".to_string());
    }
    if steps.is_empty() {
        "as in the file".into()
    } else {
        format!("as the model sees them: {}", steps.join(", then "))
    }
}
