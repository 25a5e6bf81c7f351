//! One entry point from a data file to a model's inputs: [`load`] (training data, its task decided
//! and its schema made) and [`load_for_model`] (new data read the way a saved model's schema says).

use std::path::Path;

use super::arrays::{self, Arrays};
use super::csv::{CsvOptions, FeatureColumns, FeatureReader, Target, TargetColumn};
use super::format::Format;
use super::input::Input;
use super::number::NonFinite;
use super::raw::{AdaptOptions, PreparedReader, RawDataset, RawFeatures, Standardize};
use super::schema::{InputFormat, Schema, pixel_names};
use super::table::read::{TableOptions, TableReader};
use super::table::{self, ColumnKind, ColumnPrep, MissingValues, RawTable};
use super::task::{ClassCount, Task, check_class_indices, decide_array_task, map_classes};
use super::{DataError, SchemaError};
use crate::Tensor;

/// How to read a data file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The CSV target column (default: the last; for [`load_for_model`], the schema's target).
    pub target: TargetColumn,
    /// The CSV feature columns (default: all but the target).
    pub features: FeatureColumns,
    /// The task (default `None`: decided from the targets).
    pub task: Option<Task>,
    /// Whether NaN and infinities are refused (default) or kept (distinct from missing cells:
    /// `NaN` is also a default missing marker, `nan` and `inf` are not).
    pub non_finite: NonFinite,
    /// The CSV cells that are missing (default: empty, `NA`, `NaN`, `?`, `null`); for
    /// [`load_for_model`], the schema's are used.
    pub missing: MissingValues,
    /// The CSV field delimiter (default `None`: told from the name or the header line).
    pub delimiter: Option<u8>,
    /// CSV feature columns read as text categories whatever they hold (integer codes, say), by
    /// name (default: none; a column's kind is inferred).
    pub categorical: Vec<String>,
}

/// Features, targets and their schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The model's inputs `[n, features]`: a table's columns prepared by [`Schema::columns`]
    /// (imputed, standardized, one-hot encoded); arrays scaled (byte images to `[0, 1]`) and
    /// standardized when [`Schema::standardize`] is set.
    pub features: Tensor,
    /// Class indices `[n, 1]` (classification) or values `[n, outputs]` (regression).
    pub targets: Tensor,
    /// How the features were read, the task and the class names.
    pub schema: Schema,
}

/// Reads training data from `path` (CSV, IDX, NPY or NPZ; see [`detect`](super::detect)): features, targets and
/// a schema. For IDX and `.npy` features the labels are in a second file: see
/// [`load_with_labels`].
///
/// # Shapes
/// CSV: features `[n, columns]`; arrays `[n, …]` are flattened to `[n, k]`, their sample shape
/// kept in [`Schema::sample_shape`] (reshape a batch for a model with
/// [`Tensor::with_sample_shape`]). Targets `[n, 1]` class indices, or `[n, outputs]` values.
///
/// # Errors
/// Any [`DataError`] of the readers, and [`DataError::NoLabels`] when the data has no targets.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Dataset, DataError> {
    load_with_labels(path, None, options)
}

/// [`load`], with the labels of IDX or `.npy` features in the file `labels`.
///
/// # Errors
/// As [`load`], and [`DataError::LabelCount`] when the two files disagree in length.
pub fn load_with_labels(path: &Path, labels: Option<&Path>, options: &LoadOptions) -> Result<Dataset, DataError> {
    load_input(Input::open(path)?, labels, options)
}

/// [`load_with_labels`] of an [`Input`] already opened — a file, a pipe, or any reader — read once.
/// Every row is adapted on ([`load_raw_input`] then [`RawDataset::adapt`] with nothing
/// standardized): a table's text columns one-hot encoded, its missing cells imputed.
///
/// # Errors
/// As [`load_with_labels`].
pub fn load_input(input: Input, labels: Option<&Path>, options: &LoadOptions) -> Result<Dataset, DataError> {
    let raw = load_raw_input(input, labels, options)?;
    let all: Vec<usize> = (0..raw.rows()).collect();
    Ok(raw.adapt(&all, &AdaptOptions { standardize: Standardize::Nothing, ..AdaptOptions::default() }))
}

/// Reads training data as [`load_with_labels`] does, without preparing its features: a CSV
/// table's columns raw (numbers, text, missing cells; see [`table`](super::table)), arrays scaled.
/// The task and the classes are decided from the whole file; adapt the preprocessing on the
/// training rows with [`RawDataset::adapt`].
///
/// # Errors
/// As [`load_with_labels`]; every problem of a table's cells at once
/// ([`DataError::Problems`]).
pub fn load_raw(path: &Path, labels: Option<&Path>, options: &LoadOptions) -> Result<RawDataset, DataError> {
    load_raw_input(Input::open(path)?, labels, options)
}

/// [`load_raw`] of an [`Input`] already opened.
///
/// # Errors
/// As [`load_raw`].
pub fn load_raw_input(input: Input, labels: Option<&Path>, options: &LoadOptions) -> Result<RawDataset, DataError> {
    let format = input.format();
    let path = &input.path().to_path_buf();
    if format == Format::Csv {
        let csv = csv_options(options);
        let o = TableOptions { csv: &csv, missing: &options.missing, kinds: None, categorical: &options.categorical };
        let mut reader = TableReader::open(input.into_raw(), path, &o)?;
        let table = reader.next_rows(usize::MAX)?.unwrap_or_default();
        let target = reader.finish_target()?.ok_or_else(|| DataError::NoLabels { path: path.to_path_buf() })?;
        let (task, class_names) = match target.classes() {
            Some(classes) => (Task::Classification, Some(classes.to_vec())),
            None => (Task::Regression, None),
        };
        let mut schema = Schema::csv(table.columns.iter().map(|c| c.name.clone()).collect(), class_names);
        schema.task = task;
        schema.target = Some(target.name().to_string());
        schema.missing_values = Some(options.missing.clone());
        return Ok(RawDataset { features: RawFeatures::Table(table), targets: target.tensor().clone(), schema });
    }
    let Arrays { mut x, scale, image_shape, sample_shape, y, labels_path } =
        arrays::read(input, format, labels, options.non_finite)?;
    let y = y.ok_or_else(|| DataError::NoLabels { path: path.to_path_buf() })?;
    let (task, class_names) = decide_array_task(&y, options.task, &labels_path)?;
    let feature_names = match &image_shape {
        Some(s) => pixel_names(s[0], s[1]),
        None => (0..x.cols()).map(|i| format!("x[{i}]")).collect(),
    };
    scale_by(&mut x, scale);
    let format = if format == Format::Idx { InputFormat::Idx } else { InputFormat::Npy };
    let schema = Schema {
        format,
        feature_names,
        image_shape,
        sample_shape,
        scale,
        task,
        class_names,
        ..Schema::csv(vec![], None)
    };
    Ok(RawDataset { features: RawFeatures::Matrix(x), targets: y, schema })
}

/// Whether [`load_for_model`] reads the targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// The targets must be present (evaluation, resumed training).
    Required,
    /// The targets are not read (prediction).
    Ignored,
}

/// Reads data for a saved model: the schema's columns in its order (CSV columns by name; extra
/// columns are ignored), prepared as in training (a table's columns by [`Schema::columns`], with
/// the schema's missing markers; arrays scaled and standardized), and (with [`Targets::Required`])
/// the targets mapped to the model's classes. `options.target` [`TargetColumn::Last`] stands for
/// the schema's target column when it has one; `options.features` and `options.task` are the
/// schema's.
///
/// # Shapes
/// Returns features `[n, schema.feature_names.len()]` (flat: reshape them to the model's input
/// with [`Tensor::with_sample_shape`]) and targets `[n, 1]` class indices or `[n, outputs]` values.
///
/// # Errors
/// Any [`DataError`] of the readers; [`SchemaError::MissingFeature`] or [`SchemaError::FeatureCount`]
/// when the features do not fit the schema; [`SchemaError::UnknownClass`] or
/// [`SchemaError::NotModelClass`] for a label the model does not know; [`DataError::NoLabels`] when
/// targets are required and absent; [`DataError::Problems`] naming every bad cell of a table.
pub fn load_for_model(
    path: &Path,
    labels: Option<&Path>,
    schema: &Schema,
    options: &LoadOptions,
    targets: Targets,
) -> Result<(Tensor, Option<Tensor>), DataError> {
    let input = Input::open(path)?;
    let format = input.format();
    if format != Format::Csv {
        let labels = if targets == Targets::Required { labels } else { None };
        let Arrays { mut x, scale, y, labels_path, .. } = arrays::read(input, format, labels, options.non_finite)?;
        scale_by(&mut x, scale);
        let y = match targets {
            Targets::Required => Some(y.ok_or_else(|| DataError::NoLabels { path: path.to_path_buf() })?),
            Targets::Ignored => None,
        };
        return fit_to_schema(x, y, schema, path, &labels_path);
    }
    let mut o = match targets {
        Targets::Ignored => CsvOptions::for_prediction(&schema.source_columns()),
        Targets::Required => {
            let target = match (&options.target, &schema.target) {
                (TargetColumn::Last, Some(t)) => TargetColumn::Name(t.clone()),
                (t, _) => t.clone(),
            };
            CsvOptions {
                target,
                features: FeatureColumns::Names(schema.source_columns()),
                task: Some(schema.task),
                // The model knows its classes: a file of one class is fine to evaluate on.
                class_count: ClassCount::Any,
                ..CsvOptions::default()
            }
        }
    };
    o.non_finite = options.non_finite;
    o.delimiter = options.delimiter;
    let (x, target) = match &schema.columns {
        Some(columns) => {
            let kinds: Vec<ColumnKind> = columns.iter().map(|c| c.kind).collect();
            let missing = schema.missing_values.clone().unwrap_or_default();
            let t = TableOptions { csv: &o, missing: &missing, kinds: Some(&kinds), categorical: &[] };
            let mut reader = TableReader::open(input.into_raw(), path, &t).map_err(|e| missing_feature(e, schema))?;
            let table = reader.next_rows(usize::MAX)?.unwrap_or_default();
            (table::transform(columns, &table), reader.finish_target()?)
        }
        None => {
            let table = super::csv::read_input(input, &o).map_err(|e| missing_feature(e, schema))?;
            let mut x = table.features;
            schema.standardize_in_place(&mut x);
            (x, table.target)
        }
    };
    let y = match target {
        Some(Target::Classes { labels, classes, .. }) => {
            Some(map_classes(&labels, &classes, schema.class_names.as_deref().unwrap_or_default(), path)?)
        }
        Some(t) => Some(t.tensor().clone()),
        None => None,
    };
    Ok((x, y))
}

/// Reads a CSV file's columns for a saved model whose schema has [`Schema::columns`], raw (each
/// column of its training kind; the schema's missing markers), without the target: what
/// [`load_for_model`] prepares, before the preparation.
///
/// # Errors
/// [`SchemaError::InvalidSchema`] when the schema has no columns (arrays, or an earlier wxb's
/// model); the errors of [`load_for_model`].
pub fn read_table_for_model(path: &Path, schema: &Schema, options: &LoadOptions) -> Result<RawTable, DataError> {
    let Some(columns) = &schema.columns else {
        return Err(SchemaError::InvalidSchema { message: "the model does not read a table's columns".into() }.into());
    };
    Ok(open_table(path, schema, columns, options)?.next_rows(usize::MAX)?.unwrap_or_default())
}

/// A reader of `path`'s columns as the saved model's `columns` were trained: their kinds, the
/// schema's missing markers, the target and other columns skipped.
fn open_table(
    path: &Path,
    schema: &Schema,
    columns: &[ColumnPrep],
    options: &LoadOptions,
) -> Result<TableReader<'static>, DataError> {
    let o = CsvOptions {
        non_finite: options.non_finite,
        delimiter: options.delimiter,
        ..CsvOptions::for_prediction(&schema.source_columns())
    };
    let kinds: Vec<ColumnKind> = columns.iter().map(|c| c.kind).collect();
    let missing = schema.missing_values.clone().unwrap_or_default();
    let t = TableOptions { csv: &o, missing: &missing, kinds: Some(&kinds), categorical: &[] };
    TableReader::open(Input::open(path)?.into_raw(), path, &t).map_err(|e| missing_feature(e, schema))
}

/// Checks scaled features `x` (and class labels `y`) against the schema, then standardizes `x` as
/// in training. `path` and `labels` name the features and the labels in errors.
///
/// # Errors
/// [`SchemaError::FeatureCount`] when `x` has another width; [`SchemaError::NotModelClass`] for a class
/// index outside the schema's classes.
pub fn fit_to_schema(
    mut x: Tensor,
    y: Option<Tensor>,
    schema: &Schema,
    path: &Path,
    labels: &Path,
) -> Result<(Tensor, Option<Tensor>), DataError> {
    if x.cols() != schema.feature_names.len() {
        let (expected, got) = (schema.feature_names.len(), x.cols());
        return Err(SchemaError::FeatureCount { path: path.to_path_buf(), expected, got }.into());
    }
    if let (Some(y), Task::Classification) = (&y, schema.task) {
        check_class_indices(y, schema.classes(), labels)?;
    }
    schema.standardize_in_place(&mut x);
    Ok((x, y))
}

/// Opens a CSV file for streamed prediction: a [`FeatureReader`] of the schema's features, in its
/// order (other columns ignored), raw — prepare each batch with [`Schema::prepare`] (or predict with
/// [`TrainedModel::predict`](crate::io::TrainedModel::predict), which does).
///
/// # Errors
/// [`SchemaError::MissingFeature`] when the file lacks one of the schema's features; the other
/// errors of [`FeatureReader::open`].
pub fn open_for_model(path: &Path, schema: &Schema, non_finite: NonFinite) -> Result<FeatureReader, DataError> {
    let options = CsvOptions { non_finite, ..CsvOptions::for_prediction(&schema.feature_names) };
    FeatureReader::open(path, &options).map_err(|e| missing_feature(e, schema))
}

/// Opens a CSV file for streamed prediction with a saved model: a [`PreparedReader`] of the
/// schema's columns (other columns ignored), each batch prepared as in training — a table's
/// columns imputed, standardized, one-hot encoded ([`Schema::columns`]); the numeric features of
/// an older schema standardized. `options.non_finite` and `options.delimiter` apply.
///
/// # Errors
/// [`SchemaError::MissingFeature`] when the file lacks one of the schema's columns; the errors of
/// the readers.
pub fn open_prepared(path: &Path, schema: &Schema, options: &LoadOptions) -> Result<PreparedReader, DataError> {
    let Some(columns) = &schema.columns else {
        let o = CsvOptions { delimiter: options.delimiter, ..CsvOptions::for_prediction(&schema.feature_names) };
        let o = CsvOptions { non_finite: options.non_finite, ..o };
        let reader = FeatureReader::open(path, &o).map_err(|e| missing_feature(e, schema))?;
        return Ok(PreparedReader::numbers(reader, schema));
    };
    Ok(PreparedReader::table(open_table(path, schema, columns, options)?, schema))
}

/// A column the file lacks that the schema needs, said with the schema's features.
fn missing_feature(e: DataError, schema: &Schema) -> DataError {
    match e {
        DataError::UnknownColumn { path, name, available } if schema.source_columns().contains(&name) => {
            SchemaError::MissingFeature { path, expected: schema.source_columns(), missing: name, available }.into()
        }
        e => e,
    }
}

fn csv_options(options: &LoadOptions) -> CsvOptions {
    CsvOptions {
        target: options.target.clone(),
        features: options.features.clone(),
        task: options.task,
        non_finite: options.non_finite,
        delimiter: options.delimiter,
        ..CsvOptions::default()
    }
}

fn scale_by(x: &mut Tensor, scale: f32) {
    if scale != 1.0 {
        x.data_mut().iter_mut().for_each(|v| *v *= scale);
    }
}
