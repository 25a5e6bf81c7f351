//! Keras' own files, both ways: the Keras 3 `.keras` archive (a zip of `config.json`,
//! `metadata.json` and `model.weights.h5`) and the legacy HDF5 `.h5` file.

use std::path::Path;

use super::{LoadedModel, ModelIoError};

/// Reads a Keras 3 `.keras` archive.
///
/// # Errors
/// [`ModelIoError::Part`] naming the archive member and what is wrong in it.
pub fn read_keras(path: &Path) -> Result<LoadedModel, ModelIoError> {
    Err(not_yet(path))
}

/// Reads a legacy Keras `.h5` file.
///
/// # Errors
/// [`ModelIoError::Part`] naming the HDF5 object and what is wrong in it.
pub fn read_h5(path: &Path) -> Result<LoadedModel, ModelIoError> {
    Err(not_yet(path))
}

/// Writes `loaded` as a Keras 3 `.keras` archive.
///
/// # Errors
/// [`ModelIoError::Io`] when writing fails.
pub fn write_keras(_loaded: &mut LoadedModel, path: &Path) -> Result<(), ModelIoError> {
    Err(not_yet(path))
}

/// Writes `loaded` as a legacy Keras `.h5` file.
///
/// # Errors
/// [`ModelIoError::Io`] when writing fails.
pub fn write_h5(_loaded: &mut LoadedModel, path: &Path) -> Result<(), ModelIoError> {
    Err(not_yet(path))
}

fn not_yet(path: &Path) -> ModelIoError {
    ModelIoError::Format { path: path.to_path_buf(), message: "Keras files are not supported yet".into() }
}
