//! Learning-rate schedules, evaluated at the optimizer's `iterations` as in Keras.
//!
//! A [`LearningRate`] is a constant or one of Keras' `keras.optimizers.schedules`, each in its own
//! file with its formula. The optimizer evaluates it at `step = iterations` (0 for the first
//! update), in `float32` and in Keras' order of operations.
//!
//! Serialised as Keras writes a learning rate: a number, or
//! `{"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, …}}`. Keras'
//! own serialisation (with `module`, `registered_name` and `name`) reads back as well.

mod cosine;
mod cosine_restarts;
mod exponential;
mod inverse_time;
mod piecewise;
mod polynomial;

pub use cosine::CosineDecay;
pub use cosine_restarts::CosineDecayRestarts;
pub use exponential::ExponentialDecay;
pub use inverse_time::InverseTimeDecay;
pub use piecewise::PiecewiseConstantDecay;
pub use polynomial::PolynomialDecay;

use serde::{Deserialize, Serialize};

/// A constant learning rate or a schedule of the step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Repr", into = "Repr")]
#[non_exhaustive]
pub enum LearningRate {
    /// The same rate at every step.
    Constant(f32),
    /// [`ExponentialDecay`].
    ExponentialDecay(ExponentialDecay),
    /// [`PiecewiseConstantDecay`].
    PiecewiseConstantDecay(PiecewiseConstantDecay),
    /// [`PolynomialDecay`].
    PolynomialDecay(PolynomialDecay),
    /// [`InverseTimeDecay`].
    InverseTimeDecay(InverseTimeDecay),
    /// [`CosineDecay`].
    CosineDecay(CosineDecay),
    /// [`CosineDecayRestarts`].
    CosineDecayRestarts(CosineDecayRestarts),
}

impl LearningRate {
    /// The rate at step `iterations` (0 for the first step).
    ///
    /// # Panics
    /// For a [`PiecewiseConstantDecay`] whose lengths do not fit (see [`LearningRate::validate`]).
    pub fn at(&self, iterations: u64) -> f32 {
        match self {
            LearningRate::Constant(lr) => *lr,
            LearningRate::ExponentialDecay(s) => s.at(iterations),
            LearningRate::PiecewiseConstantDecay(s) => s.at(iterations),
            LearningRate::PolynomialDecay(s) => s.at(iterations),
            LearningRate::InverseTimeDecay(s) => s.at(iterations),
            LearningRate::CosineDecay(s) => s.at(iterations),
            LearningRate::CosineDecayRestarts(s) => s.at(iterations),
        }
    }

    /// Keras' class name of the schedule (`None` for a constant).
    pub fn class_name(&self) -> Option<&'static str> {
        Some(match self {
            LearningRate::Constant(_) => return None,
            LearningRate::ExponentialDecay(_) => "ExponentialDecay",
            LearningRate::PiecewiseConstantDecay(_) => "PiecewiseConstantDecay",
            LearningRate::PolynomialDecay(_) => "PolynomialDecay",
            LearningRate::InverseTimeDecay(_) => "InverseTimeDecay",
            LearningRate::CosineDecay(_) => "CosineDecay",
            LearningRate::CosineDecayRestarts(_) => "CosineDecayRestarts",
        })
    }

    /// Checks what Keras checks when it builds the schedule: `decay_steps` (`first_decay_steps`)
    /// positive, and for [`PiecewiseConstantDecay`] one more value than boundaries, which must not
    /// be empty (Keras would fail at the first step).
    pub fn validate(&self) -> Result<(), InvalidSchedule> {
        let positive = |steps: u64, name: &'static str| {
            if steps == 0 { Err(invalid(self, format!("`{name}` must be > 0"))) } else { Ok(()) }
        };
        match self {
            LearningRate::Constant(_) => Ok(()),
            LearningRate::ExponentialDecay(s) => positive(s.decay_steps, "decay_steps"),
            LearningRate::PolynomialDecay(s) => positive(s.decay_steps, "decay_steps"),
            LearningRate::InverseTimeDecay(s) => positive(s.decay_steps, "decay_steps"),
            LearningRate::CosineDecay(s) => positive(s.decay_steps, "decay_steps"),
            LearningRate::CosineDecayRestarts(s) => positive(s.first_decay_steps, "first_decay_steps"),
            LearningRate::PiecewiseConstantDecay(s) => {
                let (b, v) = (s.boundaries.len(), s.values.len());
                if b == 0 {
                    Err(invalid(self, "`boundaries` is empty".into()))
                } else if v != b + 1 {
                    Err(invalid(self, format!("{b} boundaries need {} values, got {v}", b + 1)))
                } else {
                    Ok(())
                }
            }
        }
    }
}

fn invalid(schedule: &LearningRate, reason: String) -> InvalidSchedule {
    InvalidSchedule { schedule: schedule.class_name().unwrap_or("constant"), reason }
}

/// A schedule that Keras would refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid {schedule}: {reason}")]
#[non_exhaustive]
pub struct InvalidSchedule {
    /// Keras' class name of the schedule.
    pub schedule: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// How the exponent `step / decay_steps` advances (Keras' `staircase`, serialised as that bool).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "bool", into = "bool")]
pub enum Progression {
    /// Smoothly, step by step (`staircase=False`, Keras' default).
    #[default]
    Continuous,
    /// In whole periods: `floor(step / decay_steps)` (`staircase=True`).
    Staircase,
}

impl Progression {
    /// `step / decay_steps` in `f32`, floored when in whole periods.
    pub fn exponent(self, step: u64, decay_steps: u64) -> f32 {
        let p = step as f32 / decay_steps as f32;
        if self == Progression::Staircase { p.floor() } else { p }
    }
}

/// `From<bool>` and back for a two-valued enum that Keras writes as a bool (`$on` is `true`).
macro_rules! keras_bool {
    ($type:ident: $off:ident, $on:ident) => {
        impl From<bool> for $type {
            fn from(on: bool) -> Self {
                if on { $type::$on } else { $type::$off }
            }
        }

        impl From<$type> for bool {
            fn from(v: $type) -> Self {
                v == $type::$on
            }
        }
    };
}

keras_bool!(Progression: Continuous, Staircase);

/// What a [`PolynomialDecay`] does after `decay_steps` (Keras' `cycle`, serialised as that bool).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "bool", into = "bool")]
pub enum AfterDecay {
    /// Stays at `end_learning_rate` (`cycle=False`, Keras' default).
    #[default]
    Hold,
    /// Decays again over the next multiple of `decay_steps` (`cycle=True`).
    Cycle,
}

keras_bool!(AfterDecay: Hold, Cycle);

impl From<f32> for LearningRate {
    fn from(lr: f32) -> Self {
        LearningRate::Constant(lr)
    }
}

macro_rules! schedule_conversions {
    ($($t:ident),*) => {
        $(impl From<$t> for LearningRate {
            fn from(s: $t) -> Self {
                LearningRate::$t(s)
            }
        })*

        /// The serialised form: a number, or Keras' `{"class_name", "config"}` object.
        #[derive(Serialize, Deserialize)]
        #[serde(tag = "class_name", content = "config")]
        enum Repr {
            $($t($t),)*
            #[serde(untagged)]
            Constant(f32),
        }

        impl From<LearningRate> for Repr {
            fn from(lr: LearningRate) -> Self {
                match lr {
                    LearningRate::Constant(v) => Repr::Constant(v),
                    $(LearningRate::$t(s) => Repr::$t(s),)*
                }
            }
        }

        impl TryFrom<Repr> for LearningRate {
            type Error = InvalidSchedule;

            fn try_from(repr: Repr) -> Result<Self, InvalidSchedule> {
                let lr = match repr {
                    Repr::Constant(v) => LearningRate::Constant(v),
                    $(Repr::$t(s) => LearningRate::$t(s),)*
                };
                lr.validate().map(|()| lr)
            }
        }
    };
}

schedule_conversions!(
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    InverseTimeDecay,
    CosineDecay,
    CosineDecayRestarts
);

#[cfg(test)]
mod tests;
