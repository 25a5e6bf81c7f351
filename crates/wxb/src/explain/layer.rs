//! What each kind of layer does to the chosen values of one sample, as data.
//!
//! - Dense: a [`NeuronTrace`] per chosen neuron;
//! - BatchNormalization / LayerNormalization: per chosen feature `y = γ·(x − μ)/√(σ² + ε) + β`
//!   ([`FeatureTrace`]), with the moving statistics (batch normalization at inference) or the
//!   sample's own (layer normalization);
//! - Activation: `y = f(x)` per chosen value;
//! - Dropout: `y = x` (dropout only drops in training);
//! - Flatten: the values are only rearranged, `input_shape → output_shape`.

use serde::Serialize;

use super::forward::{LayerValues, moments, param};
use super::neuron::{NeuronInputs, NeuronTrace, neuron_trace};
use crate::activations::Activation;
use crate::layers::{Layer, LayerConfig};

/// One layer's part in the calculation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerTrace {
    /// The layer's position in the model (0-based, as `wxb summary` lists them).
    pub index: usize,
    /// Its name (`dense`, `dense_1`, …).
    pub name: String,
    /// Keras' class name (`Dense`, `BatchNormalization`, …).
    pub class_name: &'static str,
    /// What it computed for the chosen values.
    pub step: LayerStep,
}

/// Where a normalization's mean and variance come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistics {
    /// The moving averages learned in training (BatchNormalization at inference).
    Moving,
    /// The sample's own values along the last axis (LayerNormalization).
    Sample,
}

/// One feature through a normalization: `y = γ·x̂ + β` with `x̂ = (x − μ)/√(σ² + ε)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeatureTrace {
    /// The feature's index.
    pub index: usize,
    /// The value's name (the neuron it comes from).
    pub name: String,
    /// The input `x`.
    pub x: f64,
    /// `μ`.
    pub mean: f64,
    /// `σ²`.
    pub variance: f64,
    /// `x̂ = (x − μ)/√(σ² + ε)`.
    pub normalized: f64,
    /// The scale `γ` (absent with `scale=False`).
    pub gamma: Option<f64>,
    /// The offset `β` (absent with `center=False`).
    pub beta: Option<f64>,
    /// `y`.
    pub output: f64,
}

/// One value through a layer that acts on each value alone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueTrace {
    /// The value's index.
    pub index: usize,
    /// Its name (the neuron it comes from).
    pub name: String,
    /// The input.
    pub x: f64,
    /// The output.
    pub output: f64,
}

/// What a layer computed for the chosen values.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LayerStep {
    /// `zⱼ = Σᵢ xᵢ·Wᵢⱼ + bⱼ`, `aⱼ = f(zⱼ)` for each chosen neuron `j`.
    Dense {
        /// Inputs per neuron.
        inputs: usize,
        /// Neurons in the layer.
        units: usize,
        /// `f`.
        activation: Activation,
        /// The chosen neurons.
        neurons: Vec<NeuronTrace>,
    },
    /// `y = γ·(x − μ)/√(σ² + ε) + β` for each chosen feature.
    Normalization {
        /// Where `μ` and `σ²` come from.
        statistics: Statistics,
        /// `ε`.
        epsilon: f64,
        /// The chosen features.
        features: Vec<FeatureTrace>,
    },
    /// `y = f(x)` for each chosen value (softmax and log_softmax over the whole last axis).
    Activation {
        /// `f`.
        activation: Activation,
        /// The chosen values.
        values: Vec<ValueTrace>,
    },
    /// `y = x`: dropout is inactive outside training.
    Dropout {
        /// The fraction dropped in training.
        rate: f64,
        /// The chosen values, passed on unchanged.
        values: Vec<ValueTrace>,
    },
    /// The values rearranged into one vector, unchanged.
    Flatten {
        /// The shape of one input sample.
        input_shape: Vec<usize>,
        /// The shape of one output sample.
        output_shape: Vec<usize>,
    },
}

/// The trace of `layer` for the `chosen` output values (neurons or features).
pub(crate) fn layer_trace(
    index: usize,
    layer: &dyn Layer,
    input_shape: &[usize],
    v: &LayerValues,
    in_names: &[String],
    chosen: &[usize],
    top: usize,
) -> LayerTrace {
    let value = |&i: &usize| ValueTrace { index: i, name: v.names[i].clone(), x: v.input[i], output: v.output[i] };
    let step = match layer.config() {
        LayerConfig::Dense(cfg) => {
            let kernel = &param(layer, "kernel").expect("a built Dense layer has a kernel").value;
            let bias = param(layer, "bias");
            let z = v.z.as_ref().expect("Dense values keep z");
            let neurons = chosen
                .iter()
                .map(|&j| {
                    let inputs = NeuronInputs {
                        x: &v.input,
                        names: in_names,
                        kernel,
                        bias: bias.map(|b| f64::from(b.value.data()[j])),
                        z: z[j],
                        activation: cfg.activation,
                        output: v.output[j],
                    };
                    neuron_trace(&inputs, j, v.names[j].clone(), top)
                })
                .collect();
            LayerStep::Dense { inputs: kernel.rows(), units: cfg.units, activation: cfg.activation, neurons }
        }
        LayerConfig::BatchNormalization(cfg) => {
            let stat = |name: &str, i: usize| f64::from(param(layer, name).expect("built").value.data()[i]);
            let last = input_shape.last().copied().unwrap_or(1).max(1);
            let features = chosen
                .iter()
                .map(|&i| {
                    feature(
                        layer,
                        v,
                        i,
                        i % last,
                        (stat("moving_mean", i % last), stat("moving_variance", i % last)),
                        cfg.epsilon,
                    )
                })
                .collect();
            LayerStep::Normalization { statistics: Statistics::Moving, epsilon: f64::from(cfg.epsilon), features }
        }
        LayerConfig::LayerNormalization(cfg) => {
            let last = input_shape.last().copied().unwrap_or(1).max(1);
            let features = chosen
                .iter()
                .map(|&i| {
                    let start = i - i % last;
                    feature(layer, v, i, i % last, moments(&v.input[start..start + last]), cfg.epsilon)
                })
                .collect();
            LayerStep::Normalization { statistics: Statistics::Sample, epsilon: f64::from(cfg.epsilon), features }
        }
        LayerConfig::Activation(cfg) => {
            LayerStep::Activation { activation: cfg.activation, values: chosen.iter().map(value).collect() }
        }
        LayerConfig::Dropout(cfg) => {
            LayerStep::Dropout { rate: f64::from(cfg.rate), values: chosen.iter().map(value).collect() }
        }
        LayerConfig::Flatten(_) => {
            LayerStep::Flatten { input_shape: input_shape.to_vec(), output_shape: layer.output_shape() }
        }
    };
    LayerTrace { index, name: layer.name().to_string(), class_name: layer.class_name(), step }
}

/// Feature `i` (parameter index `j`) of a normalization with statistics `(μ, σ²)`.
fn feature(
    layer: &dyn Layer,
    v: &LayerValues,
    i: usize,
    j: usize,
    (mean, variance): (f64, f64),
    eps: f32,
) -> FeatureTrace {
    let get = |name: &str| param(layer, name).map(|p| f64::from(p.value.data()[j]));
    let x = v.input[i];
    FeatureTrace {
        index: i,
        name: v.names[i].clone(),
        x,
        mean,
        variance,
        normalized: (x - mean) / (variance + f64::from(eps)).sqrt(),
        gamma: get("gamma"),
        beta: get("beta"),
        output: v.output[i],
    }
}
