//! `wxb`: train, evaluate, predict and summarize dense networks from the command line.
//!
//! Every failure is one line on standard error, `error: …`, and exit status 2.

mod checkpoint;
mod cli;
mod commands;
mod dataset;
mod output;
mod plot;
mod preprocess;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` joins the context chain on one line: "outer: inner".
            let message = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    if let Some(n) = cli.threads {
        if n == 0 {
            anyhow::bail!("--threads 0: need at least one thread");
        }
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    match &cli.command {
        Command::Train(args) => commands::train::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Summary(args) => commands::summary::run(args),
    }
}
