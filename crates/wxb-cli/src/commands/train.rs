//! `wxb train`: data in, trained model out.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use wxb::io::{self, OptimizerState};
use wxb::layers::{ActivationLayer, BatchNormalization, DropoutConfig, LayerConfig, SpecError};
use wxb::prelude::*;
use wxb::train::{Divergence, EarlyStopping, FinalWeights, History, KeptWeights, NonFiniteIn};

use crate::checkpoint::{Checkpoint, TRAINING_KEY, TrainingState};
use crate::cli::TrainArgs;
use crate::dataset::{self, Loaded};
use crate::output;
use crate::preprocess::{self, Preprocessing, Standardization, Task};
use crate::progress::Progress;

/// Runs `wxb train`.
pub fn run(args: &TrainArgs) -> Result<()> {
    let bundled = args.data.data.is_none();
    if bundled && (args.data.labels.is_some() || args.data.target.is_some()) {
        bail!("--labels/--target need --data FILE (without --data, wxb trains on the bundled MNIST)");
    }
    // 1. The data, checked before anything is written.
    let (loaded, test) = if bundled {
        let m = dataset::bundled_mnist()?;
        let pre = dataset::mnist_preprocessing();
        (Loaded { x: m.train_images, y: Some(m.train_labels), pre }, Some((m.test_images, m.test_labels)))
    } else {
        (dataset::load_training(&args.data, args.task)?, None)
    };
    let Loaded { mut x, y, mut pre } = loaded;
    let y = y.expect("training data has targets");
    if x.rows() == 0 {
        bail!("no training samples");
    }
    // 2. The model: resumed, or built from the flags or a spec.
    let (mut model, mut past) = match &args.resume {
        Some(dir) => resume(dir, &pre)?,
        None => (build(args, &pre, bundled, &y)?, TrainingState::default()),
    };
    if args.resume.is_some() {
        pre = Preprocessing::from_metadata(&saved_metadata(args.resume.as_deref())?)?;
    } else if args.standardize {
        pre.standardize = Some(Standardization::fit(&scaled(&x, &pre)));
    }
    let raw_scale = pre.scale;
    pre.apply(&mut x);
    let batch_size = args.batch_size.unwrap_or(if bundled { 128 } else { 32 });
    if past.epochs_completed >= args.epochs {
        bail!("the resumed model has already trained {} epochs; ask for more with --epochs", past.epochs_completed);
    }
    // 3. Callbacks and training.
    let has_validation = args.validation_split > 0.0;
    let monitor = if has_validation { "val_loss" } else { "loss" };
    let mut progress = Progress::new(args.verbose);
    let mut metadata = BTreeMap::new();
    metadata.insert(preprocess::KEY.to_string(), serde_json::to_value(&pre)?);
    let mut checkpoint = Checkpoint::new(&args.out, monitor, metadata.clone(), past.clone());
    let mut early = args
        .early_stopping
        .map(|p| EarlyStopping::new().monitor(monitor).patience(p).final_weights(FinalWeights::Best));
    let mut callbacks: Vec<&mut dyn Callback> = vec![&mut progress];
    if args.checkpoint {
        callbacks.push(&mut checkpoint);
    }
    if let Some(e) = early.as_mut() {
        callbacks.push(e);
    }
    let options = FitOptions {
        epochs: args.epochs,
        initial_epoch: past.epochs_completed,
        batch_size,
        validation_split: args.validation_split,
        ..FitOptions::default()
    };
    let fitted = model.fit(&x, &y, &options, &mut callbacks);
    drop(callbacks);
    let history = match fitted {
        Ok(history) => history,
        Err(WxbError::Diverged(d)) => return diverged(&mut model, &d, args, past, metadata),
        Err(e) => return Err(e.into()),
    };
    past.extend(&history);
    // 4. Results and files.
    if let Some((tx, ty)) = &test {
        let logs = model.evaluate(tx, ty, 256)?;
        println!(
            "Test accuracy: {:.4} (loss {:.4}) on {} test digits",
            logs.get("accuracy").copied().unwrap_or(f64::NAN),
            logs["loss"],
            tx.rows()
        );
    } else if let Some(last) = past.history.epochs.last() {
        let logs: String = past
            .history
            .history
            .iter()
            .map(|(k, v)| format!(" - {k}: {}", crate::progress::format_value(v[v.len() - 1])))
            .collect();
        println!("Epoch {}{logs}", last + 1);
    }
    let _ = raw_scale;
    metadata.insert(TRAINING_KEY.to_string(), serde_json::to_value(&past)?);
    save(&mut model, &args.out, &metadata, &past.history)?;
    println!("Saved the model to {}/ (config.json, model.safetensors, history.csv, training.png)", args.out.display());
    if let Some(e) = checkpoint.error.take() {
        return Err(e.context("the model was saved, but a checkpoint could not be written"));
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
            save(model, &args.out, &metadata, &past.history)?;
            format!("saved the last good model (before this batch) to {}/", args.out.display())
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

/// `x` with only the raw scaling applied, for standardization statistics.
fn scaled(x: &Tensor, pre: &Preprocessing) -> Tensor {
    let mut s = x.clone();
    Preprocessing { standardize: None, ..pre.clone() }.apply(&mut s);
    s
}

fn saved_metadata(dir: Option<&Path>) -> Result<BTreeMap<String, serde_json::Value>> {
    let dir = dir.expect("resuming");
    Ok(io::load(dir)?.metadata)
}

fn resume(dir: &Path, pre: &Preprocessing) -> Result<(Sequential, TrainingState)> {
    let loaded = io::load(dir).with_context(|| format!("resuming from {}", dir.display()))?;
    let saved = Preprocessing::from_metadata(&loaded.metadata)?;
    if saved.feature_names.len() != pre.feature_names.len() {
        bail!(
            "{}: the model expects {} features, the data has {}",
            dir.display(),
            saved.feature_names.len(),
            pre.feature_names.len()
        );
    }
    if loaded.model.compiled().is_none() || loaded.model.optimizer().is_none() {
        bail!("{}: the model was saved without its optimizer: it cannot resume training", dir.display());
    }
    let state: TrainingState = match loaded.metadata.get(TRAINING_KEY) {
        Some(v) => serde_json::from_value(v.clone()).context("invalid training state in the model")?,
        None => TrainingState::default(),
    };
    Ok((loaded.model, state))
}

/// The output width and the default loss and metrics for the task.
fn head(pre: &Preprocessing, y: &Tensor) -> (usize, Activation, Loss, Vec<Metric>) {
    match pre.task {
        Task::Classification => {
            (pre.classes(), Activation::Softmax, Loss::SPARSE_CATEGORICAL_CROSSENTROPY, vec![Metric::Accuracy])
        }
        Task::Regression => (
            y.cols(),
            Activation::Linear,
            Loss::MeanSquaredError,
            vec![Metric::MeanAbsoluteError, Metric::MeanSquaredError],
        ),
    }
}

fn build(args: &TrainArgs, pre: &Preprocessing, bundled: bool, y: &Tensor) -> Result<Sequential> {
    let (outputs, out_activation, default_loss, default_metrics) = head(pre, y);
    let configs: Vec<LayerConfig> = match &args.spec {
        Some(spec) => read_spec(spec)?,
        None => {
            let activation: Activation = args.activation.parse()?;
            let mut configs = Vec::new();
            for units in hidden_layers(args.layers.as_deref(), bundled)? {
                if args.batch_norm {
                    configs.push(Dense::new(units).config());
                    configs.push(BatchNormalization::new().config());
                    configs.push(ActivationLayer::new(activation).config());
                } else {
                    configs.push(Dense::new(units).activation(activation).config());
                }
                if let Some(rate) = args.dropout {
                    if !(0.0..1.0).contains(&rate) {
                        bail!("--dropout {rate}: the rate must be in [0, 1)");
                    }
                    configs.push(LayerConfig::Dropout(DropoutConfig::new(rate)));
                }
            }
            configs.push(Dense::new(outputs).activation(out_activation).config());
            configs
        }
    };
    // Every value is checked (and the size bounded) before anything is allocated.
    let model = Sequential::from_configs(&[pre.feature_names.len()], args.seed, &configs, wxb::model::MAX_PARAMS);
    let mut model = match (&args.spec, model) {
        (_, Ok(m)) => m,
        (Some(spec), Err(e)) => bail!("{}: {e}", spec.display()),
        (None, Err(e)) => bail!("{e}"),
    };
    if let Some(spec) = &args.spec {
        let got: usize = model.output_shape().iter().product();
        if got != outputs {
            bail!(
                "{}: the last layer has {got} outputs, the data needs {outputs} ({})",
                spec.display(),
                match pre.task {
                    Task::Classification => "one per class",
                    Task::Regression => "one per target",
                }
            );
        }
    }
    let loss: Loss = match &args.loss {
        Some(l) => l.parse()?,
        None => default_loss,
    };
    let metrics: Vec<Metric> = match &args.metrics {
        Some(m) => m.iter().filter(|s| !s.is_empty()).map(|s| s.parse()).collect::<Result<_, _>>()?,
        None => default_metrics,
    };
    let mut optimizer = Optimizer::from_name(&args.optimizer)?;
    if let Some(lr) = args.lr {
        if !(lr.is_finite() && lr > 0.0) {
            bail!("--lr {lr}: the learning rate must be a positive number");
        }
        optimizer = optimizer.with_learning_rate(lr);
    }
    if let Some(c) = args.clipnorm {
        optimizer = optimizer.with_clipping(Clipping::Norm(c));
    }
    model.compile(optimizer, loss, &metrics);
    Ok(model)
}

fn hidden_layers(spec: Option<&[String]>, bundled: bool) -> Result<Vec<usize>> {
    let Some(spec) = spec else {
        return Ok(if bundled { vec![256, 128] } else { vec![64, 32] });
    };
    spec.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| match s.trim().parse::<usize>() {
            Ok(u) if u > 0 => Ok(u),
            _ => bail!("--layers: {s:?} is not a positive number of units"),
        })
        .collect()
}

/// A `--spec` file: a JSON list of Keras-style layer configs, or an object with a `layers` list.
fn read_spec(path: &Path) -> Result<Vec<LayerConfig>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    wxb::layers::parse_spec(&bytes).map_err(|e| match e {
        SpecError::Syntax { .. } => anyhow::anyhow!("{}:{e}", path.display()),
        e => anyhow::anyhow!("{}: {e}", path.display()),
    })
}

/// Writes the model, `history.csv` and `training.png`.
fn save(
    model: &mut Sequential,
    dir: &Path,
    metadata: &BTreeMap<String, serde_json::Value>,
    history: &History,
) -> Result<()> {
    io::save(model, dir, metadata, OptimizerState::Include)?;
    output::write_history_csv(history, &dir.join("history.csv"))?;
    crate::plot::training_curves(history, &dir.join("training.png"))
}
