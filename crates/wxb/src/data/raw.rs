//! Training data read but not yet adapted ([`RawDataset`]), its preprocessing adapted on the
//! training rows only ([`RawDataset::adapt`]); and data for a saved model read a batch at a
//! time, prepared ([`PreparedReader`]).

use super::csv::FeatureReader;
use super::schema::{Schema, Standardization};
use super::table::read::TableReader;
use super::table::{self, RawTable};
use super::{DataError, Dataset};
use crate::Tensor;

/// A data file's features as read, before any statistics are taken from them.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RawFeatures {
    /// A CSV table's columns: numbers, text, missing cells.
    Table(RawTable),
    /// Arrays (IDX, NumPy): `[n, k]`, already scaled (byte images to `[0, 1]`).
    Matrix(Tensor),
}

/// Training data read by [`load_raw`](super::load_raw): features not yet prepared, the targets
/// (task and classes decided from the whole file), and the schema so far.
#[derive(Clone, Debug, PartialEq)]
pub struct RawDataset {
    /// The features as read.
    pub features: RawFeatures,
    /// Class indices `[n, 1]` (classification) or values `[n, outputs]` (regression).
    pub targets: Tensor,
    /// Format, task, class names, target; for a table, its feature columns' names (the model's
    /// input names are set by [`RawDataset::adapt`]).
    pub schema: Schema,
}

/// What is standardized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Standardize {
    /// A table's numeric columns (Keras `Normalization`); arrays keep their values (default).
    #[default]
    Tables,
    /// Tables' numeric columns and arrays' every feature (z-score, [`Standardization`]).
    Everything,
    /// Nothing.
    Nothing,
}

/// How [`RawDataset::adapt`] prepares the features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct AdaptOptions {
    /// What is standardized (default: tables' numeric columns).
    pub standardize: Standardize,
    /// Whether a table column with missing training cells gets a missing-indicator input.
    pub missing_indicator: bool,
}

impl RawDataset {
    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.targets.rows()
    }

    /// Adapts the preprocessing on the rows `training` (indices; validation rows must not be
    /// among them), then prepares every row: a table's columns imputed, standardized and one-hot
    /// encoded as [`table`](super::table) says (the preprocessing saved in [`Schema::columns`]), or
    /// arrays standardized with their training rows' statistics under
    /// [`Standardize::Everything`].
    ///
    /// # Panics
    /// When an index of `training` is not a row.
    pub fn adapt(self, training: &[usize], options: &AdaptOptions) -> Dataset {
        let RawDataset { features, targets, mut schema } = self;
        let features = match features {
            RawFeatures::Table(t) => {
                let standardize = options.standardize != Standardize::Nothing;
                let columns = table::adapt(&t, training, standardize, options.missing_indicator);
                let x = table::transform(&columns, &t);
                schema.feature_names = table::input_names(&columns);
                schema.columns = Some(columns);
                x
            }
            RawFeatures::Matrix(mut x) => {
                if options.standardize == Standardize::Everything {
                    let s = Standardization::fit(&x.gather_rows(training));
                    s.apply(&mut x);
                    schema.standardize = Some(s);
                }
                x
            }
        };
        Dataset { features, targets, schema }
    }
}

/// Data for a saved model, read a batch of rows at a time and prepared as in training (see
/// [`open_prepared`](super::open_prepared)).
pub struct PreparedReader {
    inner: Inner,
    schema: Schema,
}

enum Inner {
    Numbers(Box<FeatureReader>),
    Table(Box<TableReader<'static>>),
}

impl std::fmt::Debug for PreparedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedReader").finish_non_exhaustive()
    }
}

impl PreparedReader {
    pub(super) fn numbers(reader: FeatureReader, schema: &Schema) -> Self {
        Self { inner: Inner::Numbers(Box::new(reader)), schema: schema.clone() }
    }

    pub(super) fn table(reader: TableReader<'static>, schema: &Schema) -> Self {
        Self { inner: Inner::Table(Box::new(reader)), schema: schema.clone() }
    }

    /// The next at most `max_rows` rows (at least 1), prepared, into `out`
    /// `[rows, schema.feature_names.len()]`; returns the rows read (0 at the end).
    ///
    /// # Errors
    /// The readers' errors; a file without rows is [`DataError::NoRows`].
    pub fn next_batch_into(&mut self, max_rows: usize, out: &mut Tensor) -> Result<usize, DataError> {
        match &mut self.inner {
            Inner::Numbers(r) => {
                let n = r.next_batch_into(max_rows, out)?;
                self.schema.prepare(out);
                Ok(n)
            }
            Inner::Table(r) => match r.next_rows(max_rows)? {
                Some(t) => {
                    let columns = self.schema.columns.as_deref().expect("a table schema");
                    *out = table::transform(columns, &t);
                    Ok(t.rows())
                }
                None => Ok(0),
            },
        }
    }
}
