//! Typed errors for everything that comes from data, files or arguments. Programmer errors (a
//! layer given the wrong shape by code) panic instead, with both shapes in the message.

/// What can go wrong when training or evaluating on user data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WxbError {
    /// Inputs and targets (or weights) disagree in their number of samples.
    #[error("{what}: expected {expected} samples, got {got}")]
    SampleCount {
        /// Which array.
        what: &'static str,
        /// Samples of the inputs.
        expected: usize,
        /// Samples found.
        got: usize,
    },
    /// An array's shape does not fit the model.
    #[error("{what}: expected shape {expected:?}, got {got:?}")]
    Shape {
        /// Which array.
        what: &'static str,
        /// The shape the model needs (without the batch dimension where it says so).
        expected: Vec<usize>,
        /// The shape given.
        got: Vec<usize>,
    },
    /// A class label outside `0..classes`.
    #[error("{what}: label {label} at sample {index} is outside 0..{classes}")]
    LabelOutOfRange {
        /// Which array.
        what: &'static str,
        /// The sample.
        index: usize,
        /// The label.
        label: f32,
        /// The number of classes the model predicts.
        classes: usize,
    },
    /// No data to work on.
    #[error("{what} is empty")]
    Empty {
        /// Which array.
        what: &'static str,
    },
    /// An argument outside its valid range.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// What it must be.
        reason: &'static str,
    },
    /// The model must be compiled (given an optimizer and a loss) first.
    #[error("the model is not compiled: call compile(optimizer, loss, metrics) first")]
    NotCompiled,
    /// The weights given do not match the model's.
    #[error("weights: expected {expected} tensors, got {got}")]
    WeightCount {
        /// Tensors the model has.
        expected: usize,
        /// Tensors given.
        got: usize,
    },
    /// A weight tensor has the wrong shape.
    #[error("weight {name}: expected shape {expected:?}, got {got:?}")]
    WeightShape {
        /// `layer/variable`.
        name: String,
        /// The model's shape.
        expected: Vec<usize>,
        /// The shape given.
        got: Vec<usize>,
    },
}
