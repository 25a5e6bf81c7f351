//! Streaming CSV features: a file read in batches of rows, so that memory stays flat however long
//! the file is (for prediction on files larger than memory).
//!
//! The columns are chosen, and the cells read and checked, exactly as by [`csv::read`](super::csv::read)
//! (same errors, same line numbers); the target column is never read (see
//! [`CsvOptions::for_prediction`](super::csv::CsvOptions::for_prediction)), so it may be absent.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::DataError;
use super::csv_columns::{CsvOptions, select};
use super::csv_records::Records;
use super::input::{Input, Peeked};
use super::number::NonFinite;
use super::number::checked_number;
use crate::Tensor;

/// Reads the feature columns of a CSV file a batch of rows at a time.
///
/// ```
/// use wxb::data::csv::{CsvOptions, FeatureReader};
/// let text = "a,b,y\n1,2,0\n3,4,1\n5,6,0\n";
/// let options = CsvOptions::for_prediction(&["b".to_string(), "a".to_string()]);
/// let mut reader = FeatureReader::from_reader(std::io::Cursor::new(text), "t.csv", &options).unwrap();
/// assert_eq!(reader.feature_names(), ["b", "a"]);
/// assert_eq!(reader.next_batch(2).unwrap().unwrap().data(), &[2.0, 1.0, 4.0, 3.0]);
/// assert_eq!(reader.next_batch(2).unwrap().unwrap().data(), &[6.0, 5.0]);
/// assert!(reader.next_batch(2).unwrap().is_none());
/// ```
pub struct FeatureReader {
    records: Records<'static>,
    path: PathBuf,
    features: Vec<usize>,
    non_finite: NonFinite,
    rows: u64,
    /// The batch being parsed, kept between batches so that reading allocates nothing.
    values: Vec<f32>,
}

impl std::fmt::Debug for FeatureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeatureReader").field("path", &self.path).field("rows", &self.rows).finish_non_exhaustive()
    }
}

impl FeatureReader {
    /// Opens `path` (a file or a pipe) and reads its header, choosing the feature columns by
    /// `options` (its target is only excluded from
    /// [`FeatureColumns::Rest`](super::csv::FeatureColumns::Rest), never read).
    pub fn open(path: &Path, options: &CsvOptions) -> Result<Self, DataError> {
        Self::new(Input::open(path)?.into_raw(), path, options)
    }

    /// Reads CSV text from `reader`; `name` stands for the path in errors.
    pub fn from_reader(
        reader: impl Read + Send + 'static,
        name: &str,
        options: &CsvOptions,
    ) -> Result<Self, DataError> {
        let path = Path::new(name);
        Self::new(Peeked::new(Box::new(reader), path)?, path, options)
    }

    fn new(raw: Peeked<'static>, path: &Path, options: &CsvOptions) -> Result<Self, DataError> {
        let records = Records::open(raw, path, options)?;
        let (_, features) = select(&records.names, options, path)?;
        Ok(Self {
            records,
            path: path.to_path_buf(),
            features,
            non_finite: options.non_finite,
            rows: 0,
            values: Vec::new(),
        })
    }

    /// The features' header names, in the order of the batches' columns.
    pub fn feature_names(&self) -> Vec<String> {
        self.features.iter().map(|&c| self.records.names[c].clone()).collect()
    }

    /// Data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    /// The next batch of at most `max_rows` rows (at least 1) as `[rows, features]`, or `None` at
    /// the end of the file. A file without any data row gives [`DataError::NoRows`].
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<Tensor>, DataError> {
        let mut out = Tensor::default();
        Ok((self.next_batch_into(max_rows, &mut out)? > 0).then_some(out))
    }

    /// Like [`FeatureReader::next_batch`], reusing `out`'s allocation; returns the rows read (0 at
    /// the end of the file).
    pub fn next_batch_into(&mut self, max_rows: usize, out: &mut Tensor) -> Result<usize, DataError> {
        let k = self.features.len();
        let mut values = std::mem::take(&mut self.values);
        values.clear();
        let mut n = 0;
        while n < max_rows.max(1) {
            let Some(line) = self.records.next()? else { break };
            for &c in &self.features {
                let place = || (line, self.records.names[c].clone());
                values.push(checked_number(&self.records.record[c], self.non_finite, place, &self.path)?);
            }
            n += 1;
        }
        if n == 0 && self.rows == 0 {
            return Err(DataError::NoRows { path: self.path.clone() });
        }
        self.rows += n as u64;
        out.resize(&[n, k]);
        out.data_mut().copy_from_slice(&values);
        self.values = values;
        Ok(n)
    }
}
