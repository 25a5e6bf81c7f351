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
//! 3. run the rule's [`UpdateRule::begin_step`] once (Nadam's `u_product`), then its
//!    [`UpdateRule::update_step`] for each variable;
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

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod adamw;
mod clip;
mod nadam;
mod optimizer;
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
pub use nadam::Nadam;
pub use optimizer::{Optimizer, OptimizerConfig};
pub use rmsprop::RmsProp;
pub use rule::{Rule, UnknownOptimizer};
pub use schedules::{
    AfterDecay, CosineDecay, CosineDecayRestarts, ExponentialDecay, InvalidSchedule, InverseTimeDecay, LearningRate,
    PiecewiseConstantDecay, PolynomialDecay, Progression,
};
pub use sgd::Sgd;
pub use state::{OptimizerState, StateError};

/// Context of one optimizer step, shared by every variable's `update_step`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The learning rate for this step (the schedule evaluated at `iterations`).
    pub lr: f32,
    /// Keras' `iterations`: the number of steps taken before this one (0 for the first).
    pub iterations: u64,
}

impl Step {
    /// Keras' `local_step = cast(iterations + 1, float32)`, the 1-based step used in bias
    /// corrections such as `β₁ᵗ`.
    pub fn local_step(self) -> f32 {
        (self.iterations + 1) as f32
    }
}

/// An optimizer's update rule, in Keras' terms its `build` and `update_step`.
///
/// The shared machinery (clipping, weight decay, constraints, the step counter) lives in
/// [`Optimizer`]; a rule only says which state it keeps and how one variable moves.
pub trait UpdateRule {
    /// The names of the per-variable slots (Keras' optimizer variables, e.g. `momentum`), grouped
    /// as Keras creates them: each inner list is one `add_optimizer_variables` call, whose slots
    /// Keras interleaves variable by variable. [`Optimizer::state`] lists slots in this order,
    /// which is Keras' `optimizer.variables` order.
    fn slot_groups(&self) -> Vec<Vec<&'static str>>;

    /// The slot names flattened, in the order `update_step` receives the slots.
    fn slot_names(&self) -> Vec<&'static str> {
        self.slot_groups().into_iter().flatten().collect()
    }

    /// The initial value of the slot at `slot` in [`UpdateRule::slot_names`] (0 unless the rule
    /// says otherwise: Adagrad starts its accumulator at `initial_accumulator_value`).
    fn initial_slot_value(&self, _slot: usize) -> f32 {
        0.0
    }

    /// Optimizer-wide scalar state with its initial values (Nadam: `u_product = 1`).
    fn scalars(&self) -> Vec<(&'static str, f32)> {
        Vec::new()
    }

    /// Runs once per step, after clipping and weight decay and before the first `update_step`,
    /// to advance the scalar state (Keras' `_backend_update_step` override in Nadam).
    fn begin_step(&self, _step: Step, _scalars: &mut [f32]) {}

    /// Moves `w` given its (clipped) gradient `g`, its slots (in [`UpdateRule::slot_names`]
    /// order, each of `w`'s length) and the scalar state after [`UpdateRule::begin_step`].
    ///
    /// Every rule is element-wise: `w`, `g` and the slots may be any range of a variable's
    /// elements (the optimizer splits large variables across threads).
    fn update_step(&self, step: Step, scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]);
}

/// `1 − x` as Keras computes `1 - self.beta_1` (or `1 - rho`): in Python's double precision on
/// the hyperparameter the user wrote, rounded to `float32` only when it meets a tensor.
///
/// wxb stores hyperparameters as `f32`; the shortest decimal that reads back as that `f32` is the
/// literal the user wrote (`0.999`), so `1 − 0.999` is taken in `f64` exactly as Python does. In
/// `f32`, `1 − 0.999f32` would be off by 5·10⁻⁵ relative.
pub(crate) fn python_complement(x: f32) -> f32 {
    (1.0 - python_float(x)) as f32
}

/// The Python float (`f64`) a user most likely wrote for the `f32` value `x`: its shortest
/// round-tripping decimal.
///
/// Formatted on the stack: optimizers call it on every step, which must not allocate.
pub(crate) fn python_float(x: f32) -> f64 {
    use std::fmt::Write;
    /// Room for any `f32`'s shortest decimal (`Display` never uses exponents: at most 48 bytes).
    struct Digits {
        bytes: [u8; 64],
        len: usize,
    }
    impl Write for Digits {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut d = Digits { bytes: [0; 64], len: 0 };
    if write!(d, "{x}").is_err() {
        return f64::from(x);
    }
    std::str::from_utf8(&d.bytes[..d.len]).ok().and_then(|s| s.parse().ok()).unwrap_or(f64::from(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_complement_matches_double_precision() {
        // Python: float32(1 - 0.999) == 0.001 exactly as float32(0.001).
        assert_eq!(python_complement(0.999), 0.001f32);
        assert_eq!(python_complement(0.9), 0.1f32);
        // The naive f32 difference is measurably different.
        assert_ne!(1.0f32 - 0.999f32, 0.001f32);
        assert_eq!(python_float(0.95), 0.95f64);
        for x in [f32::MAX, f32::MIN_POSITIVE, 1e-45, -0.0, 1.0 / 3.0, 123_456_790.0] {
            assert_eq!(python_float(x), x.to_string().parse::<f64>().unwrap(), "{x}");
        }
    }

    #[test]
    fn local_step_is_one_based() {
        assert_eq!(Step { lr: 0.1, iterations: 0 }.local_step(), 1.0);
        assert_eq!(Step { lr: 0.1, iterations: 41 }.local_step(), 42.0);
    }
}
