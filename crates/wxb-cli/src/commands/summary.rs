//! `wxb summary`: a saved model's layer table.

use crate::cli::SummaryArgs;
use anyhow::Result;

/// Runs `wxb summary`.
pub fn run(args: &SummaryArgs) -> Result<()> {
    let model = super::open_model(&args.model)?.model;
    print!("{}", model.summary());
    Ok(())
}
