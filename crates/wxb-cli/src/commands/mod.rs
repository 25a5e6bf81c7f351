//! One module per command.

pub mod demo;
pub mod evaluate;
pub mod explain;
pub mod explain_draw;
pub mod export;
pub mod predict;
pub mod summary;
pub mod train;

use std::path::Path;

use anyhow::{Result, bail};
use wxb::io;

/// Refuses a model folder that holds no model yet but a checkpoint (a `wxb train --checkpoint`
/// stopped by Ctrl-C before its final save), pointing at `checkpoints/last`; any other folder is
/// left to the loader and its errors.
pub fn check_saved(dir: &Path) -> Result<()> {
    let last = dir.join("checkpoints").join("last");
    let saved = dir.join(io::CONFIG_FILE).exists() || dir.join(io::WEIGHTS_FILE).exists();
    if !saved && last.join(io::WEIGHTS_FILE).is_file() {
        bail!(
            "{}: the model is not saved (its training stopped before the end); its last checkpoint is {}: \
             pass that folder instead",
            dir.display(),
            last.display()
        );
    }
    Ok(())
}

/// The file that gives the targets: `--labels`, else `--data`, else the bundled MNIST (for the
/// messages of errors between a model and its data, which name both).
pub fn targets_file(args: &crate::cli::DataArgs) -> String {
    match (&args.labels, &args.data) {
        (Some(file), _) | (None, Some(file)) => file.display().to_string(),
        (None, None) => "the bundled MNIST".into(),
    }
}

/// A saved model with its preprocessing ([`io::load_trained`]: a wxb folder, a Keras or ONNX
/// file), after [`check_saved`].
pub fn load_trained(path: &Path) -> Result<io::TrainedModel> {
    check_saved(path)?;
    Ok(io::load_trained(path)?)
}

/// A saved model in any format ([`io::open_model`]), after [`check_saved`].
pub fn open_model(path: &Path) -> Result<io::LoadedModel> {
    check_saved(path)?;
    Ok(io::open_model(path)?)
}
