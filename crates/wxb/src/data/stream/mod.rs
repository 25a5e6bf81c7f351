//! Training data larger than memory: a CSV table or a `.npy` array read from disk a chunk at a
//! time, pass after pass ([`StreamedData`], a [`BatchSource`] for
//! [`Sequential::fit_source`](crate::Sequential::fit_source)).
//!
//! The passes over a CSV file:
//! 1. (with a validation split) the rows are counted — records only, no cell parsed;
//! 2. the **survey** ([`Survey`]) reads the training rows once: each column's kind is told from
//!    the first chunk (the in-memory rule on its first [`StreamOptions::chunk_rows`] rows; a later
//!    cell of another kind is then a problem, as text after 4,096 numbers is in memory), the
//!    target's task and classes decided by the in-memory rule from its distinct labels, and each
//!    column's statistics gathered — Keras' `Normalization` mean and population variance of the
//!    imputed column (sums in f64 in row order; the variance's chunks combined by Chan's rule, as
//!    Keras' `Normalization.adapt` combines a dataset's batches), `StringLookup`/`IntegerLookup`
//!    counts (vocabulary in Keras' order), missing cells. The schema is then exactly the in-memory
//!    one but for float rounding of the variance;
//! 3. every epoch reads the training rows again, prepared chunk by chunk, and the validation rows
//!    after them.
//!
//! `.npy` features (with a `.npy` labels file) are read by row ranges (seeks), their task decided
//! in a first pass over the labels.
//!
//! **Validation split** of streamed data: Keras' rule, the **last** `floor(n·split)` rows held
//! out (`n` counted in pass 1): per shard when a shard is opened alone, over the whole CSV file
//! with [`StreamedData::open_across`]. A validation file is streamed the same way.
//!
//! **Memory**: a pass holds one chunk of raw cells and its prepared tensor
//! ([`BatchSource::buffer_bytes`] says how much), whatever the file's size; the vocabularies and
//! the distinct labels are kept (bounded by [`MAX_CLASSES`](super::MAX_CLASSES) for labels).
//!
//! **Shards** ([`Shard`]): for data-parallel training, rank `r` of `size` reads only its part —
//! a CSV file's lines that start in the `r`-th of `size` equal byte ranges of the data (after
//! the header; lines never span a record, so each line is one row and belongs to one shard; a
//! gzip file cannot be split), an array's rows `[n·r/size, n·(r+1)/size)`. Each rank's
//! [`StreamedData::survey`] covers its shard; merge them ([`Survey::merge`]) so that every rank
//! adapts the same preprocessing ([`StreamedData::from_survey`]). [`StreamedData::open_across`]
//! does all this over a [`Collective`](crate::train::Collective) (MPI's processes), and
//! [`StreamedData::for_schema_across`] reads a shard for a resumed model.

mod across;
mod csv;
mod npy;
mod options;
mod survey;

use std::path::{Path, PathBuf};

pub use options::{Shard, StreamOptions};
pub use survey::Survey;
use survey::{Kinds, survey_shard};

use self::csv::CsvPass;
use self::npy::NpyPass;
use super::format::Format;
use super::schema::Schema;
use super::table::ColumnKind;
use super::{DataError, Input};
use crate::Tensor;
use crate::error::WxbError;
use crate::losses::Loss;
use crate::train::{BatchSource, Part};

/// The format a streamed file has.
enum Kind {
    Csv { kinds: Vec<ColumnKind> },
    Npy(Box<npy::NpyFile>),
}

/// The open pass.
enum Pass {
    Csv(Box<CsvPass>),
    Npy(NpyPass),
    Other,
}

/// Where the validation rows come from.
enum Validation {
    None,
    /// The last rows of the shard, after its training rows.
    LastRows(usize),
    /// Another file's rows, read for the same schema.
    File(Box<StreamedData>),
}

/// A data file streamed as prepared chunks, pass after pass (see the module's docs).
pub struct StreamedData {
    path: PathBuf,
    options: StreamOptions,
    kind: Kind,
    schema: Schema,
    training: usize,
    validation: Validation,
    pass: Pass,
    remaining: usize,
    raw_columns: usize,
    loss: Option<Loss>,
    error: Option<DataError>,
    /// Rows parsed from the file so far: the survey's and every pass's.
    read: u64,
}

impl std::fmt::Debug for StreamedData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamedData")
            .field("path", &self.path)
            .field("training", &self.training)
            .finish_non_exhaustive()
    }
}

/// Keras' training rows of `n` with the last `split` held out.
fn training_rows(n: usize, split: f64, path: &Path) -> Result<usize, DataError> {
    if split == 0.0 {
        return Ok(n);
    }
    let t = (n as f64 * (1.0 - split)).floor() as usize;
    if t == 0 || t == n {
        return Err(DataError::NoRows { path: path.to_path_buf() });
    }
    Ok(t)
}

impl StreamedData {
    /// Opens `path` (CSV, or `.npy` with the `.npy` `labels`) for training: surveys its shard
    /// and adapts the preprocessing on it ([`StreamedData::survey`] then
    /// [`StreamedData::from_survey`]).
    ///
    /// # Errors
    /// The readers' errors; [`DataError::NoRows`] when a validation split leaves no training or
    /// no validation row.
    pub fn open(path: &Path, labels: Option<&Path>, options: &StreamOptions) -> Result<Self, DataError> {
        match Input::open(path)?.format() {
            Format::Npy => npy::open(path, labels, options),
            _ => Self::from_survey(Self::survey(path, options)?, options),
        }
    }

    /// The first pass over a CSV file's shard: counts its rows (with a validation split) and
    /// gathers the statistics of its training rows. Merge the shards' surveys before
    /// [`StreamedData::from_survey`] (or let [`StreamedData::open_across`] do it).
    ///
    /// # Errors
    /// The readers' errors, for the rows read.
    pub fn survey(path: &Path, options: &StreamOptions) -> Result<Survey, DataError> {
        let own = if options.validation_split > 0.0 { Some(csv::count_rows(path, options)?) } else { None };
        let rows = match own {
            Some(n) => (training_rows(n, options.validation_split, path)?, n),
            None => (usize::MAX, 0),
        };
        survey_shard(path, options, rows, Kinds::FirstChunk(&mut |_| Ok(())))
    }

    /// The data whose preprocessing is adapted on `survey` (one shard's, or every shard's merged),
    /// reading the shard `options.shard` (the one surveyed).
    ///
    /// # Errors
    /// The task rule's errors ([`DataError::SingleClass`], [`DataError::NotANumber`],
    /// [`DataError::TooManyLabels`]).
    pub fn from_survey(survey: Survey, options: &StreamOptions) -> Result<Self, DataError> {
        let (training, validation) = survey.own;
        let kinds = survey.kinds.clone();
        let path = survey.path.clone();
        let schema = survey.schema(options.load.task, &options.adapt, &options.load.missing)?;
        Ok(Self {
            path,
            options: options.clone(),
            raw_columns: kinds.len(),
            kind: Kind::Csv { kinds },
            schema,
            training,
            validation: if validation > 0 { Validation::LastRows(validation) } else { Validation::None },
            pass: Pass::Other,
            remaining: 0,
            loss: None,
            error: None,
            read: training as u64,
        })
    }

    /// Opens `path` (with `labels` for `.npy`) to read for `schema` (a validation file): every row
    /// of its shard, prepared as the training data.
    ///
    /// # Errors
    /// The readers' errors.
    pub fn for_schema(
        path: &Path,
        labels: Option<&Path>,
        schema: &Schema,
        options: &StreamOptions,
    ) -> Result<Self, DataError> {
        let options = StreamOptions { validation_split: 0.0, ..options.clone() };
        if Input::open(path)?.format() == Format::Npy {
            return npy::for_schema(path, labels, schema, &options);
        }
        let kinds: Vec<ColumnKind> = schema.columns.iter().flatten().map(|c| c.kind).collect();
        let mut pass = CsvPass::open(path, &options, Some(&kinds), Some(schema.task))?;
        let training = pass.reader().count_rows()?;
        Ok(Self {
            path: path.to_path_buf(),
            options,
            raw_columns: kinds.len(),
            kind: Kind::Csv { kinds },
            schema: schema.clone(),
            training,
            validation: Validation::None,
            pass: Pass::Other,
            remaining: 0,
            loss: None,
            error: None,
            read: 0,
        })
    }

    fn from_npy(file: npy::NpyFile, schema: Schema, options: &StreamOptions, rows: (usize, usize)) -> Self {
        let raw_columns = file.width();
        Self {
            path: file.path().to_path_buf(),
            options: options.clone(),
            kind: Kind::Npy(Box::new(file)),
            schema,
            training: rows.0,
            validation: if rows.1 > 0 { Validation::LastRows(rows.1) } else { Validation::None },
            pass: Pass::Other,
            remaining: 0,
            raw_columns,
            loss: None,
            error: None,
            read: 0,
        }
    }

    /// Validates on `other`'s rows (a file read with [`StreamedData::for_schema`]) instead.
    pub fn with_validation(mut self, other: StreamedData) -> Self {
        self.validation = Validation::File(Box::new(other));
        self
    }

    /// Gives the targets as `loss` takes them ([`Schema::targets_for`]: one-hot class indices for
    /// a loss that is not sparse), the validation file's too.
    pub fn targets_for(&mut self, loss: Loss) {
        self.loss = Some(loss);
        if let Validation::File(v) = &mut self.validation {
            v.targets_for(loss);
        }
    }

    /// The schema: task, classes, each column's adapted preprocessing.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The rows this process has parsed from its files so far: the survey's (a CSV file's
    /// training rows of its shard) and every pass's, a validation file's included; with
    /// [`Shard`]s, only the shard's rows.
    pub fn rows_read(&self) -> u64 {
        match &self.validation {
            Validation::File(v) => self.read + v.rows_read(),
            _ => self.read,
        }
    }

    /// The error of the last failed read, typed (the [`WxbError::BatchSource`] carries its text).
    pub fn take_error(&mut self) -> Option<DataError> {
        match &mut self.validation {
            Validation::File(v) if self.error.is_none() => v.take_error(),
            _ => self.error.take(),
        }
    }

    fn fail(&mut self, e: DataError) -> WxbError {
        let message = e.to_string();
        self.error = Some(e);
        WxbError::BatchSource { message }
    }

    fn open_pass(&mut self, skip: usize) -> Result<(), DataError> {
        self.pass = match &self.kind {
            Kind::Csv { kinds } => {
                let mut p = CsvPass::open(&self.path, &self.options, Some(kinds), Some(self.schema.task))?;
                p.skip(skip)?;
                Pass::Csv(Box::new(p))
            }
            Kind::Npy(file) => Pass::Npy(file.pass(skip)?),
        };
        Ok(())
    }
}

impl BatchSource for StreamedData {
    fn rows(&self, part: Part) -> usize {
        match (part, &self.validation) {
            (Part::Training, _) => self.training,
            (_, Validation::LastRows(v)) => *v,
            (_, Validation::File(d)) => d.training,
            _ => 0,
        }
    }

    fn widths(&self) -> (usize, usize) {
        let targets = match &self.kind {
            Kind::Npy(f) => f.target_width(&self.schema),
            Kind::Csv { .. } => 1,
        };
        let one = self.loss.map_or(targets, |l| self.schema.targets_for(l, Tensor::zeros(&[1, targets])).cols());
        (self.schema.feature_names.len(), one)
    }

    fn buffer_bytes(&self) -> u64 {
        // Raw cells (a text cell's String and bytes), the prepared chunk, the read-ahead buffers.
        let (width, targets) = self.widths();
        let row = 40 * self.raw_columns as u64 + 4 * (width + targets) as u64 + 16;
        let own = self.options.chunk_rows.max(1) as u64 * row + (160 << 10);
        match &self.validation {
            Validation::File(v) => own.max(v.buffer_bytes()),
            _ => own,
        }
    }

    fn start(&mut self, part: Part) -> Result<(), WxbError> {
        let (skip, rows) = match (part, &mut self.validation) {
            (Part::Training, _) => (0, self.training),
            (_, Validation::File(v)) => {
                self.pass = Pass::Other;
                return v.start(Part::Training);
            }
            (_, Validation::LastRows(v)) => (self.training, *v),
            (_, Validation::None) => (0, 0),
        };
        self.open_pass(skip).map_err(|e| self.fail(e))?;
        self.remaining = rows;
        Ok(())
    }

    fn next_chunk(&mut self, x: &mut Tensor, y: &mut Tensor) -> Result<usize, WxbError> {
        if let (Pass::Other, Validation::File(v)) = (&self.pass, &mut self.validation) {
            return v.next_chunk(x, y);
        }
        if self.remaining == 0 {
            return Ok(0);
        }
        let max = self.options.chunk_rows.max(1).min(self.remaining);
        let got = match &mut self.pass {
            Pass::Csv(p) => p.next(max, &self.schema, &self.path, (x, y)),
            Pass::Npy(p) => match &self.kind {
                Kind::Npy(f) => p.next(f, max, &self.schema, (x, y)),
                Kind::Csv { .. } => unreachable!("an npy pass reads an npy file"),
            },
            Pass::Other => Ok(0),
        };
        let n = got.map_err(|e| self.fail(e))?;
        self.read += n as u64;
        if let Some(loss) = self.loss
            && n > 0
        {
            *y = self.schema.targets_for(loss, std::mem::take(y));
        }
        self.remaining = if n == 0 { 0 } else { self.remaining - n };
        Ok(n)
    }
}
