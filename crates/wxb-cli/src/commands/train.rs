//! `wxb train`: data in, trained model out.
//!
//! Everything that can be wrong with the flags, the data, the `--out` folder or a model to resume
//! is found before the first file is written; the model folder is written only once training has finished (and, with
//! `--checkpoint`, its `checkpoints/` after each epoch).

mod out_folder;
mod recipe;
mod report;
mod results;
mod schema_table;
mod stream;
mod validation;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use wxb::data::{Dataset, Schema, Targets, fit_to_schema, mnist};
use wxb::prelude::*;
use wxb::train::{Divergence, EarlyStopping, FinalWeights, KeptWeights, NonFiniteIn, Shuffle, SplitRule};

use crate::checkpoint::{Checkpoint, TRAINING_KEY, TrainingState};
use crate::cli::TrainArgs;
use crate::dataset;
use crate::distributed::Job;
use crate::progress::{Progress, Verbosity};

/// The data of a run, ready for `fit`, and the bundled test set when training on MNIST.
struct Prepared {
    x: Tensor,
    y: Tensor,
    pre: Schema,
    test: Option<(Tensor, Tensor)>,
    /// The leading rows trained on (the validation rows of a split follow them).
    training_rows: usize,
    /// What a new run says about its data before training: the task, a table's schema.
    said: String,
}

/// Runs `wxb train` as one process of `job` (see `distributed`): every process trains, rank 0
/// alone prints, checkpoints and saves.
pub fn run(args: &TrainArgs, job: &Job) -> Result<()> {
    let leads = job.leads();
    let bundled = args.data.data.is_none();
    if bundled && (args.data.labels.is_some() || args.data.target.is_some() || args.data.features.is_some()) {
        bail!("--labels, --target and --features need --data FILE (without --data, wxb trains on the bundled MNIST)");
    }
    recipe::check_run_flags(args)?;
    if args.resume.is_some() {
        args.options.check_resume()?;
    }
    out_folder::check_target(&args.out, leads)?;
    let side = out_folder::side_dir(&args.out);
    if !bundled && stream::chosen(args)? {
        return stream::run(args, job);
    }
    let batch_size =
        args.batch_size.unwrap_or(if bundled { mnist::BATCH_SIZE } else { wxb::model::DEFAULT_BATCH_SIZE });
    // 1. The model to resume, or the recipe of a new one; then the data. Nothing is written yet.
    let mut added = None;
    let (mut model, data, mut past) = match &args.resume {
        Some(dir) => {
            let (model, pre, past) = resume(dir, args)?;
            let mut data = prepare_for(&pre, args, bundled)?;
            let rule = past.split_rule.unwrap_or(SplitRule::Last);
            data.training_rows =
                validation::hold_out(&mut data.x, &mut data.y, &data.pre, past.validation_split, rule)?;
            (model, data, past)
        }
        None => {
            let recipe = recipe::recipe(args, bundled)?;
            let data = prepare_new(args, bundled)?;
            let (model, note) = recipe::build(recipe, &data.pre, &data.y, args.seed, batch_size)?;
            added = note;
            let split_rule = (args.validation_split > 0.0).then(|| validation::rule(args));
            (
                model,
                data,
                TrainingState { validation_split: args.validation_split, split_rule, ..TrainingState::default() },
            )
        }
    };
    let Prepared { x, y, pre, test, training_rows, said } = data;
    // The data is read flat; the model takes samples of its input shape (images as (28, 28, 1)).
    let input = model.input_shape().to_vec();
    let x = x.with_sample_shape(&input);
    let quiet = args.verbose == Verbosity::Silent || !leads;
    let loss = model.compiled().map(|c| c.loss).context("the model has no loss")?;
    let training_ids = validation::class_ids(&pre, &y).map(|ids| ids[..training_rows].to_vec()).unwrap_or_default();
    let class_weight = args.options.class_weight(pre.class_names(), &training_ids)?;
    let y = pre.targets_for(loss, y);
    let test = test.map(|(tx, ty)| (tx.with_sample_shape(&input), pre.targets_for(loss, ty)));
    let validation_data = validation::validation_data(args, &pre)?
        .map(|(vx, vy)| (vx.with_sample_shape(&input), pre.targets_for(loss, vy)));
    // 2. Callbacks and training.
    let monitor = if past.validation_split > 0.0 || validation_data.is_some() { "val_loss" } else { "loss" };
    let options = FitOptions {
        epochs: args.epochs,
        initial_epoch: past.epochs_completed,
        batch_size,
        validation_split: past.validation_split,
        validation_data,
        class_weight,
        shuffle: if args.options.no_shuffle { Shuffle::Never } else { Shuffle::EveryEpoch },
        ..FitOptions::default()
    };
    options.training_rows(x.rows())?;
    let mut plateau = recipe::reduce_lr_on_plateau(args, monitor);
    let mut progress = Progress::new(if leads { args.verbose } else { Verbosity::Silent });
    let mut metadata = BTreeMap::new();
    pre.insert_into(&mut metadata);
    let mut checkpoint = Checkpoint::new(&side, monitor, metadata.clone(), past.clone());
    let mut early = args
        .early_stopping
        .map(|p| EarlyStopping::new().monitor(monitor).patience(p).final_weights(FinalWeights::Best));
    let mut trace = args
        .trace
        .as_deref()
        .filter(|_| leads)
        .map(|spec| crate::trace::Trace::new(spec, &model, &side))
        .transpose()?;
    let mut callbacks: Vec<&mut dyn Callback> = vec![&mut progress];
    if let Some(t) = trace.as_mut() {
        callbacks.push(t);
    }
    if args.checkpoint && leads {
        callbacks.push(&mut checkpoint);
    }
    if let Some(e) = early.as_mut() {
        callbacks.push(e);
    }
    if let Some(p) = plateau.as_mut() {
        callbacks.push(p);
    }
    // Every flag and file is checked: what was read and built can be said (status: stderr).
    if !quiet {
        eprint!("{said}");
        if let Some(note) = &added {
            eprintln!("{note}");
        }
    }
    if let (Some(line), false) = (report::binary_head(&pre, &model), quiet || args.resume.is_some()) {
        eprintln!("{line}");
    }
    job.say_when_stopped(&side, args.checkpoint);
    let fitted = model.fit_distributed(&x, &y, &options, &mut callbacks, job.collective());
    drop(callbacks);
    if let Some(t) = &trace {
        t.finish()?;
    }
    let history = match fitted {
        Ok(history) => history,
        Err(WxbError::Diverged(d)) => return diverged(&mut model, &d, args, past, metadata, leads),
        Err(e) => {
            let model = args.resume.as_ref().map_or("a new model".into(), |m| format!("the model {}", m.display()));
            let data = super::targets_file(&args.data);
            return Err(anyhow::Error::new(e).context(format!("training {model} on {data}")));
        }
    };
    past.extend(&history);
    if !leads {
        return Ok(());
    }
    let processes = job.collective().size();
    if processes > 1 && !quiet {
        eprintln!(
            "Trained on {processes} processes (global batch {batch_size}); every process ended with rank 0's weights, \
             bit for bit (checked)"
        );
    }
    // 3. Results (standard output: text, or one JSON object with --json) and files.
    let stopped = early.as_ref().and_then(|e| report::early_stopping(e, monitor, args.early_stopping.unwrap_or(0)));
    if let (Some(line), false) = (stopped, quiet) {
        eprintln!("{line}");
    }
    let test = match &test {
        Some((tx, ty)) => Some((model.evaluate(tx, ty, 256)?, tx.rows())),
        None => None,
    };
    let kept = early.as_ref().and_then(EarlyStopping::restored_epoch);
    let results = results::Results { out: &args.out, history: &past.history, kept, test: test.as_ref() };
    metadata.insert(TRAINING_KEY.to_string(), serde_json::to_value(&past)?);
    let title = results::title(args, &model, bundled, test.as_ref());
    out_folder::save(&mut model, &args.out, &metadata, &past.history, &title)?;
    results.print(args.json);
    // Status, whatever the verbosity: where the files are.
    eprintln!("{}", out_folder::saved_line(&args.out));
    if let Some(e) = checkpoint.error {
        return Err(e.context(format!("the model is saved, but a checkpoint under {} could not be", side.display())));
    }
    Ok(())
}

/// Training diverged: save the last good model (unless the bad step already overwrote it) and
/// fail with exit code 3 (see [`Diverged`]).
fn diverged(
    model: &mut Sequential,
    d: &Divergence,
    args: &TrainArgs,
    mut past: TrainingState,
    mut metadata: BTreeMap<String, serde_json::Value>,
    leads: bool,
) -> Result<()> {
    let mut place = d.found.describe().to_string();
    if let Some((i, name)) = &d.layer {
        place.push_str(&format!(" layer {i} {name:?}"));
    }
    if let Some(v) = d.variable {
        place.push_str(&format!(" ({v})"));
    }
    let kept = match d.weights {
        KeptWeights::BeforeBadStep => {
            past.extend(&d.history);
            metadata.insert(TRAINING_KEY.to_string(), serde_json::to_value(&past)?);
            if leads {
                let title = results::title(args, model, args.data.data.is_none(), None);
                out_folder::save(model, &args.out, &metadata, &past.history, &title)?;
            }
            format!("saved the last good model (before this batch) to {}", out_folder::shown(&args.out))
        }
        _ => "the weights were damaged by this step and were not saved: resume from a checkpoint".to_string(),
    };
    let advice = match d.found {
        NonFiniteIn::Inputs | NonFiniteIn::Targets => "remove the NaN/infinite values from the data".to_string(),
        _ => format!(
            "try a lower learning rate (--lr {:e}) or gradient clipping (--clipnorm 1.0)",
            d.suggested_learning_rate()
        ),
    };
    Err(anyhow::Error::new(Diverged(format!(
        "training diverged at epoch {}, batch {}/{} (learning rate {:e}, loss {}): the first NaN/infinite value \
         appeared in {place}; {kept}; {advice}",
        d.epoch + 1,
        d.batch + 1,
        d.steps,
        d.learning_rate,
        d.loss
    ))))
}

/// The error of a diverged training run; `wxb` exits with code 3 for it.
#[derive(Debug)]
pub struct Diverged(pub String);

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Diverged {}

/// The data of a new run: read, its task decided (and said, with a table's schema), its
/// preprocessing adapted on the training samples (the validation samples held out by
/// `--validation-split` excluded) and applied to every sample.
fn prepare_new(args: &TrainArgs, bundled: bool) -> Result<Prepared> {
    if bundled {
        let m = mnist::bundled().context("the bundled MNIST data is damaged")?;
        let Dataset { mut features, mut targets, schema } = m.train_dataset();
        let rule = validation::rule(args);
        let training_rows = validation::hold_out(&mut features, &mut targets, &schema, args.validation_split, rule)?;
        let test = Some((m.test_images, m.test_labels));
        return Ok(Prepared { x: features, y: targets, pre: schema, test, training_rows, said: String::new() });
    }
    let raw = dataset::load_training(&args.data, args.task.task(), &args.table)?;
    let said = schema_table::describe(&raw, args.task.task());
    // The rows are chosen, the preprocessing adapted on the training rows only, then the
    // validation rows moved to the end (where `fit` holds them out).
    let rule = validation::rule(args);
    let n = raw.rows();
    let split = validation::choose(n, &raw.targets, &raw.schema, args.validation_split, rule)?;
    let training: Vec<usize> = split.as_ref().map_or_else(|| (0..n).collect(), |(t, _)| t.clone());
    let Dataset { mut features, mut targets, schema } = raw.adapt(&training, &args.table.adapt(args.standardize));
    if let Some(order) = split.as_ref().and_then(|(t, v)| validation::order(t, v, rule)) {
        features = features.gather_rows(&order);
        targets = targets.gather_rows(&order);
    }
    Ok(Prepared { x: features, y: targets, pre: schema, test: None, training_rows: training.len(), said })
}

/// The data of a resumed run, read the way the model read its training data.
fn prepare_for(pre: &Schema, args: &TrainArgs, bundled: bool) -> Result<Prepared> {
    if bundled {
        let m = mnist::bundled().context("the bundled MNIST data is damaged")?;
        let name = Path::new("the bundled MNIST");
        let (x, y) = fit_to_schema(m.train_images, Some(m.train_labels), pre, name, name)?;
        let (tx, ty) = fit_to_schema(m.test_images, Some(m.test_labels), pre, name, name)?;
        let (y, ty) = (y.context("MNIST has labels")?, ty.context("MNIST has labels")?);
        let training_rows = x.rows();
        return Ok(Prepared { x, y, pre: pre.clone(), test: Some((tx, ty)), training_rows, said: String::new() });
    }
    let (x, y) = dataset::load_for_model(&args.data, pre, Targets::Required)?;
    let y = y.context("the training data has no targets")?;
    Ok(Prepared { training_rows: x.rows(), x, y, pre: pre.clone(), test: None, said: String::new() })
}

/// A model saved with its optimizer state, its preprocessing and how far it has trained. The run
/// holds out the rows the model's first run held out (`--validation-split`, saved with the
/// training state): a different split is refused, none given means the saved one.
fn resume(dir: &Path, args: &TrainArgs) -> Result<(Sequential, Schema, TrainingState)> {
    let epochs = args.epochs;
    let loaded = super::load_trained(dir).with_context(|| format!("resuming from {}", dir.display()))?;
    let mut state: TrainingState = match loaded.metadata.get(TRAINING_KEY) {
        Some(v) => serde_json::from_value(v.clone())
            .with_context(|| format!("{}: invalid training state in config.json", dir.display()))?,
        None => TrainingState::default(),
    };
    let steps = loaded.model.optimizer().map(Optimizer::iterations);
    if steps.is_none() || (steps == Some(0) && state.epochs_completed > 0) {
        bail!(
            "{}: the model was saved without its optimizer state, so training cannot resume exactly; \
             train a new model, or resume from a folder written by `wxb train` (or its checkpoints/last)",
            dir.display()
        );
    }
    let given = args.validation_split;
    if given > 0.0 && state.validation_split > 0.0 && given != state.validation_split {
        bail!(
            "--validation-split {given}: {} was trained holding out {} of the rows; resume with the same split \
             (or without the flag)",
            dir.display(),
            state.validation_split
        );
    }
    if given > 0.0 && state.validation_split == 0.0 {
        state.validation_split = given;
        state.split_rule = Some(validation::rule(args));
    }
    let saved = state.split_rule.unwrap_or(SplitRule::Last);
    if let Some(asked) = args.options.split
        && state.validation_split > 0.0
        && (asked == crate::train_options::SplitArg::Last) != (saved == SplitRule::Last)
    {
        bail!(
            "--split {}: {} was trained holding out {} rows; resume with the same rule (or without the flag)",
            if asked == crate::train_options::SplitArg::Last { "last" } else { "shuffled" },
            dir.display(),
            if saved == SplitRule::Last { "the last" } else { "shuffled" }
        );
    }
    if state.epochs_completed >= epochs {
        bail!(
            "{}: the model has already trained {} epochs; --epochs is the total, pass more than {}",
            dir.display(),
            state.epochs_completed,
            state.epochs_completed
        );
    }
    Ok((loaded.model, loaded.schema, state))
}
