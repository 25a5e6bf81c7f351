//! One layer's part in an explanation: its position and name around the [`LayerStep`] the layer
//! itself traces ([`Layer::trace`]).

use serde::Serialize;

use super::forward::LayerValues;
use crate::layers::{Layer, LayerStep, SampleValues};

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
    let values =
        SampleValues { input_shape, x: &v.input, x_names: in_names, forward: &v.forward, names: &v.names, chosen, top };
    LayerTrace { index, name: layer.name().to_string(), class_name: layer.class_name(), step: layer.trace(&values) }
}
