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
        let names = match &forward.source {
            Some(src) => src.iter().map(|&i| in_names[i].clone()).collect(),
            None => (0..forward.output.len()).map(|j| format!("{}[{j}]", layer.name())).collect(),
        };
        shape = layer.output_shape();
        out.push(LayerValues { input, forward, names });
    }
    out
}
