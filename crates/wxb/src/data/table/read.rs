//! Reading a CSV file's chosen columns raw ([`RawTable`]): each cell a number, text or missing,
//! every problem collected (see the module's docs); the target column, if any, read by the
//! target collector.

use std::path::{Path, PathBuf};

use super::problems::{CellProblem, Problems};
use super::{Cells, ColumnKind, MissingValues, RawColumn, RawTable};
use crate::data::csv::{CsvOptions, Target};
use crate::data::csv_columns::select;
use crate::data::csv_records::Records;
use crate::data::input::Peeked;
use crate::data::labels::TargetColumn as Collector;
use crate::data::number::{NonFinite, Number, number};
use crate::data::{DataError, cell_text};

/// How to read a table: the CSV options (columns, target, task, non-finite numbers, delimiter),
/// the missing markers, and the columns' kinds when a saved model knows them (`None`: inferred).
pub(in crate::data) struct TableOptions<'a> {
    pub csv: &'a CsvOptions,
    pub missing: &'a MissingValues,
    pub kinds: Option<&'a [ColumnKind]>,
}

/// A cell as read.
#[derive(Clone, Copy)]
enum Slot {
    Missing,
    Number(f32),
    Text,
}

/// One column's cells while reading.
struct Builder {
    kind: Option<ColumnKind>,
    slots: Vec<Slot>,
    /// The text of every present cell, concatenated, and where each row's ends (unless the column
    /// is known to be numeric).
    text: Vec<u8>,
    ends: Vec<usize>,
    /// Non-finite numbers, a problem if the column turns out numeric.
    bad_numbers: Vec<CellProblem>,
}

impl Builder {
    fn push(&mut self, cell: &[u8], missing: &MissingValues, non_finite: NonFinite, at: (u64, usize, &str)) {
        let cell = cell.trim_ascii();
        let slot = if missing.is_missing(cell) {
            Slot::Missing
        } else if self.kind == Some(ColumnKind::Text) {
            Slot::Text
        } else {
            match number(cell) {
                Number::Finite(v) => Slot::Number(v),
                n @ (Number::NonFinite(v) | Number::Overflow(v)) => {
                    if non_finite == NonFinite::Reject {
                        let (line, column, name) = (at.0, at.1, at.2.to_string());
                        let value = cell_text(cell);
                        self.bad_numbers.push(match n {
                            Number::Overflow(_) => CellProblem::OutOfRange { line, column, name, value },
                            _ => CellProblem::NonFinite { line, column, name, value },
                        });
                    }
                    Slot::Number(v)
                }
                Number::Empty => Slot::Missing,
                Number::Text => Slot::Text,
            }
        };
        if self.kind != Some(ColumnKind::Numeric) || matches!(slot, Slot::Text) {
            if !matches!(slot, Slot::Missing) {
                self.text.extend_from_slice(cell);
            }
            self.ends.push(self.text.len());
        }
        self.slots.push(slot);
    }

    /// The column, its kind decided; its problems (text in a numeric column, non-finite numbers)
    /// pushed to `problems`. `lines` holds each row's line.
    fn finish(self, name: String, column: usize, lines: &[u64], problems: &mut Problems) -> RawColumn {
        let texts = self.slots.iter().filter(|s| matches!(s, Slot::Text)).count();
        let numbers = self.slots.iter().filter(|s| matches!(s, Slot::Number(_))).count();
        let kind =
            self.kind.unwrap_or(if texts == 0 || texts < numbers { ColumnKind::Numeric } else { ColumnKind::Text });
        let keeps_text = self.ends.len() == self.slots.len();
        let text_of = |row: usize| {
            let start = if row == 0 { 0 } else { self.ends[row - 1] };
            &self.text[start..self.ends[row]]
        };
        let cells = match kind {
            ColumnKind::Numeric => {
                for p in self.bad_numbers {
                    problems.push(p);
                }
                let mut texts_seen = 0;
                let cells = self
                    .slots
                    .iter()
                    .enumerate()
                    .map(|(row, s)| match s {
                        Slot::Number(v) => Some(*v),
                        Slot::Missing => None,
                        Slot::Text => {
                            // Without every cell's text, the text cells' own are kept in order.
                            let value = if keeps_text { text_of(row) } else { text_of(texts_seen) };
                            texts_seen += 1;
                            let value = cell_text(value);
                            problems.push(CellProblem::NotANumber {
                                line: lines[row],
                                column,
                                name: name.clone(),
                                value,
                            });
                            None
                        }
                    })
                    .collect();
                Cells::Numbers(cells)
            }
            ColumnKind::Text => Cells::Text(
                self.slots
                    .iter()
                    .enumerate()
                    .map(|(row, s)| match s {
                        Slot::Missing => None,
                        _ => Some(String::from_utf8_lossy(text_of(row)).into_owned()),
                    })
                    .collect(),
            ),
        };
        RawColumn { name, cells }
    }
}

/// A table file's chosen columns being read, row by row.
pub(in crate::data) struct TableReader<'a> {
    records: Records<'a>,
    path: PathBuf,
    target: Option<(usize, Collector)>,
    features: Vec<usize>,
    kinds: Option<Vec<ColumnKind>>,
    missing: MissingValues,
    non_finite: NonFinite,
    rows: u64,
}

impl<'a> TableReader<'a> {
    /// Reads the header of `raw` and chooses the columns.
    pub(in crate::data) fn open(raw: Peeked<'a>, path: &Path, options: &TableOptions<'_>) -> Result<Self, DataError> {
        let records = Records::open(raw, path, options.csv)?;
        let (target, features) = select(&records.names, options.csv, path)?;
        let o = options.csv;
        let target = target.map(|t| {
            let collector = Collector::new(path, records.names[t].clone(), o.task, o.non_finite, o.class_count)
                .with_missing(options.missing.clone());
            (t, collector)
        });
        Ok(Self {
            records,
            path: path.to_path_buf(),
            target,
            features,
            kinds: options.kinds.map(<[ColumnKind]>::to_vec),
            missing: options.missing.clone(),
            non_finite: o.non_finite,
            rows: 0,
        })
    }

    /// The next at most `max_rows` rows (all of them for `usize::MAX`), or `None` at the end of
    /// the file. Problems of those rows are reported together.
    ///
    /// # Errors
    /// [`DataError::NoRows`] for a file without rows; [`DataError::Problems`] (or a single
    /// problem's own error); the errors of the records and of the target.
    pub(in crate::data) fn next_rows(&mut self, max_rows: usize) -> Result<Option<RawTable>, DataError> {
        let mut builders: Vec<Builder> = (0..self.features.len())
            .map(|i| Builder {
                kind: self.kinds.as_ref().map(|k| k[i]),
                slots: Vec::new(),
                text: Vec::new(),
                ends: Vec::new(),
                bad_numbers: Vec::new(),
            })
            .collect();
        let mut problems = Problems::default();
        let mut lines = Vec::new();
        while lines.len() < max_rows.max(1) {
            let line = match self.records.next() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(DataError::RaggedRow { line, fields, expected, .. }) => {
                    problems.push(CellProblem::RaggedRow { line, fields, expected });
                    continue;
                }
                Err(e) => return Err(e),
            };
            let record = &self.records.record;
            for (b, &c) in builders.iter_mut().zip(&self.features) {
                b.push(&record[c], &self.missing, self.non_finite, (line, c + 1, &self.records.names[c]));
            }
            if let Some((t, collector)) = self.target.as_mut() {
                collector.push(&record[*t], line)?;
            }
            lines.push(line);
        }
        if lines.is_empty() && problems.is_empty() {
            if self.rows == 0 {
                return Err(DataError::NoRows { path: self.path.clone() });
            }
            return Ok(None);
        }
        self.rows += lines.len() as u64;
        let names = &self.records.names;
        let columns = builders
            .into_iter()
            .zip(&self.features)
            .map(|(b, &c)| b.finish(names[c].clone(), c + 1, &lines, &mut problems))
            .collect();
        problems.check(self.path.clone())?;
        Ok(Some(RawTable { columns }))
    }

    /// The target read so far, finished.
    pub(in crate::data) fn finish_target(self) -> Result<Option<Target>, DataError> {
        self.target.map(|(_, c)| c.finish()).transpose()
    }
}
