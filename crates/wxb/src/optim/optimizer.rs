//! [`Optimizer`]: Keras' `BaseOptimizer`, the machinery every rule shares, and its state.
//!
//! One [`Optimizer::apply`], as Keras' `apply` with `lr = schedule(iterations)`: clip the
//! gradients, decay the weights `w ← w − (w·wd)·lr`, run the rule's `begin_step` then its
//! `update_step` on each variable, apply constraints, `iterations += 1`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::state::{parse_slot_key, slot_key};
use super::update::{Views, update_all};
use super::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, Clipping, Formula, Ftrl, Lamb, LearningRate, Lion, Nadam, NoRecord,
    OptimizerState, Record, RmsProp, Rule, Sgd, StateError, StepContext,
};
use crate::error::UnknownName;
use crate::layers::Param;
use crate::tensor::{Tensor, all_finite};

/// Everything that defines an optimizer, serialisable into a model's `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// The update rule and its hyperparameters.
    pub rule: Rule,
    /// A constant learning rate or a schedule (a number, or Keras' `{"class_name", "config"}`).
    pub learning_rate: LearningRate,
    /// Gradient clipping.
    #[serde(default)]
    pub clipping: Clipping,
    /// Decoupled weight decay `w ← w − (w·wd)·lr` before each update (Keras' `weight_decay`;
    /// AdamW's default 0.004, none for the others).
    #[serde(default)]
    pub weight_decay: Option<f32>,
}

impl OptimizerConfig {
    /// The rule with Keras' defaults: its default learning rate and weight decay, no clipping.
    pub fn new(rule: impl Into<Rule>) -> Self {
        let rule = rule.into();
        Self {
            learning_rate: LearningRate::Constant(rule.default_learning_rate()),
            weight_decay: rule.default_weight_decay(),
            clipping: Clipping::default(),
            rule,
        }
    }
}

/// An optimizer: an update rule plus Keras' shared machinery, and its state.
#[derive(Clone, Debug)]
pub struct Optimizer {
    config: OptimizerConfig,
    iterations: u64,
    /// Per trainable variable, its slots in the rule's `slot_names` order.
    slots: Vec<Vec<Tensor>>,
    /// The rule's scalar state, in its `scalars` order.
    scalars: Vec<f32>,
    /// Scratch space of [`update_all`] (empty between steps).
    views: Views,
}

impl Optimizer {
    /// An optimizer with the rule's Keras defaults (learning rate, weight decay, no clipping).
    pub fn new(rule: impl Into<Rule>) -> Self {
        Self::from_config(OptimizerConfig::new(rule))
    }

    /// An optimizer from its configuration, with fresh state.
    ///
    /// # Panics
    /// If the learning-rate schedule is invalid (see [`LearningRate::validate`]).
    pub fn from_config(config: OptimizerConfig) -> Self {
        if let Err(e) = config.learning_rate.validate() {
            panic!("Optimizer::from_config: {e}");
        }
        let scalars = config.rule.math().scalars().into_iter().map(|(_, v)| v).collect();
        Self { config, iterations: 0, slots: Vec::new(), scalars, views: Views::default() }
    }

    /// An optimizer from a Keras identifier (`"adam"`, `"RMSprop"`, …) with Keras' defaults, as
    /// `keras.optimizers.get(name)`.
    pub fn from_name(name: &str) -> Result<Self, UnknownName> {
        name.parse::<Rule>().map(Self::new)
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
    ///
    /// # Panics
    /// If the schedule is invalid (see [`LearningRate::validate`]).
    pub fn with_schedule(mut self, schedule: impl Into<LearningRate>) -> Self {
        let schedule = schedule.into();
        if let Err(e) = schedule.validate() {
            panic!("Optimizer::with_schedule: {e}");
        }
        self.config.learning_rate = schedule;
        self
    }

    /// Sets the gradient clipping.
    pub fn with_clipping(mut self, clipping: Clipping) -> Self {
        self.config.clipping = clipping;
        self
    }

    /// Sets decoupled weight decay (`None` disables it; Keras requires it for AdamW, which
    /// without it is Adam).
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

    /// The learning rate the next step will use (the schedule at [`Optimizer::iterations`]).
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

    /// The slots of every variable (`slots()[variable][slot]`, slots in
    /// [`Optimizer::slot_names`] order); empty before the first step.
    pub fn slots(&self) -> &[Vec<Tensor>] {
        &self.slots
    }

    /// The rule's scalar state (Nadam's `u_product`; none for the other rules), by name.
    pub fn scalars(&self) -> Vec<(&'static str, f32)> {
        let names = self.config.rule.math().scalars().into_iter().map(|(name, _)| name);
        names.zip(self.scalars.iter().copied()).collect()
    }

    /// The names of each variable's slots.
    pub fn slot_names(&self) -> Vec<&'static str> {
        self.config.rule.math().slot_names()
    }

    /// The size of Keras' `optimizer.variables` once built, as `(values, bytes)`: the step counter
    /// (int64), the learning rate (float32, only when constant: a schedule is no variable), the
    /// slots and the rule's scalars (float32).
    pub fn keras_variables_size(&self) -> (usize, usize) {
        let lr = usize::from(matches!(self.config.learning_rate, LearningRate::Constant(_)));
        let floats = lr + self.slots.iter().flatten().map(Tensor::len).sum::<usize>() + self.scalars.len();
        (1 + floats, 8 + 4 * floats)
    }

    /// A snapshot of the state: iterations, every slot (`"{variable}.{slot}"`, in Keras'
    /// `optimizer.variables` order) and the rule's scalars.
    pub fn state(&self) -> OptimizerState {
        let rule = self.config.rule.math();
        let names = rule.slot_names();
        let mut tensors = Vec::new();
        for group in rule.slot_groups() {
            for (v, slots) in self.slots.iter().enumerate() {
                for name in &group {
                    let s = names.iter().position(|n| n == name).expect("a grouped slot is a slot");
                    tensors.push((slot_key(v, name), slots[s].clone()));
                }
            }
        }
        let scalars = rule.scalars().iter().zip(&self.scalars).map(|(&(n, _), &v)| (n.to_string(), v)).collect();
        OptimizerState { iterations: self.iterations, tensors, scalars }
    }

    /// Restores a state from [`Optimizer::state`] (of an optimizer with the same rule), so that
    /// training continues exactly where it stopped. Nothing changes when it fails.
    ///
    /// The slots' shapes are checked against the variables at the next [`Optimizer::apply`].
    pub fn restore_state(&mut self, state: &OptimizerState) -> Result<(), StateError> {
        let rule = self.config.rule.math();
        let names = rule.slot_names();
        let mut found: Vec<Vec<Option<&Tensor>>> = Vec::new();
        for (name, tensor) in &state.tensors {
            let unexpected = || StateError::UnexpectedTensor {
                name: name.clone(),
                rule: self.config.rule.class_name(),
                slots: names.join(", "),
            };
            let (v, slot) = parse_slot_key(name).ok_or_else(unexpected)?;
            let s = names.iter().position(|n| *n == slot).ok_or_else(unexpected)?;
            // Variables are numbered densely, each with every slot: a larger index cannot be whole.
            if v >= state.tensors.len() {
                return Err(unexpected());
            }
            if v >= found.len() {
                found.resize(v + 1, vec![None; names.len()]);
            }
            if found[v][s].replace(tensor).is_some() {
                return Err(StateError::DuplicateTensor { name: name.clone() });
            }
        }
        let mut slots = Vec::with_capacity(found.len());
        for (v, var) in found.into_iter().enumerate() {
            let mut restored: Vec<Tensor> = Vec::with_capacity(names.len());
            for (s, tensor) in var.into_iter().enumerate() {
                let tensor = tensor.ok_or_else(|| StateError::MissingTensor { name: slot_key(v, names[s]) })?;
                if let Some(first) = restored.first().filter(|f| f.shape() != tensor.shape()) {
                    let (expected, got) = (first.shape().to_vec(), tensor.shape().to_vec());
                    return Err(StateError::SlotShape { name: slot_key(v, names[s]), expected, got });
                }
                restored.push(tensor.clone());
            }
            slots.push(restored);
        }
        let expected: Vec<&'static str> = rule.scalars().into_iter().map(|(n, _)| n).collect();
        let got: Vec<String> = state.scalars.iter().map(|(n, _)| n.clone()).collect();
        let scalars: Option<Vec<f32>> = expected.iter().map(|n| state.scalar(n)).collect();
        let scalars = scalars.filter(|_| got.len() == expected.len()).ok_or_else(|| StateError::Scalars {
            rule: self.config.rule.class_name(),
            expected,
            got,
        })?;
        self.iterations = state.iterations;
        self.slots = slots;
        self.scalars = scalars;
        Ok(())
    }

    /// One optimizer step over the trainable parameters (their `grad` must be set): clipping,
    /// weight decay, the rule's update, constraints, `iterations += 1`. Without parameters it does
    /// nothing, not even count a step (as Keras with no gradients).
    ///
    /// # Panics
    /// If the parameters differ in number or shape from those of earlier steps (or from a
    /// restored state), or a gradient's shape differs from its parameter's.
    pub fn apply(&mut self, params: &mut [&mut Param]) {
        self.apply_checked(params, false);
    }

    /// [`Optimizer::apply`]; with `check_weights`, also returns whether every weight is finite
    /// after the step (checked as the update writes them, constrained ones after their
    /// constraint). Without, returns true.
    pub(crate) fn apply_checked(&mut self, params: &mut [&mut Param], check_weights: bool) -> bool {
        if params.is_empty() {
            return true;
        }
        let rule = self.config.rule.math();
        if self.slots.is_empty() {
            let n = rule.slot_names().len();
            self.slots = params
                .iter()
                .map(|p| (0..n).map(|s| Tensor::full(p.value.shape(), rule.initial_slot_value(s))).collect())
                .collect();
        }
        let built = self.slots.len();
        assert_eq!(built, params.len(), "optimizer built for {built} variables, got {}", params.len());
        for (p, slots) in params.iter().zip(&self.slots) {
            assert_eq!(p.value.shape(), p.grad.shape(), "{}: gradient shape differs from the weight's", p.name);
            if let Some(slot) = slots.iter().find(|s| s.shape() != p.value.shape()) {
                panic!(
                    "{}: optimizer slots of shape {:?} for a weight of shape {:?}",
                    p.name,
                    slot.shape(),
                    p.value.shape()
                );
            }
        }
        self.config.clipping.clip(params);
        let step = StepContext { lr: self.current_learning_rate(), iterations: self.iterations };
        if let Some(wd) = self.config.weight_decay {
            for p in params.iter_mut() {
                p.value.data_mut().iter_mut().for_each(|w| *w = decay_weight(*w, wd, step.lr, &mut NoRecord));
            }
        }
        rule.begin_step(step, &mut self.scalars);
        let mut finite =
            update_all(&self.config.rule, step, &self.scalars, params, &mut self.slots, &mut self.views, check_weights);
        for p in params.iter_mut() {
            if let Some(c) = p.constraint {
                c.apply(&mut p.value);
                finite &= !check_weights || all_finite(p.value.data());
            }
        }
        self.iterations += 1;
        finite
    }
}

/// `Optimizer::adam()`, `Optimizer::rmsprop()`, …: each rule with Keras' defaults, from the
/// registry (`optim/rule.rs`).
macro_rules! shortcuts {
    ($($rule:ident($class:literal $(, $shortcut:ident)?)),* $(,)?) => {
        impl Optimizer {
            $($(
                #[doc = concat!("`", $class, "()` with Keras' defaults (see [`", stringify!($rule), "`]).")]
                pub fn $shortcut() -> Self {
                    Self::new($rule::default())
                }
            )?)*
        }
    };
}
super::rule::with_rules!(shortcuts);

impl FromStr for Optimizer {
    type Err = UnknownName;

    /// [`Optimizer::from_name`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s)
    }
}

const DECAY: Formula = Formula::new("w ← w − (w·wd)·lr", "{} − ({p}·{})·{}");

/// Decoupled weight decay of one weight, `w ← w − (w·wd)·lr`, before the rule's update.
#[inline(always)]
pub(crate) fn decay_weight<R: Record + ?Sized>(w: f32, wd: f32, lr: f32, r: &mut R) -> f32 {
    r.record(&DECAY, &[w, w, wd, lr], w - w * wd * lr)
}
