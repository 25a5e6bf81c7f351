//! `wxb summary`: a saved model's layer table.

use anyhow::Result;
use wxb::io;

use crate::cli::SummaryArgs;

/// Runs `wxb summary`.
pub fn run(args: &SummaryArgs) -> Result<()> {
    super::check_saved(&args.model)?;
    let model = io::load(&args.model)?.model;
    print!("{}", model.summary());
    Ok(())
}
