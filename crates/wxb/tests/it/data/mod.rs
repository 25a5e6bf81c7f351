//! Integration tests of the data loaders: every error they report (message and variant), real
//! files (MNIST, NumPy-written fixtures), and random inputs that must never panic.

mod csv;
mod fuzz;
mod idx;
mod input;
mod load;
mod npy;
mod npz;

use std::path::{Path, PathBuf};

/// Writes `bytes` to `name` in a fresh temporary directory, which lives as long as the result.
pub fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

/// The repository's `data/` directory.
pub fn repo_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The NumPy fixtures' directory.
pub fn numpy_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/numpy").join(name)
}
