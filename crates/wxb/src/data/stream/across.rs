//! Opening a streamed file as one of the processes of a data-parallel run
//! ([`StreamedData::open_across`]): each process reads only its own shard, and the shards' surveys
//! are exchanged so that every process adapts the preprocessing of the whole file.

use std::path::Path;

use super::survey::{Kinds, survey_shard};
use super::{Shard, StreamOptions, StreamedData, Survey, Validation, csv, training_rows};
use crate::data::format::Format;
use crate::data::schema::Schema;
use crate::data::table::ColumnKind;
use crate::data::{DataError, Input, SchemaError};
use crate::train::{Collective, all_gather_counts};

impl StreamedData {
    /// Opens `path` (CSV, or `.npy` with the `.npy` `labels`) for training as rank
    /// `collective.rank()` of `collective.size()` (`options.shard` is set from them), every rank
    /// calling it with the same arguments:
    ///
    /// - a CSV file: each rank reads only its shard ([`Shard`]). With a validation split, each rank
    ///   counts its shard's rows and the counts are exchanged, so that the held-out rows are
    ///   Keras' — the last `⌊N·split⌋` rows of the whole file, whichever shards they fall in —
    ///   as with one process. The columns' kinds are told from the first chunk of rank 0's shard
    ///   (the file's first rows) and sent to the others before they read; each rank then surveys
    ///   its shard's training rows, the surveys are exchanged ([`Collective::all_gather_bytes`])
    ///   and merged in rank order, so every rank adapts the same preprocessing: the statistics of
    ///   the whole file's training rows (vocabularies, classes and counts exactly; means and
    ///   variances summed in f64 in another order, equal to the one-process ones to f64 rounding,
    ///   which the f32 values saved practically never show);
    /// - a `.npy` file: as [`StreamedData::open`] with the shard (its statistics already cover
    ///   every shard; the validation split is per shard).
    ///
    /// With one process this is [`StreamedData::open`].
    ///
    /// # Errors
    /// As [`StreamedData::open`]; [`SchemaError::InvalidSchema`] when a rank's survey cannot be
    /// read; [`DataError::NoRows`] when no rank has a training row.
    pub fn open_across(
        path: &Path,
        labels: Option<&Path>,
        options: &StreamOptions,
        collective: &dyn Collective,
    ) -> Result<Self, DataError> {
        let options = StreamOptions { shard: Shard::new(collective.rank(), collective.size()), ..options.clone() };
        if collective.size() == 1 || Input::open(path)?.format() == Format::Npy {
            return Self::open(path, labels, &options);
        }
        let rows = shard_rows(path, &options, collective)?;
        let own = if collective.rank() == 0 {
            let mut send = |s: &Survey| -> Result<(), DataError> {
                let (names, kinds) = s.columns();
                collective.all_gather_bytes(&columns_bytes(names, kinds));
                Ok(())
            };
            survey_shard(path, &options, rows, Kinds::FirstChunk(&mut send))?
        } else {
            let from_0 = collective.all_gather_bytes(&[]).swap_remove(0);
            let (names, kinds): (Vec<String>, Vec<ColumnKind>) = serde_json::from_slice(&from_0)
                .map_err(|e| SchemaError::InvalidSchema { message: format!("rank 0's columns: {e}") })?;
            survey_shard(path, &options, rows, Kinds::Given(&names, &kinds))?
        };
        let surveys = collective.all_gather_bytes(&own.to_bytes());
        let mut merged: Option<Survey> = None;
        for bytes in &surveys {
            let s = Survey::from_bytes(bytes)?;
            if s.rows() == 0 {
                continue;
            }
            match &mut merged {
                Some(m) => m.merge(s),
                None => merged = Some(s),
            }
        }
        let Some(mut merged) = merged else { return Err(DataError::NoRows { path: path.to_path_buf() }) };
        merged.own = own.own;
        merged.path = own.path;
        let mut data = Self::from_survey(merged, &options)?;
        data.read = own.rows as u64;
        Ok(data)
    }
}

impl StreamedData {
    /// Opens `path` (with `labels` for `.npy`) to continue training a model whose preprocessing is
    /// `schema` (a resumed run) as rank `collective.rank()` of `collective.size()`: this rank's
    /// shard read as [`StreamedData::for_schema`] reads it, holding out `options.validation_split`
    /// of the rows as [`StreamedData::open_across`] does (Keras' last rows of the whole CSV file,
    /// of each shard of an `.npy` array), so that a run resumes on any number of processes.
    ///
    /// # Errors
    /// As [`StreamedData::for_schema`]; [`DataError::NoRows`] when the split leaves no training or
    /// no validation row.
    pub fn for_schema_across(
        path: &Path,
        labels: Option<&Path>,
        schema: &Schema,
        options: &StreamOptions,
        collective: &dyn Collective,
    ) -> Result<Self, DataError> {
        let shard = Shard::new(collective.rank(), collective.size());
        let mut data = Self::for_schema(path, labels, schema, &StreamOptions { shard, ..options.clone() })?;
        let split = options.validation_split;
        if split == 0.0 {
            return Ok(data);
        }
        let own = data.training;
        let training = if Input::open(path)?.format() == Format::Npy {
            training_rows(own, split, path)?
        } else {
            let counts = all_gather_counts(collective, own);
            let training = training_rows(counts.iter().sum(), split, path)?;
            training.saturating_sub(counts[..shard.rank].iter().sum()).min(own)
        };
        data.training = training;
        data.validation = if own > training { Validation::LastRows(own - training) } else { Validation::None };
        Ok(data)
    }
}

/// This shard's training rows to survey and its rows (`(usize::MAX, 0)`: all, uncounted): with a
/// validation split, the shard's part of the whole file's first `⌊N·(1 − split)⌋` rows.
fn shard_rows(path: &Path, options: &StreamOptions, collective: &dyn Collective) -> Result<(usize, usize), DataError> {
    if options.validation_split == 0.0 {
        return Ok((usize::MAX, 0));
    }
    let own = csv::count_rows(path, options)?;
    let counts = all_gather_counts(collective, own);
    let training = training_rows(counts.iter().sum(), options.validation_split, path)?;
    let before: usize = counts[..collective.rank()].iter().sum();
    Ok((training.saturating_sub(before).min(own), own))
}

/// Rank 0's columns, as sent to the other ranks.
fn columns_bytes(names: &[String], kinds: &[ColumnKind]) -> Vec<u8> {
    serde_json::to_vec(&(names, kinds)).expect("names and kinds serialize")
}
