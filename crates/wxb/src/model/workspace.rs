//! [`Workspace`]: the buffers of passes through a [`Sequential`](super::Sequential), apart from its
//! weights.
//!
//! A forward pass writes each layer's output into `acts`, and what each layer keeps for its
//! backward pass into its [`Scratch`]; a backward pass writes `∂L/∂acts[i]` into `grads`. The model
//! keeps one workspace for training (reused batch after batch: a training step allocates
//! nothing); [`Sequential::predict`](super::Sequential::predict) makes one per call, so one model
//! predicts from several threads at once; [`Sequential::predict_with`](super::Sequential::predict_with)
//! reuses the caller's.

use crate::layers::Scratch;
use crate::tensor::Tensor;

/// Per-call buffers of a model's forward and backward passes.
#[derive(Debug, Default)]
pub struct Workspace {
    /// `acts[i]`: the output of layer `i` in the last forward pass (the input itself for a model
    /// without layers).
    pub(crate) acts: Vec<Tensor>,
    /// `grads[i]`: `∂L/∂acts[i]` in the last backward pass.
    pub(crate) grads: Vec<Tensor>,
    /// `scratch[i]`: layer `i`'s work buffers.
    pub(crate) scratch: Vec<Scratch>,
    /// The gradient of the last layer's activity penalty with respect to its output, then to its
    /// logits (when the loss fuses with its activation).
    pub(crate) activity: [Tensor; 2],
    /// A data-parallel step's fused allreduce buffer (gradients, moving statistics, loss).
    pub(crate) fused: Vec<f32>,
}

impl Workspace {
    /// An empty workspace (its buffers grow on first use, then are reused).
    pub fn new() -> Self {
        Self::default()
    }

    /// The output of layer `i` in the last forward pass.
    ///
    /// # Panics
    /// If no forward pass reached layer `i`.
    pub fn activation(&self, i: usize) -> &Tensor {
        &self.acts[i]
    }

    /// The model's output in the last forward pass, if one ran.
    pub fn output(&self) -> Option<&Tensor> {
        self.acts.last()
    }
}
