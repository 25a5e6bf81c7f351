//! [`explain`]: one sample's way through a model, number by number, recomputed in `f64`.

use serde::Serialize;

use super::forward::{LayerValues, forward};
use super::layer::{LayerTrace, layer_trace};
use super::select::choose;
use crate::error::WxbError;
use crate::layers::{DenseConfig, LayerStep};
use crate::model::Sequential;
use crate::tensor::{Tensor, argmax, predicted_class};

/// How the model's output is read.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// One output per class, the arg-max is the prediction; the class names in output order.
    Classes(Vec<String>),
    /// The outputs are the predicted values (regression).
    Values,
}

/// Which layers to explain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerChoice {
    /// Every layer.
    Every,
    /// Only the layer at this index.
    Only(usize),
}

/// Which neurons of a layer to explain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeuronChoice {
    /// Those that matter most for the prediction (see [`super`]).
    MatterMost,
    /// This neuron (or feature) of the layer in [`LayerChoice::Only`].
    Only(usize),
}

/// What [`explain`] shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainOptions {
    /// A name per input value (feature names, `pixel[r,c]`); empty for `x[i]`.
    pub input_names: Vec<String>,
    /// How to read the output.
    pub reading: Reading,
    /// The layers shown.
    pub layers: LayerChoice,
    /// The neurons shown.
    pub neuron: NeuronChoice,
    /// Neurons chosen in each hidden layer (default 3).
    pub per_layer: usize,
    /// Products listed one by one in each neuron, the largest first; the rest are summed
    /// (default 10; 0 lists them all).
    pub top: usize,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        Self {
            input_names: Vec::new(),
            reading: Reading::Values,
            layers: LayerChoice::Every,
            neuron: NeuronChoice::MatterMost,
            per_layer: 3,
            top: 10,
        }
    }
}

/// What the model predicts for the sample.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Prediction {
    /// The arg-max class.
    Class {
        /// Its index.
        index: usize,
        /// Its name.
        name: String,
        /// Its probability: its output after softmax; for a one-unit sigmoid head, the output `p`
        /// for the second class and `1 − p` for the first.
        probability: f64,
    },
    /// The output values.
    Values {
        /// One per output.
        values: Vec<f64>,
    },
}

/// The model's output for the sample, by hand and by the engine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutputTrace {
    /// The outputs recomputed in `f64` (for softmax: the probabilities).
    pub values: Vec<f64>,
    /// The outputs of [`Sequential::predict`] (the `f32` GEMM path) for the same sample.
    pub engine: Vec<f32>,
    /// `max |values − engine|`.
    pub max_abs_difference: f64,
    /// The prediction.
    pub prediction: Prediction,
}

/// A sample's calculation through the chosen layers, and the model's output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// Values in the sample.
    pub inputs: usize,
    /// The chosen layers, in order.
    pub layers: Vec<LayerTrace>,
    /// The output.
    pub output: OutputTrace,
}

/// Explains the prediction for one sample `x` (its values row-major, `input_shape` of the model).
///
/// # Errors
/// When `x` has the wrong length, the chosen layer or neuron does not exist, a neuron is chosen
/// without a layer, `per_layer` is 0, or the model has no layers.
pub fn explain(model: &Sequential, x: &[f32], options: &ExplainOptions) -> Result<Explanation, WxbError> {
    Explainer::new(model, x, &options.input_names)?.explain(options)
}

/// One sample's pass through a model, recomputed in `f64` and run by the engine once, explained as
/// many ways as asked ([`Explainer::explain`]): `wxb explain --draw` shows one choice of neurons
/// and draws another from the same pass.
#[derive(Debug)]
pub struct Explainer<'m> {
    model: &'m Sequential,
    /// The input values' names.
    names: Vec<String>,
    /// Each layer's values in the `f64` pass.
    values: Vec<LayerValues>,
    /// The engine's (`predict`'s) output for the sample.
    engine: Vec<f32>,
}

impl<'m> Explainer<'m> {
    /// Runs `model` on one sample `x` (its values row-major, `input_shape` of the model), naming
    /// its values `input_names` (`x[i]` unless there is one name per value).
    ///
    /// # Errors
    /// When `x` has the wrong length or the model has no layers.
    pub fn new(model: &'m Sequential, x: &[f32], input_names: &[String]) -> Result<Self, WxbError> {
        let input_shape = model.input_shape().to_vec();
        let n_inputs: usize = input_shape.iter().product();
        if x.len() != n_inputs {
            return Err(WxbError::Shape { what: "explained sample", expected: input_shape, got: vec![x.len()] });
        }
        if model.layers().is_empty() {
            return Err(WxbError::Empty { what: "the model (no layers)" });
        }
        let names: Vec<String> = if input_names.len() == n_inputs {
            input_names.to_vec()
        } else {
            (0..n_inputs).map(|i| format!("x[{i}]")).collect()
        };
        let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let values = forward(model.layers(), &input_shape, &x64, &names);
        let mut batch_shape = vec![1];
        batch_shape.extend_from_slice(&input_shape);
        let engine = model.predict(&Tensor::from_vec(&batch_shape, x.to_vec()), 1)?.into_vec();
        Ok(Self { model, names, values, engine })
    }

    /// Layer `i`'s input and output for the sample in the `f64` pass, flattened row-major (shapes:
    /// the layer's input shape and [`crate::layers::Layer::output_shape`]): a convolution's whole
    /// feature maps `[h, w, filters]`, the values its chosen output's patch is read from.
    /// `None` beyond the model's layers.
    pub fn layer_values(&self, i: usize) -> Option<(&[f64], &[f64])> {
        self.values.get(i).map(|v| (v.input.as_slice(), v.forward.output.as_slice()))
    }

    /// Layer `index`'s output for the sample in the `f64` pass, flattened row-major (a
    /// convolution's `[h, w, filters]` feature maps, a Dense layer's activations), or `None` past
    /// the last layer. `wxb explain --html` draws the feature maps from it.
    pub fn layer_output(&self, index: usize) -> Option<&[f64]> {
        self.layer_values(index).map(|(_, output)| output)
    }

    /// The explanation for `options` (whose `input_names` were taken by [`Explainer::new`]).
    ///
    /// # Errors
    /// When the chosen layer or neuron does not exist, a neuron is chosen without a layer, or
    /// `per_layer` is 0.
    pub fn explain(&self, options: &ExplainOptions) -> Result<Explanation, WxbError> {
        let (model, values, engine) = (self.model, &self.values, &self.engine);
        let n_layers = model.layers().len();
        let invalid = |name, value: usize, reason| WxbError::InvalidArgument { name, value: value.to_string(), reason };
        if options.per_layer == 0 {
            return Err(invalid("per_layer", 0, "at least one neuron per layer"));
        }
        let pin = match (options.layers, options.neuron) {
            (LayerChoice::Only(l), _) if l >= n_layers => return Err(invalid("layer", l, "beyond the model's layers")),
            (LayerChoice::Every, NeuronChoice::Only(k)) => return Err(invalid("neuron", k, "choose a layer too")),
            (LayerChoice::Only(l), NeuronChoice::Only(k)) => {
                let width: usize = model.layers()[l].output_shape().iter().product();
                if k >= width {
                    return Err(invalid("neuron", k, "beyond the layer's outputs"));
                }
                Some((l, k))
            }
            _ => None,
        };
        let out = &values[n_layers - 1].forward.output;
        // The class `wxb predict` names: the arg-max of the engine's outputs.
        let initial = match &options.reading {
            Reading::Classes(_) => vec![argmax(engine)],
            Reading::Values => (0..out.len()).collect(),
        };
        let last_dense = model.layers().iter().rposition(|l| l.class_name() == DenseConfig::CLASS_NAME);
        let chosen = choose(model.layers(), values, initial, options.per_layer, pin);
        let mut layers = Vec::new();
        let mut shape = model.input_shape().to_vec();
        for (i, layer) in model.layers().iter().enumerate() {
            let in_names = if i == 0 { &self.names } else { &values[i - 1].names };
            if options.layers == LayerChoice::Every || options.layers == LayerChoice::Only(i) {
                let mut trace = layer_trace(i, layer.as_ref(), &shape, &values[i], in_names, &chosen[i], options.top);
                label_classes(&mut trace, Some(i) == last_dense, &options.reading);
                layers.push(trace);
            }
            shape = layer.output_shape();
        }
        let engine = engine.clone();
        let max_abs_difference = out.iter().zip(&engine).map(|(a, &b)| (a - f64::from(b)).abs()).fold(0.0, f64::max);
        let prediction = match &options.reading {
            Reading::Classes(classes) => {
                let index = predicted_class(&engine);
                let name = classes.get(index).cloned().unwrap_or_else(|| index.to_string());
                let probability = match out.as_slice() {
                    [p] if index == 0 => 1.0 - p,
                    [p] => *p,
                    _ => out[index],
                };
                Prediction::Class { index, name, probability }
            }
            Reading::Values => Prediction::Values { values: out.clone() },
        };
        Ok(Explanation {
            inputs: self.names.len(),
            layers,
            output: OutputTrace { values: out.clone(), engine, max_abs_difference, prediction },
        })
    }
}

/// Names the class of each neuron of the last Dense layer, when it has one neuron per class.
fn label_classes(trace: &mut LayerTrace, last_dense: bool, reading: &Reading) {
    let (true, Reading::Classes(classes), LayerStep::Dense { neurons, units, .. }) =
        (last_dense, reading, &mut trace.step)
    else {
        return;
    };
    if *units == 1 && classes.len() == 2 {
        // A sigmoid head: its one neuron gives the probability of the second (positive) class.
        neurons.iter_mut().for_each(|n| n.class = classes.get(1).cloned());
        return;
    }
    if *units != classes.len() {
        return;
    }
    for n in neurons {
        n.class = classes.get(n.neuron).cloned();
    }
}
