//! How a CSV file is read — its options, the reader of its records, and the choice of its target
//! and feature columns — shared by the table reader ([`csv::read`](super::csv::read)) and the
//! streaming one ([`FeatureReader`](super::csv::FeatureReader)).

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use super::DataError;
use super::number::NonFinite;
use super::task::{ClassCount, Task};

/// Which column is the target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TargetColumn {
    /// The last column.
    #[default]
    Last,
    /// The column with this header name.
    Name(String),
    /// The column at this 0-based index.
    Index(usize),
    /// No target: the file holds features only (prediction).
    Absent,
}

/// Which columns are the features, in the order they take in the feature matrix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FeatureColumns {
    /// Every column but the target, in file order.
    #[default]
    Rest,
    /// The columns with these header names, in this order (other columns are ignored).
    Names(Vec<String>),
    /// The columns at these 0-based indices, in this order.
    Indices(Vec<usize>),
}

/// How to read a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// The target column (default: the last).
    pub target: TargetColumn,
    /// The feature columns (default: all others).
    pub features: FeatureColumns,
    /// How to read the target (default `None`: decided from the column, by the rule above).
    pub task: Option<Task>,
    /// Whether non-finite values are refused (default) or kept.
    pub non_finite: NonFinite,
    /// The field delimiter (default `None`: a tab for `.tsv` files, otherwise the one of `,` `;`
    /// and tab found most often in the header line).
    pub delimiter: Option<u8>,
    /// How many classes a classification target must hold (default: at least two).
    pub class_count: ClassCount,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            target: TargetColumn::Last,
            features: FeatureColumns::Rest,
            task: None,
            non_finite: NonFinite::Reject,
            delimiter: None,
            class_count: ClassCount::AtLeastTwo,
        }
    }
}

impl CsvOptions {
    /// Options for data to predict on: no target, and the features a model was trained on, by name
    /// and in that order (extra columns, such as a target, are ignored).
    pub fn for_prediction(feature_names: &[String]) -> Self {
        Self {
            target: TargetColumn::Absent,
            features: FeatureColumns::Names(feature_names.to_vec()),
            ..Self::default()
        }
    }
}

/// A CSV reader of `delimiter` whose every record, the header included, is checked by the caller
/// (rows of any length: a ragged row gets its own error with its line number).
pub(super) fn csv_reader<R: Read>(reader: R, delimiter: u8) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader)
}

/// A `csv` crate error as [`DataError::Io`] naming `path`.
pub(super) fn csv_error(e: ::csv::Error, path: &Path) -> DataError {
    match e.into_kind() {
        ::csv::ErrorKind::Io(source) => DataError::Io { path: path.to_path_buf(), source },
        other => DataError::Io { path: path.to_path_buf(), source: std::io::Error::other(format!("{other:?}")) },
    }
}

/// The target's column index and the features' column indices.
pub(super) fn select(
    names: &[String],
    options: &CsvOptions,
    path: &Path,
) -> Result<(Option<usize>, Vec<usize>), DataError> {
    let by_name = |name: &str| {
        let hits: Vec<usize> = names.iter().enumerate().filter(|(_, n)| *n == name).map(|(i, _)| i).collect();
        match hits[..] {
            [i] => Ok(i),
            [_, _, ..] => Err(duplicate(name, &hits, path)),
            [] => Err(DataError::UnknownColumn {
                path: path.to_path_buf(),
                name: name.to_owned(),
                available: names.to_vec(),
            }),
        }
    };
    let by_index = |index: usize| {
        if index < names.len() {
            Ok(index)
        } else {
            Err(DataError::ColumnIndexOutOfRange { path: path.to_path_buf(), index, available: names.to_vec() })
        }
    };
    let target = match &options.target {
        TargetColumn::Last => Some(names.len() - 1),
        TargetColumn::Name(n) => Some(by_name(n)?),
        TargetColumn::Index(i) => Some(by_index(*i)?),
        TargetColumn::Absent => None,
    };
    let features: Vec<usize> = match &options.features {
        FeatureColumns::Rest => (0..names.len()).filter(|&c| Some(c) != target).collect(),
        FeatureColumns::Names(list) => list.iter().map(|n| by_name(n)).collect::<Result<_, _>>()?,
        FeatureColumns::Indices(list) => list.iter().map(|&i| by_index(i)).collect::<Result<_, _>>()?,
    };
    if let Some(t) = target.filter(|t| features.contains(t)) {
        return Err(DataError::TargetIsFeature { path: path.to_path_buf(), column: names[t].clone() });
    }
    if features.is_empty() {
        return Err(DataError::NoFeatures { path: path.to_path_buf(), available: names.to_vec() });
    }
    check_names(names, target, &features, path)?;
    Ok((target, features))
}

fn duplicate(name: &str, columns: &[usize], path: &Path) -> DataError {
    DataError::DuplicateColumn {
        path: path.to_path_buf(),
        name: name.to_owned(),
        columns: columns.iter().map(|c| c + 1).collect(),
    }
}

/// Every column read — the target and the features — has a name of its own: not empty, not
/// repeated in the header (a saved model finds its features by name), not selected twice.
fn check_names(names: &[String], target: Option<usize>, features: &[usize], path: &Path) -> Result<(), DataError> {
    let mut columns: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        columns.entry(n.as_str()).or_default().push(i);
    }
    let mut seen = HashSet::new();
    for &c in features {
        if !seen.insert(c) {
            return Err(DataError::RepeatedFeature { path: path.to_path_buf(), name: names[c].clone() });
        }
    }
    for c in target.into_iter().chain(features.iter().copied()) {
        if names[c].is_empty() {
            return Err(DataError::EmptyColumnName { path: path.to_path_buf(), column: c + 1 });
        }
        let same = &columns[names[c].as_str()];
        if same.len() > 1 {
            return Err(duplicate(&names[c], same, path));
        }
    }
    Ok(())
}
