//! [`SchemaError`]: data that does not fit a saved model's schema (its features, its classes), or
//! a model folder whose schema cannot be read — one line naming the file and the offending values.

use std::path::PathBuf;

use super::error_text::quoted_list_of;

/// Data that does not fit a model's [`Schema`](super::Schema), or a schema that cannot be read. It
/// reaches callers as [`DataError::Schema`](super::DataError::Schema).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A class label a saved model does not know.
    #[error("{}: label {label:?} is not one of the model's classes ({})", path.display(), classes.join(", "))]
    UnknownClass {
        /// The file.
        path: PathBuf,
        /// The label.
        label: String,
        /// The model's classes.
        classes: Vec<String>,
    },
    /// A class index outside a saved model's classes.
    #[error("{}: label {label} at sample {index} is outside the model's {classes} classes (0..{classes})", path.display())]
    NotModelClass {
        /// The labels file.
        path: PathBuf,
        /// The 0-based sample.
        index: usize,
        /// The label.
        label: f32,
        /// The model's number of classes.
        classes: usize,
    },
    /// Data with another number of features than a saved model takes.
    #[error("{}: the model expects {expected} features per sample, the data has {got}", path.display())]
    FeatureCount {
        /// The data file.
        path: PathBuf,
        /// The model's features.
        expected: usize,
        /// The data's features.
        got: usize,
    },
    /// A CSV file lacking a feature column a saved model takes.
    #[error(
        "{}: the model expects {} features ({}), the file lacks {missing:?}; its columns are {}",
        path.display(), expected.len(), quoted_list_of(expected, 12), quoted_list_of(available, usize::MAX)
    )]
    MissingFeature {
        /// The file.
        path: PathBuf,
        /// The model's feature names, in order.
        expected: Vec<String>,
        /// The first one the file lacks.
        missing: String,
        /// The file's columns.
        available: Vec<String>,
    },
    /// A model folder without the schema `wxb train` saves (`metadata.preprocessing`).
    #[error("the model has no preprocessing metadata (was it saved by `wxb train`?)")]
    NoSchema,
    /// A model folder whose saved schema cannot be read.
    #[error("the model's preprocessing metadata is invalid: {message}")]
    InvalidSchema {
        /// What is wrong.
        message: String,
    },
    /// A saved schema that disagrees with its model.
    #[error("the model has {outputs} outputs but {classes} class names: the model directory is damaged")]
    SchemaMismatch {
        /// The model's outputs.
        outputs: usize,
        /// The schema's class names.
        classes: usize,
    },
}
