//! `wxb`: train, evaluate, predict and summarize dense networks from the command line.
//!
//! Every failure is one line on standard error, `error: …`, and exit status 2 (3 when training
//! diverged: see `docs/reliability.md`).

mod checkpoint;
mod cli;
mod commands;
mod dataset;
mod distributed;
mod draw;
mod explain_text;
mod formula;
mod html;
mod output;
mod plot;
mod progress;
mod table_options;
mod term;
mod trace;
mod train_options;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes away (`wxb … | head`).
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::panic::set_hook(Box::new(|info| {
        // One line, never a backtrace; the exit status stays 101, unlike input errors' 2.
        let payload = info.payload();
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("error: internal error (a bug in wxb, please report it): {}{place}", text.replace('\n', " "));
    }));
    // Under `mpirun` (the `mpi` feature), every process runs this; only rank 0 prints.
    let job = distributed::Job::start();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version; bare `wxb` and `wxb demo`: the whole help, as clap lays it out.
        Err(e)
            if (!e.use_stderr() || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
                && job.leads() =>
        {
            e.exit()
        }
        Err(e) => {
            if job.leads() {
                eprintln!("{}", clap_one_line(&e));
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(&cli, &job) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let over_budget =
                e.chain().any(|c| matches!(c.downcast_ref(), Some(wxb::WxbError::OverMemoryBudget { .. })));
            let hint = if over_budget { " (--memory-budget SIZE or WXB_MEMORY_BUDGET=SIZE)" } else { "" };
            // 3: training diverged (the last good model was saved); 2: every other failure.
            let code = if e.downcast_ref::<commands::train::Diverged>().is_some() { 3 } else { 2 };
            let collective = job.collective();
            let rank = if job.leads() {
                String::new()
            } else {
                // Rank 0 usually fails the same way: let it say so (and end the job) first.
                std::thread::sleep(std::time::Duration::from_secs(2));
                format!("rank {} of {}: ", collective.rank(), collective.size())
            };
            eprintln!("error: {rank}{}{hint}", one_line(&e));
            job.fail(code);
            ExitCode::from(code)
        }
    }
}

/// clap's message without its usage and help hints, on one line: `error: invalid value 'x' for
/// '--lr <RATE>': invalid float literal`.
fn clap_one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .collect();
    kept.join(" ")
}

/// The error and its causes on one line, "outer: inner", skipping a cause whose text the message
/// before it already contains (wxb's errors name their cause themselves).
fn one_line(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message.replace('\n', " ")
}

/// `--threads` above this many per core only adds switching between threads that wait for a core
/// (and 10,000 of them took a minute to spawn): refused.
const THREADS_PER_CORE: usize = 4;

fn run(cli: &Cli, job: &distributed::Job) -> anyhow::Result<()> {
    if let Some(n) = cli.threads {
        if n == 0 {
            anyhow::bail!("--threads 0: need at least one thread");
        }
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let most = THREADS_PER_CORE * cores;
        if n > most {
            anyhow::bail!("--threads {n}: at most {most} ({THREADS_PER_CORE} per core; this machine has {cores})");
        }
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let budget = match (cli.memory_budget, std::env::var("WXB_MEMORY_BUDGET")) {
        (Some(bytes), _) => bytes,
        (None, Ok(text)) => cli::parse_size(&text).map_err(|e| anyhow::anyhow!("WXB_MEMORY_BUDGET={e}"))?,
        (None, Err(_)) => wxb::model::DEFAULT_MEMORY_BUDGET,
    };
    wxb::model::set_default_memory_budget(budget);
    match &cli.command {
        Command::Train(args) => commands::train::run(args, job),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Summary(args) => commands::summary::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Completions(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut command, "wxb", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let man = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            man.render(&mut std::io::stdout().lock())?;
            Ok(())
        }
    }
}
