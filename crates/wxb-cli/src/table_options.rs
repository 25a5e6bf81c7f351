//! The flags of how a table is prepared for training (`--no-standardize`, `--missing-values`,
//! `--missing-indicator`, `--categorical`), flattened into `wxb train`'s arguments. The preprocessing itself is the
//! library's: [`wxb::data::table`].

use clap::Args;
use wxb::data::table::MissingValues;
use wxb::data::{AdaptOptions, Standardize};

/// How a table's columns are prepared.
#[derive(Debug, Args, Clone, Default)]
pub struct TableArgs {
    /// Keep a table's numbers as they are (by default its numeric columns are standardized with
    /// the training rows' mean and variance, Keras' Normalization, saved with the model).
    #[arg(long, conflicts_with = "standardize")]
    pub no_standardize: bool,
    /// The cell texts that mean "missing", comma-separated (an empty cell always is; default:
    /// NA,NaN,?,null). Missing numbers take the training mean, missing text the most frequent value.
    #[arg(long, value_name = "A,B,…", value_delimiter = ',', num_args = 0..)]
    pub missing_values: Option<Vec<String>>,
    /// Add an input per column with missing training cells: 1 where the cell was missing.
    #[arg(long)]
    pub missing_indicator: bool,
    /// Feature columns to one-hot encode as categories whatever they hold (integer codes, say;
    /// by default a column of numbers is numeric), comma-separated names.
    #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
    pub categorical: Option<Vec<String>>,
}

impl TableArgs {
    /// The missing markers.
    pub fn missing(&self) -> MissingValues {
        self.missing_values.clone().map_or_else(MissingValues::default, MissingValues)
    }

    /// How the training rows are adapted on: `--standardize` (also arrays), the default (tables'
    /// numeric columns) or `--no-standardize`.
    pub fn adapt(&self, standardize: bool) -> AdaptOptions {
        let standardize = match (standardize, self.no_standardize) {
            (_, true) => Standardize::Nothing,
            (true, false) => Standardize::Everything,
            (false, false) => Standardize::Tables,
        };
        AdaptOptions { standardize, missing_indicator: self.missing_indicator }
    }
}

/// `--delimiter`: `,` `;` `|`, or `tab` (`\t`).
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        t if t.len() == 1 && t.is_ascii() && t != "\"" && t != "\n" && t != "\r" => Ok(t.as_bytes()[0]),
        _ => Err(format!("{text:?}: expected one ASCII character such as , or ; or the word tab")),
    }
}
