//! Errors of saving and loading model directories.

use std::path::PathBuf;

/// What can go wrong reading or writing a model directory. Each message names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelIoError {
    /// The operating system refused a read or write.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The system error.
        source: std::io::Error,
    },
    /// `config.json` is not valid JSON or does not describe a model.
    #[error("{}:{line}:{column}: invalid model configuration: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// `model.safetensors` is truncated, corrupt or not a wxb weights file.
    #[error("{}: corrupt weights file: {message}", path.display())]
    Weights {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A tensor the configuration needs is missing from the weights file.
    #[error("{}: missing tensor {name:?} (the configuration needs it)", path.display())]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The tensor name, e.g. `layers.0.kernel`.
        name: String,
    },
    /// A tensor in the weights file that the configuration does not know.
    #[error("{}: unexpected tensor {name:?} (not in the configuration)", path.display())]
    UnexpectedTensor {
        /// The file.
        path: PathBuf,
        /// The tensor name.
        name: String,
    },
    /// A tensor whose shape or dtype disagrees with the configuration.
    #[error("{}: tensor {name:?} has shape {got:?} ({dtype}), the configuration needs {expected:?} (F32)", path.display())]
    TensorShape {
        /// The file.
        path: PathBuf,
        /// The tensor name.
        name: String,
        /// The shape the configuration implies.
        expected: Vec<usize>,
        /// The shape in the file.
        got: Vec<usize>,
        /// The dtype in the file.
        dtype: String,
    },
    /// A format version this wxb cannot read.
    #[error("{}: model format version {found} is not supported (this wxb reads versions 1 to {supported}); {hint}", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The newest version this build reads.
        supported: u64,
        /// What to do.
        hint: &'static str,
    },
    /// The architecture cannot be built: a layer's value is invalid, or it needs more weights than
    /// the weights file holds.
    #[error("{}: invalid model: {source}", path.display())]
    Invalid {
        /// The file the configuration came from.
        path: PathBuf,
        /// What is wrong.
        source: crate::WxbError,
    },
    /// The model's saved data schema (`metadata.preprocessing`) is missing, invalid, or disagrees
    /// with the model.
    #[error("{}: {source}", path.display())]
    Schema {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong.
        source: Box<crate::data::DataError>,
    },
    /// A file that is no model wxb reads (not a folder, `.keras`, `.h5` or ONNX file).
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What it is, or is not.
        message: String,
    },
    /// A part of another framework's model file (a Keras archive member, an HDF5 dataset, a layer
    /// of its configuration, an ONNX node) that is damaged, disagrees with the rest, or that wxb
    /// cannot represent.
    #[error("{}: {part}: {message}", path.display())]
    Part {
        /// The file.
        path: PathBuf,
        /// The part, e.g. `model.weights.h5: layers/dense/vars/0` or `layer "dense_1" (Dense)`.
        part: String,
        /// What is wrong.
        message: String,
    },
}
