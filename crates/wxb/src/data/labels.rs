//! The target column of a CSV table: numbers (regression) or class labels (classification), and
//! the rule that chooses when the task is not given (see [`csv`](super::csv)).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::DataError;
use super::number::{NonFinite, Number, checked_number, is_integer, number, number_error};
use super::table::MissingValues;
use super::task::{AUTO_MAX_CLASSES, AUTO_MAX_INTEGER_CLASSES, ClassCount, Task};
use crate::Tensor;

/// The target column of a [`Table`](super::csv::Table).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Target {
    /// Class labels.
    Classes {
        /// The column's header name.
        name: String,
        /// The class index of each row, `[rows, 1]`.
        labels: Tensor,
        /// The class names, sorted; index `i` names class `i`.
        classes: Vec<String>,
    },
    /// Numbers, for regression.
    Values {
        /// The column's header name.
        name: String,
        /// The value of each row, `[rows, 1]`.
        values: Tensor,
    },
}

impl Target {
    /// The column's header name.
    pub fn name(&self) -> &str {
        match self {
            Target::Classes { name, .. } | Target::Values { name, .. } => name,
        }
    }

    /// The class indices or the values, `[rows, 1]`.
    pub fn tensor(&self) -> &Tensor {
        match self {
            Target::Classes { labels, .. } => labels,
            Target::Values { values, .. } => values,
        }
    }

    /// The class names, for class labels.
    pub fn classes(&self) -> Option<&[String]> {
        match self {
            Target::Classes { classes, .. } => Some(classes),
            Target::Values { .. } => None,
        }
    }
}

/// Collects the target column row by row, then decides what it is.
pub(super) struct TargetColumn {
    path: PathBuf,
    /// Cells that are missing markers (a missing target is an error).
    missing: Option<MissingValues>,
    name: String,
    task: Option<Task>,
    non_finite: NonFinite,
    class_count: ClassCount,
    values: Vec<f32>,
    /// Label text of every row, concatenated, and where each ends (not kept for regression).
    text: Vec<u8>,
    ends: Vec<usize>,
    all_integers: bool,
    numbers: usize,
    first_text: Option<(u64, String)>,
    first_bad_number: Option<DataError>,
}

impl TargetColumn {
    pub(super) fn new(
        path: &Path,
        name: String,
        task: Option<Task>,
        non_finite: NonFinite,
        class_count: ClassCount,
    ) -> Self {
        Self {
            path: path.to_path_buf(),
            missing: None,
            name,
            task,
            non_finite,
            class_count,
            values: Vec::new(),
            text: Vec::new(),
            ends: Vec::new(),
            all_integers: true,
            numbers: 0,
            first_text: None,
            first_bad_number: None,
        }
    }

    /// A collector of no rows yet with the same settings (a streamed file's next chunk).
    pub(super) fn fresh(&self) -> Self {
        let c = Self::new(&self.path, self.name.clone(), self.task, self.non_finite, self.class_count);
        Self { missing: self.missing.clone(), ..c }
    }

    /// The column's header name.
    pub(super) fn column_name(&self) -> &str {
        &self.name
    }

    /// Refuses the cells that are one of these missing markers.
    pub(super) fn with_missing(mut self, missing: MissingValues) -> Self {
        self.missing = Some(missing);
        self
    }

    /// Adds the cell of the row at `line`.
    pub(super) fn push(&mut self, cell: &[u8], line: u64) -> Result<(), DataError> {
        if let Some(m) = &self.missing
            && m.is_missing(cell)
        {
            let value = super::cell_text(cell.trim_ascii());
            return Err(DataError::MissingTarget { path: self.path.clone(), line, column: self.name.clone(), value });
        }
        let place = || (line, self.name.clone());
        if self.task == Some(Task::Regression) {
            let v = checked_number(cell, self.non_finite, place, &self.path)?;
            self.values.push(v);
            return Ok(());
        }
        let label = cell.trim_ascii();
        if label.is_empty() {
            return Err(DataError::MissingValue { path: self.path.to_path_buf(), line, column: self.name.clone() });
        }
        self.text.extend_from_slice(label);
        self.ends.push(self.text.len());
        if self.task == Some(Task::Classification) {
            return Ok(());
        }
        let n = number(label);
        let value = match n {
            Number::Finite(v) => Some(v),
            Number::NonFinite(v) | Number::Overflow(v) => {
                if self.non_finite == NonFinite::Reject && self.first_bad_number.is_none() {
                    self.first_bad_number = Some(number_error(n, label, place, &self.path));
                }
                Some(v)
            }
            Number::Empty | Number::Text => None,
        };
        match value {
            Some(v) => {
                self.numbers += 1;
                self.all_integers &= is_integer(label);
                self.values.push(v);
            }
            None => {
                self.all_integers = false;
                if self.first_text.is_none() {
                    self.first_text = Some((line, super::cell_text(label)));
                }
            }
        }
        Ok(())
    }

    /// The finished target, `[rows, 1]`.
    pub(super) fn finish(self) -> Result<Target, DataError> {
        let rows = self.ends.len().max(self.values.len());
        match self.task {
            Some(Task::Regression) => return Ok(Target::Values { name: self.name, values: column(self.values) }),
            Some(Task::Classification) => return self.classes(),
            None => {}
        }
        if self.numbers == 0 {
            return self.classes();
        }
        let distinct = if self.all_integers || self.numbers < rows { self.distinct() } else { usize::MAX };
        if self.numbers == rows {
            if self.all_integers && distinct <= AUTO_MAX_INTEGER_CLASSES && 2 * distinct <= rows {
                return self.classes();
            }
            return match self.first_bad_number {
                Some(e) => Err(e),
                None => Ok(Target::Values { name: self.name, values: column(self.values) }),
            };
        }
        if distinct <= AUTO_MAX_CLASSES {
            return self.classes();
        }
        match self.first_text {
            Some((line, value)) => {
                Err(DataError::NotANumber { path: self.path.to_path_buf(), line, column: self.name, value })
            }
            None => Ok(Target::Values { name: self.name, values: column(self.values) }),
        }
    }

    fn labels(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(a, b)| &self.text[a..b])
    }

    fn distinct(&self) -> usize {
        let mut seen: HashMap<&[u8], ()> = HashMap::new();
        for l in self.labels() {
            seen.insert(l, ());
        }
        seen.len()
    }

    /// Class indices by sorted class name: numerically when every name is a number, else by bytes.
    fn classes(self) -> Result<Target, DataError> {
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        for l in self.labels() {
            let n = index.len();
            index.entry(l).or_insert(n);
        }
        let mut names: Vec<&[u8]> = index.keys().copied().collect();
        let numeric: Option<Vec<f64>> =
            names.iter().map(|n| std::str::from_utf8(n).ok().and_then(|s| s.parse::<f64>().ok())).collect();
        match numeric {
            Some(_) => names.sort_by(|a, b| parse_f64(a).total_cmp(&parse_f64(b)).then_with(|| a.cmp(b))),
            None => names.sort_unstable(),
        }
        if names.len() < 2 && (self.class_count == ClassCount::AtLeastTwo || names.is_empty()) {
            let class = names.first().map(|n| super::cell_text(n)).unwrap_or_default();
            return Err(DataError::SingleClass { path: self.path.to_path_buf(), column: self.name.clone(), class });
        }
        for (i, n) in names.iter().enumerate() {
            index.insert(*n, i);
        }
        let labels: Vec<f32> = self.labels().map(|l| index[l] as f32).collect();
        let classes = names.iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
        Ok(Target::Classes { name: self.name.clone(), labels: column(labels), classes })
    }
}

fn parse_f64(bytes: &[u8]) -> f64 {
    std::str::from_utf8(bytes).ok().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN)
}

fn column(values: Vec<f32>) -> Tensor {
    let n = values.len();
    Tensor::from_vec(&[n, 1], values)
}

/// What the task rule needs of a target column, gathered chunk by chunk from a streamed file
/// (its rows are not kept): the counts, the first problem cells and the distinct labels (at most
/// [`MAX_CLASSES`]` + 1` of them: past that the column is no classification).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct LabelSummary {
    rows: usize,
    numbers: usize,
    all_integers: bool,
    first_text: Option<(u64, String)>,
    /// The first non-finite (or, `true`, overflowing) number: its line and text.
    first_bad_number: Option<(u64, String, bool)>,
    distinct: BTreeSet<Vec<u8>>,
    overflow: bool,
    started: bool,
}

impl LabelSummary {
    /// Adds a chunk's collected cells and empties the collector for the next chunk.
    pub(super) fn absorb(&mut self, c: &mut TargetColumn) {
        if !self.started {
            (self.started, self.all_integers) = (true, true);
        }
        self.rows += c.ends.len().max(c.values.len());
        self.numbers += c.numbers;
        self.all_integers &= c.all_integers;
        if self.first_text.is_none() {
            self.first_text = c.first_text.take();
        }
        if self.first_bad_number.is_none() {
            self.first_bad_number = match c.first_bad_number.take() {
                Some(DataError::NonFinite { line, value, .. }) => Some((line, value, false)),
                Some(DataError::OutOfRange { line, value, .. }) => Some((line, value, true)),
                _ => None,
            };
        }
        if !self.overflow {
            for l in c.labels() {
                if !self.distinct.contains(l) {
                    if self.distinct.len() > super::task::MAX_CLASSES {
                        self.overflow = true;
                        break;
                    }
                    self.distinct.insert(l.to_vec());
                }
            }
        }
        *c = c.fresh();
    }

    /// Adds another shard's summary.
    pub(super) fn merge(&mut self, o: Self) {
        if !o.started {
            return;
        }
        if !self.started {
            *self = o;
            return;
        }
        self.rows += o.rows;
        self.numbers += o.numbers;
        self.all_integers &= o.all_integers;
        self.first_text = self.first_text.take().or(o.first_text);
        self.first_bad_number = self.first_bad_number.take().or(o.first_bad_number);
        self.overflow |= o.overflow;
        for l in o.distinct {
            if self.distinct.len() > super::task::MAX_CLASSES {
                self.overflow = true;
                break;
            }
            self.distinct.insert(l);
        }
    }

    /// The task and (for classification) the sorted class names, by the rule
    /// [`TargetColumn::finish`] applies to a whole column; `name` and `path` for errors.
    pub(super) fn decide(
        self,
        task: Option<Task>,
        class_count: ClassCount,
        name: &str,
        path: &Path,
    ) -> Result<(Task, Option<Vec<String>>), DataError> {
        let classes = |s: Self| -> Result<(Task, Option<Vec<String>>), DataError> {
            if s.overflow {
                return Err(DataError::TooManyLabels {
                    path: path.to_path_buf(),
                    column: name.to_string(),
                    limit: super::task::MAX_CLASSES,
                });
            }
            let mut names: Vec<&[u8]> = s.distinct.iter().map(Vec::as_slice).collect();
            let numeric =
                names.iter().all(|n| std::str::from_utf8(n).ok().and_then(|t| t.parse::<f64>().ok()).is_some());
            if numeric {
                names.sort_by(|a, b| parse_f64(a).total_cmp(&parse_f64(b)).then_with(|| a.cmp(b)));
            } else {
                names.sort_unstable();
            }
            if names.len() < 2 && (class_count == ClassCount::AtLeastTwo || names.is_empty()) {
                let class = names.first().map(|n| super::cell_text(n)).unwrap_or_default();
                return Err(DataError::SingleClass { path: path.to_path_buf(), column: name.to_string(), class });
            }
            Ok((Task::Classification, Some(names.iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect())))
        };
        match task {
            Some(Task::Regression) => return Ok((Task::Regression, None)),
            Some(Task::Classification) => return classes(self),
            None => {}
        }
        if self.numbers == 0 {
            return classes(self);
        }
        let distinct = if self.overflow { usize::MAX } else { self.distinct.len() };
        if self.numbers == self.rows {
            if self.all_integers && distinct <= AUTO_MAX_INTEGER_CLASSES && 2 * distinct <= self.rows {
                return classes(self);
            }
            return match self.first_bad_number {
                Some((line, value, overflow)) => {
                    let (path, column) = (path.to_path_buf(), name.to_string());
                    Err(if overflow {
                        DataError::OutOfRange { path, line, column, value }
                    } else {
                        DataError::NonFinite { path, line, column, value }
                    })
                }
                None => Ok((Task::Regression, None)),
            };
        }
        if distinct <= AUTO_MAX_CLASSES {
            return classes(self);
        }
        match self.first_text {
            Some((line, value)) => {
                Err(DataError::NotANumber { path: path.to_path_buf(), line, column: name.to_string(), value })
            }
            None => Ok((Task::Regression, None)),
        }
    }
}
