//! [`OptimizerState`]: everything an optimizer has learned, to save and resume training.
//!
//! The state is the step counter, each variable's slots (named `"{variable_index}.{slot}"`, e.g.
//! `"0.momentum"`) and the rule's scalars (Nadam's `"u_product"`). The learning rate is not part
//! of it: it lives in the [`super::OptimizerConfig`] (set by callbacks through
//! [`super::Optimizer::set_learning_rate`]).

use crate::tensor::Tensor;

/// A snapshot of an optimizer's state, from [`super::Optimizer::state`].
///
/// `tensors` lists the slots in Keras' `optimizer.variables` order (after Keras' `iteration` and
/// `learning_rate`): group by group as the rule creates them, variable by variable within a group.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct OptimizerState {
    /// Keras' `iterations`: the steps taken.
    pub iterations: u64,
    /// The slots, named `"{variable_index}.{slot_name}"`.
    pub tensors: Vec<(String, Tensor)>,
    /// Optimizer-wide scalars by name (`"u_product"` for Nadam; none for the other rules).
    pub scalars: Vec<(String, f32)>,
}

impl OptimizerState {
    /// The slot `slot` of variable `variable`, if present.
    pub fn tensor(&self, variable: usize, slot: &str) -> Option<&Tensor> {
        let name = slot_key(variable, slot);
        self.tensors.iter().find(|(n, _)| *n == name).map(|(_, t)| t)
    }

    /// The scalar `name`, if present.
    pub fn scalar(&self, name: &str) -> Option<f32> {
        self.scalars.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
}

/// Why a saved state does not fit an optimizer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// A tensor name is not `"{variable_index}.{slot}"` with one of the rule's slots.
    #[error("optimizer state: unexpected tensor {name:?} for {rule} (its slots: {slots})")]
    UnexpectedTensor {
        /// The name found.
        name: String,
        /// The rule's Keras class name.
        rule: &'static str,
        /// The rule's slot names, comma-separated.
        slots: String,
    },
    /// A variable lacks one of the rule's slots.
    #[error("optimizer state: missing tensor {name:?}")]
    MissingTensor {
        /// The missing name.
        name: String,
    },
    /// The same tensor name appears twice.
    #[error("optimizer state: tensor {name:?} appears twice")]
    DuplicateTensor {
        /// The repeated name.
        name: String,
    },
    /// Two slots of one variable differ in shape.
    #[error("optimizer state: {name:?} has shape {got:?}, other slots of that variable {expected:?}")]
    SlotShape {
        /// The slot.
        name: String,
        /// The shape of the variable's first slot.
        expected: Vec<usize>,
        /// Its shape.
        got: Vec<usize>,
    },
    /// The scalars differ from the rule's.
    #[error("optimizer state: scalars {got:?}, but {rule} keeps {expected:?}")]
    Scalars {
        /// The rule's Keras class name.
        rule: &'static str,
        /// The names the rule keeps.
        expected: Vec<&'static str>,
        /// The names found.
        got: Vec<String>,
    },
}

/// The name of a slot in an [`OptimizerState`].
pub(crate) fn slot_key(variable: usize, slot: &str) -> String {
    format!("{variable}.{slot}")
}

/// Splits `"{variable}.{slot}"`.
pub(crate) fn parse_slot_key(name: &str) -> Option<(usize, &str)> {
    let (index, slot) = name.split_once('.')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((index.parse().ok()?, slot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_keys_round_trip() {
        assert_eq!(slot_key(3, "velocity_hat"), "3.velocity_hat");
        assert_eq!(parse_slot_key("3.velocity_hat"), Some((3, "velocity_hat")));
        assert_eq!(parse_slot_key("x.momentum"), None);
        assert_eq!(parse_slot_key("+1.momentum"), None);
        assert_eq!(parse_slot_key("momentum"), None);
    }
}
