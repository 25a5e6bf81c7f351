//! The first streamed pass's statistics ([`Survey`]): what the preprocessing is adapted from,
//! gathered chunk by chunk over the training rows and mergeable across shards.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StreamOptions;
use super::csv::CsvPass;
use crate::data::labels::LabelSummary;
use crate::data::raw::{AdaptOptions, Standardize};
use crate::data::schema::Schema;
use crate::data::table::{self, Cells, ColumnKind, ColumnPrep, MissingValues, RawTable};
use crate::data::task::{ClassCount, Task};
use crate::data::{DataError, SchemaError};

/// One column's running statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum ColumnStats {
    /// Present cells, their sum in row order (f64), `Σ (v − mean)²` (chunks combined by Chan's
    /// rule, as Keras' `Normalization.adapt` combines batches), and missing cells.
    Numeric { present: usize, sum: f64, m2: f64, missing: usize },
    /// Each value's count, and missing cells.
    Text { counts: HashMap<String, usize>, missing: usize },
}

impl ColumnStats {
    fn new(kind: ColumnKind) -> Self {
        match kind {
            ColumnKind::Numeric => Self::Numeric { present: 0, sum: 0.0, m2: 0.0, missing: 0 },
            ColumnKind::Text => Self::Text { counts: HashMap::new(), missing: 0 },
        }
    }

    fn add(&mut self, cells: &Cells) {
        match (self, cells) {
            (Self::Numeric { present, sum, m2, missing }, Cells::Numbers(v)) => {
                let before = *sum;
                let (mut c, mut s) = (0usize, 0.0f64);
                for x in v.iter().flatten() {
                    c += 1;
                    s += f64::from(*x);
                    *sum += f64::from(*x);
                }
                *missing += v.len() - c;
                if c > 0 {
                    let mean_c = s / c as f64;
                    let m2_c: f64 = v.iter().flatten().map(|x| (f64::from(*x) - mean_c).powi(2)).sum();
                    let mean_a = before / (*present).max(1) as f64;
                    combine((present, m2), mean_a, (c, mean_c, m2_c));
                }
            }
            (Self::Text { counts, missing }, Cells::Text(v)) => {
                for cell in v {
                    match cell {
                        Some(t) => *counts.entry(t.clone()).or_default() += 1,
                        None => *missing += 1,
                    }
                }
            }
            _ => unreachable!("a streamed column keeps its first chunk's kind"),
        }
    }

    fn merge(&mut self, other: &Self) {
        match (self, other) {
            (Self::Numeric { present, sum, m2, missing }, Self::Numeric { present: p, sum: s, m2: m, missing: x }) => {
                let mean_a = *sum / (*present).max(1) as f64;
                let mean_b = *s / (*p).max(1) as f64;
                if *p > 0 {
                    combine((present, m2), mean_a, (*p, mean_b, *m));
                }
                *sum += *s;
                *missing += *x;
            }
            (Self::Text { counts, missing }, Self::Text { counts: c, missing: x }) => {
                for (k, v) in c {
                    *counts.entry(k.clone()).or_default() += v;
                }
                *missing += *x;
            }
            _ => {}
        }
    }

    fn prep(&self, name: String, standardize: bool, indicator: bool) -> ColumnPrep {
        match self {
            Self::Numeric { present, sum, m2, missing } => {
                table::numeric_prep(name, (*present, *sum, *m2), *missing, standardize, indicator)
            }
            Self::Text { counts, missing } => {
                let counts: HashMap<&str, usize> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                table::text_prep(name, &counts, *missing, indicator)
            }
        }
    }
}

/// Chan's rule: `(n_a, m2_a)` of mean `mean_a` grows by `n_b` values of mean `mean_b` and `m2_b`.
fn combine((n_a, m2_a): (&mut usize, &mut f64), mean_a: f64, (n_b, mean_b, m2_b): (usize, f64, f64)) {
    let n = *n_a + n_b;
    let delta = mean_b - mean_a;
    *m2_a += m2_b + delta * delta * (*n_a as f64) * (n_b as f64) / n as f64;
    *n_a = n;
}

/// What the preprocessing of a streamed CSV table is adapted from: each feature column's
/// statistics over the training rows (Keras' `Normalization` mean and variance, `StringLookup`
/// counts, missing cells) and the target column's summary (the task and the classes). A shard's
/// survey [`merge`](Survey::merge)s with the other shards' into the whole file's.
#[derive(Debug, Serialize, Deserialize)]
pub struct Survey {
    pub(super) path: PathBuf,
    pub(super) names: Vec<String>,
    pub(super) kinds: Vec<ColumnKind>,
    columns: Vec<ColumnStats>,
    pub(super) target: Option<String>,
    labels: LabelSummary,
    pub(super) rows: usize,
    /// This shard's training and validation rows (kept through merges).
    pub(super) own: (usize, usize),
}

impl Survey {
    pub(super) fn new(path: &Path, first: &RawTable, target: Option<String>) -> Self {
        let kinds: Vec<ColumnKind> = first.columns.iter().map(table::RawColumn::kind).collect();
        let names: Vec<String> = first.columns.iter().map(|c| c.name.clone()).collect();
        Self::with_columns(path, &names, &kinds, target)
    }

    /// An empty survey of the columns `names` of `kinds`.
    pub(super) fn with_columns(path: &Path, names: &[String], kinds: &[ColumnKind], target: Option<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            names: names.to_vec(),
            columns: kinds.iter().map(|&k| ColumnStats::new(k)).collect(),
            kinds: kinds.to_vec(),
            target,
            labels: LabelSummary::default(),
            rows: 0,
            own: (0, 0),
        }
    }

    /// The columns surveyed and their kinds.
    pub(super) fn columns(&self) -> (&[String], &[ColumnKind]) {
        (self.names.as_slice(), self.kinds.as_slice())
    }

    /// Adds a chunk of training rows.
    pub(super) fn add(&mut self, chunk: &RawTable, labels: Option<&mut crate::data::labels::TargetColumn>) {
        for (s, c) in self.columns.iter_mut().zip(&chunk.columns) {
            s.add(&c.cells);
        }
        if let Some(l) = labels {
            self.labels.absorb(l);
        }
        self.rows += chunk.rows();
    }

    /// The training rows surveyed.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Adds another shard's survey of the same file (same columns): the statistics of both
    /// shards' rows. Merging every shard's survey, in any order, gives the whole file's (sums in
    /// another order: equal to float rounding).
    ///
    /// # Panics
    /// When `other` surveyed other columns.
    pub fn merge(&mut self, other: Survey) {
        assert_eq!(self.names, other.names, "surveys of the same columns");
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.merge(b);
        }
        self.labels.merge(other.labels);
        self.rows += other.rows;
    }

    /// The survey as bytes, to send to the other shards' processes (JSON; every f64 exact).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a survey serializes")
    }

    /// A survey sent by [`Survey::to_bytes`].
    ///
    /// # Errors
    /// [`SchemaError::InvalidSchema`] for bytes that are not a survey.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DataError> {
        serde_json::from_slice(bytes)
            .map_err(|e| SchemaError::InvalidSchema { message: format!("a shard's survey: {e}") }.into())
    }

    /// The schema: the task and classes decided, each column's preprocessing adapted.
    pub(super) fn schema(
        self,
        task: Option<Task>,
        adapt: &AdaptOptions,
        missing: &MissingValues,
    ) -> Result<Schema, DataError> {
        let name = self.target.clone().unwrap_or_default();
        let (task, class_names) = self.labels.decide(task, ClassCount::AtLeastTwo, &name, &self.path)?;
        let standardize = adapt.standardize != Standardize::Nothing;
        let columns: Vec<ColumnPrep> = self
            .columns
            .iter()
            .zip(&self.names)
            .map(|(s, n)| s.prep(n.clone(), standardize, adapt.missing_indicator))
            .collect();
        let mut schema = Schema::csv(self.names.clone(), class_names);
        schema.task = task;
        schema.target = self.target;
        schema.missing_values = Some(missing.clone());
        schema.feature_names = table::input_names(&columns);
        schema.columns = Some(columns);
        Ok(schema)
    }
}

/// How a survey decides its columns' kinds.
pub(super) enum Kinds<'a> {
    /// From the shard's first chunk (the in-memory rule), then shown to the closure (rank 0 of a
    /// distributed run sends them to the other ranks).
    FirstChunk(&'a mut dyn FnMut(&Survey) -> Result<(), DataError>),
    /// Rank 0's columns and kinds.
    Given(&'a [String], &'a [ColumnKind]),
}

/// Surveys the first `training` rows of a CSV shard (`usize::MAX`: all) of `own` rows (0: not
/// counted; the validation rows are those after the training rows).
pub(super) fn survey_shard(
    path: &Path,
    options: &StreamOptions,
    (training, own): (usize, usize),
    kinds: Kinds<'_>,
) -> Result<Survey, DataError> {
    let given = match &kinds {
        Kinds::Given(_, k) => Some(*k),
        Kinds::FirstChunk(_) => None,
    };
    let mut pass = CsvPass::open(path, options, given, options.load.task)?;
    let chunk = options.chunk_rows.max(1);
    let reader = pass.reader();
    let first = reader.next_rows(chunk.min(training))?.unwrap_or_default();
    let target = reader.target_mut().map(|t| t.column_name().to_string());
    let mut survey = match kinds {
        Kinds::Given(names, kinds) => Survey::with_columns(path, names, kinds, target),
        Kinds::FirstChunk(tell) => {
            let survey = Survey::new(path, &first, target);
            tell(&survey)?;
            survey
        }
    };
    reader.set_kinds(&survey.kinds);
    survey.add(&first, reader.target_mut());
    while survey.rows < training {
        let Some(t) = reader.next_rows(chunk.min(training - survey.rows))? else { break };
        survey.add(&t, reader.target_mut());
    }
    survey.own = (survey.rows, own.saturating_sub(survey.rows));
    Ok(survey)
}
