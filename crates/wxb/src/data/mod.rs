//! Data: from a file to a model's inputs. [`load`] turns a CSV, IDX, NPY or NPZ file (its format
//! [`detect`]ed) and [`LoadOptions`] into a [`Dataset`]: features, targets and a [`Schema`] (feature
//! names, [`Task`], class names, input format, image shape, scaling, standardization). A saved
//! model keeps its schema; [`load_for_model`] reads new data the way the schema says, and
//! [`io::TrainedModel`](crate::io::TrainedModel) predicts from raw features with it.
//!
//! Training data is read raw by [`load_raw`] (a CSV table's columns as [`table::RawTable`]: numbers,
//! text, missing cells), and [`RawDataset::adapt`] adapts its preprocessing (Keras `Normalization`,
//! `StringLookup` one-hot, imputation: [`table`]) on the training rows only; [`load`] does both on
//! every row.
//!
//! Inside, imports run one way: `mnist` → `load` → `raw` (raw data, adapted) → `schema` → `table`
//! (`read` → `csv_records`, `labels`; `adapt` → `keras`); `load` → `arrays` → `format`, `schema`, `csv` →
//! `csv_stream` → `csv_records` → `input` (one buffered read of a file or pipe) → `format`;
//! `csv_records` → `csv_columns` → `labels` (a CSV target column) → `number`, `task` (cells, the
//! task rule) → `error`; `arrays` → `idx`, `npy`, `npz` → `zip`, `elem` → `error`.
//!
//! The readers:
//!
//! Every reader turns any input, however malformed, into either data or a [`DataError`] whose
//! message is one line naming the file, the place (line, column, element or archive entry) and the
//! offending value — never a panic. Sizes declared by headers are checked with checked arithmetic
//! against the data actually present *before* anything of that size is allocated, and compressed
//! streams are decompressed with a cap of their declared size.
//!
//! | format | reader | result |
//! | --- | --- | --- |
//! | CSV with a header | [`csv::read`] | [`csv::Table`]: features `[n, k]`, target, names, class names |
//! | CSV features, streamed | [`csv::FeatureReader`] | batches `[rows, k]`, memory independent of the file's length |
//! | IDX (raw or gzip) | [`idx::read`] | [`idx::IdxArray`]: a [`Tensor`](crate::Tensor) of the IDX shape |
//! | MNIST's four IDX files | [`mnist::Mnist::load_dir`] | images `[n, 784]` in `[0, 1]`, labels `[n, 1]` |
//! | `.npy` v1, v2, v3 | [`npy::read`] | a [`Tensor`](crate::Tensor) of the array's shape |
//! | `.npz` (stored or deflated) | [`npz::read`] | [`npz::Npz`]: the arrays by name |
//!
//! A file is read once: [`Input`] buffers its first bytes, from which the format (and a CSV
//! file's delimiter) is told, then parses those same bytes — so pipes, FIFOs and `/dev/stdin` work.
//!
//! Functions taking bytes held in memory (`from_bytes`, `from_reader`) take a `name` that stands
//! for the path in error messages.

mod arrays;
pub mod csv;
mod csv_columns;
mod csv_records;
mod csv_stream;
mod elem;
mod error;
mod error_text;
mod format;
pub mod idx;
mod input;
mod labels;
mod load;
pub mod mnist;
pub mod npy;
pub mod npz;
mod number;
mod positional;
mod raw;
mod schema;
mod schema_error;
pub mod stream;
pub mod synthetic;
pub mod table;
mod task;
mod zip;

pub use elem::{ByteOrder, ElemType};
pub use error::{DataError, SchemaError};
pub use format::{Format, detect};
pub use input::Input;
pub use load::{
    Dataset, LoadOptions, Targets, fit_to_schema, load, load_for_model, load_input, load_raw, load_raw_input,
    load_with_labels, open_for_model, open_prepared, read_table_for_model,
};
pub use number::NonFinite;
pub use positional::{Bound, bind_positional};
pub use raw::{AdaptOptions, PreparedReader, RawDataset, RawFeatures, Standardize};
pub use schema::{InputFormat, Schema, Standardization, pixel_names};
pub use task::{AUTO_MAX_CLASSES, AUTO_MAX_INTEGER_CLASSES, ClassCount, MAX_CLASSES, Task};

use std::io::Read;
use std::path::Path;

/// Reads a whole file, naming it in the error.
fn read_file(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })
}

/// A cell's text for an error message: lossy UTF-8, at most 64 characters.
fn cell_text(bytes: &[u8]) -> String {
    const KEPT: usize = 64;
    let s = String::from_utf8_lossy(bytes);
    match s.char_indices().nth(KEPT) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.into_owned(),
    }
}

/// Reads into `buf` until it is full or the reader ends; returns the bytes read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The most bytes a deflate stream of `compressed` bytes can produce: deflate's best ratio is
/// 1032:1 (a 258-byte match coded in 2 bits), plus slack for tiny streams.
fn max_inflated(compressed: u64) -> u64 {
    compressed.saturating_mul(1032).saturating_add(1024)
}

/// Reads at most `declared + 1` bytes of a decompressing reader, growing the buffer as data
/// arrives (never reserving more than 64 MiB ahead of it). Reading one byte past the declared size
/// tells a stream that is too long from one that is exactly right, and reaches the end of a gzip
/// stream so that its CRC is checked.
fn read_capped(r: impl Read, declared: u64, path: &Path) -> Result<Vec<u8>, DataError> {
    const AHEAD: u64 = 64 << 20;
    let mut out = Vec::with_capacity(usize::try_from(declared.min(AHEAD)).unwrap_or(0));
    r.take(declared.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|source| DataError::Decompress { path: path.to_path_buf(), source })?;
    Ok(out)
}

/// The number of elements and of bytes of a declared shape, or [`DataError::ShapeOverflow`].
fn checked_size(dims: &[u64], elem_size: usize, path: &Path) -> Result<(Vec<usize>, u64), DataError> {
    let overflow = || DataError::ShapeOverflow { path: path.to_path_buf(), shape: dims.to_vec() };
    let mut shape = Vec::with_capacity(dims.len());
    let mut n: u64 = 1;
    for &d in dims {
        n = n.checked_mul(d).ok_or_else(overflow)?;
        shape.push(usize::try_from(d).map_err(|_| overflow())?);
    }
    let bytes = n.checked_mul(elem_size as u64).ok_or_else(overflow)?;
    // The f32 tensor must be addressable too.
    usize::try_from(n).ok().and_then(|n| n.checked_mul(4)).ok_or_else(overflow)?;
    Ok((shape, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_text_is_short_and_lossy() {
        assert_eq!(cell_text(b"abc"), "abc");
        assert_eq!(cell_text(b"a\xffb"), "a\u{fffd}b");
        let long = cell_text(&[b'x'; 100]);
        assert_eq!(long.chars().count(), 65);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn errors_can_cross_threads_and_box_into_dyn_error() {
        fn check<T: Send + Sync + std::error::Error + 'static>() {}
        check::<DataError>();
    }

    #[test]
    fn sizes_are_checked() {
        let p = Path::new("f");
        assert_eq!(checked_size(&[2, 3], 4, p).unwrap(), (vec![2, 3], 24));
        assert_eq!(checked_size(&[], 8, p).unwrap(), (vec![], 8));
        assert!(matches!(checked_size(&[u64::MAX, 2], 1, p), Err(DataError::ShapeOverflow { .. })));
        assert!(matches!(checked_size(&[1 << 62], 1, p), Err(DataError::ShapeOverflow { .. })));
    }

    #[test]
    fn read_capped_stops_one_byte_past_the_declared_size() {
        let p = Path::new("f");
        assert_eq!(read_capped(&[1u8, 2, 3, 4][..], 2, p).unwrap(), [1, 2, 3]);
        assert_eq!(read_capped(&[1u8][..], 2, p).unwrap(), [1]);
    }
}
