//! What a stream reads ([`Shard`]) and how ([`StreamOptions`]).

use std::path::Path;

use super::npy;
use crate::data::format::Format;
use crate::data::raw::AdaptOptions;
use crate::data::{DataError, Input, LoadOptions};

/// Which part of a file a process reads: rank `rank` of `size` (see the module's docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This process, `0..size`.
    pub rank: usize,
    /// The processes.
    pub size: usize,
}

impl Default for Shard {
    /// The whole file: rank 0 of 1.
    fn default() -> Self {
        Self { rank: 0, size: 1 }
    }
}

impl Shard {
    /// Rank `rank` of `size`.
    ///
    /// # Panics
    /// When `rank >= size`.
    pub fn new(rank: usize, size: usize) -> Self {
        assert!(rank < size, "shard rank {rank} of {size}");
        Self { rank, size }
    }
}

/// How to stream a file.
#[derive(Clone, Debug)]
pub struct StreamOptions {
    /// Columns, target, task, missing markers, delimiter, categorical columns (as for
    /// [`load`](crate::data::load)).
    pub load: LoadOptions,
    /// How the preprocessing is adapted.
    pub adapt: AdaptOptions,
    /// Rows read at a time (default 4,096; at least 1).
    pub chunk_rows: usize,
    /// The fraction of the rows held out for validation, the last ones (default 0).
    pub validation_split: f64,
    /// The part of the file read (default: all of it).
    pub shard: Shard,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            load: LoadOptions::default(),
            adapt: AdaptOptions::default(),
            chunk_rows: 4096,
            validation_split: 0.0,
            shard: Shard::default(),
        }
    }
}

impl StreamOptions {
    /// Rows per chunk so that a chunk of `path`'s rows, as read and as prepared, takes about
    /// `bytes` (at least 64 rows): a CSV row's cells are counted on its first lines (a cell held
    /// takes up to 40 bytes, as a number 8, prepared 4 per input), a `.npy` row's elements.
    ///
    /// # Errors
    /// [`DataError::Io`] when the file cannot be read.
    pub fn chunk_rows_within(path: &Path, bytes: u64) -> Result<usize, DataError> {
        let input = Input::open(path)?;
        let row_bytes = match input.format() {
            Format::Npy => {
                let shape = npy::shape(path)?;
                12 * shape[1..].iter().product::<usize>() as u64
            }
            _ => {
                let head = input.into_raw();
                let head = head.head();
                let lines = memchr::memchr_iter(b'\n', head).count().max(1) as u64;
                let fields = head.iter().filter(|&&b| b == b',' || b == b';' || b == b'\t').count() as u64 / lines + 1;
                48 * fields + 64
            }
        };
        Ok(usize::try_from(bytes / row_bytes.max(1)).unwrap_or(usize::MAX).max(64))
    }
}
