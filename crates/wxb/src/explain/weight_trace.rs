//! [`WeightTracer`]: a [`Callback`] that records how training moves one weight, step by step.
//!
//! Before each batch it reads the weight `w`, the learning rate and the weight's optimizer slots;
//! after the step it reads the gradient the rule used, the new weight and the new slots, and
//! [`replay`]s the rule on that one number to get every intermediate value of its formula.

use serde::Serialize;

use super::rule_step::{RuleStep, replay};
use super::weight_ref::WeightRef;
use crate::model::Sequential;
use crate::optim::{Nadam, Optimizer, Step};
use crate::train::{Callback, Logs};

/// Decoupled weight decay before the rule: `w ← w − (w·wd)·lr`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Decay {
    /// `wd`.
    pub weight_decay: f32,
    /// The weight after the decay, which the rule then moves.
    pub w_decayed: f32,
}

/// One optimizer step of the traced weight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeightStep {
    /// The epoch (from 0).
    pub epoch: usize,
    /// The batch within the epoch (from 0).
    pub batch: usize,
    /// The optimizer's step count after this step (1 for the first step: the `t` of Adam's `β₁ᵗ`).
    pub step: u64,
    /// The learning rate of the step.
    pub lr: f32,
    /// The weight before the step.
    pub w_before: f32,
    /// `∂L/∂w` as the rule used it (the regularizer's term added, clipping applied).
    pub g: f32,
    /// The weight decay, when the optimizer has one.
    pub decay: Option<Decay>,
    /// The rule's formula with its numbers, replayed on this weight.
    pub rule: RuleStep,
    /// The weight after the step, read from the model.
    pub w_after: f32,
    /// The weight's optimizer slots after the step, read from the optimizer.
    pub slots_after: Vec<(String, f32)>,
}

impl WeightStep {
    /// `w_after − w_before`, the step's change of the weight.
    pub fn change(&self) -> f32 {
        self.w_after - self.w_before
    }
}

/// What is read before a step.
#[derive(Clone, Debug)]
struct Before {
    w: f32,
    lr: f32,
    iterations: u64,
    slots: Vec<(&'static str, f32)>,
    u_product: f32,
}

/// Records every step's change of one weight during `fit`.
#[derive(Clone, Debug)]
pub struct WeightTracer {
    weight: WeightRef,
    epoch: usize,
    before: Option<Before>,
    steps: Vec<WeightStep>,
}

impl WeightTracer {
    /// A tracer of `weight`.
    pub fn new(weight: WeightRef) -> Self {
        Self { weight, epoch: 0, before: None, steps: Vec::new() }
    }

    /// The weight traced.
    pub fn weight(&self) -> &WeightRef {
        &self.weight
    }

    /// The steps recorded so far.
    pub fn steps(&self) -> &[WeightStep] {
        &self.steps
    }

    /// The weight's slots, named as the rule names them.
    fn slots(&self, optimizer: &Optimizer) -> Vec<(&'static str, f32)> {
        let names = optimizer.slot_names();
        let rule = optimizer.config().rule.as_update();
        names
            .iter()
            .enumerate()
            .map(|(s, &name)| {
                let value = match optimizer.slots().get(self.weight.optimizer_variable) {
                    Some(slots) => slots[s].data()[self.weight.offset],
                    None => rule.initial_slot_value(s),
                };
                (name, value)
            })
            .collect()
    }
}

impl Callback for WeightTracer {
    fn on_epoch_begin(&mut self, _model: &mut Sequential, epoch: usize) {
        self.epoch = epoch;
    }

    fn on_batch_begin(&mut self, model: &mut Sequential, _batch: usize) {
        let Some(optimizer) = model.optimizer() else { return };
        let u_product = if optimizer.config().rule.as_update().scalars().is_empty() {
            1.0
        } else {
            optimizer.state().scalar(Nadam::U_PRODUCT).unwrap_or(1.0)
        };
        self.before = Some(Before {
            w: self.weight.value(model),
            lr: optimizer.current_learning_rate(),
            iterations: optimizer.iterations(),
            slots: self.slots(optimizer),
            u_product,
        });
    }

    fn on_batch_end(&mut self, model: &mut Sequential, batch: usize, _logs: &Logs) {
        let (Some(before), Some(optimizer)) = (self.before.take(), model.optimizer()) else { return };
        if optimizer.iterations() == before.iterations {
            return; // no step was taken
        }
        let g = self.weight.grad(model);
        let decay = optimizer
            .config()
            .weight_decay
            .map(|wd| Decay { weight_decay: wd, w_decayed: before.w - before.w * wd * before.lr });
        let w_old = decay.map_or(before.w, |d| d.w_decayed);
        let step = Step { lr: before.lr, iterations: before.iterations };
        let slot = |name: &str| before.slots.iter().find(|(n, _)| *n == name).map_or(0.0, |&(_, v)| v);
        let rule = replay(&optimizer.config().rule, step, before.u_product, w_old, g, slot);
        let slots_after = self.slots(optimizer).into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        self.steps.push(WeightStep {
            epoch: self.epoch,
            batch,
            step: optimizer.iterations(),
            lr: before.lr,
            w_before: before.w,
            g,
            decay,
            rule,
            w_after: self.weight.value(model),
            slots_after,
        });
    }
}
