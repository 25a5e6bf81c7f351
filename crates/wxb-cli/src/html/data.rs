//! The page's data: each sample's [`Explanation`] (the `--json` value) and what drawing needs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use wxb::Sequential;
use wxb::data::{Schema, Task};
use wxb::explain::{ExplainOptions, Explainer, Explanation, LayerChoice, LayerStep, LayerTrace, NeuronChoice, Reading};
use wxb::layers::{DenseConfig, Layer};
use wxb::tensor::Tensor;

use super::extras::{History, TraceData};
use super::{base64_f32, label};

/// A layer whose output has at most this many values shows all of them (every class of the
/// output layer); a larger one is folded to the values that matter.
const SHOW_ALL: usize = 16;
/// Feature maps embedded per convolution and sample: the traced filters, at most this many.
const MAX_MAPS: usize = 4;

/// What the page is made from.
pub struct Source<'a> {
    /// The model.
    pub model: &'a Sequential,
    /// Its data schema.
    pub schema: &'a Schema,
    /// The samples, prepared as the model sees them.
    pub x: &'a Tensor,
    /// The targets, when the data has them.
    pub y: Option<&'a Tensor>,
    /// The data file's name.
    pub file: &'a str,
}

/// The page's data.
#[derive(Serialize)]
pub struct Page {
    model: String,
    data: String,
    /// The sample shown first (an index into `samples`).
    first: usize,
    /// Products listed per neuron (`--top`).
    top: usize,
    input: InputMeta,
    classes: Option<Vec<String>>,
    layers: Vec<LayerMeta>,
    samples: Vec<SamplePage>,
    history: Option<History>,
    trace: Option<TraceData>,
}

/// The model's input.
#[derive(Serialize)]
struct InputMeta {
    shape: Vec<usize>,
    /// `[height, width]` when the inputs are a grey image.
    image: Option<[usize; 2]>,
    /// The input values' names (when there are at most a few hundred).
    names: Vec<String>,
    count: usize,
}

/// One layer, for drawing.
#[derive(Serialize)]
struct LayerMeta {
    index: usize,
    name: String,
    class_name: &'static str,
    output_shape: Vec<usize>,
    /// Values in one output sample.
    width: usize,
    /// A Dense layer's weights, when not too large.
    dense: Option<DenseWeights>,
}

/// A Dense layer's weights, base64 `f32`: the kernel's columns `W[:, j]` of the neurons some
/// sample traces (the others are never drawn), and the bias.
#[derive(Serialize)]
struct DenseWeights {
    inputs: usize,
    units: usize,
    columns: BTreeMap<usize, String>,
    bias: Option<String>,
}

/// One embedded sample.
#[derive(Serialize)]
struct SamplePage {
    row: usize,
    /// The true label, when the data has targets.
    label: Option<String>,
    /// The values the model sees, base64 `f32`.
    x: String,
    /// The calculation: the same value as `wxb explain --row ROW --json` (without the file names).
    explanation: Explanation,
    /// The traces of the values of small layers that the explanation does not choose.
    extra: Vec<LayerTrace>,
    /// Feature maps of the traced filters of convolutions.
    maps: Vec<FeatureMap>,
}

/// One filter's output over the positions of a convolution, base64 `f32`, `[height, width]`.
#[derive(Serialize)]
struct FeatureMap {
    layer: usize,
    filter: usize,
    height: usize,
    width: usize,
    values: String,
}

/// The data of the page for the rows `rows`, showing `rows[first]` first.
pub fn build(
    src: &Source<'_>,
    folder: &Path,
    rows: &[usize],
    first: usize,
    per_layer: usize,
    top: usize,
) -> Result<Page> {
    let model = src.model;
    let classes = match (src.schema.task, &src.schema.class_names) {
        (Task::Classification, Some(c)) => Some(c.clone()),
        _ => None,
    };
    let options = ExplainOptions {
        input_names: src.schema.feature_names.clone(),
        reading: classes.clone().map_or(Reading::Values, Reading::Classes),
        layers: LayerChoice::Every,
        neuron: NeuronChoice::MatterMost,
        per_layer,
        top,
    };
    let mut samples = Vec::with_capacity(rows.len());
    for &row in rows {
        let x = src.x.row(row);
        let explainer = Explainer::new(model, x, &options.input_names)?;
        let explanation = explainer.explain(&options)?;
        let (extra, maps) = extras(model, &explainer, &explanation, &options)?;
        samples.push(SamplePage {
            row,
            label: src.y.and_then(|y| label(y, row, classes.as_deref())),
            x: base64_f32(x.iter().copied()),
            explanation,
            extra,
            maps,
        });
    }
    let input_shape = model.input_shape().to_vec();
    let count: usize = input_shape.iter().product();
    let image = match src.schema.image_shape.as_deref() {
        Some(&[h, w]) if h * w == count => Some([h, w]),
        Some(&[h, w, 1]) if h * w == count => Some([h, w]),
        _ => None,
    };
    let names = if src.schema.feature_names.len() == count && count <= 512 {
        src.schema.feature_names.clone()
    } else {
        Vec::new()
    };
    Ok(Page {
        model: folder.display().to_string(),
        data: src.file.to_string(),
        first,
        top,
        input: InputMeta { shape: input_shape, image, names, count },
        classes,
        layers: layers(model, &samples),
        samples,
        history: super::extras::history(folder)?,
        trace: super::extras::trace(folder)?,
    })
}

/// The layers, with the weights of the Dense neurons that `samples` trace.
fn layers(model: &Sequential, samples: &[SamplePage]) -> Vec<LayerMeta> {
    let mut traced_by_layer = vec![BTreeSet::new(); model.layers().len()];
    for t in samples.iter().flat_map(|s| s.explanation.layers.iter().chain(&s.extra)) {
        traced_by_layer[t.index].extend(traced(&t.step));
    }
    model
        .layers()
        .iter()
        .enumerate()
        .map(|(index, l)| {
            let output_shape = l.output_shape();
            let dense = if l.class_name() == DenseConfig::CLASS_NAME {
                dense_weights(l.as_ref(), &traced_by_layer[index])
            } else {
                None
            };
            LayerMeta {
                index,
                name: l.name().to_string(),
                class_name: l.class_name(),
                width: output_shape.iter().product(),
                output_shape,
                dense,
            }
        })
        .collect()
}

/// A Dense layer's bias and the kernel columns of the `traced` neurons.
fn dense_weights(l: &dyn Layer, traced: &BTreeSet<usize>) -> Option<DenseWeights> {
    let params = l.params();
    let kernel = &params.iter().find(|p| p.name == "kernel")?.value;
    let bias = params.iter().find(|p| p.name == "bias").map(|p| base64_f32(p.value.data().iter().copied()));
    let (inputs, units) = (kernel.rows(), kernel.cols());
    let w = kernel.data();
    let columns = traced.iter().map(|&j| (j, base64_f32((0..inputs).map(|i| w[i * units + j])))).collect();
    Some(DenseWeights { inputs, units, columns, bias })
}

/// The output values a step traces.
fn traced(step: &LayerStep) -> Vec<usize> {
    match step {
        LayerStep::Dense { neurons, .. } => neurons.iter().map(|n| n.neuron).collect(),
        LayerStep::Conv { outputs, .. } => outputs.iter().map(|o| o.index).collect(),
        LayerStep::Pooling { outputs, .. } => outputs.iter().map(|o| o.index).collect(),
        LayerStep::Normalization { features, .. } => features.iter().map(|f| f.index).collect(),
        LayerStep::Activation { values, .. } | LayerStep::Dropout { values, .. } => {
            values.iter().map(|v| v.index).collect()
        }
        LayerStep::Rescaling { values, .. } => values.iter().map(|v| v.index).collect(),
        _ => Vec::new(),
    }
}

/// The traces of every value of the small layers that trace values, beyond those `e` chose, and
/// the feature maps of the filters `e` traces in each convolution.
fn extras(
    model: &Sequential,
    explainer: &Explainer<'_>,
    e: &Explanation,
    options: &ExplainOptions,
) -> Result<(Vec<LayerTrace>, Vec<FeatureMap>)> {
    let mut extra = Vec::new();
    let mut maps = Vec::new();
    for t in &e.layers {
        let shown = traced(&t.step);
        let width: usize = model.layers()[t.index].output_shape().iter().product();
        if !shown.is_empty() && width <= SHOW_ALL {
            for k in (0..width).filter(|k| !shown.contains(k)) {
                let one = ExplainOptions {
                    layers: LayerChoice::Only(t.index),
                    neuron: NeuronChoice::Only(k),
                    ..options.clone()
                };
                extra.extend(explainer.explain(&one)?.layers);
            }
        }
        if let LayerStep::Conv { outputs, filters, .. } = &t.step {
            let shape = model.layers()[t.index].output_shape();
            let Some(out) = explainer.layer_output(t.index) else { continue };
            let (height, width) = match shape.as_slice() {
                [h, w, _] => (*h, *w),
                [w, _] => (1, *w),
                _ => continue,
            };
            let mut seen: Vec<usize> = Vec::new();
            for o in outputs {
                if seen.len() < MAX_MAPS && !seen.contains(&o.filter) {
                    seen.push(o.filter);
                    let values = base64_f32(out.iter().skip(o.filter).step_by(*filters).map(|&v| v as f32));
                    maps.push(FeatureMap { layer: t.index, filter: o.filter, height, width, values });
                }
            }
        }
    }
    Ok((extra, maps))
}
