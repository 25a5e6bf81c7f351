//! `wxb export`: a model, in any format wxb reads, written as a Keras `.keras` or `.h5` file or an
//! ONNX file, the format chosen by the output's extension.

use anyhow::{Result, bail};
use wxb::io::{self, ModelFormat, OptimizerState};

use crate::cli::ExportArgs;

/// Runs `wxb export`.
pub fn run(args: &ExportArgs) -> Result<()> {
    let Some(format) = ModelFormat::from_extension(&args.out) else {
        bail!("{}: unknown model file extension: name a .keras, .h5 or .onnx file", args.out.display());
    };
    let mut loaded = super::open_model(&args.model)?;
    io::save_as(&mut loaded, &args.out, format, OptimizerState::Include)?;
    eprintln!("Wrote {} as {format}", args.out.display());
    let trained = loaded.model.optimizer().is_some_and(|o| o.iterations() > 0);
    if format == ModelFormat::KerasH5 && trained {
        // Status (stderr): the legacy format, in Keras too, has no place for it.
        eprintln!(
            "note: {} keeps no optimizer state (Keras' legacy .h5 format); a .keras file keeps it",
            args.out.display()
        );
    }
    Ok(())
}
