//! The data flags (`--data`, `--labels`, `--target`, `--features`, `--allow-nonfinite`,
//! `--delimiter`; for training `--missing-values`) turned
//! into the library's [`LoadOptions`], and data errors said in the command line's words (the flag
//! that would help is named). Reading, task choice, label mapping and standardization are the
//! library's: [`wxb::data`].

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use wxb::Tensor;
use wxb::data::csv::{FeatureColumns, NonFinite, TargetColumn};
use wxb::data::table::CellProblem;
use wxb::data::{self, DataError, LoadOptions, RawDataset, Schema, Targets, Task, mnist};

use crate::cli::DataArgs;
use crate::table_options::TableArgs;

/// `--data FILE`.
pub fn data_path(args: &DataArgs) -> Result<&PathBuf> {
    args.data.as_ref().ok_or_else(|| anyhow!("--data FILE is required"))
}

/// The flags as load options.
pub fn options(args: &DataArgs, task: Option<Task>) -> LoadOptions {
    LoadOptions {
        target: match &args.target {
            Some(t) => t.parse::<usize>().map_or_else(|_| TargetColumn::Name(t.clone()), TargetColumn::Index),
            None => TargetColumn::Last,
        },
        features: args.features.clone().map_or(FeatureColumns::Rest, FeatureColumns::Names),
        task,
        non_finite: non_finite(args),
        delimiter: args.delimiter,
        ..LoadOptions::default()
    }
}

/// `--allow-nonfinite`.
pub fn non_finite(args: &DataArgs) -> NonFinite {
    if args.allow_nonfinite { NonFinite::Allow } else { NonFinite::Reject }
}

/// Training data from `--data` (and `--labels`), raw (to be adapted on the training rows), its
/// task decided (`None`: from the data); a table read as `table` says (missing markers,
/// categorical columns).
pub fn load_training(args: &DataArgs, task: Option<Task>, table: &TableArgs) -> Result<RawDataset> {
    let path = data_path(args)?;
    let categorical = table.categorical.clone().unwrap_or_default();
    let o = LoadOptions { missing: table.missing(), categorical, ..options(args, task) };
    data::load_raw(path, args.labels.as_deref(), &o).map_err(|e| match e {
        DataError::NoLabels { path } => anyhow!("{}: training needs labels: pass --labels FILE", path.display()),
        e => error(e),
    })
}

/// What the messages call the bundled MNIST's test digits (the data of `evaluate`, `predict` and
/// `explain` without `--data`).
pub const BUNDLED_TEST: &str = "the bundled MNIST test digits";

/// Whether a model of `schema` takes MNIST digits: 28×28 images, classes 0 to 9 (a model
/// trained on the bundled MNIST, or on MNIST's own IDX files).
pub fn takes_mnist(schema: &Schema) -> bool {
    let digits: Vec<String> = (0..mnist::CLASSES).map(|d| d.to_string()).collect();
    schema.image_shape.as_deref() == Some(&[28, 28]) && schema.class_names.as_deref() == Some(&digits[..])
}

/// The bundled MNIST's 2,000 test digits and their labels, for a model that takes MNIST digits;
/// otherwise the error asks for `--data`.
fn bundled_test(args: &DataArgs, schema: &Schema) -> Result<(Tensor, Option<Tensor>)> {
    if args.labels.is_some() || args.target.is_some() || args.features.is_some() {
        bail!("--labels, --target and --features need --data FILE");
    }
    if !takes_mnist(schema) {
        bail!("--data FILE is required (only a model trained on the bundled MNIST has a default: its test digits)");
    }
    let m = mnist::bundled().context("the bundled MNIST data is damaged")?;
    let name = Path::new(BUNDLED_TEST);
    Ok(data::fit_to_schema(m.test_images, Some(m.test_labels), schema, name, name)?)
}

/// Data for a saved model of `schema`: its features, prepared as in training, and (when
/// required) its targets as the model's class indices. Without `--data`, the bundled MNIST's test
/// digits for a model that takes MNIST digits.
pub fn load_for_model(args: &DataArgs, schema: &Schema, targets: Targets) -> Result<(Tensor, Option<Tensor>)> {
    let Some(path) = &args.data else { return bundled_test(args, schema) };
    data::load_for_model(path, args.labels.as_deref(), schema, &options(args, None), targets).map_err(|e| match e {
        DataError::NoLabels { path } => {
            anyhow!("{}: no targets: pass --labels FILE (or use a .npz with an array y)", path.display())
        }
        e => error(e),
    })
}

/// For a model file that names no inputs (Keras, ONNX: `x0, x1, …`), the schema of `--data`'s
/// columns taken in order as its inputs ([`data::bind_positional`]), said on standard error;
/// any other model's schema as it is.
pub fn bind(args: &DataArgs, schema: Schema, model: &Path, targets: Targets) -> Result<Schema> {
    let Some(path) = &args.data else { return Ok(schema) };
    let Some(bound) = data::bind_positional(path, &schema, &options(args, None), targets).map_err(error)? else {
        return Ok(schema);
    };
    let b = &bound.schema;
    let n = b.feature_names.len();
    let target = b.target.as_ref().map(|t| format!(", the target {t:?}")).unwrap_or_default();
    let classes = match (&b.class_names, bound.classes_from_labels) {
        (Some(c), true) => format!("; its labels {} are the outputs 0–{} (sorted)", c.join(", "), c.len() - 1),
        _ => String::new(),
    };
    eprintln!(
        "{} names no inputs: {}'s columns {} are its inputs x0–x{}, in order{target}{classes}",
        model.display(),
        path.display(),
        b.feature_names.join(", "),
        n - 1
    );
    Ok(bound.schema)
}

/// A data error in the command line's words: the flag that accepts non-finite values is named.
pub fn error(e: DataError) -> anyhow::Error {
    match e {
        DataError::NonFinite { path, line, column, value } => anyhow!(
            "{}:{line}: column {column:?}: {value:?} is not a finite number (pass --allow-nonfinite to accept it)",
            path.display()
        ),
        e @ DataError::OutOfRange { .. } => anyhow!("{e} (pass --allow-nonfinite to read it as infinity)"),
        e @ DataError::NonFiniteElement { .. } => anyhow!("{e} (pass --allow-nonfinite to accept it)"),
        e @ DataError::TooManyClasses { .. } => anyhow!("{e} (--task regression)"),
        DataError::Problems { ref problems, .. } => {
            let mut hints = Vec::new();
            if problems.iter().any(|p| matches!(p, CellProblem::NotANumber { .. })) {
                hints.push("declare missing-value markers with --missing-values");
            }
            if problems.iter().any(|p| matches!(p, CellProblem::NonFinite { .. } | CellProblem::OutOfRange { .. })) {
                hints.push("pass --allow-nonfinite to accept non-finite numbers");
            }
            if hints.is_empty() { e.into() } else { anyhow!("{e} ({})", hints.join("; ")) }
        }
        e => e.into(),
    }
}

/// Whether `path` holds CSV text (by its name, else by its first bytes; a pipe is not read here,
/// so that its one read is the data's).
pub fn is_csv(path: &Path) -> Result<bool> {
    Ok(data::detect(path)? == data::Format::Csv)
}
