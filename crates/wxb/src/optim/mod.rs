//! Optimizers with Keras 3's update rules and defaults.
//!
//! [`Optimizer`] is Keras' `BaseOptimizer`: it owns the step counter (`iterations`), the learning
//! rate or its schedule, gradient clipping, decoupled weight decay and the per-variable slots. Each
//! rule (one file per optimizer) only implements `update_step`: how one variable moves given its
//! gradient, the learning rate and its slots.
//!
//! One step, as in Keras' `BaseOptimizer.apply`, with `lr = schedule(iterations)`:
//!
//! 1. clip the gradients ([`Clipping`]: `clipnorm` per variable, `global_clipnorm`, `clipvalue`);
//! 2. decay the weights, when a weight decay `wd` is set: `w ← w − (w·wd)·lr`;
//! 3. run the rule's [`RuleMath::begin_step`] once (Nadam's `u_product`), then its
//!    [`RuleMath::update_step`] for each variable;
//! 4. apply each variable's constraint;
//! 5. `iterations += 1`.
//!
//! | rule | Keras class | default learning rate |
//! |------|-------------|-----------------------|
//! | [`Sgd`] | `SGD` | 0.01 |
//! | [`RmsProp`] | `RMSprop` | 0.001 |
//! | [`Adam`] | `Adam` | 0.001 |
//! | [`AdamW`] | `AdamW` | 0.001 (weight decay 0.004) |
//! | [`Adagrad`] | `Adagrad` | 0.001 |
//! | [`Adadelta`] | `Adadelta` | 0.001 |
//! | [`Adamax`] | `Adamax` | 0.001 |
//! | [`Nadam`] | `Nadam` | 0.001 |
//! | [`Ftrl`] | `Ftrl` | 0.001 |
//! | [`Lion`] | `Lion` | 0.001 |
//! | [`Lamb`] | `Lamb` | 0.001 |
//!
//! **One rule, one file.** A rule's file holds its configuration, its per-step constants, its
//! per-element math and the text of each equation ([`Formula`]), the math written once, generic over
//! a [`Record`]er: the engine's loop runs it with [`NoRecord`] (inlined away, vectorized), and
//! [`RuleMath::trace_step`] runs the same code on one element with a recorder, which is how
//! `wxb::explain` shows a step with its numbers.
//!
//! **Whole-variable rules.** Lamb scales each variable's step by a trust ratio `‖w‖/‖u‖`, norms
//! over the whole variable: its [`RuleMath::whole_variable`] is true, so the engine hands its
//! `update_step` whole variables (never a thread's part of one), and a traced element receives
//! its variable before the step ([`Traced::variable`]) to compute the same norms.

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod adamw;
mod clip;
mod ftrl;
mod lamb;
mod lion;
mod nadam;
mod optimizer;
mod record;
mod rmsprop;
mod rule;
mod schedules;
mod sgd;
mod state;
mod update;
pub(crate) use update::grads_finite;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamax::Adamax;
pub use adamw::AdamW;
pub use clip::Clipping;
pub use ftrl::Ftrl;
pub use lamb::Lamb;
pub use lion::Lion;
pub use nadam::Nadam;
pub(crate) use optimizer::decay_weight;
pub use optimizer::{Optimizer, OptimizerConfig};
pub use record::{Formula, NoRecord, Record};
pub use rmsprop::RmsProp;
pub use rule::Rule;
pub use schedules::{
    AfterDecay, CosineDecay, CosineDecayRestarts, ExponentialDecay, InvalidSchedule, InverseTimeDecay, LearningRate,
    PiecewiseConstantDecay, PolynomialDecay, Progression,
};
pub use sgd::Sgd;
pub use state::{OptimizerState, StateError};

/// Context of one optimizer step, shared by every variable's `update_step`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepContext {
    /// The learning rate for this step (the schedule evaluated at `iterations`).
    pub lr: f32,
    /// Keras' `iterations`: the number of steps taken before this one (0 for the first).
    pub iterations: u64,
}

impl StepContext {
    /// Keras' `local_step = cast(iterations + 1, float32)`, the 1-based step used in bias
    /// corrections such as `β₁ᵗ`.
    pub fn local_step(self) -> f32 {
        (self.iterations + 1) as f32
    }
}

/// The math of an update rule, in Keras' terms its `build` and `update_step`.
///
/// The shared machinery (clipping, weight decay, constraints, the step counter) lives in
/// [`Optimizer`]; a rule only says which state it keeps and how one variable moves.
pub trait RuleMath {
    /// The names of the per-variable slots (Keras' optimizer variables, e.g. `momentum`), grouped
    /// as Keras creates them: each inner list is one `add_optimizer_variables` call, whose slots
    /// Keras interleaves variable by variable. [`Optimizer::state`] lists slots in this order,
    /// which is Keras' `optimizer.variables` order.
    fn slot_groups(&self) -> Vec<Vec<&'static str>>;

    /// The slot names flattened, in the order `update_step` receives the slots.
    fn slot_names(&self) -> Vec<&'static str> {
        self.slot_groups().into_iter().flatten().collect()
    }

    /// The initial value of the slot at `slot` in [`RuleMath::slot_names`] (0 unless the rule
    /// says otherwise: Adagrad starts its accumulator at `initial_accumulator_value`).
    fn initial_slot_value(&self, _slot: usize) -> f32 {
        0.0
    }

    /// Keras' default learning rate for the rule (0.001 for every rule but SGD's 0.01; Adadelta's
    /// too: Keras 3 changed it from Keras 2's 1.0).
    fn default_learning_rate(&self) -> f32 {
        0.001
    }

    /// Keras' default decoupled weight decay (none but AdamW's 0.004).
    fn default_weight_decay(&self) -> Option<f32> {
        None
    }

    /// Optimizer-wide scalar state with its initial values (Nadam: `u_product = 1`).
    fn scalars(&self) -> Vec<(&'static str, f32)> {
        Vec::new()
    }

    /// Runs once per step, after clipping and weight decay and before the first `update_step`,
    /// to advance the scalar state (Keras' `_backend_update_step` override in Nadam).
    fn begin_step(&self, _step: StepContext, _scalars: &mut [f32]) {}

    /// Whether `update_step` reads the whole variable (Lamb's norms), so that it must receive each
    /// variable whole rather than any range of its elements, and [`RuleMath::trace_step`] needs
    /// [`Traced::variable`]. False for element-wise rules.
    fn whole_variable(&self) -> bool {
        false
    }

    /// Moves `w` given its (clipped) gradient `g`, its slots (in [`RuleMath::slot_names`]
    /// order, each of `w`'s length) and the scalar state after [`RuleMath::begin_step`].
    ///
    /// An element-wise rule receives any range of a variable's elements (the optimizer splits
    /// large variables across threads); a [`RuleMath::whole_variable`] rule, whole variables.
    fn update_step(&self, step: StepContext, scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]);

    /// One element's whole step, [`RuleMath::begin_step`] included, through the same arithmetic as
    /// the two, reporting every equation to `record`: moves the scalars, the element's `slots`
    /// (one value per slot, in [`RuleMath::slot_names`] order) and returns the new weight, bit for
    /// bit the value `update_step` gives that element.
    ///
    /// # Panics
    /// If `slots` does not hold one value per slot, or `scalars` one per scalar, or (for a
    /// [`RuleMath::whole_variable`] rule) `variable` is missing.
    fn trace_step(&self, traced: Traced<'_>) -> f32;
}

/// The whole variable a traced element belongs to, as the rule receives it (after clipping and
/// weight decay, before the step): what a [`RuleMath::whole_variable`] rule reads besides the
/// element.
#[derive(Clone, Copy, Debug)]
pub struct Variable<'a> {
    /// Every weight of the variable.
    pub w: &'a [f32],
    /// Their gradients.
    pub g: &'a [f32],
    /// Each slot's values over the variable, in [`RuleMath::slot_names`] order.
    pub slots: &'a [Vec<f32>],
}

/// One element's step as [`RuleMath::trace_step`] receives it: the step, the rule's scalars, the
/// weight `w` and its gradient `g`, the element's slot values (moved in place) and the recorder.
pub struct Traced<'a> {
    /// The step.
    pub step: StepContext,
    /// The rule's scalar state, moved in place.
    pub scalars: &'a mut [f32],
    /// The weight the rule receives.
    pub w: f32,
    /// Its gradient.
    pub g: f32,
    /// The element's slot values, in [`RuleMath::slot_names`] order, moved in place.
    pub slots: &'a mut [f32],
    /// Where the equations go.
    pub record: &'a mut dyn Record,
    /// The element's whole variable before the step, for a [`RuleMath::whole_variable`] rule
    /// (ignored by the others, which may receive `None`).
    pub variable: Option<Variable<'a>>,
}

impl Traced<'_> {
    /// Runs `f(w, g, slots, record)` and returns the new weight.
    pub fn with(self, f: impl FnOnce(&mut f32, f32, &mut [f32], &mut dyn Record)) -> f32 {
        let mut w = self.w;
        f(&mut w, self.g, self.slots, self.record);
        w
    }

    /// Runs `f(w, g, a, record)` on a rule's one slot `a` and returns the new weight.
    ///
    /// # Panics
    /// If the element has not exactly one slot.
    pub fn with1(self, f: impl FnOnce(&mut f32, f32, &mut f32, &mut dyn Record)) -> f32 {
        self.with(|w, g, slots, r| match slots {
            [a] => f(w, g, a, r),
            _ => panic!("the rule keeps one slot per weight, got {}", slots.len()),
        })
    }

    /// Runs `f(w, g, a, b, record)` on a rule's two slots `a`, `b` and returns the new weight.
    ///
    /// # Panics
    /// If the element has not exactly two slots.
    pub fn with2(self, f: impl FnOnce(&mut f32, f32, &mut f32, &mut f32, &mut dyn Record)) -> f32 {
        self.with(|w, g, slots, r| match slots {
            [a, b] => f(w, g, a, b, r),
            _ => panic!("the rule keeps two slots per weight, got {}", slots.len()),
        })
    }
}

/// Declares a rule's hyperparameters: the struct (serialised with Keras' names, each field
/// defaulting to Keras' value when absent) and its `Default`.
macro_rules! hyperparameters {
    ($(#[$doc:meta])* $name:ident { $($(#[$field_doc:meta])* $field:ident: $ty:ty = $default:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        pub struct $name {
            $($(#[$field_doc])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $($field: $default),* }
            }
        }
    };
}
use hyperparameters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_step_is_one_based() {
        assert_eq!(StepContext { lr: 0.1, iterations: 0 }.local_step(), 1.0);
        assert_eq!(StepContext { lr: 0.1, iterations: 41 }.local_step(), 42.0);
    }
}
