//! The forward pass of one sample, recomputed by hand in `f64`, layer by layer, without the GEMM.
//!
//! Inference semantics, as `Sequential::predict`: Dropout is the identity and BatchNormalization
//! uses its moving statistics.
//!
//! - Dense: `zⱼ = Σᵢ xᵢ·Wᵢⱼ + bⱼ` term by term, then `f(z)`;
//! - Activation: `f(x)` (softmax and log_softmax over the last axis);
//! - BatchNormalization: `yⱼ = γⱼ·(xⱼ − μ̄ⱼ)/√(σ̄²ⱼ + ε) + βⱼ` with the moving mean `μ̄` and variance `σ̄²`;
//! - LayerNormalization: the same with the mean and (biased) variance of the sample's last axis;
//! - Flatten: the values reordered (channels first) or passed as they are (channels last).

use crate::activations::Activation;
use crate::layers::{DataFormat, Layer, LayerConfig, Param};

use super::activation64::apply_row;

/// One layer's values in the hand-computed pass.
#[derive(Clone, Debug)]
pub(crate) struct LayerValues {
    /// The layer's input, flattened row-major.
    pub input: Vec<f64>,
    /// Dense layers: `z = x·W + b`, one value per neuron.
    pub z: Option<Vec<f64>>,
    /// The layer's output, flattened row-major.
    pub output: Vec<f64>,
    /// For each output value, the index of the input value it comes from, for layers that act on
    /// each value separately or only move values (everything but Dense).
    pub source: Option<Vec<usize>>,
    /// A name per output value: `{dense layer}[j]` for a Dense neuron; other layers keep the name
    /// of the value they transform.
    pub names: Vec<String>,
}

/// A parameter of `layer` by its Keras name (`kernel`, `gamma`, …).
pub(crate) fn param<'a>(layer: &'a dyn Layer, name: &str) -> Option<&'a Param> {
    layer.params().into_iter().find(|p| p.name == name)
}

fn values(p: Option<&Param>) -> Option<Vec<f64>> {
    p.map(|p| p.value.data().iter().map(|&v| f64::from(v)).collect())
}

/// Runs `layers` on one sample `x` (of `input_shape`, flattened), naming the inputs `names`.
pub(crate) fn forward(
    layers: &[Box<dyn Layer>],
    input_shape: &[usize],
    x: &[f64],
    names: &[String],
) -> Vec<LayerValues> {
    let mut out: Vec<LayerValues> = Vec::with_capacity(layers.len());
    let mut shape = input_shape.to_vec();
    for layer in layers {
        let (input, in_names) = match out.last() {
            Some(prev) => (prev.output.clone(), prev.names.clone()),
            None => (x.to_vec(), names.to_vec()),
        };
        let last = shape.last().copied().unwrap_or(1).max(1);
        let identity = || (0..input.len()).collect::<Vec<usize>>();
        let mut z = None;
        let (output, source) = match layer.config() {
            LayerConfig::Dense(cfg) => {
                let kernel = param(layer.as_ref(), "kernel").expect("a built Dense layer has a kernel");
                let w = &kernel.value;
                let units = cfg.units;
                let bias = values(param(layer.as_ref(), "bias"));
                let zs: Vec<f64> = (0..units)
                    .map(|j| {
                        let dot: f64 =
                            input.iter().enumerate().map(|(i, &xi)| xi * f64::from(w.data()[i * units + j])).sum();
                        dot + bias.as_ref().map_or(0.0, |b| b[j])
                    })
                    .collect();
                let y = apply_row(cfg.activation, &zs);
                z = Some(zs);
                (y, None)
            }
            LayerConfig::Activation(cfg) => (by_last_axis(cfg.activation, &input, last), Some(identity())),
            LayerConfig::Dropout(_) => (input.clone(), Some(identity())),
            LayerConfig::Flatten(cfg) => {
                let order = flatten_order(&shape, cfg.data_format);
                (order.iter().map(|&i| input[i]).collect(), Some(order))
            }
            LayerConfig::BatchNormalization(cfg) => {
                let mean = values(param(layer.as_ref(), "moving_mean")).expect("built");
                let var = values(param(layer.as_ref(), "moving_variance")).expect("built");
                let (g, b) = (values(param(layer.as_ref(), "gamma")), values(param(layer.as_ref(), "beta")));
                let eps = f64::from(cfg.epsilon);
                let y = input
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let j = i % last;
                        normalize(v, mean[j], var[j], eps, g.as_ref().map(|g| g[j]), b.as_ref().map(|b| b[j]))
                    })
                    .collect();
                (y, Some(identity()))
            }
            LayerConfig::LayerNormalization(cfg) => {
                let (g, b) = (values(param(layer.as_ref(), "gamma")), values(param(layer.as_ref(), "beta")));
                let eps = f64::from(cfg.epsilon);
                let mut y = Vec::with_capacity(input.len());
                for row in input.chunks(last) {
                    let (mean, var) = moments(row);
                    for (j, &v) in row.iter().enumerate() {
                        y.push(normalize(v, mean, var, eps, g.as_ref().map(|g| g[j]), b.as_ref().map(|b| b[j])));
                    }
                }
                (y, Some(identity()))
            }
        };
        let names = match &source {
            Some(src) => src.iter().map(|&i| in_names[i].clone()).collect(),
            None => (0..output.len()).map(|j| format!("{}[{j}]", layer.name())).collect(),
        };
        shape = layer.output_shape();
        out.push(LayerValues { input, z, output, source, names });
    }
    out
}

/// `γ·(x − μ)/√(σ² + ε) + β`, `γ` and `β` when the layer has them.
pub(crate) fn normalize(x: f64, mean: f64, var: f64, eps: f64, gamma: Option<f64>, beta: Option<f64>) -> f64 {
    gamma.unwrap_or(1.0) * (x - mean) / (var + eps).sqrt() + beta.unwrap_or(0.0)
}

/// The mean and biased variance of `v`.
pub(crate) fn moments(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    (mean, v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n)
}

/// An activation on each vector of `last` values.
fn by_last_axis(activation: Activation, x: &[f64], last: usize) -> Vec<f64> {
    x.chunks(last).flat_map(|row| apply_row(activation, row)).collect()
}

/// For each flattened output position, the input position it reads: the identity for channels
/// last; `[c, d…] → [d…, c]` for channels first.
fn flatten_order(shape: &[usize], format: DataFormat) -> Vec<usize> {
    let n: usize = shape.iter().product();
    if format == DataFormat::ChannelsLast || shape.len() < 2 {
        return (0..n).collect();
    }
    let (channels, positions) = (shape[0], n / shape[0].max(1));
    (0..n).map(|o| (o % channels) * positions + o / channels).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_first_flatten_moves_channels_last() {
        // [2 channels, 3 positions]: output (p, c) reads input c·3 + p.
        assert_eq!(flatten_order(&[2, 3], DataFormat::ChannelsFirst), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(flatten_order(&[2, 3], DataFormat::ChannelsLast), vec![0, 1, 2, 3, 4, 5]);
    }
}
