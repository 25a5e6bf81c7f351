//! `Sequential::fit_source`: Keras' training loop over rows streamed from a [`BatchSource`],
//! through a bounded shuffle buffer; `fit_source_distributed`: the same as one of the processes
//! of a data-parallel run, each streaming its own shard.

use super::collective::{Collective, SingleProcess, all_gather_counts};
use super::fit::{broadcast_weights, check_identical, check_processes, reduce_metrics};
use super::parts::Parts;
use super::source::{BatchSource, Cursor, Part, ShuffleBuffer};
use super::{Callback, FitOptions, History, Logs, OnDivergence, Shuffle, TrainParams};
use crate::error::WxbError;
use crate::model::{MemoryPlan, Sequential, StepSync, Workspace, check};
use crate::rng::WxbRng;
use crate::tensor::{Tensor, argmax};

/// The batch buffers of one `fit_source` call, allocated once.
struct Batch {
    x: Tensor,
    y: Tensor,
    weights: Vec<f32>,
    shape: Vec<usize>,
}

impl Batch {
    /// Makes the buffers `rows` long (the model's input shape per sample).
    fn resize(&mut self, rows: usize, targets: usize) {
        self.shape[0] = rows;
        self.x.resize(&self.shape);
        self.y.resize(&[rows, targets]);
    }
}

impl Sequential {
    /// Trains the model on the rows of `source`, as [`Sequential::fit`] does on arrays, reading
    /// each epoch's rows again from the source and holding at most `shuffle_buffer` rows:
    ///
    /// - with [`Shuffle::EveryEpoch`], batches are drawn through tf.data's `shuffle(buffer_size)`
    ///   (`reshuffle_each_iteration=True`): the buffer is filled with the first `shuffle_buffer`
    ///   rows; each row given out is drawn uniformly from the buffer and the next streamed row takes
    ///   its place; when the pass ends the remaining rows are drawn the same way. The draws come
    ///   from the model's seed (the stream `fit/shuffle/{epoch}`), so a run is reproducible. When
    ///   the buffer holds every training row, the order is `fit`'s own permutation of that epoch,
    ///   so training equals `fit` on the same rows exactly;
    /// - with [`Shuffle::Never`], the rows go in the source's order;
    /// - validation runs on [`Part::Validation`]'s rows after each `validation_freq`-th epoch, in
    ///   batches of `validation_batch_size` (default `batch_size`), read in order;
    /// - `class_weight` weighs each row by its class; `validation_split`, `validation_data` and
    ///   `sample_weight` are refused ([`WxbError::InvalidArgument`]): the source holds the split;
    /// - before anything is allocated, the memory of training ([`MemoryPlan::training_bytes`]), the
    ///   shuffle buffer and the source's chunks ([`BatchSource::buffer_bytes`]) is checked against
    ///   the model's budget; afterwards nothing is allocated per batch.
    ///
    /// # Errors
    /// As [`Sequential::fit`]; [`WxbError::Empty`] when the source has no training rows;
    /// [`WxbError::BatchSource`] when it fails to read; a chunk whose widths do not fit the model.
    pub fn fit_source(
        &mut self,
        source: &mut dyn BatchSource,
        options: &FitOptions,
        shuffle_buffer: usize,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, WxbError> {
        self.fit_source_distributed(source, options, shuffle_buffer, callbacks, &SingleProcess)
    }

    /// [`Sequential::fit_source`] as one of the `size` processes of a data-parallel run, each
    /// calling it with its own shard of the data (`data::stream::Shard`) and the same options and
    /// model seed (Horovod's semantics, as [`Sequential::fit_distributed`] on arrays):
    ///
    /// - rank 0's weights are broadcast first;
    /// - `batch_size` is the **global** batch: an epoch has `⌈N/batch_size⌉` steps on every
    ///   process, `N = Σ nᵣ` the processes' training rows together (exchanged once, before
    ///   training), every global batch but the last exactly `batch_size` rows; each process takes
    ///   its part of each global batch from its own shard through its own shuffle buffer (the
    ///   stream `fit/shuffle/{epoch}/rank{r}`), the parts in proportion to the shards' rows
    ///   (D'Hondt's rule row by row: every row of every shard is trained on exactly once per
    ///   epoch, none dropped; equal shards take turns, parts differing by at most one row). A
    ///   process may have no row in a step (it then adds nothing but joins the allreduce);
    /// - each step sums, in one fused allreduce, every process's gradients weighted by its share
    ///   `kᵣ/m` of the global batch of `m` rows: the gradient of the global batch's mean loss;
    /// - the epoch's metrics and the validation loss and metrics (each process validating on its
    ///   shard's validation rows) are summed over the processes, so every process sees the same
    ///   epoch logs;
    /// - at the end every process's weights are checked against rank 0's, bit for bit.
    ///
    /// With [`SingleProcess`] this is `fit_source`.
    ///
    /// # Errors
    /// As `fit_source`; [`WxbError::InvalidArgument`] when `batch_size` or the training rows of all
    /// processes together are fewer than the processes; [`WxbError::BatchSource`] when a pass
    /// gives fewer rows than counted before training; [`WxbError::ProcessesDisagree`].
    pub fn fit_source_distributed(
        &mut self,
        source: &mut dyn BatchSource,
        options: &FitOptions,
        shuffle_buffer: usize,
        callbacks: &mut [&mut dyn Callback],
        collective: &dyn Collective,
    ) -> Result<History, WxbError> {
        check::batch_size(options.batch_size)?;
        if options.validation_split != 0.0 || options.validation_data.is_some() || options.sample_weight.is_some() {
            return Err(WxbError::InvalidArgument {
                name: "validation_split",
                value: "validation_split, validation_data or sample_weight with a batch source".into(),
                reason: "a streamed source holds its own validation rows and has no sample weights",
            });
        }
        let widths = source.widths();
        // The widths fit the model before any buffer is sized by them.
        let one = Tensor::zeros(&[1, widths.0]).with_sample_shape(self.input_shape());
        self.check_data(&one, &Tensor::zeros(&[1, widths.1]), ("streamed x", "streamed y"))?;
        let (rank, size) = (collective.rank(), collective.size());
        let own = source.rows(Part::Training);
        let (mut parts, validation_samples) = if size > 1 {
            let validation = all_gather_counts(collective, source.rows(Part::Validation)).iter().sum::<usize>();
            (Parts::new(all_gather_counts(collective, own)), validation)
        } else {
            (Parts::new(vec![own]), source.rows(Part::Validation))
        };
        let n = parts.total();
        if n == 0 {
            return Err(WxbError::Empty { what: "streamed training rows" });
        }
        if size > 1 {
            check_processes(options.batch_size, n, size)?;
        }
        let batch_rows = options.batch_size.min(own.max(1));
        let buffer = if options.shuffle == Shuffle::EveryEpoch { shuffle_buffer.max(1).min(own.max(1)) } else { 1 };
        let slots = self.optimizer().map_or(0, |o| o.slot_names().len());
        let bytes = self
            .memory_plan()
            .training_bytes(batch_rows, slots)
            .saturating_add(ShuffleBuffer::bytes(buffer, widths))
            .saturating_add(source.buffer_bytes());
        MemoryPlan::check(bytes, self.memory_budget(), "training", batch_rows)?;
        let steps = n.div_ceil(options.batch_size);
        let params = TrainParams {
            epochs: options.epochs,
            initial_epoch: options.initial_epoch,
            steps,
            samples: n,
            validation_samples,
        };
        let mut history = History::default();
        self.clear_stop();
        for cb in callbacks.iter_mut() {
            cb.on_train_begin(self, &params);
        }
        history.on_train_begin(self, &params);
        let mut shape = vec![0];
        shape.extend_from_slice(self.input_shape());
        let mut b = Batch { x: Tensor::default(), y: Tensor::default(), weights: Vec::new(), shape };
        let mut cursor = Cursor::default();
        let mut buf = ShuffleBuffer::new(buffer, widths);
        let mut order: Vec<usize> = Vec::with_capacity(if buffer == own { own } else { 0 });
        let mut metrics = self.metric_states(widths.1);
        let mut logs = Logs::new();
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
            metrics.iter_mut().for_each(|m| m.reset());
            let (mut loss_sum, mut seen) = (0.0f64, 0usize);
            source.start(Part::Training)?;
            cursor.reset();
            buf.clear();
            parts.reset();
            let stream =
                if size > 1 { format!("fit/shuffle/{epoch}/rank{rank}") } else { format!("fit/shuffle/{epoch}") };
            let mut rng = WxbRng::derive(self.seed_value(), &stream);
            // The whole pass in the buffer: fit's permutation of it.
            let covering = options.shuffle == Shuffle::EveryEpoch && buf.fill(&mut cursor, source)?;
            if covering {
                order.clear();
                order.extend(0..buf.len());
                rng.shuffle(&mut order);
            }
            let mut given = 0;
            for step in 0.. {
                // This process's part of the next global batch of `m` rows.
                let step_parts = parts.next(options.batch_size);
                let (rows, m) = (step_parts[rank], step_parts.iter().sum::<usize>());
                if m == 0 {
                    break;
                }
                b.resize(rows, widths.1);
                let mut k = 0;
                while k < rows {
                    if covering {
                        if given + k == buf.len() {
                            break;
                        }
                        buf.copy_out(order[given + k], k, b.x.data_mut(), b.y.data_mut());
                    } else if options.shuffle == Shuffle::EveryEpoch {
                        if buf.len() == 0 {
                            break;
                        }
                        buf.draw(&mut rng, (k, b.x.data_mut(), b.y.data_mut()), &mut cursor, source)?;
                    } else {
                        if !cursor.ready(source)? {
                            break;
                        }
                        let (a, t) = widths;
                        b.x.data_mut()[k * a..(k + 1) * a].copy_from_slice(cursor.x.row(cursor.at));
                        b.y.data_mut()[k * t..(k + 1) * t].copy_from_slice(cursor.y.row(cursor.at));
                        cursor.at += 1;
                    }
                    k += 1;
                }
                if k < rows {
                    return Err(WxbError::BatchSource {
                        message: format!(
                            "the data gave {} training rows in epoch {}, fewer than the {own} counted before \
                             training (was the file changed?)",
                            given + k,
                            epoch + 1
                        ),
                    });
                }
                given += k;
                if k > 0 {
                    check_chunk(self, &b)?;
                }
                for cb in callbacks.iter_mut() {
                    cb.on_batch_begin(self, step);
                }
                let sw = options.class_weight.as_ref().map(|cw| {
                    b.weights.clear();
                    b.weights.extend((0..k).map(|i| {
                        let row = b.y.row(i);
                        let class = if row.len() == 1 { row[0].round() as usize } else { argmax(row) };
                        cw.get(&class).copied().unwrap_or(1.0)
                    }));
                    b.weights.as_slice()
                });
                if guard_moving {
                    self.save_non_trainable(&mut saved);
                }
                let sync = StepSync { share: k as f32 / m as f32, allreduce: &allreduce };
                let loss = match self.train_step(&b.x, &b.y, sw, options.on_divergence, (size > 1).then_some(&sync)) {
                    Ok(loss) => loss,
                    Err(fault) => {
                        return Err(self.diverged(fault, (epoch, step, steps), (&b.x, &b.y), &saved, history));
                    }
                };
                loss_sum += f64::from(loss) * m as f64;
                seen += m;
                if k > 0 {
                    let pred = self.activation(self.layers().len().saturating_sub(1));
                    metrics.iter_mut().for_each(|m| m.update(&b.y, pred, None));
                }
                super::fit::batch_logs(&mut logs, loss_sum / seen as f64, &metrics);
                for cb in callbacks.iter_mut() {
                    cb.on_batch_end(self, step, &logs);
                }
                if self.is_stopping() {
                    break;
                }
            }
            if size > 1 {
                reduce_metrics(&mut metrics, collective);
                super::fit::batch_logs(&mut logs, loss_sum / seen.max(1) as f64, &metrics);
            }
            if validation_samples > 0 && (epoch + 1) % options.validation_freq.max(1) == 0 {
                let vb = options.validation_batch_size.unwrap_or(options.batch_size).max(1);
                for (key, v) in self.validate_source(source, vb, (&mut b, &mut cursor), widths, collective)? {
                    logs.insert(format!("val_{key}"), v);
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

    /// The loss and metrics on the source's validation rows, in order, in batches of `vb` (as
    /// [`Sequential::evaluate`] computes them on arrays), summed over the processes.
    fn validate_source(
        &self,
        source: &mut dyn BatchSource,
        vb: usize,
        (b, cursor): (&mut Batch, &mut Cursor),
        widths: (usize, usize),
        collective: &dyn Collective,
    ) -> Result<Logs, WxbError> {
        source.start(Part::Validation)?;
        cursor.reset();
        let mut metrics = self.metric_states(widths.1);
        let mut work = Workspace::default();
        let (mut total, mut seen) = (0.0f64, 0usize);
        loop {
            b.resize(vb, widths.1);
            let mut k = 0;
            while k < vb && cursor.ready(source)? {
                let (a, t) = widths;
                b.x.data_mut()[k * a..(k + 1) * a].copy_from_slice(cursor.x.row(cursor.at));
                b.y.data_mut()[k * t..(k + 1) * t].copy_from_slice(cursor.y.row(cursor.at));
                cursor.at += 1;
                k += 1;
            }
            if k == 0 {
                break;
            }
            if k < vb {
                b.resize(k, widths.1);
            }
            check_chunk(self, b)?;
            let l = self.test_step(&b.x, &b.y, &mut work);
            total += f64::from(l) * k as f64;
            seen += k;
            let pred = work.output().expect("a forward pass ran");
            metrics.iter_mut().for_each(|m| m.update(&b.y, pred, None));
        }
        if collective.size() > 1 {
            let mut sums = [total, seen as f64];
            collective.allreduce_sum_f64(&mut sums);
            (total, seen) = (sums[0], sums[1] as usize);
            reduce_metrics(&mut metrics, collective);
        }
        let mut logs = Logs::new();
        logs.insert("loss".into(), total / seen.max(1) as f64);
        for m in &metrics {
            logs.insert(m.name().to_string(), m.result());
        }
        Ok(logs)
    }
}

/// Checks a batch against the model (shapes and, for class indices, their range).
fn check_chunk(model: &Sequential, b: &Batch) -> Result<(), WxbError> {
    model.check_data(&b.x, &b.y, ("streamed x", "streamed y"))
}
