//! Reading the user's data (CSV, IDX, NumPy, or the bundled MNIST) into tensors, for training and
//! for a saved model.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use wxb::Tensor;
use wxb::data::csv::{self as csvdata, CsvOptions, FeatureColumns, NonFinite, Target, TargetColumn};
use wxb::data::{DataError, ElemType, idx, mnist::Mnist, npy, npz};

use crate::cli::{DataArgs, TaskArg};
use crate::preprocess::{InputFormat, Preprocessing, Task};

mod labels;

use labels::{check_labels, decide_task, map_classes};

/// Labels with at most this many distinct integer values count as classes under `--task auto`.
pub const AUTO_MAX_CLASSES: usize = csvdata::AUTO_MAX_CLASSES;

/// The bundled MNIST-10k (8,000 training and 2,000 test digits), compiled into the binary.
pub fn bundled_mnist() -> Result<Mnist> {
    Mnist::from_bytes(
        include_bytes!("../../../data/mnist-10k-train-images-idx3-ubyte.gz"),
        include_bytes!("../../../data/mnist-10k-train-labels-idx1-ubyte.gz"),
        include_bytes!("../../../data/mnist-10k-test-images-idx3-ubyte.gz"),
        include_bytes!("../../../data/mnist-10k-test-labels-idx1-ubyte.gz"),
    )
    .context("the bundled MNIST data is damaged")
}

/// Preprocessing for the bundled MNIST: 784 pixels scaled already, ten digit classes.
pub fn mnist_preprocessing() -> Preprocessing {
    Preprocessing {
        format: InputFormat::Idx,
        feature_names: pixel_names(28, 28),
        image_shape: Some(vec![28, 28]),
        scale: 1.0,
        standardize: None,
        task: Task::Classification,
        target: None,
        class_names: Some((0..10).map(|d| d.to_string()).collect()),
    }
}

fn pixel_names(rows: usize, cols: usize) -> Vec<String> {
    (0..rows * cols).map(|i| format!("pixel[{},{}]", i / cols, i % cols)).collect()
}

/// A data file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Idx,
    Npy,
    Npz,
}

/// The format from the extension, else from the first bytes (IDX magic, gzip, NumPy, zip).
fn detect(path: &Path) -> Result<Format> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    if stem.ends_with(".csv") || stem.ends_with(".tsv") || stem.ends_with(".txt") {
        return Ok(Format::Csv);
    }
    if stem.ends_with(".npy") {
        return Ok(Format::Npy);
    }
    if stem.ends_with(".npz") {
        return Ok(Format::Npz);
    }
    if stem.contains("idx") || stem.ends_with("ubyte") {
        return Ok(Format::Idx);
    }
    let mut head = [0u8; 6];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .with_context(|| format!("{}", path.display()))?;
    Ok(match &head[..n] {
        [0x93, b'N', b'U', b'M', b'P', b'Y'] => Format::Npy,
        [b'P', b'K', ..] => Format::Npz,
        [0x1f, 0x8b, ..] | [0, 0, 0x08..=0x0e, _, ..] => Format::Idx,
        _ => Format::Csv,
    })
}

/// Whether `path` holds CSV text (by its name, else by its first bytes).
pub fn is_csv(path: &Path) -> Result<bool> {
    Ok(detect(path)? == Format::Csv)
}

/// Inputs, targets and how they were read.
pub struct Loaded {
    /// Raw features `[n, features]` (scaling not yet applied for arrays; see `pre.scale`).
    pub x: Tensor,
    /// Targets: class indices `[n, 1]` or values `[n, outputs]`.
    pub y: Option<Tensor>,
    /// How to read such data again (standardization is added by `train`).
    pub pre: Preprocessing,
}

fn csv_options(args: &DataArgs) -> CsvOptions {
    let mut o = CsvOptions::default();
    if let Some(t) = &args.target {
        o.target = match t.parse::<usize>() {
            Ok(i) => TargetColumn::Index(i),
            Err(_) => TargetColumn::Name(t.clone()),
        };
    }
    if let Some(f) = &args.features {
        o.features = FeatureColumns::Names(f.clone());
    }
    o.non_finite = non_finite(args);
    o
}

/// A data error in the command line's words: the flag that accepts non-finite values is named.
fn data_error(e: DataError) -> anyhow::Error {
    match e {
        DataError::NonFinite { path, line, column, value } => anyhow!(
            "{}:{line}: column {column:?}: {value:?} is not a finite number (pass --allow-nonfinite to accept it)",
            path.display()
        ),
        DataError::OutOfRange { path, line, column, value } => anyhow!(
            "{}:{line}: column {column:?}: {value:?} is too large for a 32-bit float \
             (pass --allow-nonfinite to read it as infinity)",
            path.display()
        ),
        e => e.into(),
    }
}

/// Refuses NaN and infinities in an array unless `--allow-nonfinite`.
fn check_finite(t: &Tensor, name: &Path, what: &str, non_finite: NonFinite) -> Result<()> {
    if non_finite == NonFinite::Allow {
        return Ok(());
    }
    if let Some(i) = t.data().iter().position(|v| !v.is_finite()) {
        let k = t.cols().max(1);
        bail!(
            "{}: {what} {}, column {}: {} is not a finite number (pass --allow-nonfinite to accept it)",
            name.display(),
            i / k,
            i % k,
            t.data()[i]
        );
    }
    Ok(())
}

fn non_finite(args: &DataArgs) -> NonFinite {
    if args.allow_nonfinite { NonFinite::Allow } else { NonFinite::Reject }
}

fn data_path(args: &DataArgs) -> Result<&PathBuf> {
    args.data.as_ref().ok_or_else(|| anyhow!("--data FILE is required"))
}

/// Training data from `--data` (and `--labels`), its task decided.
pub fn load_training(args: &DataArgs, task: TaskArg) -> Result<Loaded> {
    let path = data_path(args)?;
    match detect(path)? {
        Format::Csv => {
            let mut o = csv_options(args);
            o.task = match task {
                TaskArg::Auto => csvdata::Task::Auto,
                TaskArg::Classification => csvdata::Task::Classification,
                TaskArg::Regression => csvdata::Task::Regression,
            };
            let table = csvdata::read(path, &o).map_err(data_error)?;
            let target = table.target.ok_or_else(|| anyhow!("{}: no target column", path.display()))?;
            let (task, class_names) = match &target {
                Target::Classes { classes, .. } => (Task::Classification, Some(classes.clone())),
                Target::Values { .. } => (Task::Regression, None),
                _ => bail!("{}: unsupported target column", path.display()),
            };
            Ok(Loaded {
                x: table.features,
                y: Some(target.tensor().clone()),
                pre: Preprocessing {
                    format: InputFormat::Csv,
                    feature_names: table.feature_names,
                    image_shape: None,
                    scale: 1.0,
                    standardize: None,
                    task,
                    target: Some(target.name().to_string()),
                    class_names,
                },
            })
        }
        format => {
            let Arrays { x, scale, image_shape, y: labels } =
                read_arrays(path, format, args.labels.as_deref(), non_finite(args))?;
            let y = labels.ok_or_else(|| anyhow!("{}: training needs labels: pass --labels FILE", path.display()))?;
            let (task, class_names) = decide_task(&y, task, &args.labels_name(path))?;
            let feature_names = match &image_shape {
                Some(s) => pixel_names(s[0], s[1]),
                None => (0..x.cols()).map(|i| format!("x[{i}]")).collect(),
            };
            let format = if format == Format::Idx { InputFormat::Idx } else { InputFormat::Npy };
            let pre = Preprocessing {
                format,
                feature_names,
                image_shape,
                scale,
                standardize: None,
                task,
                target: None,
                class_names,
            };
            Ok(Loaded { x, y: Some(y), pre })
        }
    }
}

impl DataArgs {
    /// The file that holds the labels, for messages.
    fn labels_name(&self, data: &Path) -> String {
        self.labels.as_deref().unwrap_or(data).display().to_string()
    }
}

/// Arrays read from IDX or NumPy files.
struct Arrays {
    /// Features `[n, k]` (flattened), raw.
    x: Tensor,
    /// The scale the file's element type implies (1/255 for bytes).
    scale: f32,
    /// The shape of one image, for `[n, rows, cols]` data.
    image_shape: Option<Vec<usize>>,
    /// Labels as `[n, columns]`, if given.
    y: Option<Tensor>,
}

/// Reads `path` (and `labels`) as arrays, checked for non-finite values and matching lengths.
fn read_arrays(path: &Path, format: Format, labels: Option<&Path>, non_finite: NonFinite) -> Result<Arrays> {
    let (x, scale, y) = match format {
        Format::Idx => {
            let a = idx::read(path)?;
            let scale = if a.dtype == ElemType::U8 { 1.0 / 255.0 } else { 1.0 };
            (a.tensor, scale, labels.map(|l| idx::read(l).map(|a| a.tensor)).transpose()?)
        }
        Format::Npy => (npy::read(path)?, 1.0, labels.map(npy::read).transpose()?),
        Format::Npz => {
            let mut z = npz::read(path, &npz::NpzOptions::default())?;
            let x = z
                .take("x")
                .ok_or_else(|| anyhow!("{}: no array named \"x\" (found: {})", path.display(), z.names().join(", ")))?;
            (x, 1.0, z.take("y"))
        }
        Format::Csv => unreachable!("CSV is read as a table"),
    };
    if x.rank() == 0 || x.is_empty() {
        bail!("{}: no samples: the array has shape {:?}", path.display(), x.shape());
    }
    let image_shape = (x.rank() == 3).then(|| x.shape()[1..].to_vec());
    let x = if x.rank() == 1 { x.clone().reshape(&[x.len(), 1]) } else { x.clone().reshape(&[x.rows(), x.cols()]) };
    let y =
        y.map(
            |y| if y.rank() <= 1 { y.clone().reshape(&[y.len(), 1]) } else { y.clone().reshape(&[y.rows(), y.cols()]) },
        );
    check_finite(&x, path, "sample", non_finite)?;
    if let Some(y) = &y {
        check_finite(y, labels.unwrap_or(path), "label", non_finite)?;
        if y.rows() != x.rows() {
            bail!(
                "{}: {} labels for {} samples in {}",
                labels.unwrap_or(path).display(),
                y.rows(),
                x.rows(),
                path.display()
            );
        }
    }
    Ok(Arrays { x, scale, image_shape, y })
}

/// What evaluate/predict need from the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// The targets must be present (evaluate).
    Required,
    /// The targets are not read (predict).
    Ignored,
}

/// Data for a saved model: the same features in the same order, scaled and standardized as in
/// training, and the targets mapped to the model's classes.
pub fn load_for_model(args: &DataArgs, pre: &Preprocessing, targets: Targets) -> Result<(Tensor, Option<Tensor>)> {
    let path = data_path(args)?;
    let format = detect(path)?;
    if format != Format::Csv {
        let labels = if targets == Targets::Required { args.labels.as_deref() } else { None };
        let Arrays { mut x, scale, y, .. } = read_arrays(path, format, labels, non_finite(args))?;
        if scale != 1.0 {
            x.data_mut().iter_mut().for_each(|v| *v *= scale);
        }
        let y = if targets == Targets::Required {
            Some(y.ok_or_else(|| {
                anyhow!("{}: no targets: pass --labels FILE (or use a .npz with an array y)", path.display())
            })?)
        } else {
            None
        };
        return fit_to_model(x, y, pre, &path.display().to_string(), &args.labels_name(path));
    }
    let mut o = match targets {
        Targets::Ignored => CsvOptions::for_prediction(&pre.feature_names),
        Targets::Required => {
            let mut o = csv_options(args);
            if args.target.is_none()
                && let Some(t) = &pre.target
            {
                o.target = TargetColumn::Name(t.clone());
            }
            o.features = FeatureColumns::Names(pre.feature_names.clone());
            o.task = match pre.task {
                Task::Classification => csvdata::Task::Classification,
                Task::Regression => csvdata::Task::Regression,
            };
            // The model knows its classes: a file of one class is fine to evaluate on.
            o.class_count = csvdata::ClassCount::Any;
            o
        }
    };
    o.non_finite = non_finite(args);
    let table = csvdata::read(path, &o).map_err(|e| csv_error(e, pre))?;
    let y = match table.target {
        Some(Target::Classes { labels, classes, .. }) => Some(map_classes(&labels, &classes, pre, path)?),
        Some(t) => Some(t.tensor().clone()),
        None => None,
    };
    let mut x = table.features;
    Preprocessing { scale: 1.0, ..pre.clone() }.apply(&mut x);
    Ok((x, y))
}

/// Checks scaled inputs `x` (and class labels `y`) against the model, then standardizes `x` as in
/// training. `data` and `labels` name the inputs and the labels in messages.
pub fn fit_to_model(
    mut x: Tensor,
    y: Option<Tensor>,
    pre: &Preprocessing,
    data: &str,
    labels: &str,
) -> Result<(Tensor, Option<Tensor>)> {
    if x.cols() != pre.feature_names.len() {
        bail!("{data}: the model expects {} features per sample, the data has {}", pre.feature_names.len(), x.cols());
    }
    if let (Some(y), Task::Classification) = (&y, pre.task) {
        check_labels(y, pre.classes(), labels)?;
    }
    // Array inputs arrive scaled (their raw scale is known only from the file); then the saved
    // standardization.
    Preprocessing { scale: 1.0, ..pre.clone() }.apply(&mut x);
    Ok((x, y))
}

/// A CSV error for a saved model's data in the command line's words: a feature column the model
/// needs but the file lacks is said with the model's features.
pub fn csv_error(e: DataError, pre: &Preprocessing) -> anyhow::Error {
    match e {
        DataError::UnknownColumn { path, name, available } if pre.feature_names.contains(&name) => {
            let k = pre.feature_names.len();
            let shown: Vec<String> = pre.feature_names.iter().take(12).map(|n| format!("{n:?}")).collect();
            let more = if k > 12 { format!(", … ({} more)", k - 12) } else { String::new() };
            let have: Vec<String> = available.iter().map(|n| format!("{n:?}")).collect();
            anyhow!(
                "{}: the model expects {k} features ({}{more}), the file lacks {name:?}; its columns are {}",
                path.display(),
                shown.join(", "),
                have.join(", ")
            )
        }
        e => data_error(e),
    }
}
