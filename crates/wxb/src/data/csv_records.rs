//! The records of CSV text, each checked before a cell is read, for the table reader
//! ([`csv::read`](super::csv::read)) and the streaming one ([`FeatureReader`](super::csv::FeatureReader)).
//!
//! Every record — the header first — must be UTF-8 ([`DataError::NotUtf8`]: Latin-1 `café` would
//! otherwise merge with every other label that differs in one byte), must not span lines (a quote
//! left open swallows the rows after it: [`DataError::UnterminatedQuote`]), and must have the
//! header's number of fields ([`DataError::RaggedRow`]). Lines are counted here, by `\n`, so that
//! every message names the right line in LF and CRLF files alike.

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::csv_columns::{CsvOptions, csv_error, csv_reader};
use super::input::{Peeked, delimiter, text};
use super::{DataError, cell_text};

/// A reader that notes where each `\n` it passes on lies, so that a byte offset gives its line.
struct Lines<'a> {
    inner: Peeked<'a>,
    read: u64,
    /// Offsets of the newlines not yet behind the last record asked about.
    newlines: VecDeque<u64>,
    /// Newlines before those.
    behind: u64,
}

impl Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let start = self.read;
        // memchr's vectorized search: this pass sees every byte of the file.
        self.newlines.extend(memchr::memchr_iter(b'\n', &buf[..n]).map(|i| start + i as u64));
        self.read += n as u64;
        Ok(n)
    }
}

impl Lines<'_> {
    /// The 1-based line of a record that starts at `offset`, which may not lie before the last one
    /// asked about. A record never starts with a newline, but the `csv` crate reports the start of
    /// a record after a CRLF at the CRLF's `\n`: a newline at `offset` itself is behind it too.
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.newlines.front().is_some_and(|&at| at <= offset) {
            self.newlines.pop_front();
            self.behind += 1;
        }
        self.behind + 1
    }
}

/// CSV records, checked, with their line numbers; the header's names read first.
pub(super) struct Records<'a> {
    reader: ::csv::Reader<Lines<'a>>,
    path: PathBuf,
    /// The header's names, trimmed.
    pub(super) names: Vec<String>,
    /// The record last read by [`Records::next`].
    pub(super) record: ::csv::ByteRecord,
}

impl<'a> Records<'a> {
    /// Reads the header of `raw` (gunzipped if it is gzip; the delimiter as `options` or the name
    /// says, else told from the header line).
    ///
    /// # Errors
    /// [`DataError::EmptyFile`] without a header; the errors of [`Records::next`].
    pub(super) fn open(raw: Peeked<'a>, path: &Path, options: &CsvOptions) -> Result<Self, DataError> {
        let text = text(raw, path)?;
        let delimiter = options.delimiter.unwrap_or_else(|| delimiter(path, text.head()));
        let lines = Lines { inner: text, read: 0, newlines: VecDeque::new(), behind: 0 };
        let mut records = Self {
            reader: csv_reader(lines, delimiter),
            path: path.to_path_buf(),
            names: Vec::new(),
            record: ::csv::ByteRecord::new(),
        };
        if records.next()?.is_none() || records.record.is_empty() {
            return Err(DataError::EmptyFile { path: path.to_path_buf() });
        }
        records.names = records.record.iter().map(|h| String::from_utf8_lossy(h.trim_ascii()).into_owned()).collect();
        Ok(records)
    }

    /// Reads the next record into [`Records::record`]; returns its line, or `None` at the end.
    ///
    /// # Errors
    /// [`DataError::UnterminatedQuote`], [`DataError::NotUtf8`], [`DataError::RaggedRow`] (not for
    /// the header), and [`DataError::Io`] when the text cannot be read.
    pub(super) fn next(&mut self) -> Result<Option<u64>, DataError> {
        if !self.reader.read_byte_record(&mut self.record).map_err(|e| csv_error(e, &self.path))? {
            return Ok(None);
        }
        let offset = self.record.position().map_or(0, |p| p.byte());
        let line = self.reader.get_mut().line_at(offset);
        let r = &self.record;
        let column = |i: usize| (i + 1, self.names.get(i).cloned());
        // Lines into the record where field `i` starts.
        let lines_before =
            |i: usize| r.iter().take(i).map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64).sum::<u64>();
        // One vectorized pass over the record's bytes; the field is looked for only on a hit.
        if memchr::memchr2(b'\n', b'\r', r.as_slice()).is_some()
            && let Some(i) = r.iter().position(|f| f.contains(&b'\n') || f.contains(&b'\r'))
        {
            let (column, name) = column(i);
            return Err(DataError::UnterminatedQuote {
                path: self.path.clone(),
                line: line + lines_before(i),
                column,
                name,
            });
        }
        // ASCII (every numeric table) is valid UTF-8: checked word by word, far cheaper than decoding.
        if !r.as_slice().is_ascii()
            && let Err(e) = std::str::from_utf8(r.as_slice())
        {
            let at = e.valid_up_to();
            let i = (0..r.len()).find(|&i| r.range(i).is_some_and(|f| f.contains(&at))).unwrap_or(0);
            let (column, name) = column(i);
            let value = cell_text(r[i].escape_ascii().to_string().as_bytes());
            return Err(DataError::NotUtf8 {
                path: self.path.clone(),
                line,
                column,
                name,
                byte: r.as_slice()[at],
                value,
            });
        }
        if !self.names.is_empty() && r.len() != self.names.len() {
            return Err(DataError::RaggedRow {
                path: self.path.clone(),
                line,
                fields: r.len(),
                expected: self.names.len(),
            });
        }
        Ok(Some(line))
    }
}
