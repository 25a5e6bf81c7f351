//! The Keras preprocessing layers a table column is prepared with, as Keras' `get_config()` names
//! their fields, so that a model's preprocessing can be rebuilt in Keras:
//! `keras.layers.Normalization(**config)` with its weights `mean`, `variance`, `count` set from
//! the variables, `keras.layers.StringLookup(**config)` and `keras.layers.IntegerLookup(**config)`.

use serde::{Deserialize, Serialize};

/// A column's preprocessing layer, written as `{"class_name": …, "config": {…}}` (and the
/// Normalization's `"variables"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name")]
#[non_exhaustive]
pub enum PrepLayer {
    /// `keras.layers.Normalization`: `x' = (x − mean) / max(√variance, 1e-7)`.
    Normalization {
        /// Its configuration.
        config: NormalizationConfig,
        /// Its adapted weights.
        variables: NormalizationVariables,
    },
    /// `keras.layers.StringLookup`: one-hot over `[oov_token] + vocabulary`.
    StringLookup {
        /// Its configuration, the vocabulary included.
        config: StringLookupConfig,
    },
    /// `keras.layers.IntegerLookup`: one-hot over `[oov_token] + vocabulary`, for a categorical
    /// column (`--categorical`) whose training values are all integers.
    IntegerLookup {
        /// Its configuration, the vocabulary included.
        config: IntegerLookupConfig,
    },
}

/// `Normalization.get_config()` of a layer adapted on one column (`mean` and `variance` are
/// `null` there: Keras keeps adapted statistics as weights, see [`NormalizationVariables`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormalizationConfig {
    /// The layer's name (`<column>_normalization`).
    pub name: String,
    /// The axis normalized: -1.
    pub axis: i64,
    /// `false`: normalize (not de-normalize).
    pub invert: bool,
    /// Keras' constructor mean: `None`, the layer is adapted.
    pub mean: Option<Vec<f32>>,
    /// Keras' constructor variance: `None`, the layer is adapted.
    pub variance: Option<Vec<f32>>,
}

/// A Normalization layer's weights after `adapt`, shape `(1,)` for one column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormalizationVariables {
    /// The mean of the training cells.
    pub mean: Vec<f32>,
    /// Their population variance.
    pub variance: Vec<f32>,
    /// How many training cells were adapted on (Keras 3 keeps this weight for compatibility only:
    /// its `adapt` of an array leaves it 0; `call` never reads it).
    pub count: u64,
}

impl NormalizationVariables {
    /// The Keras epsilon below which `√variance` is not divided by.
    pub const EPSILON: f32 = 1e-7;

    /// `(x − mean) / max(√variance, 1e-7)` of the column's first (only) feature.
    pub fn apply(&self, x: f32) -> f32 {
        (x - self.mean[0]) / self.variance[0].sqrt().max(Self::EPSILON)
    }
}

/// `StringLookup`'s output mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutputMode {
    /// One input per vocabulary slot, 1 at the cell's.
    OneHot,
}

/// `StringLookup.get_config()` with the adapted vocabulary set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StringLookupConfig {
    /// The layer's name (`<column>_lookup`).
    pub name: String,
    /// No limit: `None`.
    pub max_tokens: Option<usize>,
    /// Out-of-vocabulary slots: 1, before the vocabulary.
    pub num_oov_indices: usize,
    /// No mask: `None`.
    pub mask_token: Option<String>,
    /// The out-of-vocabulary slot's token, `[UNK]`.
    pub oov_token: String,
    /// The training values, in Keras' adapt order (without the OOV token).
    pub vocabulary: Vec<String>,
    /// [`OutputMode::OneHot`].
    pub output_mode: OutputMode,
    /// `false`: strings to indices, not back.
    pub invert: bool,
    /// `utf-8`.
    pub encoding: String,
    /// `false`: dense outputs.
    pub sparse: bool,
    /// `false`.
    pub pad_to_max_tokens: bool,
}

impl StringLookupConfig {
    /// Keras' default out-of-vocabulary token.
    pub const OOV_TOKEN: &'static str = "[UNK]";

    /// The lookup of a column with this adapted vocabulary.
    pub fn new(column: &str, vocabulary: Vec<String>) -> Self {
        Self {
            name: format!("{column}_lookup"),
            max_tokens: None,
            num_oov_indices: 1,
            mask_token: None,
            oov_token: Self::OOV_TOKEN.to_string(),
            vocabulary,
            output_mode: OutputMode::OneHot,
            invert: false,
            encoding: "utf-8".to_string(),
            sparse: false,
            pad_to_max_tokens: false,
        }
    }

    /// The one-hot slot of `value`: `1 + its vocabulary index`, 0 (the OOV slot) when unseen.
    pub fn slot(&self, value: &str) -> usize {
        self.vocabulary.iter().position(|v| v == value).map_or(0, |i| i + 1)
    }

    /// Inputs: the OOV slot and the vocabulary.
    pub fn width(&self) -> usize {
        self.num_oov_indices + self.vocabulary.len()
    }
}

/// `IntegerLookup.get_config()` with the adapted vocabulary set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntegerLookupConfig {
    /// The layer's name (`<column>_lookup`).
    pub name: String,
    /// No limit: `None`.
    pub max_tokens: Option<usize>,
    /// Out-of-vocabulary slots: 1, before the vocabulary.
    pub num_oov_indices: usize,
    /// No mask: `None`.
    pub mask_token: Option<i64>,
    /// The out-of-vocabulary slot's token, Keras' `-1`.
    pub oov_token: i64,
    /// The training values, in Keras' adapt order: by count, most frequent first, ties by value,
    /// largest first (without the OOV token).
    pub vocabulary: Vec<i64>,
    /// `int64`.
    pub vocabulary_dtype: String,
    /// [`OutputMode::OneHot`].
    pub output_mode: OutputMode,
    /// `false`: integers to indices, not back.
    pub invert: bool,
    /// `false`: dense outputs.
    pub sparse: bool,
    /// `false`.
    pub pad_to_max_tokens: bool,
}

impl IntegerLookupConfig {
    /// Keras' default out-of-vocabulary token.
    pub const OOV_TOKEN: i64 = -1;

    /// The lookup of a column with this adapted vocabulary.
    pub fn new(column: &str, vocabulary: Vec<i64>) -> Self {
        Self {
            name: format!("{column}_lookup"),
            max_tokens: None,
            num_oov_indices: 1,
            mask_token: None,
            oov_token: Self::OOV_TOKEN,
            vocabulary,
            vocabulary_dtype: "int64".to_string(),
            output_mode: OutputMode::OneHot,
            invert: false,
            sparse: false,
            pad_to_max_tokens: false,
        }
    }

    /// The one-hot slot of `value`: `1 + its vocabulary index`, 0 (the OOV slot) when unseen or
    /// not an integer.
    pub fn slot(&self, value: &str) -> usize {
        value.trim().parse::<i64>().ok().and_then(|v| self.vocabulary.iter().position(|&w| w == v)).map_or(0, |i| i + 1)
    }

    /// Inputs: the OOV slot and the vocabulary.
    pub fn width(&self) -> usize {
        self.num_oov_indices + self.vocabulary.len()
    }
}
