//! One training step (forward, loss, backward, update) and evaluation.

use super::OnDivergence;
use super::guard::StepFault;
use super::{Sequential, StepSync, Workspace, check};
use crate::error::WxbError;
use crate::layers::{Layer, Mode, Param};
use crate::logs::Logs;
use crate::metrics::MetricState;
use crate::optim::grads_finite;
use crate::tensor::Tensor;

impl Sequential {
    /// The compiled metrics as fresh streaming states, `accuracy` resolved for targets of
    /// `y_true_cols` columns.
    pub(crate) fn metric_states(&self, y_true_cols: usize) -> Vec<MetricState> {
        let outputs: usize = self.output_shape().iter().product();
        let compiled = self.compiled.as_ref().expect("compiled");
        compiled.metrics.iter().map(|m| MetricState::new(m.name(), m.resolve(y_true_cols, outputs))).collect()
    }

    /// Checks that the model is compiled and that `x`/`y` fit it.
    pub(crate) fn check_data(
        &self,
        x: &Tensor,
        y: &Tensor,
        what: (&'static str, &'static str),
    ) -> Result<(), WxbError> {
        let loss = self.compiled.as_ref().ok_or(WxbError::NotCompiled)?.loss;
        check::input(x, &self.input_shape, what.0)?;
        let outputs = self.output_shape().iter().product();
        check::targets(y, x.rows(), outputs, loss, what.1)?;
        check::metric_targets(y, outputs, &self.compiled.as_ref().expect("compiled").metrics)
    }

    /// Forward in training mode, loss, backward, regularization, one optimizer step. Returns the
    /// batch loss (weight and activity regularization included, as Keras reports it); the predictions stay in the last
    /// activation for the metrics. With [`OnDivergence::Stop`], a non-finite loss or gradient
    /// fails the step before the update, a non-finite weight right after it (see
    /// [`Divergence`](crate::error::Divergence)).
    ///
    /// With `sync` (data-parallel training), this process's batch is its part of a global batch:
    /// the gradients, moving statistics and loss are summed over the processes, weighted by their
    /// shares ([`Sequential::reduce_step`]), before the checks and the update; a process without
    /// rows (`x` of 0 rows) contributes zero gradients.
    pub(crate) fn train_step(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        sample_weight: Option<&[f32]>,
        guard: OnDivergence,
        sync: Option<&StepSync<'_>>,
    ) -> Result<f32, (StepFault, f32)> {
        let compiled = self.compiled.as_ref().expect("compiled");
        let (loss, step) = (compiled.loss, compiled.optimizer.iterations());
        self.layers.iter_mut().for_each(|l| l.begin_train_step(step));
        if self.layers.is_empty() {
            self.forward(x, Mode::Train);
            return Ok(loss.compute(y, x, sample_weight));
        }
        let mut value = if x.rows() == 0 {
            self.zero_grads();
            0.0
        } else {
            self.forward_train(x);
            self.backward_step(x, y, sample_weight)
        };
        let guarded = guard == OnDivergence::Stop;
        self.trainable.with(&mut self.layers, |params| {
            for p in params.iter_mut() {
                if let Some(r) = p.regularizer {
                    value += r.loss(&p.value);
                    let Param { value: w, grad, .. } = &mut **p;
                    r.add_gradient(w, grad);
                }
            }
        });
        if let Some(sync) = sync {
            value = self.reduce_step(value, sync);
        }
        let compiled = self.compiled.as_mut().expect("compiled");
        self.trainable.with(&mut self.layers, |params| {
            if guarded && !(value.is_finite() && grads_finite(params)) {
                return Err((StepFault::BeforeUpdate, value));
            }
            // The weights are checked block by block as the update writes them.
            if !compiled.optimizer.apply_checked(params, guarded) {
                return Err((StepFault::AfterUpdate, value));
            }
            Ok(value)
        })
    }

    /// The loss of the last forward pass on `(x, y)` (with the activity penalties) and its
    /// backward pass: every trainable weight's gradient.
    fn backward_step(&mut self, x: &Tensor, y: &Tensor, sample_weight: Option<&[f32]>) -> f32 {
        let loss = self.compiled.as_ref().expect("compiled").loss;
        let n = self.layers.len();
        let last = n - 1;
        let work = &mut self.work;
        work.grads.resize_with(n, Tensor::default);
        let activation = self.layers[last].output_activation();
        let fused = loss.fuses_with(activation);
        let mut value = if fused {
            let z = self.layers[last].logits(&work.scratch[last]).expect("a layer with an activation keeps its logits");
            loss.value_and_grad_logits(activation, y, z, sample_weight, &mut work.grads[last])
        } else {
            loss.value_and_grad(y, &work.acts[last], sample_weight, &mut work.grads[last])
        };
        value += activity_penalties(&self.layers, &work.acts);
        if let Some(r) = self.layers[last].activity_regularizer()
            && fused
        {
            // The penalty's gradient reaches the logits through the activation.
            let z = self.layers[last].logits(&work.scratch[last]).expect("a layer with an activation keeps its logits");
            let [dy, dz] = &mut work.activity;
            dy.resize(work.acts[last].shape());
            dy.data_mut().fill(0.0);
            r.add_activity_gradient(&work.acts[last], dy);
            activation.backward(z, &work.acts[last], dy, dz);
            work.grads[last].data_mut().iter_mut().zip(dz.data()).for_each(|(g, d)| *g += d);
        }
        let mut i = n;
        while i > 0 {
            i -= 1;
            let work = &mut self.work;
            if let Some(r) = self.layers[i].activity_regularizer()
                && !(i == last && fused)
            {
                r.add_activity_gradient(&work.acts[i], &mut work.grads[i]);
            }
            if i == last && fused {
                let (lower, upper) = work.grads.split_at_mut(i);
                let input = if i == 0 { x } else { &work.acts[i - 1] };
                self.layers[i].backward_from_logits(input, &upper[0], lower.last_mut(), &mut work.scratch[i]);
            } else {
                i = self.backward_layer(i, x);
            }
        }
        value
    }

    /// The loss of a batch in inference mode (weight and activity regularization included, as
    /// Keras' `evaluate`); predictions stay in
    /// `work`'s last activation.
    pub(crate) fn test_step(&self, x: &Tensor, y: &Tensor, work: &mut Workspace) -> f32 {
        let loss = self.compiled.as_ref().expect("compiled").loss;
        self.infer(x, work);
        let reg = self.regularization_loss();
        let Some(last) = self.layers.len().checked_sub(1) else {
            return loss.compute(y, x, None) + reg;
        };
        let activation = self.layers[last].output_activation();
        let value = if loss.fuses_with(activation) {
            let z = self.layers[last].logits(&work.scratch[last]).expect("a layer with an activation keeps its logits");
            loss.compute_logits(activation, y, z, None)
        } else {
            loss.compute(y, &work.acts[last], None)
        };
        value + reg + activity_penalties(&self.layers, &work.acts)
    }

    /// Loss and metrics on `(x, y)`, `batch_size` samples at a time in inference mode (Keras'
    /// `evaluate(..., return_dict=True)`).
    ///
    /// # Errors
    /// Data that does not fit the model, `batch_size` 0, or more memory than the model's budget
    /// ([`WxbError::OverMemoryBudget`]).
    pub fn evaluate(&self, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Logs, WxbError> {
        self.check_data(x, y, ("x", "y"))?;
        check::batch_size(batch_size)?;
        let batch = batch_size.min(x.rows());
        self.check_prediction_memory(batch, batch, "evaluation")?;
        Ok(self.evaluate_unchecked(x, y, batch_size))
    }

    pub(crate) fn evaluate_unchecked(&self, x: &Tensor, y: &Tensor, batch_size: usize) -> Logs {
        let mut metrics = self.metric_states(y.cols());
        let mut work = Workspace::default();
        let (mut bx, mut by) = (Tensor::default(), Tensor::default());
        let n = x.rows();
        let mut total = 0.0f64;
        let mut start = 0;
        while start < n {
            let end = (start + batch_size).min(n);
            x.slice_rows_into(start, end, &mut bx);
            y.slice_rows_into(start, end, &mut by);
            let l = self.test_step(&bx, &by, &mut work);
            total += f64::from(l) * (end - start) as f64;
            let pred = work.output().expect("a forward pass ran");
            metrics.iter_mut().for_each(|m| m.update(&by, pred, None));
            start = end;
        }
        let mut logs = Logs::new();
        logs.insert("loss".into(), total / n as f64);
        for m in &metrics {
            logs.insert(m.name().to_string(), m.result());
        }
        logs
    }

    /// One optimizer step on one batch (Keras' `train_on_batch`); returns that batch's loss and
    /// metrics (computed before the update). As in Keras, a non-finite loss does not stop it
    /// (`fit` has the divergence guard, see [`OnDivergence`]).
    pub fn train_on_batch(&mut self, x: &Tensor, y: &Tensor, sample_weight: Option<&[f32]>) -> Result<Logs, WxbError> {
        self.check_data(x, y, ("x", "y"))?;
        if let Some(sw) = sample_weight {
            check::sample_weights(sw, x.rows())?;
        }
        let mut metrics = self.metric_states(y.cols());
        let (Ok(loss) | Err((_, loss))) = self.train_step(x, y, sample_weight, OnDivergence::Continue, None);
        let pred = self.work.output().expect("a forward pass ran");
        metrics.iter_mut().for_each(|m| m.update(y, pred, None));
        let mut logs = Logs::new();
        logs.insert("loss".into(), f64::from(loss));
        for m in &metrics {
            logs.insert(m.name().to_string(), m.result());
        }
        Ok(logs)
    }
}

/// `Σ r(yᵢ)/batch` over the layers with an activity regularizer `r`, `yᵢ` their outputs in the
/// last forward pass (Keras adds them in training and inference alike).
fn activity_penalties(layers: &[Box<dyn Layer>], acts: &[Tensor]) -> f32 {
    layers.iter().zip(acts).filter_map(|(l, y)| l.activity_regularizer().map(|r| r.activity_loss(y))).sum()
}
