//! The forward pass of one sample, recomputed by hand in `f64`, layer by layer, without the GEMM:
//! each layer's [`Layer::forward_f64`] (its formula lives in its own file), with the names of the
//! values passed along.
//!
//! Inference semantics, as `Sequential::predict`: Dropout is the identity and BatchNormalization
//! uses its moving statistics.

use crate::layers::{Forward64, Layer};

/// One layer's values in the hand-computed pass.
#[derive(Clone, Debug)]
pub(crate) struct LayerValues {
    /// The layer's input, flattened row-major.
    pub input: Vec<f64>,
    /// What the layer computed.
    pub forward: Forward64,
    /// A name per output value: `{dense layer}[j]` for a Dense neuron; other layers keep the name
    /// of the value they transform.
    pub names: Vec<String>,
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
            Some(prev) => (prev.forward.output.clone(), prev.names.clone()),
            None => (x.to_vec(), names.to_vec()),
        };
        let forward = layer.forward_f64(&shape, &input);
        let out_shape = layer.output_shape();
        let names = match &forward.source {
            Some(src) => src.iter().map(|&i| in_names[i].clone()).collect(),
            None => (0..forward.output.len()).map(|j| value_name(layer.name(), &out_shape, j)).collect(),
        };
        shape = out_shape;
        out.push(LayerValues { input, forward, names });
    }
    out
}

/// The name of output value `j` of a layer with samples of `shape`: `{layer}[j]` for a vector,
/// `{layer}[i,j,k]` (its multi-index) otherwise, e.g. a convolution's `conv2d[y,x,f]`.
fn value_name(layer: &str, shape: &[usize], j: usize) -> String {
    if shape.len() < 2 {
        return format!("{layer}[{j}]");
    }
    let mut index = vec![0; shape.len()];
    let mut rest = j;
    for (i, &d) in index.iter_mut().zip(shape).rev() {
        *i = rest % d.max(1);
        rest /= d.max(1);
    }
    let index: Vec<String> = index.iter().map(usize::to_string).collect();
    format!("{layer}[{}]", index.join(","))
}
