//! Which neurons "matter most" for the predicted output, layer by layer, from the output back.
//!
//! - The output: the predicted class's neuron (the arg-max) when the model predicts classes;
//!   every output neuron when it predicts values.
//! - Walking back through a layer, the chosen outputs choose the layer's inputs through
//!   [`Layer::strongest_inputs`]: for a Dense layer whose chosen neurons are `C`, input `i` scores
//!   `Σ_{j∈C} |xᵢ·Wᵢⱼ|`, the magnitude of its terms in the chosen neurons' dot products, and the
//!   `per_layer` best scores (ties to the lower index) are chosen in the layer below; layers that
//!   act on each value alone or only move values pass the choice on to the value each output
//!   comes from.

use super::forward::LayerValues;
use crate::layers::Layer;

/// For each layer, the output indices chosen, given the output's `initial` choice and, optionally,
/// one layer's neuron pinned by the user as `(layer, neuron)`.
pub(crate) fn choose(
    layers: &[Box<dyn Layer>],
    values: &[LayerValues],
    initial: Vec<usize>,
    per_layer: usize,
    pin: Option<(usize, usize)>,
) -> Vec<Vec<usize>> {
    let mut chosen = vec![Vec::new(); layers.len()];
    let mut current = initial;
    for i in (0..layers.len()).rev() {
        if let Some((_, k)) = pin.filter(|&(l, _)| l == i) {
            current = vec![k];
        }
        chosen[i] = current.clone();
        let v = &values[i];
        current = layers[i].strongest_inputs(&v.input, &v.forward, &current, per_layer);
    }
    chosen
}
