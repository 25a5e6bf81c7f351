//! The divergence guard of a training step: cheap finiteness checks on the hot path, and, once a
//! check failed, the search for where the first non-finite value appeared (see
//! [`Divergence`](crate::error::Divergence)).

use super::{Sequential, Workspace};
use crate::error::WxbError;
use crate::error::{Divergence, KeptWeights, NonFiniteIn};
use crate::layers::Mode;
use crate::logs::History;
use crate::tensor::{Tensor, all_finite};

/// What `fit` does when training meets NaN or infinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnDivergence {
    /// Stop at the bad batch, keep the last good weights and return
    /// [`WxbError::Diverged`](crate::WxbError::Diverged) (default).
    #[default]
    Stop,
    /// Go on regardless, as Keras does (the weights become NaN; `TerminateOnNaN` (a training callback)
    /// can stop training at the end of the batch).
    Continue,
}

/// Which check of a guarded step failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepFault {
    /// The loss or a gradient is not finite: nothing was updated.
    BeforeUpdate,
    /// A weight is not finite after the update.
    AfterUpdate,
}

/// Where the first non-finite value of a failed step is: what held it, the layer and the weight.
pub(crate) type Location = (NonFiniteIn, Option<(usize, String)>, Option<&'static str>);

impl Sequential {
    /// Copies every non-trainable weight (batch normalization's moving statistics, which a training
    /// forward pass updates before any check can run) into `saved`.
    pub(crate) fn save_non_trainable(&self, saved: &mut Vec<f32>) {
        saved.clear();
        for (_, _, p) in self.params().filter(|(_, _, p)| !p.trainable) {
            saved.extend_from_slice(p.value.data());
        }
    }

    /// Puts back what [`Sequential::save_non_trainable`] saved.
    pub(crate) fn restore_non_trainable(&mut self, saved: &[f32]) {
        let mut at = 0;
        for layer in &mut self.layers {
            for p in layer.params_mut().into_iter().filter(|p| !p.trainable) {
                let n = p.value.len();
                p.value.data_mut().copy_from_slice(&saved[at..at + n]);
                at += n;
            }
        }
    }

    /// The error for a failed step of `fit` on the batch `(x, y)`: puts the non-trainable weights
    /// saved before the step back (when the step was stopped before its update) and finds where the
    /// first non-finite value appeared.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn diverged(
        &mut self,
        (fault, loss): (StepFault, f32),
        (epoch, batch, steps): (usize, usize, usize),
        (x, y): (&Tensor, &Tensor),
        saved: &[f32],
        history: History,
    ) -> WxbError {
        let (found, layer, variable) = self.locate_non_finite(x, y, loss, fault);
        let weights = match fault {
            StepFault::BeforeUpdate => {
                self.restore_non_trainable(saved);
                KeptWeights::BeforeBadStep
            }
            StepFault::AfterUpdate => KeptWeights::AfterBadStep,
        };
        let optimizer = self.optimizer().expect("fit runs compiled");
        let iterations = optimizer.iterations() - u64::from(fault == StepFault::AfterUpdate);
        WxbError::Diverged(Box::new(Divergence {
            epoch,
            batch,
            steps,
            iterations,
            learning_rate: optimizer.config().learning_rate.at(iterations),
            loss,
            found,
            layer,
            variable,
            weights,
            history,
        }))
    }

    /// Where the first non-finite value of the last training step on `(x, y)` appeared: the
    /// inputs, the targets, a layer's output (in forward order), the loss, a gradient (in the
    /// order backpropagation computed them: last layer first) or, after the update, a weight.
    pub(crate) fn locate_non_finite(&self, x: &Tensor, y: &Tensor, loss: f32, fault: StepFault) -> Location {
        let named = |i: usize| Some((i, self.layers[i].name().to_string()));
        if fault == StepFault::AfterUpdate {
            for (i, layer) in self.layers.iter().enumerate() {
                if let Some(p) = layer.params().into_iter().find(|p| !all_finite(p.value.data())) {
                    return (NonFiniteIn::Weight, named(i), Some(p.name));
                }
            }
            return (NonFiniteIn::Weight, None, None);
        }
        if !all_finite(x.data()) {
            return (NonFiniteIn::Inputs, None, None);
        }
        if !all_finite(y.data()) {
            return (NonFiniteIn::Targets, None, None);
        }
        let rerun;
        let acts = if self.fusions.as_ref().is_some_and(|f| f.any()) {
            // A fused step did not keep its pairs' inner outputs: the layers again, one by one
            // (the same values: the weights are those of the step).
            let mut work = Workspace::default();
            self.forward_with(x, Mode::Train, &mut work);
            rerun = work.acts;
            &rerun
        } else {
            &self.work.acts
        };
        if let Some(i) = (0..self.layers.len()).find(|&i| acts.get(i).is_some_and(|a| !all_finite(a.data()))) {
            return (NonFiniteIn::Output, named(i), None);
        }
        if !loss.is_finite() {
            return (NonFiniteIn::Loss, None, None);
        }
        for (i, layer) in self.layers.iter().enumerate().rev() {
            if let Some(p) = layer.params().into_iter().find(|p| p.trainable && !all_finite(p.grad.data())) {
                return (NonFiniteIn::Gradient, named(i), Some(p.name));
            }
        }
        (NonFiniteIn::Gradient, None, None)
    }
}
