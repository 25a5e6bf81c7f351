//! `wxb train` on a file streamed from disk (`--stream`, or a file larger than a quarter of the
//! memory budget): the library's [`StreamedData`] read in chunks through a shuffle buffer by
//! `Sequential::fit_source`, so that memory stays within the budget whatever the file's size.
//!
//! The budget is shared: a sixteenth for a chunk being read, a quarter (by default) for the
//! shuffle buffer, the rest for the model's training buffers (all checked before training).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use wxb::data::stream::{StreamOptions, StreamedData};
use wxb::data::{LoadOptions, Task};
use wxb::error::bytes_text;
use wxb::prelude::*;
use wxb::train::{BatchSource, EarlyStopping, FinalWeights, Part, Shuffle, SplitRule};

use crate::checkpoint::{Checkpoint, TRAINING_KEY, TrainingState};
use crate::cli::TrainArgs;
use crate::dataset;
use crate::distributed::Job;
use crate::progress::{Progress, Verbosity};
use crate::train_options::SplitArg;

/// Whether this run streams its data: `--stream`, or a regular data file larger than a quarter of
/// the memory budget.
pub fn chosen(args: &TrainArgs) -> Result<bool> {
    if args.stream {
        return Ok(true);
    }
    let Some(path) = &args.data.data else { return Ok(false) };
    let big = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > wxb::model::default_memory_budget() / 4);
    Ok(big && args.resume.is_none())
}

/// Refuses the flags a streamed run does not have, in one line each.
fn check_flags(args: &TrainArgs) -> Result<()> {
    let why = "streamed data (--stream, or a data file larger than a quarter of --memory-budget)";
    if args.resume.is_some() {
        bail!("--resume: training on {why} starts a new model; resume without --stream on data that fits");
    }
    if args.trace.is_some() {
        bail!("--trace is not available with {why}");
    }
    if args.options.class_weight.is_some() {
        bail!("--class-weight is not available with {why}");
    }
    if args.options.split == Some(SplitArg::Shuffled) {
        bail!("--split shuffled: {why} holds out the last rows of the file (--split last)");
    }
    if args.validation_split > 0.0 && args.options.validation_data.is_some() {
        bail!("--validation-split and --validation-data: give one");
    }
    if args.shuffle_buffer == Some(0) {
        bail!("--shuffle-buffer 0: the buffer holds at least one row");
    }
    Ok(())
}

/// Trains a new model on the streamed `--data`, validates on the last rows or on a streamed
/// `--validation-data`, and saves it as `wxb train` does.
pub fn run(args: &TrainArgs, job: &Job) -> Result<()> {
    check_flags(args)?;
    if job.collective().size() > 1 {
        bail!(
            "streamed data (--stream, or a data file larger than a quarter of --memory-budget) trains in one \
             process for now: run it without mpirun, or raise --memory-budget to load the file"
        );
    }
    let path = dataset::data_path(&args.data)?;
    let budget = wxb::model::default_memory_budget();
    let categorical = args.table.categorical.clone().unwrap_or_default();
    let load =
        LoadOptions { missing: args.table.missing(), categorical, ..dataset::options(&args.data, args.task.task()) };
    let chunk_rows = StreamOptions::chunk_rows_within(path, budget / 16).map_err(dataset::error)?;
    let options = StreamOptions {
        load,
        adapt: args.table.adapt(args.standardize),
        chunk_rows,
        validation_split: args.validation_split,
        ..StreamOptions::default()
    };
    let mut data = StreamedData::open(path, args.data.labels.as_deref(), &options).map_err(dataset::error)?;
    if let Some(v) = &args.options.validation_data {
        let other = StreamedData::for_schema(v, None, data.schema(), &options)
            .map_err(dataset::error)
            .with_context(|| format!("--validation-data {}", v.display()))?;
        data = data.with_validation(other);
    }
    let pre = data.schema().clone();
    let batch_size = args.batch_size.unwrap_or(wxb::model::DEFAULT_BATCH_SIZE);
    let recipe = super::recipe::recipe(args, false)?;
    let targets = Tensor::zeros(&[1, data.widths().1]);
    let (mut model, note) = super::recipe::build(recipe, &pre, &targets, args.seed, batch_size)?;
    let loss = model.compiled().map(|c| c.loss).context("the model has no loss")?;
    data.targets_for(loss);
    let (features, targets) = data.widths();
    let fits = usize::try_from(budget / 4 / (4 * (features + targets)).max(1) as u64).unwrap_or(usize::MAX);
    let buffer = args.shuffle_buffer.unwrap_or(fits.max(1)).min(data.rows(Part::Training).max(1));
    let quiet = args.verbose == Verbosity::Silent;
    if !quiet {
        println!("{}", task_line(&pre, args.task.task()));
        println!(
            "Streaming {} from disk: {} training rows, {} validation rows, in chunks of {chunk_rows} rows, a shuffle \
             buffer of {buffer} rows (memory budget {})",
            path.display(),
            data.rows(Part::Training),
            data.rows(Part::Validation),
            bytes_text(budget)
        );
        if let Some(note) = &note {
            println!("{note}");
        }
    }
    let validating = data.rows(Part::Validation) > 0;
    let monitor = if validating { "val_loss" } else { "loss" };
    let fit = FitOptions {
        epochs: args.epochs,
        batch_size,
        shuffle: if args.options.no_shuffle { Shuffle::Never } else { Shuffle::EveryEpoch },
        ..FitOptions::default()
    };
    let past = TrainingState {
        validation_split: args.validation_split,
        split_rule: (args.validation_split > 0.0).then_some(SplitRule::Last),
        ..TrainingState::default()
    };
    let mut progress = Progress::new(args.verbose);
    let mut metadata = BTreeMap::new();
    pre.insert_into(&mut metadata);
    let mut checkpoint =
        Checkpoint::new(&super::out_folder::side_dir(&args.out), monitor, metadata.clone(), past.clone());
    let mut early = args
        .early_stopping
        .map(|p| EarlyStopping::new().monitor(monitor).patience(p).final_weights(FinalWeights::Best));
    let mut plateau = super::recipe::reduce_lr_on_plateau(args, monitor);
    let mut callbacks: Vec<&mut dyn Callback> = vec![&mut progress];
    if args.checkpoint {
        callbacks.push(&mut checkpoint);
    }
    if let Some(e) = early.as_mut() {
        callbacks.push(e);
    }
    if let Some(p) = plateau.as_mut() {
        callbacks.push(p);
    }
    let fitted = model.fit_source(&mut data, &fit, buffer, &mut callbacks);
    drop(callbacks);
    let mut past = past;
    let history = match fitted {
        Ok(history) => history,
        Err(WxbError::Diverged(d)) => return super::diverged(&mut model, &d, args, past, metadata, true),
        Err(WxbError::BatchSource { message }) => {
            return Err(data.take_error().map_or_else(|| anyhow::anyhow!(message), dataset::error));
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("training a new model on {}", path.display()))),
    };
    past.extend(&history);
    let stopped =
        early.as_ref().and_then(|e| super::report::early_stopping(e, monitor, args.early_stopping.unwrap_or(0)));
    if let (Some(line), false) = (stopped, quiet) {
        println!("{line}");
    }
    if let (Some(line), false) =
        (super::report::saved_model(&past.history, early.as_ref().and_then(EarlyStopping::restored_epoch)), quiet)
    {
        println!("{line}");
    }
    metadata.insert(TRAINING_KEY.to_string(), serde_json::to_value(&past)?);
    let title = super::results::title(args, &model, false, None);
    super::out_folder::save(&mut model, &args.out, &metadata, &past.history, &title)?;
    if !quiet {
        println!("{}", super::out_folder::saved_line(&args.out));
    }
    if let Some(e) = checkpoint.error {
        return Err(e.context(format!(
            "the model is saved, but a checkpoint under {} could not be",
            super::out_folder::side_dir(&args.out).display()
        )));
    }
    Ok(())
}

/// What the survey decided about the target.
fn task_line(pre: &wxb::data::Schema, given: Option<Task>) -> String {
    let column = pre.target.as_deref().map_or("the labels".to_string(), |t| format!("column {t:?}"));
    let how = if given.is_some() { " (--task)" } else { "" };
    match (pre.task, pre.class_names.as_deref()) {
        (Task::Classification, Some(classes)) => {
            format!("classification: {} classes from {column}{how}", classes.len())
        }
        _ => format!("regression: {column}{how}"),
    }
}
