//! A CSV table read a chunk at a time: its shard's bytes, the passes over them.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{Shard, StreamOptions};
use crate::Tensor;
use crate::data::DataError;
use crate::data::csv::{CsvOptions, Target};
use crate::data::input::{Input, Peeked};
use crate::data::schema::Schema;
use crate::data::table::read::{TableOptions, TableReader};
use crate::data::table::{self, ColumnKind};
use crate::data::task::{ClassCount, Task, map_classes};

/// The bytes of `path` a shard reads: the header line, then the lines that *start* in the
/// shard's share of the data bytes (`[len·rank/size, len·(rank+1)/size)` after the header), so
/// that every line belongs to exactly one shard. One shard: the whole file, as it is (gzip too).
pub(super) fn open_shard(path: &Path, shard: Shard) -> Result<Peeked<'static>, DataError> {
    if shard.size <= 1 {
        return Ok(Input::open(path)?.into_raw());
    }
    let io = |source| DataError::Io { path: path.to_path_buf(), source };
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let len = file.get_ref().metadata().map_err(io)?.len();
    let mut header = Vec::new();
    file.read_until(b'\n', &mut header).map_err(io)?;
    if header.starts_with(&[0x1f, 0x8b]) {
        let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, "a gzip file cannot be split into shards");
        return Err(io(e));
    }
    let body = header.len() as u64;
    let data = len - body;
    // The first line starting at or after `at`.
    let mut line_start = |at: u64| -> Result<u64, DataError> {
        if at <= body || at >= len {
            return Ok(at.clamp(body, len));
        }
        file.seek(SeekFrom::Start(at - 1)).map_err(io)?;
        let mut skipped = Vec::new();
        let n = file.read_until(b'\n', &mut skipped).map_err(io)?;
        Ok(at - 1 + n as u64)
    };
    let (rank, size) = (shard.rank as u64, shard.size as u64);
    let start = line_start(body + data * rank / size)?;
    let end = line_start(body + data * (rank + 1) / size)?;
    let mut file = file.into_inner();
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let reader = std::io::Cursor::new(header).chain(file.take(end.saturating_sub(start)));
    Peeked::new(Box::new(reader), path)
}

/// A pass over a CSV shard.
pub(super) struct CsvPass {
    reader: TableReader<'static>,
}

impl CsvPass {
    /// Opens a pass; `kinds` (after the survey) fixes the columns' kinds, `task` and the
    /// schema's classes how the target is read.
    pub(super) fn open(
        path: &Path,
        o: &StreamOptions,
        kinds: Option<&[ColumnKind]>,
        task: Option<Task>,
    ) -> Result<Self, DataError> {
        let csv = CsvOptions {
            target: o.load.target.clone(),
            features: o.load.features.clone(),
            task,
            non_finite: o.load.non_finite,
            delimiter: o.load.delimiter,
            class_count: if task.is_some() { ClassCount::Any } else { ClassCount::AtLeastTwo },
        };
        let t = TableOptions { csv: &csv, missing: &o.load.missing, kinds, categorical: &o.load.categorical };
        let reader = TableReader::open(open_shard(path, o.shard)?, path, &t)?;
        Ok(Self { reader })
    }

    /// Skips `rows` rows (their cells unread).
    pub(super) fn skip(&mut self, rows: usize) -> Result<(), DataError> {
        self.reader.skip_rows(rows)
    }

    /// The reader, for the survey.
    pub(super) fn reader(&mut self) -> &mut TableReader<'static> {
        &mut self.reader
    }

    /// The next at most `max` rows prepared by `schema` into `x`, their targets (indices into the
    /// schema's classes, or values) into `y`; returns the rows, 0 at the end.
    pub(super) fn next(
        &mut self,
        max: usize,
        schema: &Schema,
        path: &Path,
        (x, y): (&mut Tensor, &mut Tensor),
    ) -> Result<usize, DataError> {
        let Some(chunk) = self.reader.next_rows(max)? else { return Ok(0) };
        let columns = schema.columns.as_deref().expect("a streamed table's schema has columns");
        *x = table::transform(columns, &chunk);
        *y = match self.reader.take_target()? {
            Some(Target::Classes { labels, classes, .. }) => {
                map_classes(&labels, &classes, schema.class_names.as_deref().unwrap_or_default(), path)?
            }
            Some(t) => t.tensor().clone(),
            None => return Err(DataError::NoLabels { path: path.to_path_buf() }),
        };
        Ok(chunk.rows())
    }
}

/// Counts the data rows of a CSV shard (records only: no cell is parsed).
pub(super) fn count_rows(path: &Path, o: &StreamOptions) -> Result<usize, DataError> {
    let mut pass = CsvPass::open(path, o, None, None)?;
    pass.reader.count_rows()
}
