//! Every problem of a table file, collected while reading, said together in one line
//! ([`DataError::Problems`](crate::data::DataError::Problems)).

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::data::DataError;

/// The problems kept (and named) per file; more are counted.
pub const PROBLEMS_KEPT: usize = 20;

/// Examples named per kind of problem in the message.
const NAMED: usize = 3;

/// One problem of a table file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CellProblem {
    /// Text in a numeric column's cell.
    NotANumber {
        /// The 1-based line.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The column's name.
        name: String,
        /// The cell (at most 64 characters).
        value: String,
    },
    /// `nan`, `inf` (not a missing marker) where finite numbers are required.
    NonFinite {
        /// The 1-based line.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The column's name.
        name: String,
        /// The cell.
        value: String,
    },
    /// A finite number too large for `f32`.
    OutOfRange {
        /// The 1-based line.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The column's name.
        name: String,
        /// The cell.
        value: String,
    },
    /// A row with another number of fields than the header.
    RaggedRow {
        /// The 1-based line.
        line: u64,
        /// Its fields.
        fields: usize,
        /// The header's.
        expected: usize,
    },
}

impl CellProblem {
    /// The 1-based column of a cell's problem (0 for a row's).
    fn column(&self) -> usize {
        match self {
            CellProblem::NotANumber { column, .. }
            | CellProblem::NonFinite { column, .. }
            | CellProblem::OutOfRange { column, .. } => *column,
            CellProblem::RaggedRow { .. } => 0,
        }
    }

    /// The error of this problem alone, as the numeric reader words it.
    fn alone(self, path: PathBuf) -> DataError {
        match self {
            CellProblem::NotANumber { line, name, value, .. } => {
                DataError::NotANumber { path, line, column: name, value }
            }
            CellProblem::NonFinite { line, name, value, .. } => {
                DataError::NonFinite { path, line, column: name, value }
            }
            CellProblem::OutOfRange { line, name, value, .. } => {
                DataError::OutOfRange { path, line, column: name, value }
            }
            CellProblem::RaggedRow { line, fields, expected } => DataError::RaggedRow { path, line, fields, expected },
        }
    }
}

/// Problems found so far in a file: the first [`PROBLEMS_KEPT`], and how many in all.
#[derive(Debug, Default)]
pub(super) struct Problems {
    kept: Vec<CellProblem>,
    total: usize,
}

impl Problems {
    /// Keeps `p` while fewer than [`PROBLEMS_KEPT`] are kept, and beyond that the first of each
    /// column and kind (so that every column with a problem is named).
    pub(super) fn push(&mut self, p: CellProblem) {
        let key = |q: &CellProblem| (std::mem::discriminant(q), q.column());
        if self.kept.len() < PROBLEMS_KEPT || !self.kept.iter().any(|k| key(k) == key(&p)) {
            self.kept.push(p);
        }
        self.total += 1;
    }

    /// Counts `n` more problems, not kept.
    pub(super) fn count(&mut self, n: usize) {
        self.total += n;
    }

    pub(super) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// `Ok` without problems; one problem as its own error; several as
    /// [`DataError::Problems`].
    pub(super) fn check(self, path: PathBuf) -> Result<(), DataError> {
        match self.total {
            0 => Ok(()),
            1 => Err(self.kept.into_iter().next().expect("one problem").alone(path)),
            total => Err(DataError::Problems { path, problems: self.kept, total }),
        }
    }
}

/// A cell problem's line, column, column name and value.
type Place<'a> = (u64, usize, &'a str, &'a str);

/// The message of [`DataError::Problems`]: per kind, how many columns (or rows), then the first
/// few with their places.
pub(in crate::data) fn summary(problems: &[CellProblem], total: usize) -> String {
    let mut parts = Vec::new();
    let cells = |pick: fn(&CellProblem) -> Option<Place<'_>>, what: &str| {
        let found: Vec<_> = problems.iter().filter_map(pick).collect();
        if found.is_empty() {
            return None;
        }
        let mut columns: Vec<&str> = found.iter().map(|f| f.2).collect();
        columns.sort_unstable();
        columns.dedup();
        let mut s = match columns.len() {
            1 => format!("column {:?} has {what}: ", columns[0]),
            n => format!("{n} columns have {what}: "),
        };
        // The first problem of each column, then the rest, up to NAMED.
        let mut shown: Vec<&Place<'_>> = Vec::new();
        for c in &columns {
            shown.extend(found.iter().find(|f| f.2 == *c));
        }
        shown.extend(found.iter().filter(|f| !shown.contains(f)).collect::<Vec<_>>());
        for (i, (line, col, name, value)) in shown.iter().take(NAMED).enumerate() {
            let sep = if i > 0 { ", " } else { "" };
            let _ = write!(s, "{sep}{name:?} (line {line}, col {col}: {value:?})");
        }
        if found.len() > NAMED {
            s.push_str(", …");
        }
        Some(s)
    };
    parts.extend(cells(
        |p| match p {
            CellProblem::NotANumber { line, column, name, value } => Some((*line, *column, name, value)),
            _ => None,
        },
        "text in numeric cells",
    ));
    parts.extend(cells(
        |p| match p {
            CellProblem::NonFinite { line, column, name, value }
            | CellProblem::OutOfRange { line, column, name, value } => Some((*line, *column, name, value)),
            _ => None,
        },
        "non-finite numbers",
    ));
    let ragged: Vec<(u64, usize, usize)> = problems
        .iter()
        .filter_map(|p| match p {
            CellProblem::RaggedRow { line, fields, expected } => Some((*line, *fields, *expected)),
            _ => None,
        })
        .collect();
    if let Some(&(_, _, expected)) = ragged.first() {
        let mut s = match ragged.len() {
            1 => format!("a row has another number of fields than the header's {expected}: "),
            n => format!("{n} rows have another number of fields than the header's {expected}: "),
        };
        let lines: Vec<String> = ragged.iter().take(NAMED).map(|(l, f, _)| format!("line {l} ({f} fields)")).collect();
        s.push_str(&lines.join(", "));
        if ragged.len() > NAMED {
            s.push_str(", …");
        }
        parts.push(s);
    }
    let mut text = parts.join("; ");
    if total > problems.len() {
        let _ = write!(text, " ({total} problems in all; the first {} were looked at)", problems.len());
    }
    text
}
