//! `wxb train` on a file streamed from disk (`--stream`, or a file larger than a quarter of the
//! memory budget): the library's [`StreamedData`] read in chunks through a shuffle buffer by
//! `Sequential::fit_source`, so that memory stays within the budget whatever the file's size.
//!
//! The budget is shared: a sixteenth for a chunk being read, a quarter (by default) for the
//! shuffle buffer, the rest for the model's training buffers (all checked before training).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use wxb::data::stream::{Shard, StreamOptions, StreamedData};
use wxb::data::{LoadOptions, Task};
use wxb::error::bytes_text;
use wxb::prelude::*;
use wxb::train::{BatchSource, EarlyStopping, FinalWeights, Part, Shuffle, SplitRule, all_gather_counts};

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
    if args.trace.is_some() {
        bail!("--trace is not available with {why}");
    }
    if args.options.class_weight.as_deref().is_some_and(|t| t.trim().eq_ignore_ascii_case("balanced")) {
        bail!(
            "--class-weight balanced is not available with {why}: it needs each class's rows; give the weights by \
             name (--class-weight NAME=WEIGHT,…)"
        );
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

/// Trains a new model (or, with `--resume`, the saved one from its epoch on) on the streamed
/// `--data`, validates on the last rows or on a streamed `--validation-data`, and saves it as
/// `wxb train` does. Under `mpirun`, each process reads its shard.
pub fn run(args: &TrainArgs, job: &Job) -> Result<()> {
    check_flags(args)?;
    let (collective, leads) = (job.collective(), job.leads());
    let path = dataset::data_path(&args.data)?;
    let budget = wxb::model::default_memory_budget();
    let categorical = args.table.categorical.clone().unwrap_or_default();
    let load =
        LoadOptions { missing: args.table.missing(), categorical, ..dataset::options(&args.data, args.task.task()) };
    let chunk_rows = StreamOptions::chunk_rows_within(path, budget / 16).map_err(dataset::error)?;
    let mut options = StreamOptions {
        load,
        adapt: args.table.adapt(args.standardize),
        chunk_rows,
        validation_split: args.validation_split,
        ..StreamOptions::default()
    };
    let labels = args.data.labels.as_deref();
    let resumed = args.resume.as_deref().map(|dir| super::resume(dir, args)).transpose()?;
    // Each process reads its shard; a new model's preprocessing is adapted on every shard's
    // statistics, a resumed one's is the saved one.
    let mut data = match &resumed {
        Some((_, pre, past)) => {
            if past.validation_split > 0.0 && matches!(past.split_rule, Some(SplitRule::Shuffled { .. })) {
                bail!(
                    "--resume: the model was trained holding out shuffled rows; {why} holds out the last rows: resume \
                     without --stream",
                    why = "streamed data"
                );
            }
            options.validation_split = past.validation_split;
            StreamedData::for_schema_across(path, labels, pre, &options, collective)
        }
        None => StreamedData::open_across(path, labels, &options, collective),
    }
    .map_err(dataset::error)?;
    let options = StreamOptions { shard: Shard::new(collective.rank(), collective.size()), ..options };
    if let Some(v) = &args.options.validation_data {
        let other = StreamedData::for_schema(v, None, data.schema(), &options)
            .map_err(dataset::error)
            .with_context(|| format!("--validation-data {}", v.display()))?;
        data = data.with_validation(other);
    }
    let pre = data.schema().clone();
    let batch_size = args.batch_size.unwrap_or(wxb::model::DEFAULT_BATCH_SIZE);
    let (mut model, note, past) = match resumed {
        Some((model, _, past)) => (model, None, past),
        None => {
            let recipe = super::recipe::recipe(args, false)?;
            let targets = Tensor::zeros(&[1, data.widths().1]);
            let (model, note) = super::recipe::build(recipe, &pre, &targets, args.seed, batch_size)?;
            let split_rule = (args.validation_split > 0.0).then_some(SplitRule::Last);
            (
                model,
                note,
                TrainingState { validation_split: args.validation_split, split_rule, ..TrainingState::default() },
            )
        }
    };
    let loss = model.compiled().map(|c| c.loss).context("the model has no loss")?;
    data.targets_for(loss);
    let (features, targets) = data.widths();
    let fits = usize::try_from(budget / 4 / (4 * (features + targets)).max(1) as u64).unwrap_or(usize::MAX);
    let buffer = args.shuffle_buffer.unwrap_or(fits.max(1)).min(data.rows(Part::Training).max(1));
    let quiet = args.verbose == Verbosity::Silent || !leads;
    let processes = collective.size();
    let rows = |part| all_gather_counts(collective, data.rows(part)).iter().sum::<usize>();
    let (training_rows, validation_rows) = (rows(Part::Training), rows(Part::Validation));
    if !quiet {
        println!("{}", task_line(&pre, args.task.task()));
        let each =
            if processes > 1 { format!(" on {processes} processes, each reading its shard") } else { String::new() };
        println!(
            "Streaming {} from disk{each}: {training_rows} training rows, {validation_rows} validation rows, in chunks \
             of {chunk_rows} rows, a shuffle buffer of {buffer} rows{} (memory budget {})",
            path.display(),
            if processes > 1 { " per process" } else { "" },
            bytes_text(budget)
        );
        if let Some(note) = &note {
            println!("{note}");
        }
    }
    let validating = validation_rows > 0;
    let monitor = if validating { "val_loss" } else { "loss" };
    let fit = FitOptions {
        epochs: args.epochs,
        initial_epoch: past.epochs_completed,
        batch_size,
        class_weight: args.options.class_weight(pre.class_names(), &[])?,
        shuffle: if args.options.no_shuffle { Shuffle::Never } else { Shuffle::EveryEpoch },
        ..FitOptions::default()
    };
    let mut progress = Progress::new(if leads { args.verbose } else { Verbosity::Silent });
    let mut metadata = BTreeMap::new();
    pre.insert_into(&mut metadata);
    let mut checkpoint =
        Checkpoint::new(&super::out_folder::side_dir(&args.out), monitor, metadata.clone(), past.clone());
    let mut early = args
        .early_stopping
        .map(|p| EarlyStopping::new().monitor(monitor).patience(p).final_weights(FinalWeights::Best));
    let mut plateau = super::recipe::reduce_lr_on_plateau(args, monitor);
    let mut callbacks: Vec<&mut dyn Callback> = vec![&mut progress];
    if args.checkpoint && leads {
        callbacks.push(&mut checkpoint);
    }
    if let Some(e) = early.as_mut() {
        callbacks.push(e);
    }
    if let Some(p) = plateau.as_mut() {
        callbacks.push(p);
    }
    job.say_when_stopped(&args.out, args.checkpoint);
    let fitted = model.fit_source_distributed(&mut data, &fit, buffer, &mut callbacks, collective);
    drop(callbacks);
    let mut past = past;
    let history = match fitted {
        Ok(history) => history,
        Err(WxbError::Diverged(d)) => return super::diverged(&mut model, &d, args, past, metadata, leads),
        Err(WxbError::BatchSource { message }) => {
            return Err(data.take_error().map_or_else(|| anyhow::anyhow!(message), dataset::error));
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("training a new model on {}", path.display()))),
    };
    past.extend(&history);
    // Which rows each process parsed (its survey and every pass): its shard's only.
    let read = all_gather_counts(collective, usize::try_from(data.rows_read()).unwrap_or(usize::MAX));
    if !leads {
        return Ok(());
    }
    if processes > 1 && args.verbose != Verbosity::Silent {
        let read: Vec<String> = read.iter().map(ToString::to_string).collect();
        eprintln!(
            "Trained on {processes} processes (global batch {batch_size}), each streaming its shard of {}: rows read \
             per process {}; every process ended with rank 0's weights, bit for bit (checked)",
            path.display(),
            read.join(", ")
        );
    }
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
