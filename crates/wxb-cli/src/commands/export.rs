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
    Ok(())
}
