//! The data-parallel part of a training step: every process's gradients (and moving statistics,
//! and loss) weighted by its share of the global batch, summed over the processes in one fused
//! buffer, so that every process updates the same weights with the gradient of the whole batch.

use super::Sequential;

/// How a step joins the other processes of a data-parallel run.
pub(crate) struct StepSync<'a> {
    /// This process's share of the global batch, `n_rank / n_global` (0 when it has no rows).
    pub(crate) share: f32,
    /// Sums a buffer element-wise over the processes (the same on every process).
    pub(crate) allreduce: &'a dyn Fn(&mut [f32]),
}

impl Sequential {
    /// Replaces every trainable gradient `g`, every non-trainable weight `w` (the moving statistics
    /// that this process's forward pass updated) and the step's loss `l` by their share-weighted
    /// sums over the processes, `Σ_r share_r·g_r` (the mean loss's gradient over the global batch:
    /// each process's loss is the mean over its own rows), in one allreduce; returns the summed
    /// loss. The buffer is kept in the workspace (reused step after step).
    pub(crate) fn reduce_step(&mut self, loss: f32, sync: &StepSync<'_>) -> f32 {
        let share = sync.share;
        let mut buf = std::mem::take(&mut self.work.fused);
        buf.clear();
        for layer in &mut self.layers {
            layer.for_each_param_mut(&mut |p| {
                let values = if p.trainable { p.grad.data() } else { p.value.data() };
                buf.extend(values.iter().map(|v| v * share));
            });
        }
        buf.push(loss * share);
        (sync.allreduce)(&mut buf);
        let mut at = 0;
        for layer in &mut self.layers {
            layer.for_each_param_mut(&mut |p| {
                let values = if p.trainable { p.grad.data_mut() } else { p.value.data_mut() };
                values.copy_from_slice(&buf[at..at + values.len()]);
                at += values.len();
            });
        }
        let loss = buf[at];
        self.work.fused = buf;
        loss
    }

    /// Sets every trainable gradient to zero (a process without rows in this step's global batch
    /// contributes nothing).
    pub(crate) fn zero_grads(&mut self) {
        for layer in &mut self.layers {
            layer.for_each_param_mut(&mut |p| {
                if p.trainable {
                    p.grad.data_mut().fill(0.0);
                }
            });
        }
    }
}
