//! A table column's preprocessing ([`ColumnPrep`]): adapted on the training rows ([`adapt`]),
//! applied to any rows ([`transform`]), and the names of the inputs it makes ([`input_names`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::keras::{IntegerLookupConfig, NormalizationConfig, NormalizationVariables, PrepLayer, StringLookupConfig};
use super::{Cells, ColumnKind, RawColumn, RawTable};
use crate::Tensor;

/// What fills a column's missing cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Impute {
    /// The mean of the present training cells (0 when there were none).
    Mean {
        /// The mean.
        value: f32,
    },
    /// The most frequent training value (`None` when there were none: the OOV slot).
    MostFrequent {
        /// The value.
        value: Option<String>,
    },
}

/// How one table column becomes model inputs: imputation, a Keras preprocessing layer, and an
/// optional missing indicator. Saved with the model (see [`Schema::columns`](crate::data::Schema::columns)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnPrep {
    /// The column's header name.
    pub name: String,
    /// Its kind in the training file.
    pub kind: ColumnKind,
    /// Missing training cells (for the schema table; 0 does not forbid missing cells later).
    pub missing: usize,
    /// What fills a missing cell.
    pub impute: Impute,
    /// `Normalization` (a standardized numeric column), `StringLookup` (a text column),
    /// `IntegerLookup` (a categorical column of integers), or none (a numeric column as it is).
    pub layer: Option<PrepLayer>,
    /// Whether an input `<name> (missing)` follows: 1 where the cell is missing.
    pub missing_indicator: bool,
}

impl ColumnPrep {
    /// The number of inputs it makes.
    pub fn width(&self) -> usize {
        let main = match &self.layer {
            Some(PrepLayer::StringLookup { config }) => config.width(),
            Some(PrepLayer::IntegerLookup { config }) => config.width(),
            _ => 1,
        };
        main + usize::from(self.missing_indicator)
    }

    /// The text column's vocabulary as text (without the OOV token), for a text column.
    pub fn vocabulary(&self) -> Option<Vec<String>> {
        match &self.layer {
            Some(PrepLayer::StringLookup { config }) => Some(config.vocabulary.clone()),
            Some(PrepLayer::IntegerLookup { config }) => Some(config.vocabulary.iter().map(i64::to_string).collect()),
            _ => None,
        }
    }

    /// The one-hot slot of a text cell's `value` (0: out of vocabulary), for a text column.
    fn slots(&self) -> impl Fn(&str) -> usize + '_ {
        let strings: HashMap<&str, usize> = match &self.layer {
            Some(PrepLayer::StringLookup { config }) => {
                config.vocabulary.iter().enumerate().map(|(i, v)| (v.as_str(), i + 1)).collect()
            }
            _ => HashMap::new(),
        };
        let integers: HashMap<i64, usize> = match &self.layer {
            Some(PrepLayer::IntegerLookup { config }) => {
                config.vocabulary.iter().enumerate().map(|(i, &v)| (v, i + 1)).collect()
            }
            _ => HashMap::new(),
        };
        move |value: &str| match &self.layer {
            Some(PrepLayer::IntegerLookup { .. }) => {
                value.trim().parse::<i64>().ok().and_then(|v| integers.get(&v).copied()).unwrap_or(0)
            }
            _ => strings.get(value).copied().unwrap_or(0),
        }
    }
}

/// The preprocessing of each column of `table`, adapted on its rows `training` (indices into the
/// table; validation rows must not be among them). Numeric columns are standardized with a Keras
/// `Normalization` when `standardize`; `missing_indicator` adds an indicator input to each
/// column that has missing cells among the training rows.
///
/// # Panics
/// When an index of `training` is not a row of `table`.
pub fn adapt(table: &RawTable, training: &[usize], standardize: bool, missing_indicator: bool) -> Vec<ColumnPrep> {
    table.columns.iter().map(|c| adapt_column(c, training, standardize, missing_indicator)).collect()
}

fn adapt_column(column: &RawColumn, training: &[usize], standardize: bool, indicator: bool) -> ColumnPrep {
    let name = column.name.clone();
    match &column.cells {
        Cells::Numbers(cells) => {
            let present: Vec<f64> = training.iter().filter_map(|&i| cells[i]).map(f64::from).collect();
            let missing = training.len() - present.len();
            let mean = if present.is_empty() { 0.0 } else { present.iter().sum::<f64>() / present.len() as f64 };
            let fill = mean as f32;
            let layer = standardize.then(|| {
                // Keras adapts on the imputed column: the filled cells add to the count, not the sum.
                let imputed = training.iter().map(|&i| f64::from(cells[i].unwrap_or(fill)));
                let n = training.len().max(1) as f64;
                let m = imputed.clone().sum::<f64>() / n;
                let variance = imputed.map(|v| (v - m).powi(2)).sum::<f64>() / n;
                normalization(&name, m, variance, training.len() as u64)
            });
            ColumnPrep {
                name,
                kind: ColumnKind::Numeric,
                missing,
                impute: Impute::Mean { value: fill },
                layer,
                missing_indicator: indicator && missing > 0,
            }
        }
        Cells::Text(cells) => {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            let mut missing = 0;
            for &i in training {
                match &cells[i] {
                    Some(v) => *counts.entry(v.as_str()).or_default() += 1,
                    None => missing += 1,
                }
            }
            text_prep(name, &counts, missing, indicator)
        }
    }
}

/// A text column's preprocessing from its training values' `counts` and `missing` cells: Keras'
/// `IntegerLookup` when every value is an integer, else `StringLookup`; missing cells take the
/// most frequent value (and count for it in the vocabulary's order).
pub(in crate::data) fn text_prep(
    name: String,
    counts: &HashMap<&str, usize>,
    missing: usize,
    indicator: bool,
) -> ColumnPrep {
    let integers: Option<HashMap<i64, usize>> = counts.iter().try_fold(HashMap::new(), |mut m, (v, c)| {
        *m.entry(v.trim().parse::<i64>().ok()?).or_default() += c;
        Some(m)
    });
    let mut counts = counts.clone();
    let (fill, layer) = match integers.filter(|m| !m.is_empty()) {
        // A categorical column of integer codes: Keras' IntegerLookup.
        Some(mut counts) => {
            let fill = keras_integer_order(&counts).first().copied();
            if let Some(f) = fill {
                *counts.get_mut(&f).expect("a counted value") += missing;
            }
            let vocabulary = keras_integer_order(&counts);
            (
                fill.map(|f| f.to_string()),
                PrepLayer::IntegerLookup { config: IntegerLookupConfig::new(&name, vocabulary) },
            )
        }
        None => {
            let fill = keras_order(&counts).first().map(|v| (*v).to_string());
            if let Some(f) = &fill {
                *counts.get_mut(f.as_str()).expect("a counted value") += missing;
            }
            let vocabulary = keras_order(&counts).into_iter().map(String::from).collect();
            (fill, PrepLayer::StringLookup { config: StringLookupConfig::new(&name, vocabulary) })
        }
    };
    ColumnPrep {
        layer: Some(layer),
        name,
        kind: ColumnKind::Text,
        missing,
        impute: Impute::MostFrequent { value: fill },
        missing_indicator: indicator && missing > 0,
    }
}

/// A numeric column's preprocessing from its training cells' statistics: `present` cells summing
/// to `sum` (f64, in row order) with `m2 = Σ (v − sum/present)²`, and `missing` cells. Missing
/// cells take the present mean; Keras' `Normalization` (when `standardize`) takes the mean and
/// population variance of the imputed column: with `fill = f32(mean)`, `n = present + missing`,
/// `m = (sum + missing·fill) / n`, `variance = (m2 + present·(mean − m)² + missing·(fill − m)²) / n`.
pub(in crate::data) fn numeric_prep(
    name: String,
    (present, sum, m2): (usize, f64, f64),
    missing: usize,
    standardize: bool,
    indicator: bool,
) -> ColumnPrep {
    let mean = if present == 0 { 0.0 } else { sum / present as f64 };
    let fill = mean as f32;
    let layer = standardize.then(|| {
        let n = (present + missing).max(1) as f64;
        let f = f64::from(fill);
        let m = (sum + missing as f64 * f) / n;
        let variance = (m2 + present as f64 * (mean - m).powi(2) + missing as f64 * (f - m).powi(2)) / n;
        normalization(&name, m, variance, (present + missing) as u64)
    });
    ColumnPrep {
        name,
        kind: ColumnKind::Numeric,
        missing,
        impute: Impute::Mean { value: fill },
        layer,
        missing_indicator: indicator && missing > 0,
    }
}

/// Keras' `Normalization` layer of a column adapted to `mean` and `variance` over `count` cells.
fn normalization(name: &str, mean: f64, variance: f64, count: u64) -> PrepLayer {
    PrepLayer::Normalization {
        config: NormalizationConfig {
            name: format!("{name}_normalization"),
            axis: -1,
            invert: false,
            mean: None,
            variance: None,
        },
        variables: NormalizationVariables { mean: vec![mean as f32], variance: vec![variance as f32], count },
    }
}

/// Values by count, largest first; ties by bytes, largest first (Keras' `IndexLookup` adapt:
/// `np.lexsort((tokens, counts))[::-1]`).
fn keras_order<'a>(counts: &HashMap<&'a str, usize>) -> Vec<&'a str> {
    let mut values: Vec<(&str, usize)> = counts.iter().map(|(v, c)| (*v, *c)).collect();
    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.as_bytes().cmp(a.0.as_bytes())));
    values.into_iter().map(|(v, _)| v).collect()
}

/// Integers by count, largest first; ties by value, largest first (Keras' `IntegerLookup` adapt).
fn keras_integer_order(counts: &HashMap<i64, usize>) -> Vec<i64> {
    let mut values: Vec<(i64, usize)> = counts.iter().map(|(v, c)| (*v, *c)).collect();
    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    values.into_iter().map(|(v, _)| v).collect()
}

/// The model's input names: a numeric column's name, a text column's `<name>=[UNK]` then
/// `<name>=<value>` per vocabulary value, and `<name> (missing)` for an indicator.
pub fn input_names(columns: &[ColumnPrep]) -> Vec<String> {
    let mut names = Vec::new();
    for c in columns {
        match c.vocabulary() {
            Some(vocabulary) => {
                names.push(format!("{}={}", c.name, StringLookupConfig::OOV_TOKEN));
                names.extend(vocabulary.iter().map(|v| format!("{}={v}", c.name)));
            }
            None => names.push(c.name.clone()),
        }
        if c.missing_indicator {
            names.push(format!("{} (missing)", c.name));
        }
    }
    names
}

/// The model's inputs `[rows, Σ widths]` for `table`, whose columns are `columns`' in order (a
/// numeric column's cells as numbers, a text column's as text: as
/// [`read_table_for_model`](crate::data::read_table_for_model) gives them).
///
/// # Panics
/// When `table` has another number of columns than `columns`, or a column of another kind.
pub fn transform(columns: &[ColumnPrep], table: &RawTable) -> Tensor {
    assert_eq!(columns.len(), table.columns.len(), "one raw column per prepared column");
    let rows = table.rows();
    let width: usize = columns.iter().map(ColumnPrep::width).sum();
    let mut out = vec![0.0f32; rows * width];
    let mut at = 0;
    for (prep, column) in columns.iter().zip(&table.columns) {
        let mut put = |row: usize, offset: usize, v: f32| out[row * width + at + offset] = v;
        let missing_at = |row: usize, put: &mut dyn FnMut(usize, usize, f32)| {
            if prep.missing_indicator {
                put(row, prep.width() - 1, 1.0);
            }
        };
        match (&column.cells, &prep.impute) {
            (Cells::Numbers(cells), Impute::Mean { value: fill }) => {
                for (row, cell) in cells.iter().enumerate() {
                    if cell.is_none() {
                        missing_at(row, &mut put);
                    }
                    let v = cell.unwrap_or(*fill);
                    let v = match &prep.layer {
                        Some(PrepLayer::Normalization { variables, .. }) => variables.apply(v),
                        _ => v,
                    };
                    put(row, 0, v);
                }
            }
            (Cells::Text(cells), Impute::MostFrequent { value: fill }) => {
                let slot = prep.slots();
                for (row, cell) in cells.iter().enumerate() {
                    if cell.is_none() {
                        missing_at(row, &mut put);
                    }
                    let value = cell.as_deref().or(fill.as_deref());
                    put(row, value.map_or(0, &slot), 1.0);
                }
            }
            _ => panic!("column {:?} is not of its preprocessing's kind", prep.name),
        }
        at += prep.width();
    }
    Tensor::from_vec(&[rows, width], out)
}
