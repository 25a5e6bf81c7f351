//! Features and labels from arrays (IDX, `.npy`, `.npz`): flattened to `[n, k]`, checked for
//! non-finite values and for as many labels as samples.

use std::path::{Path, PathBuf};

use super::format::Format;
use super::number::NonFinite;
use super::{DataError, ElemType, Input, idx, npy, npz};
use crate::Tensor;

/// Arrays read from IDX or NumPy files.
pub(super) struct Arrays {
    /// Features `[n, k]` (flattened), raw.
    pub x: Tensor,
    /// The scale the file's element type implies (1/255 for bytes).
    pub scale: f32,
    /// The shape of one image, for `[n, rows, cols]` data.
    pub image_shape: Option<Vec<usize>>,
    /// The shape of one sample as a model takes it, for arrays of rank 3 or more: IDX images
    /// `[n, rows, cols]` as `[rows, cols, 1]` (one channel, Keras' channels-last), any other array
    /// its trailing shape.
    pub sample_shape: Option<Vec<usize>>,
    /// Labels as `[n, columns]`, if given (or, in a `.npz`, an array `y`).
    pub y: Option<Tensor>,
    /// The file the labels came from (the labels file, or the archive).
    pub labels_path: PathBuf,
}

/// Reads `input` (and `labels`) as arrays of `format` (not CSV). Of a `.npz`, only the arrays `x`
/// and `y` are decompressed.
pub(super) fn read(
    input: Input,
    format: Format,
    labels: Option<&Path>,
    non_finite: NonFinite,
) -> Result<Arrays, DataError> {
    let path = &input.path().to_path_buf();
    let (x, scale, y) = match format {
        Format::Idx => {
            let a = idx::decode(&input.into_bytes()?, path)?;
            let scale = if a.dtype == ElemType::U8 { 1.0 / 255.0 } else { 1.0 };
            (a.tensor, scale, labels.map(|l| idx::read(l).map(|a| a.tensor)).transpose()?)
        }
        Format::Npz => {
            let (options, names) = (npz::NpzOptions::default(), ["x", "y"]);
            let mut z = if input.is_regular() {
                npz::read_selected(path, &names, &options)?
            } else {
                npz::decode_selected(&input.into_bytes()?, path, &names, &options)?
            };
            let Some(x) = z.take("x") else {
                let found = z.names().into_iter().map(String::from).chain(z.skipped().iter().cloned()).collect();
                return Err(DataError::NoArray { path: path.to_path_buf(), name: "x", found });
            };
            (x, 1.0, z.take("y"))
        }
        _ => (npy::decode(&input.into_bytes()?, path)?, 1.0, labels.map(npy::read).transpose()?),
    };
    if x.rank() == 0 || x.is_empty() {
        return Err(DataError::NoSamples { path: path.to_path_buf(), shape: x.shape().to_vec() });
    }
    let image_shape = (x.rank() == 3).then(|| x.shape()[1..].to_vec());
    let sample_shape = match (format, x.shape()) {
        (Format::Idx, &[_, rows, cols]) => Some(vec![rows, cols, 1]),
        (_, shape) if shape.len() >= 3 => Some(shape[1..].to_vec()),
        _ => None,
    };
    let x = matrix(x);
    let y = y.map(matrix);
    let labels_path = labels.unwrap_or(path).to_path_buf();
    check_finite(&x, path, "sample", non_finite)?;
    if let Some(y) = &y {
        check_finite(y, &labels_path, "label", non_finite)?;
        if y.rows() != x.rows() {
            return Err(DataError::LabelCount {
                labels_path,
                data_path: path.to_path_buf(),
                labels: y.rows(),
                samples: x.rows(),
            });
        }
    }
    Ok(Arrays { x, scale, image_shape, sample_shape, y, labels_path })
}

/// `[n]` → `[n, 1]`; `[n, a, b, …]` → `[n, a·b·…]`.
fn matrix(t: Tensor) -> Tensor {
    if t.rank() <= 1 {
        let n = t.len();
        t.reshape(&[n, 1])
    } else {
        let (n, k) = (t.rows(), t.cols());
        t.reshape(&[n, k])
    }
}

/// Refuses NaN and infinities unless [`NonFinite::Allow`].
fn check_finite(t: &Tensor, path: &Path, what: &'static str, non_finite: NonFinite) -> Result<(), DataError> {
    if non_finite == NonFinite::Allow {
        return Ok(());
    }
    match t.data().iter().position(|v| !v.is_finite()) {
        Some(i) => {
            let k = t.cols().max(1);
            Err(DataError::NonFiniteElement {
                path: path.to_path_buf(),
                what,
                row: i / k,
                column: i % k,
                value: t.data()[i],
            })
        }
        None => Ok(()),
    }
}
