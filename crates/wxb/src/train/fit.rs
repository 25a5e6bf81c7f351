//! `Sequential::fit`: Keras' training loop.

use std::borrow::Cow;

use super::collective::{Collective, SingleProcess, rank_part};
use super::{Callback, FitOptions, History, Logs, OnDivergence, Shuffle, TrainParams};
use crate::error::WxbError;
use crate::metrics::MetricState;
use crate::model::{MemoryPlan, Sequential, StepSync, check};
use crate::rng::WxbRng;
use crate::tensor::{Tensor, argmax};

/// The training and validation arrays of one `fit` call (the caller's arrays, borrowed, unless a
/// validation split cuts them: no copy of the whole data set otherwise).
struct Split<'a> {
    x: Cow<'a, Tensor>,
    y: Cow<'a, Tensor>,
    sample_weight: Option<Vec<f32>>,
    validation: Option<(Cow<'a, Tensor>, Cow<'a, Tensor>)>,
}

impl Sequential {
    /// Trains the model on `x: [n, input_shape…]` and targets `y` (`[n, outputs]`, or `[n, 1]` class
    /// indices for sparse crossentropy), as Keras' `fit`:
    ///
    /// - each epoch visits the training samples in batches of `batch_size` (the last one smaller),
    ///   in a new random order when shuffling, taking one optimizer step per batch;
    /// - `validation_split` holds out the **last** fraction of the samples, before shuffling;
    /// - the logged `loss` is the mean of the batch losses weighted by batch size (regularization
    ///   included), each measured before that batch's update; metrics likewise;
    /// - validation runs in inference mode after each `validation_freq`-th epoch (`val_` logs);
    /// - with [`OnDivergence::Stop`] (the default), a NaN or infinite loss, gradient or weight stops
    ///   training at that batch with [`WxbError::Diverged`], the model keeping its weights from
    ///   before the batch (see [`Divergence`](super::Divergence)); no further callback is called;
    /// - before anything is allocated, the memory training needs ([`MemoryPlan::training_bytes`])
    ///   is checked against the model's budget: [`WxbError::OverMemoryBudget`] when it exceeds it.
    ///
    /// Callbacks are called in order, then the built-in [`History`], which is returned (Keras
    /// appends its `History` last, so it records the logs entries callbacks add, such as
    /// `learning_rate`).
    pub fn fit(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        options: &FitOptions,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, WxbError> {
        self.fit_distributed(x, y, options, callbacks, &SingleProcess)
    }

    /// [`Sequential::fit`] as one of the `size` processes of a data-parallel run (Horovod's
    /// semantics), every process calling it with the same data, options and model seed:
    ///
    /// - rank 0's weights are broadcast first, so every process starts from them;
    /// - `batch_size` is the **global** batch: every process follows the one seeded order of the
    ///   samples and takes its part of each global batch ([`rank_part`]: `⌊r·m/N⌋..⌊(r+1)·m/N⌋` of
    ///   a batch of `m`);
    /// - each step sums, in one fused allreduce, every process's gradients, moving statistics and
    ///   loss weighted by its share `m_r/m` of the batch: the gradient of the global batch's mean
    ///   loss, so with the same seed the weights equal those of one process to float rounding, and
    ///   every process applies the same update (bit-identical weights);
    /// - the epoch's metrics are summed over the processes before the epoch's callbacks, so every
    ///   process sees the same epoch logs (the metrics in the batch logs are this process's part);
    ///   validation runs on every process on the whole validation data.
    ///
    /// Not equal to one process: batch normalization's batch statistics (each process normalizes
    /// its own part; the moving statistics are the shares' weighted mean) and dropout's masks (each
    /// process draws its own). With [`SingleProcess`] this is `fit`.
    ///
    /// # Errors
    /// As `fit`; [`WxbError::InvalidArgument`] when `batch_size` or the training samples are
    /// fewer than the processes; [`WxbError::ProcessesDisagree`] when, after training, a process's
    /// weights differ bitwise from rank 0's (checked with one broadcast).
    pub fn fit_distributed(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        options: &FitOptions,
        callbacks: &mut [&mut dyn Callback],
        collective: &dyn Collective,
    ) -> Result<History, WxbError> {
        self.check_data(x, y, ("x", "y"))?;
        check::batch_size(options.batch_size)?;
        let (rank, size) = (collective.rank(), collective.size());
        if size > 1 {
            check_processes(options.batch_size, x.rows(), size)?;
        }
        let batch = options.batch_size.div_ceil(size).min(x.rows());
        let slots = self.optimizer().map_or(0, |o| o.slot_names().len());
        let bytes = self.memory_plan().training_bytes(batch, slots);
        MemoryPlan::check(bytes, self.memory_budget(), "training", batch)?;
        let split = split(self, x, y, options)?;
        let n = split.x.rows();
        let steps = n.div_ceil(options.batch_size);
        let params = TrainParams {
            epochs: options.epochs,
            initial_epoch: options.initial_epoch,
            steps,
            samples: n,
            validation_samples: split.validation.as_ref().map_or(0, |(vx, _)| vx.rows()),
        };
        let mut history = History::default();
        self.clear_stop();
        for cb in callbacks.iter_mut() {
            cb.on_train_begin(self, &params);
        }
        history.on_train_begin(self, &params);
        let mut order: Vec<usize> = (0..n).collect();
        let (mut bx, mut by, mut bsw) = (Tensor::default(), Tensor::default(), Vec::new());
        let mut metrics = self.metric_states(split.y.cols());
        let mut logs = Logs::new();
        // Moving statistics change in the forward pass: the divergence guard saves them per step.
        let guard_moving = options.on_divergence == OnDivergence::Stop && self.params().any(|(_, _, p)| !p.trainable);
        let mut saved = Vec::new();
        if size > 1 {
            broadcast_weights(self, collective)?;
        }
        let allreduce = |v: &mut [f32]| collective.allreduce_sum(v);
        for epoch in options.initial_epoch..options.epochs {
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(self, epoch);
            }
            if options.shuffle == Shuffle::EveryEpoch {
                order.sort_unstable();
                WxbRng::derive(self.seed_value(), &format!("fit/shuffle/{epoch}")).shuffle(&mut order);
            }
            metrics.iter_mut().for_each(|m| m.reset());
            let (mut loss_sum, mut seen) = (0.0f64, 0usize);
            for (step, idx) in order.chunks(options.batch_size).enumerate() {
                for cb in callbacks.iter_mut() {
                    cb.on_batch_begin(self, step);
                }
                let part = &idx[rank_part(idx.len(), rank, size)];
                split.x.gather_rows_into(part, &mut bx);
                split.y.gather_rows_into(part, &mut by);
                let sw = split.sample_weight.as_ref().map(|w| {
                    bsw.clear();
                    bsw.extend(part.iter().map(|&i| w[i]));
                    bsw.as_slice()
                });
                if guard_moving {
                    self.save_non_trainable(&mut saved);
                }
                let sync = StepSync { share: part.len() as f32 / idx.len() as f32, allreduce: &allreduce };
                let loss = match self.train_step(&bx, &by, sw, options.on_divergence, (size > 1).then_some(&sync)) {
                    Ok(loss) => loss,
                    Err(fault) => return Err(self.diverged(fault, (epoch, step, steps), (&bx, &by), &saved, history)),
                };
                loss_sum += f64::from(loss) * idx.len() as f64;
                seen += idx.len();
                if !part.is_empty() {
                    let pred = self.activation(self.layers().len().saturating_sub(1));
                    metrics.iter_mut().for_each(|m| m.update(&by, pred, None));
                }
                batch_logs(&mut logs, loss_sum / seen as f64, &metrics);
                for cb in callbacks.iter_mut() {
                    cb.on_batch_end(self, step, &logs);
                }
                if self.is_stopping() {
                    break;
                }
            }
            if size > 1 {
                reduce_metrics(&mut metrics, collective);
                batch_logs(&mut logs, loss_sum / seen.max(1) as f64, &metrics);
            }
            if let Some((vx, vy)) = &split.validation
                && (epoch + 1) % options.validation_freq.max(1) == 0
            {
                let vb = options.validation_batch_size.unwrap_or(options.batch_size).max(1);
                for (k, v) in self.evaluate_unchecked(vx, vy, vb) {
                    logs.insert(format!("val_{k}"), v);
                }
            }
            for cb in callbacks.iter_mut() {
                cb.on_epoch_end_mut(self, epoch, &mut logs);
            }
            history.on_epoch_end(self, epoch, &logs);
            if self.is_stopping() {
                break;
            }
        }
        for cb in callbacks.iter_mut() {
            cb.on_train_end(self, &logs);
        }
        if size > 1 {
            check_identical(self, collective)?;
        }
        Ok(history)
    }
}

/// Refuses a data-parallel run in which a process could have no sample at all.
pub(super) fn check_processes(batch_size: usize, samples: usize, size: usize) -> Result<(), WxbError> {
    let (name, value) = if batch_size < size { ("batch_size", batch_size) } else { ("samples", samples) };
    if value < size {
        return Err(WxbError::InvalidArgument {
            name,
            value: format!("{value} with {size} processes"),
            reason: "the global batch and the training samples must be at least one per process",
        });
    }
    Ok(())
}

/// Gives every process rank 0's weights (all of them, trainable or not).
pub(super) fn broadcast_weights(model: &mut Sequential, collective: &dyn Collective) -> Result<(), WxbError> {
    let mut weights = model.get_weights();
    let mut flat: Vec<f32> = weights.iter().flat_map(|w| w.data().iter().copied()).collect();
    collective.broadcast(&mut flat);
    let mut at = 0;
    for w in &mut weights {
        let n = w.len();
        w.data_mut().copy_from_slice(&flat[at..at + n]);
        at += n;
    }
    model.set_weights(&weights)
}

/// Checks that every process ends with rank 0's weights, bit for bit (one broadcast and one
/// allreduce of the count of differing values).
pub(super) fn check_identical(model: &Sequential, collective: &dyn Collective) -> Result<(), WxbError> {
    let own: Vec<f32> = model.get_weights().iter().flat_map(|w| w.data().iter().copied()).collect();
    let mut first = own.clone();
    collective.broadcast(&mut first);
    let mut differing = [own.iter().zip(&first).filter(|(a, b)| a.to_bits() != b.to_bits()).count() as f64];
    collective.allreduce_sum_f64(&mut differing);
    match differing[0] as usize {
        0 => Ok(()),
        differing => Err(WxbError::ProcessesDisagree { differing, processes: collective.size() }),
    }
}

/// Sums every metric's running state over the processes (in one allreduce).
pub(super) fn reduce_metrics(metrics: &mut [MetricState], collective: &dyn Collective) {
    let mut sums: Vec<f64> = metrics.iter_mut().flat_map(|m| m.sums_mut().map(|v| *v).collect::<Vec<_>>()).collect();
    collective.allreduce_sum_f64(&mut sums);
    let mut it = sums.into_iter();
    for m in metrics {
        for v in m.sums_mut() {
            *v = it.next().expect("as many sums as collected");
        }
    }
}

/// Sets `logs` to exactly `loss` and the metrics' results, updating the entries in place when the
/// keys are already the right ones (every batch but an epoch's first), so that no key is allocated.
pub(super) fn batch_logs(logs: &mut Logs, loss: f64, metrics: &[MetricState]) {
    let same_keys = logs.len() == 1 + metrics.len()
        && logs.contains_key("loss")
        && metrics.iter().all(|m| logs.contains_key(m.name()));
    if !same_keys {
        logs.clear();
        logs.insert("loss".into(), loss);
        for m in metrics {
            logs.insert(m.name().to_string(), m.result());
        }
        return;
    }
    *logs.get_mut("loss").expect("checked") = loss;
    for m in metrics {
        *logs.get_mut(m.name()).expect("checked") = m.result();
    }
}

impl FitOptions {
    /// The number of leading samples of `n` that `fit` trains on: Keras' `floor(n · (1 −
    /// validation_split))` (the tail is held out for validation), or `n` without a split.
    ///
    /// # Errors
    /// [`WxbError::InvalidArgument`] when `validation_split` is outside `[0, 1)`, or leaves no
    /// training or no validation sample (its value names the counts).
    pub fn training_rows(&self, n: usize) -> Result<usize, WxbError> {
        let vs = self.validation_split;
        if !(0.0..1.0).contains(&vs) {
            return Err(WxbError::InvalidArgument {
                name: "validation_split",
                value: vs.to_string(),
                reason: "must be in [0, 1)",
            });
        }
        if vs == 0.0 {
            return Ok(n);
        }
        let split_at = (n as f64 * (1.0 - vs)).floor() as usize;
        if split_at == 0 || split_at == n {
            return Err(WxbError::InvalidArgument {
                name: "validation_split",
                value: format!(
                    "{vs} (of {n} samples it leaves {split_at} for training and {} for validation)",
                    n - split_at
                ),
                reason: "both need at least one",
            });
        }
        Ok(split_at)
    }
}

/// Applies `validation_split`/`validation_data` and turns `class_weight` into sample weights.
fn split<'a>(
    model: &mut Sequential,
    x: &'a Tensor,
    y: &'a Tensor,
    options: &'a FitOptions,
) -> Result<Split<'a>, WxbError> {
    let n = x.rows();
    if options.class_weight.is_some() && options.sample_weight.is_some() {
        return Err(WxbError::InvalidArgument {
            name: "class_weight",
            value: "given with sample_weight".into(),
            reason: "use class_weight or sample_weight, not both (as Keras)",
        });
    }
    let mut weights = options.sample_weight.clone();
    if let Some(w) = &weights {
        check::sample_weights(w, n)?;
    }
    if let Some(cw) = &options.class_weight {
        let w = (0..n)
            .map(|i| {
                let row = y.row(i);
                let class = if row.len() == 1 { row[0].round() as usize } else { argmax(row) };
                cw.get(&class).copied().unwrap_or(1.0)
            })
            .collect();
        weights = Some(w);
    }
    let split_at = if options.validation_data.is_some() { n } else { options.training_rows(n)? };
    if let Some((vx, vy)) = &options.validation_data {
        model.check_data(vx, vy, ("validation x", "validation y"))?;
        return Ok(Split {
            x: Cow::Borrowed(x),
            y: Cow::Borrowed(y),
            sample_weight: weights,
            validation: Some((Cow::Borrowed(vx), Cow::Borrowed(vy))),
        });
    }
    if split_at == n {
        return Ok(Split { x: Cow::Borrowed(x), y: Cow::Borrowed(y), sample_weight: weights, validation: None });
    }
    Ok(Split {
        x: Cow::Owned(x.slice_rows(0, split_at)),
        y: Cow::Owned(y.slice_rows(0, split_at)),
        sample_weight: weights.map(|w| w[..split_at].to_vec()),
        validation: Some((Cow::Owned(x.slice_rows(split_at, n)), Cow::Owned(y.slice_rows(split_at, n)))),
    })
}
