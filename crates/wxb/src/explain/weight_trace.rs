//! [`WeightTracer`]: a [`Callback`] that records how training moves one weight, step by step.
//!
//! Before each batch it reads the weight `w`, the learning rate and the weight's optimizer slots;
//! after the step it reads the gradient the rule used, the new weight and the new slots, and
//! [`replay`]s the rule's own code on that one number to get every equation with its numbers.

use serde::Serialize;

use super::rule_trace::{RuleTrace, replay};
use super::weight_ref::WeightRef;
use crate::model::Sequential;
use crate::optim::{Optimizer, StepContext, Variable};
use crate::train::{Callback, Logs};

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
    /// The rule's equations with their numbers (the weight decay's first, when the optimizer has
    /// one), replayed on this weight.
    pub rule: RuleTrace,
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
    slots: Vec<f32>,
    scalars: Vec<f32>,
    /// The whole variable's weights and slots, for a whole-variable rule (Lamb).
    variable: Option<(Vec<f32>, Vec<Vec<f32>>)>,
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

    /// The weight's whole variable and its slots (each in the rule's order).
    fn variable(&self, model: &Sequential, optimizer: &Optimizer) -> (Vec<f32>, Vec<Vec<f32>>) {
        let w = self.weight.values(model);
        let rule = optimizer.config().rule.math();
        let slots = (0..optimizer.slot_names().len())
            .map(|s| match optimizer.slots().get(self.weight.optimizer_variable) {
                Some(slots) => slots[s].data().to_vec(),
                None => vec![rule.initial_slot_value(s); w.len()],
            })
            .collect();
        (w, slots)
    }

    /// The weight's slots, in the rule's order.
    fn slots(&self, optimizer: &Optimizer) -> Vec<f32> {
        let rule = optimizer.config().rule.math();
        (0..optimizer.slot_names().len())
            .map(|s| match optimizer.slots().get(self.weight.optimizer_variable) {
                Some(slots) => slots[s].data()[self.weight.offset],
                None => rule.initial_slot_value(s),
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
        self.before = Some(Before {
            w: self.weight.value(model),
            lr: optimizer.current_learning_rate(),
            iterations: optimizer.iterations(),
            slots: self.slots(optimizer),
            scalars: optimizer.scalars().into_iter().map(|(_, v)| v).collect(),
            variable: optimizer.config().rule.math().whole_variable().then(|| self.variable(model, optimizer)),
        });
    }

    fn on_batch_end(&mut self, model: &mut Sequential, batch: usize, _logs: &Logs) {
        let (Some(before), Some(optimizer)) = (self.before.take(), model.optimizer()) else { return };
        if optimizer.iterations() == before.iterations {
            return; // no step was taken
        }
        let g = self.weight.grad(model);
        let config = optimizer.config();
        let step = StepContext { lr: before.lr, iterations: before.iterations };
        let grads = before.variable.as_ref().map(|_| self.weight.grads(model));
        let variable = before.variable.as_ref().zip(grads.as_deref()).map(|((w, slots), g)| Variable { w, g, slots });
        let (wd, scalars) = (config.weight_decay, &before.scalars);
        let rule = replay(&config.rule, wd, step, scalars, before.w, g, &before.slots, variable);
        let names = optimizer.slot_names().into_iter().map(String::from);
        let slots_after = names.zip(self.slots(optimizer)).collect();
        self.steps.push(WeightStep {
            epoch: self.epoch,
            batch,
            step: optimizer.iterations(),
            lr: before.lr,
            w_before: before.w,
            g,
            rule,
            w_after: self.weight.value(model),
            slots_after,
        });
    }
}
