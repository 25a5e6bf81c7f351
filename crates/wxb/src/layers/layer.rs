//! The [`Layer`] trait: what every built layer does, in training, inference and `explain`.

use super::trace::{Forward64, LayerStep, SampleValues};
use super::{LayerConfig, Mode, Param, Scratch};
use crate::activations::Activation;
use crate::regularizers::Regularizer;
use crate::tensor::Tensor;

/// A building block of a [`crate::Sequential`] model.
///
/// Shapes exclude the batch dimension where they describe one sample (`input_shape`,
/// `output_shape`); tensors passed to `forward`/`backward` carry it first.
///
/// Weights and work buffers are apart: the layer owns its weights ([`Layer::weights`]); whatever a
/// forward pass keeps for the backward pass goes into the caller's [`Scratch`]. Inference takes
/// `&self`, so one model serves several threads; training's backward pass writes the gradients
/// into the weights' [`Param::grad`] and takes `&mut self`.
pub trait Layer: Send + Sync + std::fmt::Debug {
    /// The layer's unique name in its model (`dense`, `dense_1`, …).
    fn name(&self) -> &str;

    /// Renames the layer (the model names unnamed layers as Keras does).
    fn set_name(&mut self, name: String);

    /// Keras' class name (`Dense`, `Dropout`, …).
    fn class_name(&self) -> &'static str;

    /// The configuration that rebuilds this layer (without its weights).
    fn config(&self) -> LayerConfig;

    /// Creates the weights for samples of `input_shape`, drawing from streams derived from `seed`.
    ///
    /// # Panics
    /// If the layer cannot take inputs of that shape.
    fn build(&mut self, input_shape: &[usize], seed: u64);

    /// The shape of one output sample, once built.
    fn output_shape(&self) -> Vec<usize>;

    /// Called by the model before each training step with the optimizer's step count, so that a
    /// layer's random draws (dropout masks) depend on the step, not on how many passes this
    /// process ran: a resumed run then repeats an uninterrupted one. Default: nothing.
    fn begin_train_step(&mut self, _step: u64) {}

    /// `y = layer(x)` for a batch. `y` is the caller's buffer for this layer's output: resize it
    /// (reusing its allocation) and overwrite it. Keep whatever the backward pass needs in
    /// `scratch`. In [`Mode::Train`], the caller then calls [`Layer::end_train_forward`].
    fn forward(&self, x: &Tensor, y: &mut Tensor, mode: Mode, scratch: &mut Scratch);

    /// After a [`Mode::Train`] forward pass: the state a training pass moves (batch
    /// normalization's moving averages, dropout's step). Default: nothing.
    fn end_train_forward(&mut self, _scratch: &Scratch) {}

    /// Given the forward input `x`, output `y`, `dy = ∂L/∂y` and the forward pass' `scratch`,
    /// writes the parameters' gradients (overwriting them) and, when `dx` is given, `∂L/∂x` into
    /// it (resized to `x`'s shape). The first layer gets no `dx`, which saves its largest product.
    fn backward(&mut self, x: &Tensor, y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch);

    /// The activation applied last in `forward`, when the layer has one (Dense, Activation).
    /// The model fuses a final softmax or sigmoid with a crossentropy loss through it.
    fn output_activation(&self) -> Activation {
        Activation::Linear
    }

    /// Keras' `activity_regularizer`: a penalty on this layer's output, added to the loss (divided
    /// by the batch size) by the model, whose gradient flows back into the output. Default: none.
    fn activity_regularizer(&self) -> Option<Regularizer> {
        None
    }

    /// The pre-activation values `z` of the forward pass that filled `scratch`, for layers whose
    /// [`Layer::output_activation`] is not linear (except a Dense layer with ReLU, which applies it
    /// inside its product and keeps no `z`).
    fn logits<'s>(&self, _scratch: &'s Scratch) -> Option<&'s Tensor> {
        None
    }

    /// Like [`Layer::backward`], but given `dz = ∂L/∂z` for the pre-activation values `z`, skipping
    /// the [`Layer::output_activation`]. Used for fused softmax/sigmoid–crossentropy gradients.
    ///
    /// # Panics
    /// In layers without an output activation.
    fn backward_from_logits(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch) {
        let _ = (x, dz, dx, scratch);
        panic!("{} ({}) has no fused output activation", self.name(), self.class_name())
    }

    /// A convenience for tests and tools: `forward` into a new tensor (then, in training,
    /// [`Layer::end_train_forward`]).
    fn call(&mut self, x: &Tensor, mode: Mode, scratch: &mut Scratch) -> Tensor {
        let mut y = Tensor::default();
        self.forward(x, &mut y, mode, scratch);
        if mode == Mode::Train {
            self.end_train_forward(scratch);
        }
        y
    }

    /// The weights, in Keras' order (e.g. kernel, bias; gamma, beta, moving_mean, moving_variance).
    /// Default: none.
    fn weights(&self) -> &[Param] {
        &[]
    }

    /// The weights, mutable, in the same order. Default: none.
    fn weights_mut(&mut self) -> &mut [Param] {
        &mut []
    }

    /// The weights, in Keras' order, as references.
    fn params(&self) -> Vec<&Param> {
        self.weights().iter().collect()
    }

    /// The weights, mutable, in the same order.
    fn params_mut(&mut self) -> Vec<&mut Param> {
        self.weights_mut().iter_mut().collect()
    }

    /// The weight of Keras' name `name` (`kernel`, `gamma`, …), if the layer has it.
    fn param(&self, name: &str) -> Option<&Param> {
        self.weights().iter().find(|p| p.name == name)
    }

    /// Calls `f` on each weight, in [`Layer::weights`] order, allocating nothing.
    fn for_each_param(&self, f: &mut dyn FnMut(&Param)) {
        self.weights().iter().for_each(f);
    }

    /// Calls `f` on each weight, mutable, in [`Layer::weights`] order, allocating nothing.
    fn for_each_param_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.weights_mut().iter_mut().for_each(f);
    }

    /// `explain`: this layer's inference pass on one sample `x` (of `input_shape`, flattened
    /// row-major), recomputed in `f64` term by term.
    fn forward_f64(&self, input_shape: &[usize], x: &[f64]) -> Forward64;

    /// `explain`: which inputs and weights make each of the chosen output values.
    fn trace(&self, v: &SampleValues<'_>) -> LayerStep;

    /// `explain`, walking back from the output: the (at most `k`) input values that weigh most in
    /// the `chosen` output values. Default: the value each chosen output comes from
    /// ([`Forward64::source`]).
    ///
    /// # Panics
    /// By default, for a layer whose [`Layer::forward_f64`] gives no `source`.
    fn strongest_inputs(&self, x: &[f64], forward: &Forward64, chosen: &[usize], k: usize) -> Vec<usize> {
        let _ = (x, k);
        let source = forward.source.as_ref().expect("a layer without sources ranks its inputs itself");
        let mut up: Vec<usize> = chosen.iter().map(|&o| source[o]).collect();
        up.dedup();
        up
    }
}
