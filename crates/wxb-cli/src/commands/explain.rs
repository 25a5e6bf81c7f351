//! `wxb explain`: what each neuron computes for one sample, with the real numbers, as text, JSON
//! or pictures.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use wxb::Sequential;
use wxb::data::table::{Cells, ColumnKind, PrepLayer};
use wxb::data::{InputFormat, Schema, Targets, Task, read_table_for_model};
use wxb::explain::{
    ExplainOptions, Explainer, Explanation, LayerChoice, LayerStep, NeuronChoice, NeuronTrace, Prediction, Reading,
};
use wxb::layers::DenseConfig;

use crate::cli::ExplainArgs;
use crate::dataset;
use crate::draw::{NeuronSample, image_weights, tabular};
use crate::explain_text::{Sample, render};
use crate::formula::{num, p};

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
    let pre = loaded.schema;
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
    // The targets when the data has them (--draw shows the true label).
    let (x, y) = match dataset::load_for_model(&args.data, &pre, Targets::Required) {
        Ok(xy) if args.draw.is_some() => xy,
        _ => dataset::load_for_model(&args.data, &pre, Targets::Ignored)?,
    };
    let row_index = args.row.expect("clap requires --row without --html");
    if row_index >= x.rows() {
        bail!("--row {row_index}: {file} has {} rows (0..={})", x.rows(), x.rows().saturating_sub(1));
    }
    let layer = args.layer.as_deref().map(|l| layer_index(&model, l)).transpose()?;
    if let (Some(l), Some(k)) = (layer, args.neuron) {
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
        neuron: args.neuron.map_or(NeuronChoice::MatterMost, NeuronChoice::Only),
        per_layer,
        top: args.top,
    };
    if args.draw.is_some() {
        drawn_layer(&model, options.layers)?;
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
            asked: (layer, args.neuron),
        };
        print!("{}", render(&e, &sample));
    }
    if let Some(path) = &args.draw {
        let truth = y.as_ref().map(|y| y.row(row_index).to_vec());
        let data = Data { x: &x, truth: truth.as_deref(), row: row_index };
        draw(&model, &explainer, &options, &pre, &data, path)?;
        // Status, on standard error (standard output stays the text or one JSON document).
        eprintln!("Drew {}", path.display());
    }
    Ok(())
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

/// The layer `--draw` draws: the first Dense layer. A layer asked for by `--layer` that is not it
/// is refused (before anything is printed), not silently replaced.
fn drawn_layer(model: &Sequential, asked: LayerChoice) -> Result<usize> {
    let Some(first) = model.layers().iter().position(|l| l.class_name() == DenseConfig::CLASS_NAME) else {
        bail!("--draw: the model has no Dense layer to draw");
    };
    if let LayerChoice::Only(l) = asked
        && l != first
    {
        let asked = model.layers().get(l).map_or_else(|| format!("layer {l}"), |x| format!("layer {l} ({})", x.name()));
        bail!(
            "--draw draws the first Dense layer ({first}: {}), not {asked}; leave out --layer to draw it, \
             or see {asked} in the text or --json output",
            model.layers()[first].name()
        );
    }
    Ok(first)
}

/// The data `--draw` shows beside the weights.
struct Data<'a> {
    /// Every sample, as the model sees them.
    x: &'a wxb::Tensor,
    /// The drawn sample's target (a class index, or values), when the data has one.
    truth: Option<&'a [f32]>,
    /// The drawn sample's row.
    row: usize,
}

/// Draws the first Dense layer: images for image inputs, bars and a heat map otherwise.
fn draw(
    model: &Sequential,
    explainer: &Explainer<'_>,
    options: &ExplainOptions,
    pre: &Schema,
    data: &Data<'_>,
    path: &Path,
) -> Result<()> {
    let first = drawn_layer(model, options.layers)?;
    // Every term of the first Dense layer's chosen neuron (the user's, when they chose one there).
    let neuron = match (options.layers, options.neuron) {
        (LayerChoice::Only(l), n @ NeuronChoice::Only(_)) if l == first => n,
        _ => NeuronChoice::MatterMost,
    };
    let all = ExplainOptions { layers: LayerChoice::Only(first), neuron, top: 0, ..options.clone() };
    let e = explainer.explain(&all)?;
    let LayerStep::Dense { neurons, .. } = &e.layers[0].step else { unreachable!("a Dense layer") };
    let n = &neurons[0];
    let mut x = vec![0.0; n.terms.len()];
    let mut names = vec![String::new(); n.terms.len()];
    for t in &n.terms {
        (x[t.input], names[t.input]) = (t.x, t.name.clone());
    }
    let layer = model.layers()[first].as_ref();
    let kernel = &layer.params().into_iter().find(|p| p.name == "kernel").expect("a Dense kernel").value;
    let chosen = match neuron {
        NeuronChoice::Only(k) => format!("{}[{k}], as asked (--neuron {k})", layer.name()),
        NeuronChoice::MatterMost => format!(
            "{}[{}]: the neuron of layer {first} whose value weighs most in this prediction (--layer {first} --neuron K \
             draws another)",
            layer.name(),
            n.neuron
        ),
    };
    let sample = NeuronSample {
        kernel,
        layer: layer.name(),
        x: &x,
        row: data.row,
        neuron: n.neuron,
        summary: summary(n),
        chosen,
        outcome: outcome(&e.output.prediction, data.truth, pre),
        ink: Some(ink(data.x)),
    };
    match pre.image_shape.as_deref() {
        Some(&[rows, cols]) if rows * cols == x.len() => {
            let p = image_weights::ImageWeights { n: sample, shape: (rows, cols) };
            image_weights::draw(&p, path)
        }
        _ => {
            let p = tabular::Tabular { n: sample, names: &names };
            tabular::draw(&p, path)
        }
    }
}

/// Per input, whether any sample has a non-zero value there.
fn ink(x: &wxb::Tensor) -> Vec<bool> {
    let mut ink = vec![false; x.cols()];
    for r in 0..x.rows() {
        for (seen, &v) in ink.iter_mut().zip(x.row(r)) {
            *seen |= v != 0.0;
        }
    }
    ink
}

/// `predicted "7" (p = 0.981), true label "7"`: the prediction and, when known, the truth.
fn outcome(prediction: &Prediction, truth: Option<&[f32]>, pre: &Schema) -> String {
    let said = match prediction {
        Prediction::Class { name, probability, .. } => format!("predicted {name:?} (p = {})", num(*probability)),
        Prediction::Values { values } => {
            format!("predicted {}", values.iter().map(|&v| num(v)).collect::<Vec<_>>().join(", "))
        }
    };
    let truth = match (truth, pre.class_names.as_deref()) {
        (Some(&[t]), Some(names)) => names.get(t.round() as usize).map(|n| format!("true label {n:?}")),
        (Some(t), _) => {
            Some(format!("true value {}", t.iter().map(|&v| num(f64::from(v))).collect::<Vec<_>>().join(", ")))
        }
        (None, _) => None,
    };
    match truth {
        Some(t) => format!("{said}, {t}"),
        None => format!("{said} (the data has no label)"),
    }
}

/// The neuron's calculation in four lines.
fn summary(n: &NeuronTrace) -> Vec<String> {
    let b = n.bias.map_or(String::new(), |b| format!(" + b = {} + {}", num(n.dot), p(b)));
    let sim = &n.similarity;
    vec![
        format!("x·w = Σ xᵢ·wᵢ = {}", num(n.dot)),
        format!(
            "|x| = {}, |w| = {}, cos(x, w) = {}",
            num(sim.x_norm),
            num(sim.w_norm),
            sim.cosine.map_or("–".into(), num)
        ),
        format!("z = x·w{b} = {}", num(n.z)),
        format!("a = {}(z) = {}", n.activation, num(n.output)),
    ]
}
