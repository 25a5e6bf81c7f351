//! The layers an ONNX chain becomes, built up node by node: each layer checked against the shape
//! it receives as it is added, and the layout of the current value tracked.

use std::collections::HashSet;

use super::Fail;
use crate::layers::{LayerConfig, PermuteConfig};
use crate::tensor::Tensor;

/// How the wxb value relates to the ONNX value it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The same values in the same order (`[features]`, or any sample the model keeps as ONNX
    /// does).
    Plain,
    /// ONNX holds an `NCHW` image `[c, h, w]`, wxb the same image channels last, `[h, w, c]` (or
    /// a sequence: ONNX `[c, steps]`, wxb `[steps, c]`).
    ChannelsLast,
}

/// The layers so far, their weights, and the shape and layout of their output.
#[derive(Debug)]
pub struct Chain {
    /// The layers' configurations (named after their nodes).
    pub configs: Vec<LayerConfig>,
    /// Each layer's name.
    pub names: Vec<String>,
    /// Each layer's weights in Keras' order.
    pub weights: Vec<Vec<Tensor>>,
    /// The wxb shape of one sample of the current value.
    pub shape: Vec<usize>,
    /// How it relates to the ONNX value.
    pub layout: Layout,
    /// Whether the last layer is a Dense or Conv2D (or a Rescaling or BatchNormalization made of
    /// a `Mul`/`Add`) whose output is the current value, so that an `Add` of a constant can become
    /// its bias (offset, β).
    pub open_bias: bool,
    used: HashSet<String>,
}

impl Chain {
    /// No layers yet: samples of `shape`, as ONNX has them.
    pub fn new(shape: Vec<usize>) -> Self {
        Self {
            configs: Vec::new(),
            names: Vec::new(),
            weights: Vec::new(),
            shape,
            layout: Layout::Plain,
            open_bias: false,
            used: HashSet::new(),
        }
    }

    /// The ONNX shape of one sample of the current value.
    pub fn onnx_shape(&self) -> Vec<usize> {
        match (self.layout, self.shape.as_slice()) {
            (Layout::ChannelsLast, &[h, w, c]) => vec![c, h, w],
            (Layout::ChannelsLast, &[steps, c]) => vec![c, steps],
            _ => self.shape.clone(),
        }
    }

    /// Adds a layer named after `name` (made unique), checking it against the current shape and
    /// its weights against the shapes it needs.
    pub fn push(&mut self, name: &str, config: LayerConfig, weights: Vec<Tensor>, part: &str) -> Result<(), Fail> {
        let plan = config.validate(&self.shape).map_err(|e| Fail::new(part, e.to_string()))?;
        if plan.weights.len() != weights.len() {
            let message = format!("{} weights for a layer that needs {}", weights.len(), plan.weights.len());
            return Err(Fail::new(part, message));
        }
        for ((weight, shape), tensor) in plan.weights.iter().zip(&weights) {
            if shape.as_slice() != tensor.shape() {
                let message = format!("weight {weight} has shape {:?}, the layer needs {shape:?}", tensor.shape());
                return Err(Fail::new(part, message));
            }
        }
        let base = if name.is_empty() { crate::layers::snake_case(config.class_name()) } else { name.to_string() };
        let mut unique = base.clone();
        let mut k = 1;
        while !self.used.insert(unique.clone()) {
            unique = format!("{base}_{k}");
            k += 1;
        }
        self.names.push(unique);
        self.configs.push(config);
        self.weights.push(weights);
        self.shape = plan.output_shape;
        self.open_bias = false;
        Ok(())
    }

    /// Whether every spatial axis of a channels-last value has length 1 (so that ONNX's order and
    /// wxb's agree).
    pub fn spatial_is_one(&self) -> bool {
        self.shape[..self.shape.len() - 1].iter().all(|&d| d == 1)
    }

    /// Makes the current value channels last (an `NCHW` image kept as ONNX has it gets a
    /// `Permute((2, 3, 1))` named `{name}/to_channels_last`, a `[c, steps]` sequence a
    /// `Permute((2, 1))`).
    pub fn make_channels_last(&mut self, name: &str, part: &str) -> Result<(), Fail> {
        match (self.layout, self.shape.len()) {
            (Layout::ChannelsLast, _) => Ok(()),
            (Layout::Plain, rank @ (2 | 3)) => {
                let config = PermuteConfig::new(if rank == 3 { &[2, 3, 1] } else { &[2, 1] });
                self.push(&format!("{name}/to_channels_last"), config.into(), Vec::new(), part)?;
                self.layout = Layout::ChannelsLast;
                Ok(())
            }
            _ => Err(Fail::new(
                part,
                format!(
                    "needs an NCHW image or a [c, steps] sequence, the value before it is of shape [batch, {}]",
                    shown(&self.onnx_shape())
                ),
            )),
        }
    }

    /// Makes the wxb value hold the ONNX values in ONNX's order (a channels-last image gets a
    /// `Permute((3, 1, 2))` back to `[c, h, w]` named `{name}/to_channels_first`).
    pub fn make_plain(&mut self, name: &str, part: &str) -> Result<(), Fail> {
        if self.layout == Layout::Plain {
            return Ok(());
        }
        let dims: &[usize] = if self.shape.len() == 3 { &[3, 1, 2] } else { &[2, 1] };
        self.push(&format!("{name}/to_channels_first"), PermuteConfig::new(dims).into(), Vec::new(), part)?;
        self.layout = Layout::Plain;
        Ok(())
    }
}

/// `a, b, c` for a shape.
pub fn shown(shape: &[usize]) -> String {
    shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
}
