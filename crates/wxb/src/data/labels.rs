//! The target column of a CSV table: numbers (regression) or class labels (classification), and
//! the rule [`Task::Auto`] uses to choose.

use std::collections::HashMap;
use std::path::Path;

use super::DataError;
use super::csv::{ClassCount, CsvOptions, NonFinite, Target, Task};
use crate::Tensor;

/// Under [`Task::Auto`], the most distinct values a column of integers (or of mixed numbers and
/// text) may hold to be read as class labels.
pub const AUTO_MAX_CLASSES: usize = 20;

/// How one cell reads as a number.
#[derive(Debug, Clone, Copy)]
pub(super) enum Number {
    /// A finite number.
    Finite(f32),
    /// `nan`, `inf` or `-inf` written as such.
    NonFinite(f32),
    /// A finite number beyond `f32` (it parses as an infinity).
    Overflow(f32),
    /// Empty (after trimming blanks).
    Empty,
    /// Not a number.
    Text,
}

/// Parses a cell, trimmed of ASCII blanks, as an `f32`.
pub(super) fn number(cell: &[u8]) -> Number {
    let s = cell.trim_ascii();
    if s.is_empty() {
        return Number::Empty;
    }
    let Some(v) = std::str::from_utf8(s).ok().and_then(|t| t.parse::<f32>().ok()) else { return Number::Text };
    if v.is_finite() {
        Number::Finite(v)
    } else if s.iter().any(|&b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') {
        Number::NonFinite(v)
    } else {
        Number::Overflow(v)
    }
}

/// The cell as a number, or the error naming its place.
pub(super) fn checked_number(
    cell: &[u8],
    non_finite: NonFinite,
    place: impl FnOnce() -> (u64, String),
    path: &Path,
) -> Result<f32, DataError> {
    match (number(cell), non_finite) {
        (Number::Finite(v), _) | (Number::NonFinite(v) | Number::Overflow(v), NonFinite::Allow) => Ok(v),
        (n, _) => Err(number_error(n, cell, place, path)),
    }
}

fn number_error(n: Number, cell: &[u8], place: impl FnOnce() -> (u64, String), path: &Path) -> DataError {
    let (line, column) = place();
    let path = path.to_path_buf();
    let value = super::cell_text(cell.trim_ascii());
    match n {
        Number::Empty => DataError::MissingValue { path, line, column },
        Number::NonFinite(_) => DataError::NonFinite { path, line, column, value },
        Number::Overflow(_) => DataError::OutOfRange { path, line, column, value },
        Number::Finite(_) | Number::Text => DataError::NotANumber { path, line, column, value },
    }
}

/// Collects the target column row by row, then decides what it is.
pub(super) struct TargetColumn<'p> {
    path: &'p Path,
    name: String,
    task: Task,
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

impl<'p> TargetColumn<'p> {
    pub(super) fn new(path: &'p Path, name: String, options: &CsvOptions) -> Self {
        Self {
            path,
            name,
            task: options.task,
            non_finite: options.non_finite,
            class_count: options.class_count,
            values: Vec::new(),
            text: Vec::new(),
            ends: Vec::new(),
            all_integers: true,
            numbers: 0,
            first_text: None,
            first_bad_number: None,
        }
    }

    /// Adds the cell of the row at `line`.
    pub(super) fn push(&mut self, cell: &[u8], line: u64) -> Result<(), DataError> {
        let place = || (line, self.name.clone());
        if self.task == Task::Regression {
            let v = checked_number(cell, self.non_finite, place, self.path)?;
            self.values.push(v);
            return Ok(());
        }
        let label = cell.trim_ascii();
        if label.is_empty() {
            return Err(DataError::MissingValue { path: self.path.to_path_buf(), line, column: self.name.clone() });
        }
        self.text.extend_from_slice(label);
        self.ends.push(self.text.len());
        if self.task == Task::Classification {
            return Ok(());
        }
        let n = number(label);
        let value = match n {
            Number::Finite(v) => Some(v),
            Number::NonFinite(v) | Number::Overflow(v) => {
                if self.non_finite == NonFinite::Reject && self.first_bad_number.is_none() {
                    self.first_bad_number = Some(number_error(n, label, place, self.path));
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
            Task::Regression => return Ok(Target::Values { name: self.name, values: column(self.values) }),
            Task::Classification => return self.classes(),
            Task::Auto => {}
        }
        if self.numbers == 0 {
            return self.classes();
        }
        let distinct = if self.all_integers || self.numbers < rows { self.distinct() } else { usize::MAX };
        if self.numbers == rows {
            if self.all_integers && distinct <= AUTO_MAX_CLASSES && 2 * distinct <= rows {
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

/// `[+-]?[0-9]+`.
fn is_integer(s: &[u8]) -> bool {
    let digits = s.strip_prefix(b"-").or_else(|| s.strip_prefix(b"+")).unwrap_or(s);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

fn column(values: Vec<f32>) -> Tensor {
    let n = values.len();
    Tensor::from_vec(&[n, 1], values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_classified() {
        assert!(matches!(number(b" 1.5 "), Number::Finite(1.5)));
        assert!(matches!(number(b"1e39"), Number::Overflow(_)));
        assert!(matches!(number(b"-inf"), Number::NonFinite(_)));
        assert!(matches!(number(b"NaN"), Number::NonFinite(_)));
        assert!(matches!(number(b"  "), Number::Empty));
        assert!(matches!(number(b"1,5"), Number::Text));
        assert!(is_integer(b"-12") && !is_integer(b"1.0") && !is_integer(b"-"));
    }
}
