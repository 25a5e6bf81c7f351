//! Reading the user's data (CSV, IDX, NumPy, or the bundled MNIST) into tensors, for training and
//! for a saved model.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use wxb::Tensor;
use wxb::data::csv::{self as csvdata, CsvOptions, FeatureColumns, NonFinite, Target, TargetColumn};
use wxb::data::{ElemType, idx, mnist::Mnist, npy, npz};

use crate::cli::{DataArgs, TaskArg};
use crate::preprocess::{InputFormat, Preprocessing, Task};

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
    o.non_finite = if args.allow_nonfinite { NonFinite::Allow } else { NonFinite::Reject };
    o
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
            let table = csvdata::read(path, &o)?;
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
            let (x, scale, image_shape, labels) = read_arrays(path, format, args.labels.as_deref())?;
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

/// Features `[n, k]` (flattened), their scale, the image shape, and labels as `[n, columns]`.
fn read_arrays(
    path: &Path,
    format: Format,
    labels: Option<&Path>,
) -> Result<(Tensor, f32, Option<Vec<usize>>, Option<Tensor>)> {
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
    if x.rank() == 0 || x.rows() == 0 {
        bail!("{}: no samples", path.display());
    }
    let image_shape = (x.rank() == 3).then(|| x.shape()[1..].to_vec());
    let x = if x.rank() == 1 { x.clone().reshape(&[x.len(), 1]) } else { x.clone().reshape(&[x.rows(), x.cols()]) };
    let y =
        y.map(
            |y| if y.rank() <= 1 { y.clone().reshape(&[y.len(), 1]) } else { y.clone().reshape(&[y.rows(), y.cols()]) },
        );
    if let Some(y) = &y {
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
    Ok((x, scale, image_shape, y))
}

/// Classification when asked, or (auto) when every label is a non-negative integer with few
/// distinct values; the classes are then `0..=max`.
fn decide_task(y: &Tensor, task: TaskArg, name: &str) -> Result<(Task, Option<Vec<String>>)> {
    let integer = y.cols() == 1 && y.data().iter().all(|&v| v >= 0.0 && v.fract() == 0.0 && v < 1e6);
    let mut distinct: Vec<u32> = if integer { y.data().iter().map(|&v| v as u32).collect() } else { vec![] };
    distinct.sort_unstable();
    distinct.dedup();
    let classify = match task {
        TaskArg::Classification => {
            if !integer {
                let bad = y.data().iter().find(|v| !(**v >= 0.0 && v.fract() == 0.0)).copied().unwrap_or(f32::NAN);
                bail!("{name}: label {bad} is not a class index (classification needs integers 0, 1, 2, …)");
            }
            true
        }
        TaskArg::Regression => false,
        TaskArg::Auto => integer && distinct.len() <= AUTO_MAX_CLASSES && distinct.len() * 2 <= y.rows(),
    };
    if !classify {
        return Ok((Task::Regression, None));
    }
    if distinct.len() < 2 {
        bail!(
            "{name}: only one class ({}) in the labels: classification needs at least two",
            distinct.first().copied().unwrap_or(0)
        );
    }
    let k = *distinct.last().expect("two classes") as usize + 1;
    Ok((Task::Classification, Some((0..k).map(|c| c.to_string()).collect())))
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
    let (mut x, y) = match detect(path)? {
        Format::Csv => {
            let mut o = match targets {
                Targets::Ignored => CsvOptions::for_prediction(&pre.feature_names),
                Targets::Required => {
                    let mut o = csv_options(args);
                    if args.target.is_none() {
                        if let Some(t) = &pre.target {
                            o.target = TargetColumn::Name(t.clone());
                        }
                    }
                    o.features = FeatureColumns::Names(pre.feature_names.clone());
                    o.task = match pre.task {
                        Task::Classification => csvdata::Task::Classification,
                        Task::Regression => csvdata::Task::Regression,
                    };
                    o
                }
            };
            o.non_finite = if args.allow_nonfinite { NonFinite::Allow } else { NonFinite::Reject };
            let table = csvdata::read(path, &o)?;
            let y = match table.target {
                Some(Target::Classes { labels, classes, .. }) => Some(map_classes(&labels, &classes, pre, path)?),
                Some(t) => Some(t.tensor().clone()),
                None => None,
            };
            (table.features, y)
        }
        format => {
            let labels = if targets == Targets::Required { args.labels.as_deref() } else { None };
            let (mut x, scale, _, y) = read_arrays(path, format, labels)?;
            if scale != 1.0 {
                x.data_mut().iter_mut().for_each(|v| *v *= scale);
            }
            if let (Some(y), Task::Classification) = (&y, pre.task) {
                check_labels(y, pre.classes(), &args.labels_name(path))?;
            }
            (x, if targets == Targets::Required { y } else { None })
        }
    };
    if x.cols() != pre.feature_names.len() {
        bail!("{}: the model expects {} features, the data has {}", path.display(), pre.feature_names.len(), x.cols());
    }
    if targets == Targets::Required && y.is_none() {
        bail!("{}: evaluation needs targets (a target column, --labels, or an array y)", path.display());
    }
    // Array inputs were scaled above (their raw scale is known only from the file); CSV and arrays
    // then go through the saved standardization.
    let saved = Preprocessing { scale: 1.0, ..pre.clone() };
    saved.apply(&mut x);
    Ok((x, y))
}

/// This file's class indices (sorted by its own labels) → the model's class indices.
fn map_classes(labels: &Tensor, classes: &[String], pre: &Preprocessing, path: &Path) -> Result<Tensor> {
    let names = pre.class_names.as_deref().unwrap_or_default();
    let to_model: Vec<usize> = classes
        .iter()
        .map(|c| {
            names.iter().position(|n| n == c).ok_or_else(|| {
                anyhow!("{}: label {c:?} is not one of the model's classes ({})", path.display(), names.join(", "))
            })
        })
        .collect::<Result<_>>()?;
    Ok(labels.map(|i| to_model[i as usize] as f32))
}

fn check_labels(y: &Tensor, classes: usize, name: &str) -> Result<()> {
    for (i, &v) in y.data().iter().enumerate() {
        if !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes) {
            bail!("{name}: label {v} at sample {i} is outside the model's {classes} classes (0..{classes})");
        }
    }
    Ok(())
}
