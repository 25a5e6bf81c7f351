//! Typed errors for everything that comes from data, files or arguments. Programmer errors (a
//! layer given the wrong shape by code) panic instead, with both shapes in the message.

mod divergence;

pub use divergence::{Divergence, KeptWeights, NonFiniteIn};

/// A name (of a loss, a metric, an initializer, …) that wxb does not know, read at the
/// CLI or JSON boundary; the message lists the names it knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}; expected one of: {expected}")]
#[non_exhaustive]
pub struct UnknownName {
    /// What was named (`loss`, `metric`, `initializer`, …).
    pub what: &'static str,
    /// The name that was given.
    pub name: String,
    /// The names wxb knows, comma-separated.
    pub expected: String,
}

/// The key Keras' identifiers are matched by: trimmed, lower case, without underscores, so that
/// the function name (`mean_squared_error`), the class name (`MeanSquaredError`) and any case of
/// either give the same key (`meansquarederror`).
pub(crate) fn keras_key(name: &str) -> String {
    name.trim().chars().filter(|&c| c != '_').flat_map(char::to_lowercase).collect()
}

impl UnknownName {
    /// `name` is not a `what`; `known` lists the valid names.
    pub fn new<'a>(what: &'static str, name: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        Self { what, name: name.to_string(), expected: known.into_iter().collect::<Vec<_>>().join(", ") }
    }
}

/// `impl Display` for a type named at the boundary: writes what its `$method()` returns (its
/// Keras name, the one `FromStr` parses).
macro_rules! display_as_name {
    ($type:ty, $method:ident) => {
        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.$method())
            }
        }
    };
}
pub(crate) use display_as_name;

/// Serde for a type named at the boundary that also has parameters (`#[serde(remote = "Self")]`
/// gives it the tagged form): written as Keras writes it, a plain name when the value is the
/// name's defaults (`"relu"`, `"he_normal"`), else the tagged form with its parameters
/// (`{"leaky_relu": {"negative_slope": 0.1}}`); both forms are read.
macro_rules! serde_by_keras_name {
    ($type:ident) => {
        impl Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if let Ok(parsed) = self.name().parse::<$type>()
                    && parsed == *self
                {
                    return serializer.serialize_str(self.name());
                }
                $type::serialize(self, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            /// Accepts a Keras name (with Keras' default parameters) or the tagged form with
            /// parameters.
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error;
                let value = serde_json::Value::deserialize(deserializer)?;
                match &value {
                    serde_json::Value::String(name) => name.parse().map_err(D::Error::custom),
                    _ => $type::deserialize(value).map_err(D::Error::custom),
                }
            }
        }
    };
}
pub(crate) use serde_by_keras_name;

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
    /// Data-parallel training ended with weights that differ between the processes (their
    /// updates must be identical: a bug, or processes that were given different data or options).
    #[error(
        "after data-parallel training, {differing} weight values differ between the {processes} processes \
         (every process must end with rank 0's weights: were they all given the same data and options?)"
    )]
    ProcessesDisagree {
        /// Weight values of some process that differ bitwise from rank 0's, summed over processes.
        differing: usize,
        /// The processes.
        processes: usize,
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
    /// A layer configuration holds a value the layer cannot be built with.
    #[error("layer {layer:?}: invalid {field} = {value}: {reason}")]
    InvalidLayer {
        /// The layer's name (or the default name of its class).
        layer: String,
        /// The configuration field.
        field: &'static str,
        /// Its value, as text.
        value: String,
        /// What it must be.
        reason: &'static str,
    },
    /// Two layers of a model have the same name.
    #[error("two layers are named {name:?}: layer names must be unique")]
    DuplicateLayerName {
        /// The repeated name.
        name: String,
    },
    /// A model whose weights would exceed the allowed number of scalars.
    #[error("the model would have {params} weights, more than the {limit} allowed ({why})")]
    ModelTooLarge {
        /// The weights the configuration asks for (saturated at `u64::MAX`).
        params: u64,
        /// The limit.
        limit: u64,
        /// Where the limit comes from.
        why: &'static str,
    },
    /// Training, evaluation or prediction would allocate more memory than the model's budget
    /// (`Sequential::set_memory_budget`), estimated before anything is allocated.
    #[error(
        "{what} in batches of {batch} would need about {} of memory, more than the memory budget of {}; \
         raise the budget or lower the batch size",
        bytes_text(*bytes),
        bytes_text(*budget)
    )]
    OverMemoryBudget {
        /// `training`, `evaluation` or `prediction`.
        what: &'static str,
        /// The batch size.
        batch: usize,
        /// The estimate, in bytes (saturated).
        bytes: u64,
        /// The budget, in bytes.
        budget: u64,
    },
    /// A streamed batch source ([`BatchSource`](crate::train::BatchSource)) could not give its rows
    /// (a data file that cannot be read or holds a bad cell); the source keeps the typed error.
    #[error("reading the streamed data: {message}")]
    BatchSource {
        /// The source's error, as text.
        message: String,
    },
    /// Training diverged: a loss, an output, a gradient or a weight became NaN or infinite. The
    /// model keeps its weights from before the bad step (see [`Divergence`]).
    #[error("{0}")]
    Diverged(Box<Divergence>),
}

/// `bytes` for people: `12.5 GiB`, `300 MiB`, `512 bytes`.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    match UNITS.iter().find(|(_, size)| bytes >= *size) {
        Some((unit, size)) => {
            let v = bytes as f64 / *size as f64;
            if v.fract() == 0.0 { format!("{v} {unit}") } else { format!("{v:.1} {unit}") }
        }
        None => format!("{bytes} bytes"),
    }
}
