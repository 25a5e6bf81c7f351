//! A `.npy` array (and its `.npy` labels) read by row ranges.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{StreamOptions, StreamedData, training_rows};
use crate::Tensor;
use crate::data::npy::{Header, MAX_HEADER_BYTES, header};
use crate::data::raw::Standardize;
use crate::data::schema::{InputFormat, Schema, Standardization, pixel_names};
use crate::data::task::ArrayLabels;
use crate::data::{DataError, NonFinite, cell_text};

/// One `.npy` file's layout.
#[derive(Debug)]
struct Array {
    path: PathBuf,
    header: Header,
    /// Elements per row.
    width: usize,
}

impl Array {
    fn open(path: &Path) -> Result<Self, DataError> {
        let io = |source| DataError::Io { path: path.to_path_buf(), source };
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut head = Vec::new();
        (&mut file).take(12 + MAX_HEADER_BYTES as u64).read_to_end(&mut head).map_err(io)?;
        let h = header(&head, path)?;
        if len.saturating_sub(h.data_start as u64) != h.size {
            let got = len.saturating_sub(h.data_start as u64);
            return Err(DataError::SizeMismatch {
                path: path.to_path_buf(),
                shape: h.shape,
                dtype: h.ty.name(),
                expected: h.size,
                got,
            });
        }
        if h.fortran && h.shape.len() > 1 {
            let reason = "in Fortran order, which cannot be streamed by rows (save it in C order)";
            return Err(DataError::NpyHeader {
                path: path.to_path_buf(),
                reason,
                header: cell_text(b"fortran_order: True"),
            });
        }
        if h.shape.is_empty() || h.shape.iter().product::<usize>() == 0 {
            return Err(DataError::NoSamples { path: path.to_path_buf(), shape: h.shape });
        }
        let width = h.shape[1..].iter().product();
        Ok(Self { path: path.to_path_buf(), header: h, width })
    }

    fn rows(&self) -> usize {
        self.header.shape[0]
    }

    /// Rows `[start, start + rows)` into `out` `[rows, width]`, through `bytes`.
    fn read(
        &self,
        file: &mut File,
        start: usize,
        rows: usize,
        bytes: &mut Vec<u8>,
        out: &mut Tensor,
    ) -> Result<(), DataError> {
        let io = |source| DataError::Io { path: self.path.clone(), source };
        let row_bytes = self.width * self.header.ty.size();
        file.seek(SeekFrom::Start((self.header.data_start + start * row_bytes) as u64)).map_err(io)?;
        bytes.resize(rows * row_bytes, 0);
        file.read_exact(bytes).map_err(io)?;
        let values = crate::data::elem::to_f32(bytes, self.header.ty, self.header.order, &self.path)?;
        *out = Tensor::from_vec(&[rows, self.width], values);
        Ok(())
    }
}

/// A `.npy` feature file and its labels, the rows of one shard.
#[derive(Debug)]
pub(super) struct NpyFile {
    x: Array,
    y: Array,
    /// The shard's rows `[begin, end)`.
    begin: usize,
    non_finite: NonFinite,
}

impl NpyFile {
    pub(super) fn path(&self) -> &Path {
        &self.x.path
    }

    pub(super) fn width(&self) -> usize {
        self.x.width
    }

    pub(super) fn target_width(&self, schema: &Schema) -> usize {
        if schema.class_names.is_some() { 1 } else { self.y.width }
    }

    /// A pass from the shard's row `skip` on.
    pub(super) fn pass(&self, skip: usize) -> Result<NpyPass, DataError> {
        let open = |a: &Array| File::open(&a.path).map_err(|source| DataError::Io { path: a.path.clone(), source });
        Ok(NpyPass { files: (open(&self.x)?, open(&self.y)?), next: self.begin + skip, bytes: Vec::new() })
    }

    fn open(path: &Path, labels: Option<&Path>, options: &StreamOptions) -> Result<Self, DataError> {
        let x = Array::open(path)?;
        let labels = labels.ok_or_else(|| DataError::NoLabels { path: path.to_path_buf() })?;
        let y = Array::open(labels)?;
        if y.rows() != x.rows() {
            let (labels_path, data_path) = (labels.to_path_buf(), path.to_path_buf());
            return Err(DataError::LabelCount { labels_path, data_path, labels: y.rows(), samples: x.rows() });
        }
        let (n, s) = (x.rows(), options.shard);
        let begin = n * s.rank / s.size;
        Ok(Self { x, y, begin, non_finite: options.load.non_finite })
    }
}

/// A pass over a shard's rows.
pub(super) struct NpyPass {
    files: (File, File),
    next: usize,
    bytes: Vec<u8>,
}

impl NpyPass {
    /// The next at most `max` rows, standardized as the schema says, into `x` and `y`.
    pub(super) fn next(
        &mut self,
        f: &NpyFile,
        max: usize,
        schema: &Schema,
        (x, y): (&mut Tensor, &mut Tensor),
    ) -> Result<usize, DataError> {
        let rows = max.min(f.x.rows() - self.next);
        if rows == 0 {
            return Ok(0);
        }
        f.x.read(&mut self.files.0, self.next, rows, &mut self.bytes, x)?;
        f.y.read(&mut self.files.1, self.next, rows, &mut self.bytes, y)?;
        for (t, a, what) in [(&*x, &f.x, "sample"), (&*y, &f.y, "label")] {
            if f.non_finite == NonFinite::Reject
                && let Some(i) = t.data().iter().position(|v| !v.is_finite())
            {
                let k = t.cols().max(1);
                let (row, column, value) = (self.next + i / k, i % k, t.data()[i]);
                return Err(DataError::NonFiniteElement { path: a.path.clone(), what, row, column, value });
            }
        }
        schema.standardize_in_place(x);
        self.next += rows;
        Ok(rows)
    }
}

/// Opens `.npy` features and labels for training (see the module's docs): the task decided from
/// every label, [`Standardize::Everything`] fitted on every shard's training rows.
pub(super) fn open(path: &Path, labels: Option<&Path>, options: &StreamOptions) -> Result<StreamedData, DataError> {
    let file = NpyFile::open(path, labels, options)?;
    let (n, s) = (file.x.rows(), options.shard);
    let own = n * (s.rank + 1) / s.size - file.begin;
    let training = training_rows(own, options.validation_split, path)?;
    let chunk = options.chunk_rows.max(1);
    let mut pass = NpyFile { begin: 0, ..NpyFile::open(path, labels, options)? }.pass(0)?;
    // The task, from every label.
    let mut summary = ArrayLabels::new(file.y.width);
    let mut y = Tensor::default();
    let mut at = 0;
    while at < n {
        let rows = chunk.min(n - at);
        file.y.read(&mut pass.files.1, at, rows, &mut pass.bytes, &mut y)?;
        summary.add(&y);
        at += rows;
    }
    let (task, class_names) = summary.decide(options.load.task, file.y.path.as_path())?;
    let shape = &file.x.header.shape;
    let image_shape = (shape.len() == 3).then(|| shape[1..].to_vec());
    let feature_names = match &image_shape {
        Some(s) => pixel_names(s[0], s[1]),
        None => (0..file.x.width).map(|i| format!("x[{i}]")).collect(),
    };
    let mut schema = Schema {
        format: InputFormat::Npy,
        feature_names,
        image_shape,
        sample_shape: (shape.len() >= 3).then(|| shape[1..].to_vec()),
        scale: 1.0,
        task,
        class_names,
        ..Schema::csv(vec![], None)
    };
    if options.adapt.standardize == Standardize::Everything {
        schema.standardize = Some(standardization(&file, &mut pass, options)?);
    }
    Ok(StreamedData::from_npy(file, schema, options, (training, own - training)))
}

/// Mean and population deviation of each feature over every shard's training rows (sums in f64;
/// chunks combined by Chan's rule), as [`Standardization::fit`] on those rows.
fn standardization(file: &NpyFile, pass: &mut NpyPass, options: &StreamOptions) -> Result<Standardization, DataError> {
    let (n, size, k) = (file.x.rows(), options.shard.size, file.x.width);
    let (mut count, mut mean, mut m2) = (0usize, vec![0.0f64; k], vec![0.0f64; k]);
    let mut x = Tensor::default();
    for rank in 0..size {
        let (begin, end) = (n * rank / size, n * (rank + 1) / size);
        let end = begin + training_rows(end - begin, options.validation_split, &file.x.path)?;
        let mut at = begin;
        while at < end {
            let rows = options.chunk_rows.max(1).min(end - at);
            file.x.read(&mut pass.files.0, at, rows, &mut pass.bytes, &mut x)?;
            let mut cm = vec![0.0f64; k];
            for row in x.data().chunks_exact(k) {
                cm.iter_mut().zip(row).for_each(|(m, &v)| *m += f64::from(v));
            }
            cm.iter_mut().for_each(|m| *m /= rows as f64);
            let total = count + rows;
            for (j, ((m, s), c)) in mean.iter_mut().zip(m2.iter_mut()).zip(&cm).enumerate() {
                let c2: f64 = x.data().chunks_exact(k).map(|r| (f64::from(r[j]) - c).powi(2)).sum();
                let delta = c - *m;
                *s += c2 + delta * delta * count as f64 * rows as f64 / total as f64;
                *m += delta * rows as f64 / total as f64;
            }
            count = total;
            at += rows;
        }
    }
    let std = m2
        .iter()
        .map(|s| {
            let sd = (s / count.max(1) as f64).sqrt();
            if sd > 1e-12 { sd as f32 } else { 1.0 }
        })
        .collect();
    Ok(Standardization { mean: mean.iter().map(|&m| m as f32).collect(), std })
}

/// Opens `.npy` features and labels read for `schema` (validation data).
pub(super) fn for_schema(
    path: &Path,
    labels: Option<&Path>,
    schema: &Schema,
    options: &StreamOptions,
) -> Result<StreamedData, DataError> {
    let file = NpyFile::open(path, labels, options)?;
    if file.x.width != schema.feature_names.len() {
        let (expected, got) = (schema.feature_names.len(), file.x.width);
        return Err(crate::data::SchemaError::FeatureCount { path: path.to_path_buf(), expected, got }.into());
    }
    let (n, s) = (file.x.rows(), options.shard);
    let own = n * (s.rank + 1) / s.size - file.begin;
    Ok(StreamedData::from_npy(file, schema.clone(), options, (own, 0)))
}

/// The shape of a `.npy` file's array.
pub(super) fn shape(path: &Path) -> Result<Vec<usize>, DataError> {
    Ok(Array::open(path)?.header.shape)
}
