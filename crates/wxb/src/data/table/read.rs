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
/// the missing markers, and the columns' kinds when a saved model knows them (`None`: inferred,
/// except for the `categorical` columns, text whatever they hold).
pub(in crate::data) struct TableOptions<'a> {
    pub csv: &'a CsvOptions,
    pub missing: &'a MissingValues,
    pub kinds: Option<&'a [ColumnKind]>,
    pub categorical: &'a [String],
}

/// A cell as read, while the column's kind is open.
#[derive(Clone, Copy)]
enum Slot {
    Missing,
    Number(f32),
    Text,
}

/// Present cells after which a column that has held only numbers is numeric for good: its cells'
/// texts are no longer kept (a table of numbers then takes 8 bytes a cell while it is read), and a
/// text cell after them is a problem of a numeric column.
const SNIFF: usize = 4096;

/// Problems kept per column and kind while reading (the rest are counted).
const KEPT: usize = super::PROBLEMS_KEPT;

/// Some problems of one kind, and how many in all.
#[derive(Default)]
struct Kept {
    kept: Vec<CellProblem>,
    total: usize,
}

impl Kept {
    fn push(&mut self, p: CellProblem) {
        if self.kept.len() < KEPT {
            self.kept.push(p);
        }
        self.total += 1;
    }

    fn into(self, problems: &mut Problems) {
        let more = self.total - self.kept.len();
        self.kept.into_iter().for_each(|p| problems.push(p));
        problems.count(more);
    }
}

/// One column's cells while reading.
#[derive(Default)]
struct Builder {
    /// Its kind, when known (a saved model's, `--categorical`, or told by [`SNIFF`]).
    kind: Option<ColumnKind>,
    /// A numeric column's cells.
    numbers: Vec<Option<f32>>,
    /// Text in a numeric column's cells.
    texts_in_numbers: Kept,
    /// While the kind is open or text: each cell, the text of every present cell concatenated,
    /// and where each row's ends.
    slots: Vec<Slot>,
    text: Vec<u8>,
    ends: Vec<usize>,
    present: usize,
    texts: usize,
    /// Non-finite numbers, a problem if the column is numeric.
    bad_numbers: Kept,
}

impl Builder {
    fn new(kind: Option<ColumnKind>) -> Self {
        Self { kind, ..Self::default() }
    }

    fn push(&mut self, cell: &[u8], missing: &MissingValues, non_finite: NonFinite, at: (u64, usize, &str)) {
        let cell = cell.trim_ascii();
        let place = || (at.0, at.1, at.2.to_string(), cell_text(cell));
        let slot = if missing.is_missing(cell) {
            Slot::Missing
        } else if self.kind == Some(ColumnKind::Text) {
            Slot::Text
        } else {
            match number(cell) {
                Number::Finite(v) => Slot::Number(v),
                n @ (Number::NonFinite(v) | Number::Overflow(v)) => {
                    if non_finite == NonFinite::Reject {
                        let (line, column, name, value) = place();
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
        if self.kind == Some(ColumnKind::Numeric) {
            self.numbers.push(match slot {
                Slot::Number(v) => Some(v),
                Slot::Missing => None,
                Slot::Text => {
                    let (line, column, name, value) = place();
                    self.texts_in_numbers.push(CellProblem::NotANumber { line, column, name, value });
                    None
                }
            });
            return;
        }
        if !matches!(slot, Slot::Missing) {
            self.text.extend_from_slice(cell);
            self.present += 1;
            self.texts += usize::from(matches!(slot, Slot::Text));
        }
        self.ends.push(self.text.len());
        self.slots.push(slot);
        if self.kind.is_none() && self.present == SNIFF && self.texts == 0 {
            self.kind = Some(ColumnKind::Numeric);
            self.numbers = self.slots.iter().map(|s| if let Slot::Number(v) = s { Some(*v) } else { None }).collect();
            (self.slots, self.text, self.ends) = (Vec::new(), Vec::new(), Vec::new());
        }
    }

    /// The column, its kind decided (numeric when no more than a minority of its present cells are
    /// text); its problems (text in a numeric column, non-finite numbers) pushed to `problems`.
    /// `lines` holds each row's line.
    fn finish(self, name: String, column: usize, lines: &[u64], problems: &mut Problems) -> RawColumn {
        let numbers = self.present - self.texts;
        let kind = self.kind.unwrap_or(if self.texts < numbers || self.texts == 0 {
            ColumnKind::Numeric
        } else {
            ColumnKind::Text
        });
        let text_of = |row: usize| {
            let start = if row == 0 { 0 } else { self.ends[row - 1] };
            &self.text[start..self.ends[row]]
        };
        let cells = match (kind, self.kind) {
            (ColumnKind::Numeric, Some(_)) => {
                self.bad_numbers.into(problems);
                self.texts_in_numbers.into(problems);
                Cells::Numbers(self.numbers)
            }
            (ColumnKind::Numeric, None) => {
                self.bad_numbers.into(problems);
                let mut texts = Kept::default();
                let cells = self
                    .slots
                    .iter()
                    .enumerate()
                    .map(|(row, s)| match s {
                        Slot::Number(v) => Some(*v),
                        Slot::Missing => None,
                        Slot::Text => {
                            let value = cell_text(text_of(row));
                            texts.push(CellProblem::NotANumber { line: lines[row], column, name: name.clone(), value });
                            None
                        }
                    })
                    .collect();
                texts.into(problems);
                Cells::Numbers(cells)
            }
            (_, _) => Cells::Text(
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
    kinds: Vec<Option<ColumnKind>>,
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
        let names = &records.names;
        if let Some(name) = options.categorical.iter().find(|n| !features.iter().any(|&c| names[c] == **n)) {
            let available = features.iter().map(|&c| names[c].clone()).collect();
            return Err(DataError::UnknownColumn { path: path.to_path_buf(), name: name.clone(), available });
        }
        let kinds = match options.kinds {
            Some(k) => k.iter().copied().map(Some).collect(),
            None => {
                features.iter().map(|&c| options.categorical.contains(&names[c]).then_some(ColumnKind::Text)).collect()
            }
        };
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
            kinds,
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
        let mut builders: Vec<Builder> = self.kinds.iter().map(|&k| Builder::new(k)).collect();
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

    /// Skips the next `rows` rows (their records checked, their cells not read).
    pub(in crate::data) fn skip_rows(&mut self, rows: usize) -> Result<(), DataError> {
        for _ in 0..rows {
            if self.records.next()?.is_none() {
                break;
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// Counts the rows left (their records checked, their cells not read).
    pub(in crate::data) fn count_rows(&mut self) -> Result<usize, DataError> {
        let mut n = 0;
        while self.records.next()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// The columns' kinds from now on (a streamed file's kinds, told from its first chunk).
    pub(in crate::data) fn set_kinds(&mut self, kinds: &[ColumnKind]) {
        self.kinds = kinds.iter().copied().map(Some).collect();
    }

    /// The target collector, to gather its cells chunk by chunk.
    pub(in crate::data) fn target_mut(&mut self) -> Option<&mut Collector> {
        self.target.as_mut().map(|(_, c)| c)
    }

    /// The target of the rows read since the last call, finished; the next rows start a new one.
    pub(in crate::data) fn take_target(&mut self) -> Result<Option<Target>, DataError> {
        self.target.as_mut().map(|(_, c)| std::mem::replace(c, c.fresh()).finish()).transpose()
    }

    /// The target read so far, finished.
    pub(in crate::data) fn finish_target(self) -> Result<Option<Target>, DataError> {
        self.target.map(|(_, c)| c.finish()).transpose()
    }
}
