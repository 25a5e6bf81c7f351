//! MNIST (and any data set in its layout): four IDX files of unsigned-byte images and labels.
//!
//! Images `[n, rows, cols]` of `u8` become `[n, rows·cols]` scaled to `[0, 1]` (divided by 255);
//! labels `[n]` of `u8` become `[n, 1]` class indices, checked to be below [`CLASSES`].

use std::path::{Path, PathBuf};

use super::load::Dataset;
use super::schema::{InputFormat, Schema, pixel_names};
use super::task::Task;
use super::{DataError, ElemType, idx};
use crate::Tensor;

/// The number of classes: the digits 0 to 9.
pub const CLASSES: usize = 10;

/// The batch size MNIST is trained with (Keras' MNIST example), where the general default is
/// [`DEFAULT_BATCH_SIZE`](crate::model::DEFAULT_BATCH_SIZE).
pub const BATCH_SIZE: usize = 128;

/// The four files' names: each is found in a directory under any of its names, raw or with `.gz`.
const NAMES: [[&str; 3]; 4] = [
    ["train-images-idx3-ubyte", "train-images.idx3-ubyte", "mnist-10k-train-images-idx3-ubyte"],
    ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte", "mnist-10k-train-labels-idx1-ubyte"],
    ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte", "mnist-10k-test-images-idx3-ubyte"],
    ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte", "mnist-10k-test-labels-idx1-ubyte"],
];

/// A training and a test set of images and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist {
    /// Training images, `[n_train, rows·cols]`, in `[0, 1]`.
    pub train_images: Tensor,
    /// Training labels, `[n_train, 1]`, class indices `0..10`.
    pub train_labels: Tensor,
    /// Test images, `[n_test, rows·cols]`, in `[0, 1]`.
    pub test_images: Tensor,
    /// Test labels, `[n_test, 1]`, class indices `0..10`.
    pub test_labels: Tensor,
}

impl Mnist {
    /// Loads the four files from `dir`. Each is looked up under its names, in this order, first
    /// without then with `.gz`: `train-images-idx3-ubyte`, `train-images.idx3-ubyte`,
    /// `mnist-10k-train-images-idx3-ubyte` (and likewise `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, whose `mnist-10k-` names say `test`).
    pub fn load_dir(dir: &Path) -> Result<Mnist, DataError> {
        let [ti, tl, vi, vl] = NAMES.map(|names| find(dir, &names));
        let (ti, tl, vi, vl) = (ti?, tl?, vi?, vl?);
        assemble([(&ti.0, &ti.1), (&tl.0, &tl.1), (&vi.0, &vi.1), (&vl.0, &vl.1)])
    }

    /// Decodes the four files held in memory (raw or gzip), e.g. with `include_bytes!`. Errors name
    /// them `train-images`, `train-labels`, `test-images` and `test-labels`.
    pub fn from_bytes(
        train_images: &[u8],
        train_labels: &[u8],
        test_images: &[u8],
        test_labels: &[u8],
    ) -> Result<Mnist, DataError> {
        assemble([
            (Path::new("train-images"), train_images),
            (Path::new("train-labels"), train_labels),
            (Path::new("test-images"), test_images),
            (Path::new("test-labels"), test_labels),
        ])
    }
}

/// The bundled MNIST-10k — 8,000 training and 2,000 test digits of the MNIST set — compiled into
/// the library from the workspace's `data/` folder (gzip IDX files, about 2 MB).
///
/// # Errors
/// [`DataError`] only if the compiled-in bytes are damaged.
pub fn bundled() -> Result<Mnist, DataError> {
    Mnist::from_bytes(
        include_bytes!("../../../../data/mnist-10k-train-images-idx3-ubyte.gz"),
        include_bytes!("../../../../data/mnist-10k-train-labels-idx1-ubyte.gz"),
        include_bytes!("../../../../data/mnist-10k-test-images-idx3-ubyte.gz"),
        include_bytes!("../../../../data/mnist-10k-test-labels-idx1-ubyte.gz"),
    )
}

/// The schema of MNIST images: 784 pixels `pixel[r,c]` already in `[0, 1]`, taken by a model as
/// `(28, 28, 1)` images (Keras' channels-last), ten digit classes.
pub fn schema() -> Schema {
    Schema {
        format: InputFormat::Idx,
        feature_names: pixel_names(28, 28),
        image_shape: Some(vec![28, 28]),
        sample_shape: Some(vec![28, 28, 1]),
        scale: 1.0,
        standardize: None,
        task: Task::Classification,
        target: None,
        class_names: Some((0..CLASSES).map(|d| d.to_string()).collect()),
        columns: None,
        missing_values: None,
        positional: false,
    }
}

impl Mnist {
    /// The training images and labels as a [`Dataset`] of [`schema`].
    pub fn train_dataset(&self) -> Dataset {
        Dataset { features: self.train_images.clone(), targets: self.train_labels.clone(), schema: schema() }
    }
}

/// The first of `names` (each raw, then `.gz`) that is a file in `dir`, and its bytes.
fn find(dir: &Path, names: &[&str]) -> Result<(PathBuf, Vec<u8>), DataError> {
    let path = names.iter().flat_map(|n| [dir.join(n), dir.join(format!("{n}.gz"))]).find(|p| p.is_file()).ok_or_else(
        || DataError::MissingFile {
            dir: dir.to_path_buf(),
            expected: names.iter().flat_map(|n| [n.to_string(), format!("{n}.gz")]).collect(),
        },
    )?;
    let bytes = super::read_file(&path)?;
    Ok((path, bytes))
}

/// Train images, train labels, test images, test labels.
fn assemble(files: [(&Path, &[u8]); 4]) -> Result<Mnist, DataError> {
    let [(tip, ti), (tlp, tl), (vip, vi), (vlp, vl)] = files;
    let train_images = images(ti, tip)?;
    let test_images = images(vi, vip)?;
    Ok(Mnist {
        train_labels: labels(tl, tlp, tip, train_images.rows())?,
        test_labels: labels(vl, vlp, vip, test_images.rows())?,
        train_images,
        test_images,
    })
}

/// The IDX array of `bytes`: unsigned bytes of `rank` dimensions (`expected` says which, for the
/// error).
fn decode_u8(bytes: &[u8], path: &Path, rank: usize, expected: &'static str) -> Result<Tensor, DataError> {
    let a = idx::decode(bytes, path)?;
    if a.dtype != ElemType::U8 {
        return Err(DataError::UnexpectedDtype { path: path.to_path_buf(), expected: "uint8", got: a.dtype.name() });
    }
    if a.tensor.rank() != rank {
        return Err(DataError::UnexpectedShape { path: path.to_path_buf(), expected, got: a.tensor.shape().to_vec() });
    }
    Ok(a.tensor)
}

fn images(bytes: &[u8], path: &Path) -> Result<Tensor, DataError> {
    let t = decode_u8(bytes, path, 3, "images of shape (n, rows, cols)")?;
    let shape = [t.rows(), t.cols()];
    let mut t = t.reshape(&shape);
    // In place: a second 31 MB tensor would cost more in page faults than the division.
    t.data_mut().iter_mut().for_each(|v| *v /= 255.0);
    Ok(t)
}

fn labels(bytes: &[u8], path: &Path, images_path: &Path, images: usize) -> Result<Tensor, DataError> {
    let t = decode_u8(bytes, path, 1, "labels of shape (n,)")?;
    if t.len() != images {
        return Err(DataError::CountMismatch {
            images_path: PathBuf::from(images_path),
            labels_path: path.to_path_buf(),
            images,
            labels: t.len(),
        });
    }
    if let Some(index) = t.data().iter().position(|&l| l >= CLASSES as f32) {
        return Err(DataError::LabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label: t.data()[index],
            classes: CLASSES,
        });
    }
    let n = t.len();
    Ok(t.reshape(&[n, 1]))
}
