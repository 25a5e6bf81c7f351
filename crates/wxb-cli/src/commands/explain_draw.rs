//! `wxb explain --draw`: which layer is drawn, and its picture from the explanation's numbers — a
//! Dense layer's weights and one neuron's contributions, or a convolution's kernels, feature maps,
//! patch and calculation.

use std::path::Path;

use anyhow::{Result, bail};
use wxb::Sequential;
use wxb::data::Schema;
use wxb::explain::{
    ExplainOptions, Explainer, Explanation, LayerChoice, LayerStep, NeuronChoice, NeuronTrace, Prediction,
};
use wxb::layers::{Conv1DConfig, Conv2DConfig, DenseConfig};

use crate::draw::conv::ConvPicture;
use crate::draw::{NeuronSample, conv, image_weights, tabular};
use crate::formula::{num, p};

/// The kinds of layer `--draw` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drawn {
    /// A Dense layer: its weights and one neuron's contributions.
    Dense,
    /// A Conv1D or Conv2D layer: kernels, feature maps, the patch and the calculation.
    Conv,
}

fn kind(class_name: &str) -> Option<Drawn> {
    match class_name {
        c if c == DenseConfig::CLASS_NAME => Some(Drawn::Dense),
        c if c == Conv2DConfig::CLASS_NAME || c == Conv1DConfig::CLASS_NAME => Some(Drawn::Conv),
        _ => None,
    }
}

/// The layer `--draw` draws: the one `--layer` names, else the first Dense or convolution layer.
/// Another kind asked for is refused in one line (before anything is printed).
pub fn drawn_layer(model: &Sequential, asked: LayerChoice) -> Result<(usize, Drawn)> {
    let layers = model.layers();
    if let LayerChoice::Only(l) = asked {
        let Some(layer) = layers.get(l) else { bail!("--layer {l}: the model has {} layers", layers.len()) };
        return match kind(layer.class_name()) {
            Some(k) => Ok((l, k)),
            None => bail!(
                "--draw draws a Dense, Conv2D or Conv1D layer, not layer {l} ({}, {}); see it in the text or --json output",
                layer.name(),
                layer.class_name()
            ),
        };
    }
    match layers.iter().enumerate().find_map(|(i, l)| kind(l.class_name()).map(|k| (i, k))) {
        Some(found) => Ok(found),
        None => bail!("--draw: the model has no Dense, Conv2D or Conv1D layer to draw"),
    }
}

/// The sample drawn, as the picture names it.
pub struct Drawing<'a> {
    /// Its row in the data.
    pub row: usize,
    /// The data file.
    pub file: &'a str,
    /// Its true label, when the data has labels.
    pub truth: Option<String>,
    /// Per input, whether any sample of the data has a non-zero value there ([`ink`]).
    pub ink: Option<Vec<bool>>,
}

/// Per input, whether any sample has a non-zero value there: a first-layer weight whose input is
/// 0 in every sample never receives a gradient (MNIST's border pixels).
pub fn ink(x: &wxb::Tensor) -> Vec<bool> {
    let mut ink = vec![false; x.cols()];
    for r in 0..x.rows() {
        for (seen, &v) in ink.iter_mut().zip(x.row(r)) {
            *seen |= v != 0.0;
        }
    }
    ink
}

/// `predicted "7" (p = 0.981), true label "7"`: the prediction and, when known, the truth.
fn outcome(prediction: &wxb::explain::Prediction, truth: Option<&str>) -> String {
    let said = match prediction {
        wxb::explain::Prediction::Class { name, probability, .. } => {
            format!("predicted {name:?} (p = {})", crate::formula::num(*probability))
        }
        wxb::explain::Prediction::Values { values } => {
            format!("predicted {}", values.iter().map(|&v| crate::formula::num(v)).collect::<Vec<_>>().join(", "))
        }
    };
    match truth {
        Some(t) => format!("{said}, true label {t:?}"),
        None => format!("{said} (the data has no label)"),
    }
}

/// Draws the layer `--draw` draws (see [`drawn_layer`]) for the output the text and JSON show.
pub fn draw(
    model: &Sequential,
    explainer: &Explainer<'_>,
    options: &ExplainOptions,
    pre: &Schema,
    sample: &Drawing<'_>,
    path: &Path,
) -> Result<()> {
    let (l, drawn) = drawn_layer(model, options.layers)?;
    // Every term of the layer's chosen output (the user's, when they chose one there).
    let neuron = match (options.layers, options.neuron) {
        (LayerChoice::Only(asked), n @ NeuronChoice::Only(_)) if asked == l => n,
        _ => NeuronChoice::MatterMost,
    };
    let all = ExplainOptions { layers: LayerChoice::Only(l), neuron, top: 0, ..options.clone() };
    let e = explainer.explain(&all)?;
    match drawn {
        Drawn::Dense => dense(model, l, &e, pre, sample, neuron, path),
        Drawn::Conv => convolution(model, l, explainer, &e, pre, sample, path),
    }
}

/// A Dense layer: images for image inputs, bars and a heat map otherwise.
fn dense(
    model: &Sequential,
    l: usize,
    e: &Explanation,
    pre: &Schema,
    sample: &Drawing<'_>,
    asked: NeuronChoice,
    path: &Path,
) -> Result<()> {
    let LayerStep::Dense { neurons, .. } = &e.layers[0].step else { bail!("layer {l} is not a Dense layer") };
    let n = &neurons[0];
    let mut x = vec![0.0; n.terms.len()];
    let mut names = vec![String::new(); n.terms.len()];
    for t in &n.terms {
        (x[t.input], names[t.input]) = (t.x, t.name.clone());
    }
    let layer = model.layers()[l].as_ref();
    let Some(kernel) = layer.param("kernel") else { bail!("layer {l} ({}) has no kernel", layer.name()) };
    let chosen = match asked {
        NeuronChoice::Only(k) => format!("{}[{k}], as asked (--neuron {k})", layer.name()),
        NeuronChoice::MatterMost => format!(
            "{}[{}]: the neuron of layer {l} whose value weighs most in this prediction (--layer {l} --neuron K \
             draws another)",
            layer.name(),
            n.neuron
        ),
    };
    // Only the first layer's inputs are the data's: its never-inked inputs are known.
    let first = model.layers().iter().position(|x| x.param("kernel").is_some()) == Some(l);
    let sample = NeuronSample {
        kernel: &kernel.value,
        layer: layer.name(),
        x: &x,
        row: sample.row,
        neuron: n.neuron,
        summary: summary(n),
        chosen,
        outcome: outcome(&e.output.prediction, sample.truth.as_deref()),
        ink: sample.ink.clone().filter(|ink| first && ink.len() == x.len()),
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

/// A convolution: its kernels, the sample's feature maps, the patch and the calculation of the
/// chosen output.
fn convolution(
    model: &Sequential,
    l: usize,
    explainer: &Explainer<'_>,
    e: &Explanation,
    pre: &Schema,
    sample: &Drawing<'_>,
    path: &Path,
) -> Result<()> {
    let LayerStep::Conv { kernel_size, strides, dilation_rate, padding, filters, activation, outputs } =
        &e.layers[0].step
    else {
        bail!("layer {l} is not a convolution")
    };
    let Some(trace) = outputs.first() else { bail!("layer {l}: no output was traced") };
    let layer = model.layers()[l].as_ref();
    let Some(kernel) = layer.param("kernel") else { bail!("layer {l} ({}) has no kernel", layer.name()) };
    let Some((input, maps)) = explainer.layer_values(l) else { bail!("layer {l}: no values for it") };
    let in_shape = if l == 0 { model.input_shape().to_vec() } else { model.layers()[l - 1].output_shape() };
    let two_d = |s: &[usize]| -> [usize; 3] {
        match *s {
            [h, w, c] => [h, w, c],
            [w, c] => [1, w, c],
            _ => [1, s.iter().product(), 1],
        }
    };
    let spatial = |v: &[usize]| -> [usize; 2] {
        match *v {
            [a, b] => [a, b],
            [b] => [1, b],
            _ => [1, 1],
        }
    };
    let [ks, st, dl] = [spatial(kernel_size), spatial(strides), spatial(dilation_rate)];
    let in_channels = two_d(&in_shape)[2];
    let (k, ch) = (kernel_size.iter().map(usize::to_string).collect::<Vec<_>>().join("×"), in_channels);
    let settings = format!(
        "{filters} filters of {k} over {ch} input channel{}, strides {}×{}, dilation {}×{}, padding {}, activation {}",
        if ch == 1 { "" } else { "s" },
        st[0],
        st[1],
        dl[0],
        dl[1],
        padding.name(),
        activation.name()
    );
    let mut said = format!("Row {} of {}", sample.row, sample.file);
    if let Prediction::Class { name, probability, .. } = &e.output.prediction {
        said.push_str(&format!(": predicted {name} (probability {})", num(*probability)));
    }
    if let Some(truth) = &sample.truth {
        said.push_str(&format!(", true label {truth}"));
    }
    let image = match (l, pre.image_shape.as_deref()) {
        (1.., Some(&[rows, cols])) => {
            let (x, _) = explainer.layer_values(0).unwrap_or_default();
            (x.len() == rows * cols).then_some((x, rows, cols))
        }
        _ => None,
    };
    let picture = ConvPicture {
        heading: format!(
            "{} ({}, layer {l}): output {} of filter {}",
            layer.name(),
            layer.class_name(),
            trace.name,
            trace.filter
        ),
        lines: vec![said, settings],
        trace,
        activation: *activation,
        kernel: &kernel.value,
        kernel_size: ks,
        dilation: dl,
        input: (input, two_d(&in_shape)),
        maps: (maps, two_d(&layer.output_shape())),
        image,
    };
    conv::draw(&picture, path)
}

/// A Dense neuron's calculation in four lines.
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
