//! Tables as people have them: columns of numbers or of text, with missing cells, read raw
//! ([`RawTable`]) and turned into a model's inputs by per-column preprocessing saved with the
//! model ([`ColumnPrep`]), as Keras preprocessing layers do it.
//!
//! Reading ([`load_raw`](crate::data::load_raw), [`read_table_for_model`](crate::data::read_table_for_model)): a cell that is one of the [`MissingValues`] markers (an empty cell always; by default
//! also `NA`, `NaN`, `?`, `null`; compared after trimming blanks) is missing. A training file's
//! column is [`ColumnKind::Numeric`] when every present cell is a number, [`ColumnKind::Text`]
//! when at least half of its present cells are not numbers (its numbers are then categories, as
//! text); a column of mostly numbers with some text is an error naming the text cells. A column
//! whose first 4,096 present cells are all numbers is numeric (its cells' texts are then no longer
//! kept, so that a large table of numbers is read in 8 bytes a cell): text after them is an error
//! too (`--categorical` in the CLI, [`LoadOptions::categorical`](crate::data::LoadOptions::categorical)
//! reads a column as text whatever it holds). A saved
//! model's columns keep their training kinds. Every problem of a file (text in numeric cells,
//! non-finite numbers, rows of another length than the header) is collected up to
//! [`PROBLEMS_KEPT`] and reported together ([`DataError::Problems`](super::DataError::Problems)).
//!
//! Preprocessing ([`adapt`], [`transform`]), adapted on the training rows only:
//! - a numeric column: missing cells take the training mean of the present cells, then (when
//!   standardized) Keras' `Normalization`: `x' = (x − mean) / max(√variance, 1e-7)`, mean and
//!   (population) variance of the imputed training cells — one input;
//! - a text column: missing cells take the most frequent training value (the first of the
//!   vocabulary), then Keras' `StringLookup(output_mode="one_hot", num_oov_indices=1)`: one input
//!   for the out-of-vocabulary slot `[UNK]` (a category unseen in training), then one per training
//!   value, ordered as Keras' `adapt` orders them (by count, most frequent first; ties by the
//!   value's bytes, largest first); a `--categorical` column whose training values are all
//!   integers takes Keras' `IntegerLookup` instead (the same one-hot, its vocabulary integers,
//!   ties by value, largest first; a cell is matched by its integer value, so `07` is `7`);
//! - with a missing indicator, a column that had missing training cells gets one more input,
//!   1 where the cell was missing, else 0.

mod adapt;
mod keras;
mod problems;
pub(super) mod read;

use serde::{Deserialize, Serialize};

pub use adapt::{ColumnPrep, Impute, adapt, input_names, transform};
pub(in crate::data) use adapt::{numeric_prep, text_prep};
pub use keras::{
    IntegerLookupConfig, NormalizationConfig, NormalizationVariables, OutputMode, PrepLayer, StringLookupConfig,
};
pub(super) use problems::summary as problems_summary;
pub use problems::{CellProblem, PROBLEMS_KEPT};

/// What a table column holds, told from the training file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ColumnKind {
    /// Numbers (missing cells allowed).
    Numeric,
    /// Text: categories (missing cells allowed).
    Text,
}

impl std::fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Text => "text",
        })
    }
}

/// The cells of a column, `None` where missing.
#[derive(Clone, Debug, PartialEq)]
pub enum Cells {
    /// A numeric column.
    Numbers(Vec<Option<f32>>),
    /// A text column.
    Text(Vec<Option<String>>),
}

/// One column of a [`RawTable`].
#[derive(Clone, Debug, PartialEq)]
pub struct RawColumn {
    /// The header's name.
    pub name: String,
    /// The cells, one per row.
    pub cells: Cells,
}

impl RawColumn {
    /// The column's kind.
    pub fn kind(&self) -> ColumnKind {
        match self.cells {
            Cells::Numbers(_) => ColumnKind::Numeric,
            Cells::Text(_) => ColumnKind::Text,
        }
    }

    /// How many cells are missing.
    pub fn missing(&self) -> usize {
        match &self.cells {
            Cells::Numbers(v) => v.iter().filter(|c| c.is_none()).count(),
            Cells::Text(v) => v.iter().filter(|c| c.is_none()).count(),
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match &self.cells {
            Cells::Numbers(v) => v.len(),
            Cells::Text(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table's feature columns as the file holds them (before any preprocessing).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RawTable {
    /// The columns, in the order the features were chosen.
    pub columns: Vec<RawColumn>,
}

impl RawTable {
    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, RawColumn::len)
    }

    /// A table of numeric columns from `x: [n, names.len()]`; NaN cells count as missing.
    ///
    /// # Panics
    /// When `names` has another length than `x` has columns.
    pub fn from_numbers(x: &crate::Tensor, names: &[String]) -> Self {
        assert_eq!(names.len(), x.cols(), "one name per column");
        let k = x.cols().max(1);
        let columns = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let cells = x.data().chunks_exact(k).map(|row| Some(row[j]).filter(|v| !v.is_nan())).collect();
                RawColumn { name: name.clone(), cells: Cells::Numbers(cells) }
            })
            .collect();
        Self { columns }
    }
}

/// The cell texts that stand for a missing value, compared with a cell trimmed of blanks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingValues(pub Vec<String>);

impl Default for MissingValues {
    /// Empty, `NA`, `NaN`, `?` and `null`.
    fn default() -> Self {
        Self(["", "NA", "NaN", "?", "null"].map(String::from).to_vec())
    }
}

impl MissingValues {
    /// Whether `cell` (trimmed of ASCII blanks) is empty — always missing — or a marker.
    pub fn is_missing(&self, cell: &[u8]) -> bool {
        let cell = cell.trim_ascii();
        cell.is_empty() || self.0.iter().any(|m| m.as_bytes() == cell)
    }
}
