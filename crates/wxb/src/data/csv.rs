//! CSV tables with a header row: a feature matrix, a target column, and their names.
//!
//! Format: RFC 4180 as the `csv` crate reads it — a header row naming the columns, then one row per
//! sample with as many fields as the header; fields may be quoted but may not span lines (a quote
//! left open is refused where it opens); empty lines are skipped; the text must be UTF-8 (a UTF-8
//! byte-order mark is ignored); LF or CRLF line ends. The delimiter is a tab for `.tsv` files, and
//! otherwise (`.csv` files too) the one of `,` `;` and tab that the header line holds most
//! often (or [`CsvOptions::delimiter`]); a name ending in `.gz`, or gzip bytes, is gunzipped. The
//! columns read (target and features) must have names, each once in the header. Cells are trimmed of ASCII blanks. Feature cells (and regression
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
//!   is not), there are at most [`AUTO_MAX_INTEGER_CLASSES`] distinct values and at most half as many as
//!   rows; otherwise it is a regression target;
//! - a column mixing numbers and text holds class labels when it has at most [`AUTO_MAX_CLASSES`]
//!   distinct values; otherwise its first text cell is reported as not a number.
//!
//! Classification needs at least two classes. For prediction, read a file that may lack the target
//! with [`CsvOptions::for_prediction`]: its features are picked by name, in the model's order.

use std::io::Read;
use std::path::Path;

use super::DataError;
use super::csv_columns::select;
pub use super::csv_columns::{CsvOptions, FeatureColumns, TargetColumn};
use super::csv_records::Records;
pub use super::csv_stream::FeatureReader;
use super::input::{Input, Peeked};
pub use super::labels::Target;
use super::labels::TargetColumn as Collector;
pub use super::number::NonFinite;
use super::number::checked_number;
pub use super::task::{AUTO_MAX_CLASSES, AUTO_MAX_INTEGER_CLASSES, ClassCount, Task};
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

/// The header's column names (trimmed) of a CSV file, its delimiter `delimiter` or told from
/// the header line.
///
/// # Errors
/// [`DataError::EmptyFile`] without a header; the readers' errors.
pub fn header(path: &Path, delimiter: Option<u8>) -> Result<Vec<String>, DataError> {
    let options = CsvOptions { delimiter, ..CsvOptions::default() };
    Ok(Records::open(Input::open(path)?.into_raw(), path, &options)?.names)
}

/// Reads a CSV file (or a pipe; gzip-compressed when its name ends in `.gz` or its bytes say so).
pub fn read(path: &Path, options: &CsvOptions) -> Result<Table, DataError> {
    read_input(Input::open(path)?, options)
}

/// Reads CSV text from `reader`; `name` stands for the path in errors (and, by its extension,
/// chooses the delimiter as for a file).
pub fn from_reader(reader: impl Read + Send, name: &str, options: &CsvOptions) -> Result<Table, DataError> {
    let path = Path::new(name);
    decode(Peeked::new(Box::new(reader), path)?, path, options)
}

/// Reads CSV text from an [`Input`] already opened (its format told).
pub(super) fn read_input(input: Input, options: &CsvOptions) -> Result<Table, DataError> {
    let path = input.path().to_path_buf();
    decode(input.into_raw(), &path, options)
}

fn decode(raw: Peeked<'_>, path: &Path, options: &CsvOptions) -> Result<Table, DataError> {
    let mut records = Records::open(raw, path, options)?;
    let names = records.names.clone();
    let (target, features) = select(&names, options, path)?;
    let mut collector =
        target.map(|t| Collector::new(path, names[t].clone(), options.task, options.non_finite, options.class_count));
    let mut values: Vec<f32> = Vec::new();
    let mut rows = 0usize;
    while let Some(line) = records.next()? {
        let record = &records.record;
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
        return Err(DataError::NoRows { path: path.to_path_buf() });
    }
    Ok(Table {
        feature_names: features.iter().map(|&c| names[c].clone()).collect(),
        features: Tensor::from_vec(&[rows, features.len()], values),
        target: collector.map(Collector::finish).transpose()?,
    })
}
