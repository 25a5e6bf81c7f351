//! The model `wxb train` builds: its flags checked before any data is read, then the layers from
//! the flags or a `--spec` file, the loss, the metrics and the optimizer.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use wxb::data::{Schema, Task};
use wxb::layers::{ActivationLayer, BatchNormalization, DropoutConfig, LayerConfig, SpecError, parse_spec};
use wxb::model::MemoryPlan;
use wxb::prelude::*;
use wxb::train::ReduceLROnPlateau;

use crate::cli::TrainArgs;

/// Where the layers come from.
pub enum Layers {
    /// `--layers`, `--activation`, `--dropout`, `--batch-norm`.
    Flags {
        /// Hidden layer widths.
        hidden: Vec<usize>,
        /// The hidden layers' activation.
        activation: Activation,
        /// The dropout rate after each hidden layer.
        dropout: Option<f32>,
        /// Whether BatchNormalization follows each hidden Dense layer.
        batch_norm: BatchNorm,
    },
    /// `--spec FILE`: Keras-like layer configs, the output layer included.
    Spec {
        /// The file, for messages.
        path: std::path::PathBuf,
        /// Its layers.
        layers: Vec<LayerConfig>,
    },
}

/// Whether hidden Dense layers are followed by BatchNormalization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchNorm {
    /// `--batch-norm`.
    After,
    /// The default.
    None,
}

/// Everything the flags say about the model, checked.
pub struct Recipe {
    /// The layers.
    pub layers: Layers,
    /// The optimizer, its learning rate and clipping set.
    pub optimizer: Optimizer,
    /// `--loss`, else the task's default.
    pub loss: Option<Loss>,
    /// `--metrics`, else the task's default.
    pub metrics: Option<Vec<Metric>>,
}

/// Checks the numeric flags every run uses (resumed or not).
pub fn check_run_flags(args: &TrainArgs) -> Result<()> {
    if args.epochs == 0 {
        bail!("--epochs 0: train for at least one epoch");
    }
    if args.batch_size == Some(0) {
        bail!("--batch-size 0: a batch needs at least one sample");
    }
    let vs = args.validation_split;
    if !(0.0..1.0).contains(&vs) {
        bail!("--validation-split {vs}: the fraction held out must be in [0, 1)");
    }
    if args.options.split.is_some() && vs == 0.0 && args.resume.is_none() {
        bail!("--split: it chooses the rows of --validation-split F, which is not given");
    }
    args.options.check()
}

/// `--reduce-lr-on-plateau` with its factor, patience and lowest rate (Keras' defaults 0.1, 10, 0),
/// watching `monitor`; the values were checked by [`check_run_flags`].
pub fn reduce_lr_on_plateau(args: &TrainArgs, monitor: &str) -> Option<ReduceLROnPlateau> {
    let o = &args.options;
    if !o.reduce_lr_on_plateau {
        return None;
    }
    let mut plateau = ReduceLROnPlateau::new().monitor(monitor);
    if let Some(f) = o.reduce_lr_factor {
        plateau = plateau.factor(f);
    }
    if let Some(p) = o.reduce_lr_patience {
        plateau = plateau.patience(p);
    }
    if let Some(m) = o.min_lr {
        plateau = plateau.min_lr(m);
    }
    Some(plateau)
}

/// Reads and checks the model flags (and the spec file) of a new run.
pub fn recipe(args: &TrainArgs, bundled: bool) -> Result<Recipe> {
    let layers = match &args.spec {
        Some(path) => Layers::Spec { path: path.clone(), layers: read_spec(path)? },
        None => {
            if let Some(rate) = args.dropout
                && !(0.0..1.0).contains(&rate)
            {
                bail!("--dropout {rate}: the rate must be in [0, 1)");
            }
            Layers::Flags {
                hidden: hidden_layers(args.layers.as_deref(), bundled)?,
                activation: args.activation.parse().map_err(|e| anyhow!("--activation: {e}"))?,
                dropout: args.dropout.filter(|&r| r > 0.0),
                batch_norm: if args.batch_norm { BatchNorm::After } else { BatchNorm::None },
            }
        }
    };
    let mut optimizer = Optimizer::from_name(&args.optimizer).map_err(|e| anyhow!("--optimizer: {e}"))?;
    if let Some(lr) = args.lr {
        if !(lr.is_finite() && lr > 0.0) {
            bail!("--lr {lr}: the learning rate must be a positive number");
        }
        optimizer = optimizer.with_learning_rate(lr);
    }
    if let Some(c) = args.clipnorm {
        if !(c.is_finite() && c > 0.0) {
            bail!("--clipnorm {c}: the norm must be a positive number");
        }
        optimizer = optimizer.with_clipping(Clipping::Norm(c));
    }
    let optimizer = args.options.optimizer(optimizer)?;
    let loss = args.loss.as_deref().map(|l| l.parse().map_err(|e| anyhow!("--loss: {e}"))).transpose()?;
    let metrics = args
        .metrics
        .as_ref()
        .map(|m| {
            m.iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().parse().map_err(|e| anyhow!("--metrics: {e}")))
                .collect::<Result<Vec<Metric>>>()
        })
        .transpose()?;
    Ok(Recipe { layers, optimizer, loss, metrics })
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

/// A `--spec` file, read by [`wxb::layers::parse_spec`]; its errors name the file (and the line
/// and column of a JSON syntax error).
fn read_spec(path: &Path) -> Result<Vec<LayerConfig>> {
    let text = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let layers = parse_spec(&text).map_err(|e| match e {
        SpecError::Syntax { line, column, message } => {
            anyhow!("{}:{line}:{column}: invalid JSON: {message}", path.display())
        }
        e => anyhow!("{}: {e}", path.display()),
    })?;
    if layers.is_empty() {
        bail!("{}: the layer list is empty (it needs at least the output layer)", path.display());
    }
    Ok(layers)
}

/// The output width and the default loss and metrics for the task: two classes with no loss
/// asked for, or binary crossentropy asked for, give Keras' binary head (one sigmoid unit, binary
/// crossentropy, 0/1 targets with the second class in sorted order as 1, accuracy at 0.5); more
/// classes (or another loss) a softmax unit per class.
pub fn head(pre: &Schema, y: &Tensor, loss: Option<Loss>) -> (usize, Activation, Loss, Vec<Metric>) {
    match pre.task {
        Task::Classification
            if pre.classes() == 2 && loss.is_none_or(|l| matches!(l, Loss::BinaryCrossentropy { .. })) =>
        {
            (1, Activation::Sigmoid, Loss::BINARY_CROSSENTROPY, vec![Metric::Accuracy])
        }
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

/// The compiled model for data of `pre`'s features and targets `y`, trained in batches of `batch`
/// (its memory is checked against the budget before the weights are allocated), and a note to
/// print when a layer was added to the spec.
///
/// The model takes samples of [`Schema::input_shape`] (`(28, 28, 1)` for images): the flags' MLP
/// then begins with `Flatten`, as Keras' MNIST MLP does, and so does a spec whose first layer is
/// `Dense` (a Keras `Dense` there would act on the channel axis alone, which nobody means).
pub fn build(
    recipe: Recipe,
    pre: &Schema,
    y: &Tensor,
    seed: u64,
    batch: usize,
) -> Result<(Sequential, Option<String>)> {
    let (mut outputs, out_activation, mut default_loss, default_metrics) = head(pre, y, recipe.loss);
    let input = pre.input_shape();
    let flatten = input.len() > 1;
    let mut note = None;
    let configs: Vec<LayerConfig> = match &recipe.layers {
        Layers::Spec { layers, path } => {
            let mut configs = layers.clone();
            if flatten && matches!(configs.first(), Some(LayerConfig::Dense(_))) {
                configs.insert(0, Flatten::new().config());
                note = Some(format!(
                    "{}: the samples are {} arrays and the first layer is Dense: a Flatten layer was added before it",
                    path.display(),
                    shape_text(&input)
                ));
            }
            configs
        }
        Layers::Flags { hidden, activation, dropout, batch_norm } => {
            let mut configs = Vec::new();
            if flatten {
                configs.push(Flatten::new().config());
            }
            for &units in hidden {
                match batch_norm {
                    BatchNorm::After => {
                        configs.push(Dense::new(units).config());
                        configs.push(BatchNormalization::new().config());
                        configs.push(ActivationLayer::new(*activation).config());
                    }
                    BatchNorm::None => configs.push(Dense::new(units).activation(*activation).config()),
                }
                if let Some(rate) = dropout {
                    configs.push(LayerConfig::Dropout(DropoutConfig::new(*rate)));
                }
            }
            configs.push(Dense::new(outputs).activation(out_activation).config());
            configs
        }
    };
    // Every value is checked (and the size bounded) before anything is allocated.
    let batch = batch.min(y.rows());
    let budget = wxb::model::default_memory_budget();
    let built = MemoryPlan::of_configs(&input, &configs, wxb::model::MAX_PARAMS)
        .and_then(|plan| {
            let bytes = plan.training_bytes(batch, recipe.optimizer.slot_names().len());
            MemoryPlan::check(bytes, budget, "training", batch)
        })
        .and_then(|()| Sequential::from_configs(&input, seed, &configs, wxb::model::MAX_PARAMS));
    let mut model = match (&recipe.layers, built) {
        (_, Ok(m)) => m,
        // Kept typed: `main` names the flag that raises a memory budget.
        (Layers::Spec { path, .. }, Err(e)) => return Err(anyhow::Error::new(e).context(path.display().to_string())),
        (Layers::Flags { .. }, Err(e)) => return Err(e.into()),
    };
    if let Layers::Spec { path, .. } = &recipe.layers {
        let got: usize = model.output_shape().iter().product();
        if pre.task == Task::Classification && pre.classes() == 2 && got == 2 && recipe.loss.is_none() {
            // A spec ending in two units on two classes: Keras' softmax head.
            (outputs, default_loss) = (2, Loss::SPARSE_CATEGORICAL_CROSSENTROPY);
        }
        if got != outputs {
            bail!(
                "{}: the last layer has {got} outputs, the data needs {outputs} ({})",
                path.display(),
                match pre.task {
                    Task::Classification if outputs == 1 => "one sigmoid unit for two classes (or two softmax units)",
                    Task::Classification => "one per class",
                    Task::Regression => "one per target",
                }
            );
        }
    }
    let metrics = recipe.metrics.unwrap_or(default_metrics);
    let loss = recipe.loss.unwrap_or(default_loss);
    if pre.task == Task::Classification && loss.is_sparse() {
        // Class indices as targets fit only the sparse accuracy; the CLI one-hot encodes them for
        // any other loss.
        if let Some(m) = metrics.iter().find(|m| !m.resolve(1, outputs).takes_class_indices()) {
            bail!(
                "--metrics {m}: with class indices as targets (the default loss, \
                 sparse_categorical_crossentropy) only accuracy and sparse_top_k_categorical_accuracy apply; \
                 add --loss categorical_crossentropy \
                 to use {m}"
            );
        }
    }
    model.compile(recipe.optimizer, loss, &metrics);
    Ok((model, note))
}

/// A sample shape as Keras prints it: `(28, 28, 1)`.
fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    format!("({})", dims.join(", "))
}
