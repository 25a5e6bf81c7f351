//! CSV tables with a header row: a feature matrix, a target column, and their names.
//!
//! Format: RFC 4180 as the `csv` crate reads it — a header row naming the columns, then one row per
//! sample with as many fields as the header; fields may be quoted; empty lines are skipped; a UTF-8
//! byte-order mark is ignored. Cells are trimmed of ASCII blanks. Feature cells (and regression
//! targets) are decimal numbers as Rust's `f32` parser reads them (`1`, `-0.5`, `1e-3`, `.5`);
//! empty cells (missing values) are refused, and so, unless [`NonFinite::Allow`], are `nan`, `inf`
//! and finite numbers beyond `f32`, like `1e39`.
//!
//! The target is read as numbers ([`Task::Regression`]) or class labels ([`Task::Classification`]).
//! Class labels are any non-empty text; the classes are sorted — numerically when every label is a
//! number (so `2` comes before `10`), otherwise by bytes — and each row's label becomes the index
//! of its class, so integer labels `0..k` keep their values. Labels are compared as text (trimmed):
//! `1` and `1.0` are two classes. Without a task (`None`), the column decides:
//! - a column of which no cell is a number holds class labels;
//! - a column of numbers holds class labels when every value is an integer (`[+-]?[0-9]+`; `1.0`
//!   is not), there are at most [`AUTO_MAX_CLASSES`] distinct values and at most half as many as
//!   rows; otherwise it is a regression target;
//! - a column mixing numbers and text holds class labels when it has at most [`AUTO_MAX_CLASSES`]
//!   distinct values; otherwise its first text cell is reported as not a number.
//!
//! Classification needs at least two classes. For prediction, read a file that may lack the target
//! with [`CsvOptions::for_prediction`]: its features are picked by name, in the model's order.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::DataError;
pub use super::csv_columns::{CsvOptions, FeatureColumns, TargetColumn};
use super::csv_columns::{csv_error, csv_reader, select};
pub use super::csv_stream::FeatureReader;
pub use super::labels::Target;
use super::labels::TargetColumn as Collector;
pub use super::number::NonFinite;
use super::number::checked_number;
pub use super::task::{AUTO_MAX_CLASSES, ClassCount, Task};
use crate::Tensor;

/// A CSV file read into a feature matrix and a target.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The features' header names, in matrix column order.
    pub feature_names: Vec<String>,
    /// The features, `[rows, feature_names.len()]`.
    pub features: Tensor,
    /// The target, unless [`TargetColumn::Absent`].
    pub target: Option<Target>,
}

/// Reads a CSV file.
pub fn read(path: &Path, options: &CsvOptions) -> Result<Table, DataError> {
    let file = File::open(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    decode(file, path, options)
}

/// Reads CSV text from `reader`; `name` stands for the path in errors.
pub fn from_reader(reader: impl Read, name: &str, options: &CsvOptions) -> Result<Table, DataError> {
    decode(reader, Path::new(name), options)
}

fn decode(reader: impl Read, path: &Path, options: &CsvOptions) -> Result<Table, DataError> {
    let p = || path.to_path_buf();
    let csv_error = |e: ::csv::Error| csv_error(e, path);
    let mut reader = csv_reader(reader, options);
    let header = reader.byte_headers().map_err(csv_error)?;
    if header.is_empty() {
        return Err(DataError::EmptyFile { path: p() });
    }
    let names: Vec<String> = header.iter().map(|h| String::from_utf8_lossy(h.trim_ascii()).into_owned()).collect();
    let (target, features) = select(&names, options, path)?;
    let mut collector =
        target.map(|t| Collector::new(path, names[t].clone(), options.task, options.non_finite, options.class_count));
    let mut values: Vec<f32> = Vec::new();
    let mut record = ::csv::ByteRecord::new();
    let mut rows = 0usize;
    while reader.read_byte_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |pos| pos.line());
        if record.len() != names.len() {
            return Err(DataError::RaggedRow { path: p(), line, fields: record.len(), expected: names.len() });
        }
        for &c in &features {
            let place = || (line, names[c].clone());
            values.push(checked_number(&record[c], options.non_finite, place, path)?);
        }
        if let (Some(collector), Some(t)) = (collector.as_mut(), target) {
            collector.push(&record[t], line)?;
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(DataError::NoRows { path: p() });
    }
    Ok(Table {
        feature_names: features.iter().map(|&c| names[c].clone()).collect(),
        features: Tensor::from_vec(&[rows, features.len()], values),
        target: collector.map(Collector::finish).transpose()?,
    })
}
