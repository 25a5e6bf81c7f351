//! The [`Sequential`] model: a stack of layers, compiled with an optimizer, a loss and metrics.

mod build;
pub(crate) mod check;
mod fusion;
pub(crate) mod guard;
mod memory;
mod names;
mod step;
mod summary;
mod sync;
mod trainable;
mod workspace;

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::error::WxbError;
use crate::layers::{Layer, Mode, Param, snake_case};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optim::Optimizer;
use crate::tensor::Tensor;
pub use build::MAX_PARAMS;
pub use guard::OnDivergence;
pub use memory::{DEFAULT_MEMORY_BUDGET, MemoryPlan, default_memory_budget, set_default_memory_budget};
pub(crate) use sync::StepSync;
pub use workspace::Workspace;

/// Keras' default batch size for `predict`, `evaluate` and `fit`.
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// What `compile` fixes: how the model learns and what it reports.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The optimizer and its state.
    pub optimizer: Optimizer,
    /// The loss.
    pub loss: Loss,
    /// The metrics, as asked for (`accuracy` unresolved).
    pub metrics: Vec<Metric>,
}

/// A linear stack of layers, like `keras.Sequential`.
///
/// ```
/// use wxb::prelude::*;
/// let mut model = Sequential::new(&[784]).seed(42);
/// model.add(Dense::new(256).activation(Activation::Relu));
/// model.add(Dense::new(10).activation(Activation::Softmax));
/// model.compile(Optimizer::sgd(0.01), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
/// assert_eq!(model.count_params(), 784 * 256 + 256 + 256 * 10 + 10);
/// ```
#[derive(Debug)]
pub struct Sequential {
    name: String,
    input_shape: Vec<usize>,
    layers: Vec<Box<dyn Layer>>,
    seed: u64,
    compiled: Option<Compiled>,
    stop_training: bool,
    /// The buffers of training and of [`Sequential::forward`].
    work: Workspace,
    /// The buffers of [`Sequential::predict`], reused by whichever call finds them free.
    predict_work: Mutex<Workspace>,
    /// The trainable weights of a step, without allocating.
    trainable: trainable::TrainableList,
    /// The layers' names, for naming the next one (rebuilt after [`Sequential::layers_mut`]).
    names: Option<names::LayerNames>,
    /// The layer pairs a training step fuses (planned again after a change to the layers).
    fusions: Option<fusion::Fusions>,
    /// The most bytes training, evaluation or prediction may allocate (see [`MemoryPlan`]).
    memory_budget: u64,
}

impl Sequential {
    /// An empty model for samples of `input_shape` (without the batch dimension), e.g. `&[784]`
    /// or `&[28, 28]`, like `keras.Sequential([keras.Input(shape)])`.
    pub fn new(input_shape: &[usize]) -> Self {
        Self {
            name: "sequential".into(),
            input_shape: input_shape.to_vec(),
            layers: Vec::new(),
            seed: 0,
            compiled: None,
            stop_training: false,
            work: Workspace::default(),
            predict_work: Mutex::default(),
            trainable: trainable::TrainableList::default(),
            names: Some(names::LayerNames::default()),
            fusions: None,
            memory_budget: default_memory_budget(),
        }
    }

    /// Sets the seed of every random draw: initial weights, dropout masks, shuffling. The same seed
    /// gives the same weights after `fit` (on the same thread count). Default: 0.
    ///
    /// # Panics
    /// Once layers were added (their weights are drawn when they are added).
    pub fn seed(mut self, seed: u64) -> Self {
        assert!(self.layers.is_empty(), "set the seed before adding layers");
        self.seed = seed;
        self
    }

    /// Renames the model (default `sequential`).
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The seed.
    pub fn seed_value(&self) -> u64 {
        self.seed
    }

    /// Appends a layer and draws its weights. Unnamed layers get Keras' names: `dense`, `dense_1`, …
    ///
    /// # Panics
    /// If the layer's name is already taken in this model, or the layer cannot take the previous
    /// layer's output shape.
    pub fn add(&mut self, layer: impl Layer + 'static) {
        self.add_boxed(Box::new(layer));
    }

    /// Appends a boxed layer (see [`Sequential::add`]).
    pub fn add_boxed(&mut self, mut layer: Box<dyn Layer>) {
        let layers = &self.layers;
        let names = self.names.get_or_insert_with(|| names::LayerNames::of(layers.iter().map(|l| l.name())));
        if layer.name().is_empty() {
            layer.set_name(names.take_auto(&snake_case(layer.class_name())));
        } else {
            assert!(names.take(layer.name()), "a layer named {:?} is already in the model", layer.name());
        }
        let shape = self.output_shape();
        layer.build(&shape, self.seed);
        self.layers.push(layer);
        self.fusions = None;
    }

    /// Kept for Keras familiarity: layers are built (their weights drawn) as they are added, so
    /// there is nothing left to do.
    pub fn build(&mut self) {}

    /// The layers.
    pub fn layers(&self) -> &[Box<dyn Layer>] {
        &self.layers
    }

    /// The layers, mutable.
    pub fn layers_mut(&mut self) -> &mut [Box<dyn Layer>] {
        // A layer may be renamed through it: the names are read again at the next `add`.
        self.names = None;
        self.fusions = None;
        &mut self.layers
    }

    /// The shape of one input sample.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// The shape of one output sample.
    pub fn output_shape(&self) -> Vec<usize> {
        self.layers.last().map_or_else(|| self.input_shape.clone(), |l| l.output_shape())
    }

    /// Sets the optimizer, the loss and the metrics (Keras' `compile`). Resets the optimizer's state.
    pub fn compile(&mut self, optimizer: Optimizer, loss: Loss, metrics: &[Metric]) {
        self.build();
        self.compiled = Some(Compiled { optimizer, loss, metrics: metrics.to_vec() });
    }

    /// What `compile` set, if it was called.
    pub fn compiled(&self) -> Option<&Compiled> {
        self.compiled.as_ref()
    }

    /// What `compile` set, mutable (callbacks change the learning rate through it).
    pub fn compiled_mut(&mut self) -> Option<&mut Compiled> {
        self.compiled.as_mut()
    }

    /// The optimizer, once compiled.
    pub fn optimizer(&self) -> Option<&Optimizer> {
        self.compiled.as_ref().map(|c| &c.optimizer)
    }

    /// The optimizer, mutable.
    pub fn optimizer_mut(&mut self) -> Option<&mut Optimizer> {
        self.compiled.as_mut().map(|c| &mut c.optimizer)
    }

    /// Asks `fit` to stop after the current batch (Keras' `model.stop_training = True`).
    pub fn stop_training(&mut self) {
        self.stop_training = true;
    }

    /// Whether a stop was asked for.
    pub fn is_stopping(&self) -> bool {
        self.stop_training
    }

    pub(crate) fn clear_stop(&mut self) {
        self.stop_training = false;
    }

    /// Runs every layer on a batch `x: [batch, input_shape…]` in the model's own workspace and
    /// returns the output; in [`Mode::Train`], the layers then move their training state (batch
    /// normalization's moving averages, dropout's step), as a training step does.
    ///
    /// # Panics
    /// If `x`'s sample shape differs from the model's input shape.
    pub fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        let mut work = std::mem::take(&mut self.work);
        self.forward_with(x, mode, &mut work);
        if mode == Mode::Train {
            self.layers.iter_mut().zip(&work.scratch).for_each(|(l, s)| l.end_train_forward(s));
        }
        self.work = work;
        self.work.acts.last().expect("a forward pass ran")
    }

    /// Runs every layer on a batch `x: [batch, input_shape…]` in inference mode (dropout off,
    /// moving statistics), in the caller's workspace, and returns the output.
    ///
    /// # Panics
    /// If `x`'s sample shape differs from the model's input shape.
    pub fn infer<'w>(&self, x: &Tensor, work: &'w mut Workspace) -> &'w Tensor {
        self.forward_with(x, Mode::Infer, work)
    }

    /// Every layer's `forward` into `work`, without moving any training state.
    fn forward_with<'w>(&self, x: &Tensor, mode: Mode, work: &'w mut Workspace) -> &'w Tensor {
        assert_eq!(
            &x.shape()[1.min(x.rank())..],
            self.input_shape.as_slice(),
            "model {:?}: input {:?} does not match the input shape [batch, {:?}]",
            self.name,
            x.shape(),
            self.input_shape
        );
        let n = self.layers.len();
        if n == 0 {
            work.acts.resize_with(1, Tensor::default);
            work.acts[0].assign(x);
            return &work.acts[0];
        }
        work.acts.resize_with(n, Tensor::default);
        work.scratch.resize_with(n, Default::default);
        for (i, layer) in self.layers.iter().enumerate() {
            let (done, rest) = work.acts.split_at_mut(i);
            let input = if i == 0 { x } else { &done[i - 1] };
            layer.forward(input, &mut rest[0], mode, &mut work.scratch[i]);
        }
        &work.acts[n - 1]
    }

    /// The output of layer `i` in the last pass of [`Sequential::forward`] or training. A
    /// training step runs a `Conv2D` (or `Conv1D`, linear or ReLU) and the `MaxPooling2D`
    /// (`MaxPooling1D`) right after it as one pass that keeps only the pooled output: the
    /// convolution's output is then the one of the last pass that computed it (empty if none did).
    ///
    /// # Panics
    /// If no such pass reached layer `i`.
    pub fn activation(&self, i: usize) -> &Tensor {
        self.work.activation(i)
    }

    /// Predictions for `x: [n, input_shape…]`, computed `batch_size` samples at a time in inference
    /// mode (dropout off, moving statistics). Takes `&self`: several threads may predict with one
    /// model at once. A call reuses the model's inference buffers when no other call holds them,
    /// and otherwise works in a [`Workspace`] of its own.
    ///
    /// # Errors
    /// If `x` does not fit the model's input, `batch_size` is 0, or the memory it needs exceeds
    /// the model's budget ([`WxbError::OverMemoryBudget`], see [`MemoryPlan`]).
    pub fn predict(&self, x: &Tensor, batch_size: usize) -> Result<Tensor, WxbError> {
        match self.predict_work.try_lock() {
            Ok(mut work) => self.predict_with(x, batch_size, &mut work),
            Err(_) => self.predict_with(x, batch_size, &mut Workspace::default()),
        }
    }

    /// [`Sequential::predict`] reusing the buffers of `work` (no allocation past the first call but
    /// the result's).
    ///
    /// # Errors
    /// As [`Sequential::predict`].
    pub fn predict_with(&self, x: &Tensor, batch_size: usize, work: &mut Workspace) -> Result<Tensor, WxbError> {
        check::input(x, &self.input_shape, "x")?;
        check::batch_size(batch_size)?;
        let n = x.rows();
        self.check_prediction_memory(batch_size, n, "prediction")?;
        if n <= batch_size {
            // One batch: no copy of the input.
            return Ok(self.infer(x, work).clone());
        }
        let out_shape = self.output_shape();
        let width: usize = out_shape.iter().product();
        let mut out = Vec::with_capacity(n * width);
        let mut batch = Tensor::default();
        let mut start = 0;
        while start < n {
            let end = (start + batch_size).min(n);
            x.slice_rows_into(start, end, &mut batch);
            out.extend_from_slice(self.infer(&batch, work).data());
            start = end;
        }
        let mut shape = vec![n];
        shape.extend_from_slice(&out_shape);
        Ok(Tensor::from_vec(&shape, out))
    }

    /// Every weight tensor, layer by layer in Keras' order (`get_weights`).
    pub fn get_weights(&self) -> Vec<Tensor> {
        self.params().map(|(_, _, p)| p.value.clone()).collect()
    }

    /// Replaces every weight tensor (`set_weights`), checking their number and shapes.
    pub fn set_weights(&mut self, weights: &[Tensor]) -> Result<(), WxbError> {
        self.build();
        let expected: Vec<(String, Vec<usize>)> =
            self.params().map(|(_, l, p)| (format!("{l}/{}", p.name), p.value.shape().to_vec())).collect();
        if expected.len() != weights.len() {
            return Err(WxbError::WeightCount { expected: expected.len(), got: weights.len() });
        }
        for ((name, shape), w) in expected.iter().zip(weights) {
            if shape.as_slice() != w.shape() {
                return Err(WxbError::WeightShape {
                    name: name.clone(),
                    expected: shape.clone(),
                    got: w.shape().to_vec(),
                });
            }
        }
        let mut it = weights.iter();
        for layer in &mut self.layers {
            for p in layer.params_mut() {
                p.value.assign(it.next().expect("counted above"));
            }
        }
        Ok(())
    }

    /// `(layer index, layer name, parameter)` for every weight, in order.
    pub fn params(&self) -> impl Iterator<Item = (usize, &str, &Param)> {
        self.layers.iter().enumerate().flat_map(|(i, l)| l.params().into_iter().map(move |p| (i, l.name(), p)))
    }

    /// Every weight by its safetensors name, `layers.{i}.{variable}` (e.g. `layers.0.kernel`).
    pub fn named_weights(&self) -> BTreeMap<String, &Tensor> {
        self.params().map(|(i, _, p)| (format!("layers.{i}.{}", p.name), &p.value)).collect()
    }

    /// The number of scalars in all weights.
    pub fn count_params(&self) -> usize {
        self.params().map(|(_, _, p)| p.len()).sum()
    }

    /// The number of trainable scalars.
    pub fn count_trainable_params(&self) -> usize {
        self.params().filter(|(_, _, p)| p.trainable).map(|(_, _, p)| p.len()).sum()
    }

    /// The sum of every regularizer's penalty (Keras' `sum(model.losses)`).
    pub fn regularization_loss(&self) -> f32 {
        let mut total = 0.0;
        for layer in &self.layers {
            layer.for_each_param(&mut |p| {
                if let Some(r) = p.regularizer {
                    total += r.loss(&p.value);
                }
            });
        }
        total
    }
}
