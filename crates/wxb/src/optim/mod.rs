//! Optimizers with Keras 3's update rules and defaults.
//!
//! [`Optimizer`] is Keras' `BaseOptimizer`: it owns the step counter (`iterations`), the learning
//! rate or its schedule, gradient clipping, decoupled weight decay and the per-variable slots. Each
//! rule (one file per optimizer) only implements `update_step`: how one variable moves given its
//! gradient, the learning rate and its slots.
//!
//! One step, as in Keras' `apply`: clip the gradients (`clipnorm` per variable, `clipvalue`,
//! `global_clipnorm`), decay the weights (`w −= lr·wd·w`), run each variable's `update_step` with
//! `lr = schedule(iterations)`, apply constraints, then `iterations += 1`.

mod clip;
mod schedules;
mod sgd;

pub use clip::Clipping;
pub use schedules::LearningRate;
pub use sgd::Sgd;

use serde::{Deserialize, Serialize};

use crate::layers::Param;
use crate::tensor::Tensor;

/// Context of one `update_step`.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// The learning rate for this step (the schedule evaluated at `iterations`).
    pub lr: f32,
    /// Keras' `iterations`: the number of steps taken before this one (0 for the first).
    pub iterations: u64,
}

/// An optimizer's update rule, in Keras' terms its `update_step`.
pub trait UpdateRule {
    /// The names of the per-variable slots (Keras' optimizer variables), e.g. `["momentum"]`.
    fn slot_names(&self) -> Vec<&'static str>;

    /// Moves `w` given its (clipped) gradient `g` and its slots (each of `w`'s length, zero-filled
    /// at the first step unless [`UpdateRule::initial_slot_value`] says otherwise).
    fn update_step(&self, step: Step, w: &mut [f32], g: &[f32], slots: &mut [Tensor]);

    /// The initial value of each slot (Adagrad starts its accumulator at 0.1).
    fn initial_slot_value(&self, _slot: usize) -> f32 {
        0.0
    }
}

/// The update rules wxb knows, with their hyperparameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
#[non_exhaustive]
pub enum Rule {
    /// [`Sgd`].
    #[serde(rename = "SGD")]
    Sgd(Sgd),
}

impl Rule {
    fn as_update(&self) -> &dyn UpdateRule {
        match self {
            Rule::Sgd(r) => r,
        }
    }

    /// Keras' class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            Rule::Sgd(_) => "SGD",
        }
    }

    /// Keras' default learning rate for this optimizer.
    pub fn default_learning_rate(&self) -> f32 {
        match self {
            Rule::Sgd(_) => 0.01,
        }
    }

    /// Keras' default decoupled weight decay (AdamW: 0.004; others: none).
    pub fn default_weight_decay(&self) -> Option<f32> {
        None
    }
}

impl From<Sgd> for Rule {
    fn from(r: Sgd) -> Self {
        Rule::Sgd(r)
    }
}

/// Everything that defines an optimizer, serialisable into a model's `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// The update rule and its hyperparameters.
    pub rule: Rule,
    /// A constant learning rate or a schedule.
    pub learning_rate: LearningRate,
    /// Gradient clipping.
    #[serde(default)]
    pub clipping: Clipping,
    /// Decoupled weight decay `w −= lr·wd·w` before each update (Keras' `weight_decay`).
    #[serde(default)]
    pub weight_decay: Option<f32>,
}

/// An optimizer: an update rule plus Keras' shared machinery, and its state.
#[derive(Clone, Debug)]
pub struct Optimizer {
    config: OptimizerConfig,
    iterations: u64,
    /// Per trainable variable, its slots.
    slots: Vec<Vec<Tensor>>,
}

impl Optimizer {
    /// An optimizer with the rule's Keras defaults (learning rate, weight decay, no clipping).
    pub fn new(rule: impl Into<Rule>) -> Self {
        let rule = rule.into();
        let config = OptimizerConfig {
            learning_rate: LearningRate::Constant(rule.default_learning_rate()),
            weight_decay: rule.default_weight_decay(),
            clipping: Clipping::default(),
            rule,
        };
        Self::from_config(config)
    }

    /// An optimizer from its configuration, with fresh state.
    pub fn from_config(config: OptimizerConfig) -> Self {
        Self { config, iterations: 0, slots: Vec::new() }
    }

    /// `SGD(learning_rate)` without momentum.
    pub fn sgd(learning_rate: f32) -> Self {
        Self::new(Sgd::default()).with_learning_rate(learning_rate)
    }

    /// Sets a constant learning rate.
    pub fn with_learning_rate(mut self, lr: f32) -> Self {
        self.config.learning_rate = LearningRate::Constant(lr);
        self
    }

    /// Sets a learning-rate schedule.
    pub fn with_schedule(mut self, schedule: LearningRate) -> Self {
        self.config.learning_rate = schedule;
        self
    }

    /// Sets the gradient clipping.
    pub fn with_clipping(mut self, clipping: Clipping) -> Self {
        self.config.clipping = clipping;
        self
    }

    /// Sets decoupled weight decay.
    pub fn with_weight_decay(mut self, weight_decay: Option<f32>) -> Self {
        self.config.weight_decay = weight_decay;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Steps taken so far (Keras' `optimizer.iterations`).
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// The learning rate the next step will use.
    pub fn current_learning_rate(&self) -> f32 {
        self.config.learning_rate.at(self.iterations)
    }

    /// Replaces a constant learning rate (as callbacks such as ReduceLROnPlateau do). Returns false,
    /// changing nothing, when the learning rate is a schedule: Keras refuses that too.
    pub fn set_learning_rate(&mut self, lr: f32) -> bool {
        if let LearningRate::Constant(_) = self.config.learning_rate {
            self.config.learning_rate = LearningRate::Constant(lr);
            true
        } else {
            false
        }
    }

    /// The slots of every variable, for saving (`slots()[variable][slot]`).
    pub fn slots(&self) -> &[Vec<Tensor>] {
        &self.slots
    }

    /// The names of each variable's slots.
    pub fn slot_names(&self) -> Vec<&'static str> {
        self.config.rule.as_update().slot_names()
    }

    /// Restores a saved state: the step counter and the slots.
    ///
    /// # Panics
    /// If a variable's slot count differs from the rule's.
    pub fn restore_state(&mut self, iterations: u64, slots: Vec<Vec<Tensor>>) {
        let want = self.slot_names().len();
        assert!(slots.iter().all(|s| s.len() == want), "optimizer state: expected {want} slots per variable");
        self.iterations = iterations;
        self.slots = slots;
    }

    /// One optimizer step over the trainable parameters (their `grad` must be set): clipping,
    /// weight decay, the rule's update, constraints, `iterations += 1`.
    ///
    /// # Panics
    /// If the parameters differ in number or shape from those of earlier steps.
    pub fn apply(&mut self, params: &mut [&mut Param]) {
        let rule = self.config.rule.as_update();
        if self.slots.is_empty() && !params.is_empty() {
            let n = rule.slot_names().len();
            self.slots = params
                .iter()
                .map(|p| (0..n).map(|s| Tensor::full(p.value.shape(), rule.initial_slot_value(s))).collect())
                .collect();
        }
        assert_eq!(
            self.slots.len(),
            params.len(),
            "optimizer built for {} variables, got {}",
            self.slots.len(),
            params.len()
        );
        self.config.clipping.clip(params);
        let step = Step { lr: self.current_learning_rate(), iterations: self.iterations };
        for (p, slots) in params.iter_mut().zip(&mut self.slots) {
            assert_eq!(p.value.shape(), p.grad.shape(), "{}: gradient shape differs from the weight's", p.name);
            if let Some(wd) = self.config.weight_decay {
                let f = step.lr * wd;
                p.value.data_mut().iter_mut().for_each(|w| *w -= *w * f);
            }
            let Param { value, grad, .. } = &mut **p;
            rule.update_step(step, value.data_mut(), grad.data(), slots);
            if let Some(c) = p.constraint {
                c.apply(&mut p.value);
            }
        }
        self.iterations += 1;
    }
}
