//! Which neurons "matter most" for the predicted output, layer by layer, from the output back.
//!
//! - The output: the predicted class's neuron (the arg-max) when the model predicts classes;
//!   every output neuron when it predicts values.
//! - Walking back through a Dense layer whose chosen neurons are `C`: its input `i` scores
//!   `Σ_{j∈C} |xᵢ·Wᵢⱼ|`, the magnitude of its terms in the chosen neurons' dot products; the
//!   `per_layer` best scores (ties to the lower index) are chosen in the layer below.
//! - Layers that act on each value alone (normalizations, Activation, Dropout) or only move values
//!   (Flatten) pass the choice on to the value each output comes from.

use super::forward::{LayerValues, param};
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
        current = match &v.source {
            Some(source) => {
                let mut up: Vec<usize> = current.iter().map(|&o| source[o]).collect();
                up.dedup();
                up
            }
            None => {
                let kernel = &param(layers[i].as_ref(), "kernel").expect("a built Dense layer has a kernel").value;
                strongest_inputs(&v.input, kernel.data(), kernel.cols(), &current, per_layer)
            }
        };
    }
    chosen
}

/// The `k` inputs with the largest `Σ_{j∈neurons} |xᵢ·Wᵢⱼ|`, in decreasing order.
fn strongest_inputs(x: &[f64], w: &[f32], units: usize, neurons: &[usize], k: usize) -> Vec<usize> {
    let score: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &xi)| neurons.iter().map(|&j| (xi * f64::from(w[i * units + j])).abs()).sum())
        .collect();
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    order.truncate(k);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strongest_inputs_rank_by_the_magnitude_of_their_terms() {
        // 3 inputs, 2 neurons; only neuron 1 is chosen: terms 1·(−5), 2·1, 3·2 → inputs 0, 2, 1.
        let w = [9.0, -5.0, 9.0, 1.0, 9.0, 2.0];
        assert_eq!(strongest_inputs(&[1.0, 2.0, 3.0], &w, 2, &[1], 2), vec![2, 0]);
        assert_eq!(strongest_inputs(&[1.0, 2.0, 3.0], &w, 2, &[1], 9), vec![2, 0, 1]);
    }
}
