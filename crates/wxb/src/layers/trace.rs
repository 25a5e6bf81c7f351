//! What a layer computed for one sample, as data, for `explain`: each layer recomputes its
//! forward pass in `f64` ([`Layer::forward_f64`](super::Layer::forward_f64)) and says which inputs
//! and weights make each chosen output value ([`Layer::trace`](super::Layer::trace)).
//!
//! The kinds of steps, shared by the layers:
//! - [`LayerStep::Dense`]: a [`NeuronTrace`] per chosen neuron, `zⱼ = Σᵢ xᵢ·Wᵢⱼ + bⱼ`, `aⱼ = f(zⱼ)`;
//! - [`LayerStep::Normalization`]: per chosen feature `y = γ·(x − μ)/√(σ² + ε) + β`
//!   ([`FeatureTrace`]), with moving statistics or the sample's own;
//! - [`LayerStep::Activation`]: `y = f(x)` per chosen value;
//! - [`LayerStep::Dropout`]: `y = x` (dropout only drops in training);
//! - [`LayerStep::Pooling`]: a [`PoolTrace`] per chosen output value: its window and its max or mean;
//! - [`LayerStep::Rescaling`]: `y = x·scale + offset` per chosen value;
//! - [`LayerStep::Reshape`], [`LayerStep::ZeroPadding`]: the values moved (and zeros added);
//! - [`LayerStep::Flatten`]: the values only rearranged, `input_shape → output_shape`;
//! - [`LayerStep::Permute`]: the sample's axes reordered (the values moved, unchanged);
//! - [`LayerStep::Conv`]: a [`ConvTrace`] per chosen output value (a position and a filter): the
//!   patch, the filter's kernel, the products summed, the bias and the activation.

use serde::Serialize;

use super::conv::{ConvTrace, Padding};
use super::neuron::NeuronTrace;
use super::pool::{PoolOp, PoolTrace};
use crate::activations::Activation;

/// A layer's forward pass for one sample, recomputed in `f64`.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward64 {
    /// Layers with a weighted sum (Dense): `z = x·W + b`, one value per neuron.
    pub z: Option<Vec<f64>>,
    /// The output, flattened row-major.
    pub output: Vec<f64>,
    /// For each output value, the index of the input value it comes from, for layers that act on
    /// each value separately or only move values (`None` for Dense).
    pub source: Option<Vec<usize>>,
}

impl Forward64 {
    /// An output whose value `o` is computed from input value `o` alone.
    pub fn each(output: Vec<f64>) -> Self {
        let source = Some((0..output.len()).collect());
        Self { z: None, output, source }
    }
}

/// One sample's values around a layer, and what `explain` asks of it.
#[derive(Clone, Copy, Debug)]
pub struct SampleValues<'a> {
    /// The shape of one input sample.
    pub input_shape: &'a [usize],
    /// The layer's input, flattened row-major.
    pub x: &'a [f64],
    /// The names of the input values (features, pixels, neurons below).
    pub x_names: &'a [String],
    /// What [`Layer::forward_f64`](super::Layer::forward_f64) computed.
    pub forward: &'a Forward64,
    /// The names of the output values.
    pub names: &'a [String],
    /// The output values (neurons, features) to trace.
    pub chosen: &'a [usize],
    /// Products listed one by one in a neuron's trace (0: all).
    pub top: usize,
}

impl SampleValues<'_> {
    /// Value `i` passing through unchanged or element-wise: its input and output.
    pub fn value(&self, i: usize) -> ValueTrace {
        let source = self.forward.source.as_ref().map_or(i, |s| s[i]);
        ValueTrace { index: i, name: self.names[i].clone(), x: self.x[source], output: self.forward.output[i] }
    }

    /// Every chosen value (see [`SampleValues::value`]).
    pub fn chosen_values(&self) -> Vec<ValueTrace> {
        self.chosen.iter().map(|&i| self.value(i)).collect()
    }

    /// The length of the last axis of the input samples (at least 1).
    pub fn last_axis(&self) -> usize {
        self.input_shape.last().copied().unwrap_or(1).max(1)
    }
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
///
/// A new kind of layer reuses one of these shapes or adds its own variant here, beside its layer
/// file; readers outside the crate (the CLI) show the steps they do not know as their JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
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
    /// `z = Σ patch ⊙ K[…, f] + b_f`, `y = f(z)` for each chosen output value of a convolution.
    Conv {
        /// The kernel's size per spatial axis.
        kernel_size: Vec<usize>,
        /// The strides per spatial axis.
        strides: Vec<usize>,
        /// The dilation rates per spatial axis.
        dilation_rate: Vec<usize>,
        /// The padding.
        padding: Padding,
        /// The number of filters.
        filters: usize,
        /// `f`.
        activation: Activation,
        /// The chosen output values.
        outputs: Vec<ConvTrace>,
    },
    /// The max or the mean of each chosen output value's window (pooling layers).
    Pooling {
        /// Max or average.
        operation: PoolOp,
        /// The window's size per spatial axis (the whole input for global pooling).
        pool_size: Vec<usize>,
        /// The steps between windows.
        strides: Vec<usize>,
        /// `valid` or `same` (padded cells take no part).
        padding: Padding,
        /// The chosen output values.
        outputs: Vec<PoolTrace>,
    },
    /// `y = x·scale + offset` for each chosen value.
    Rescaling {
        /// The factor.
        scale: f64,
        /// The offset.
        offset: f64,
        /// The chosen values.
        values: Vec<ValueTrace>,
    },
    /// The same values, in the same order, in a sample of a new shape.
    Reshape {
        /// The shape of one input sample.
        input_shape: Vec<usize>,
        /// The shape of one output sample.
        output_shape: Vec<usize>,
    },
    /// The image surrounded by zeros: `[[top, bottom], [left, right]]` rows and columns.
    ZeroPadding {
        /// The zeros added, `[[top, bottom], [left, right]]`.
        padding: [[usize; 2]; 2],
        /// The shape of one input sample.
        input_shape: Vec<usize>,
        /// The shape of one output sample.
        output_shape: Vec<usize>,
    },
    /// The values rearranged into one vector, unchanged.
    Flatten {
        /// The shape of one input sample.
        input_shape: Vec<usize>,
        /// The shape of one output sample.
        output_shape: Vec<usize>,
    },
    /// The sample's axes reordered: output axis `i` is input axis `dims[i]` (from 1).
    Permute {
        /// The axes, 1-based.
        dims: Vec<usize>,
        /// The shape of one input sample.
        input_shape: Vec<usize>,
        /// The shape of one output sample.
        output_shape: Vec<usize>,
    },
}

/// Per-feature `(γ, β)` of a normalization, when it has them, as `f64`.
pub(crate) type ScaleOffset = (Option<Vec<f64>>, Option<Vec<f64>>);

/// `y = γ·(x − μ)/√(σ² + ε) + β` for each value of `x`, feature `j = i mod features`, with the
/// statistics `stats(row)(j)` for the value's row.
pub(crate) fn normalize_all<S: Fn(usize) -> (f64, f64)>(
    x: &[f64],
    features: usize,
    (gamma, beta): &ScaleOffset,
    eps: f64,
    stats: impl Fn(&[f64]) -> S,
) -> Vec<f64> {
    let mut y = Vec::with_capacity(x.len());
    for row in x.chunks(features) {
        let row_stats = stats(row);
        for (j, &v) in row.iter().enumerate() {
            let (mean, var) = row_stats(j);
            let g = gamma.as_ref().map_or(1.0, |g| g[j]);
            y.push(g * (v - mean) / (var + eps).sqrt() + beta.as_ref().map_or(0.0, |b| b[j]));
        }
    }
    y
}

/// The trace of chosen feature `i` (parameter index `i mod features`) of a normalization with
/// statistics `(μ, σ²)`.
pub(crate) fn feature_trace(
    v: &SampleValues<'_>,
    i: usize,
    (gamma, beta): &ScaleOffset,
    (mean, variance): (f64, f64),
    eps: f64,
) -> FeatureTrace {
    let j = i % v.last_axis();
    let x = v.x[i];
    FeatureTrace {
        index: i,
        name: v.names[i].clone(),
        x,
        mean,
        variance,
        normalized: (x - mean) / (variance + eps).sqrt(),
        gamma: gamma.as_ref().map(|g| g[j]),
        beta: beta.as_ref().map(|b| b[j]),
        output: v.forward.output[i],
    }
}

/// The mean and biased variance of `v`.
pub(crate) fn moments(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    (mean, v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n)
}

/// A normalization's `γ` and `β` (when it has them) from its weights, as `f64`.
pub(crate) fn scale_offset(weights: &[super::Param]) -> ScaleOffset {
    (weight_f64(weights, "gamma"), weight_f64(weights, "beta"))
}

/// The weight named `name`, as `f64`, if there is one.
pub(crate) fn weight_f64(weights: &[super::Param], name: &str) -> Option<Vec<f64>> {
    let p = weights.iter().find(|p| p.name == name)?;
    Some(p.value.data().iter().map(|&v| f64::from(v)).collect())
}
