//! Row-major `f32` tensors with a runtime shape.
//!
//! A [`Tensor`] is a flat buffer of `f32` (64-byte aligned) plus a shape. Dense networks use rank 2, `[batch, features]`;
//! the shape is a list so that convolutional layers can use `[batch, height, width, channels]` later.
//! Most layer maths views a tensor as a matrix of `rows() = shape[0]` by `cols() = product of the rest`.

mod aligned;
mod finite;
mod gather;
mod gemm;
mod peak;
mod python;

pub(crate) use finite::all_finite;
pub(crate) use gemm::{Fused, Mat, matmul_bias_act, matmul_slices};
pub use gemm::{PARALLEL_MIN_MACS, Transpose, matmul_into};
pub use peak::fma_peak_gflops;
pub(crate) use python::{python_complement, python_float};

/// Whether the CPU runs AVX-512 (`x86-64-v4`) code, which wxb's hot loops then use.
pub(crate) fn has_avx512() -> bool {
    gemm::isa() == gemm::Isa::Avx512
}

use std::fmt;

use aligned::AlignedVec;

/// A dense, row-major `f32` tensor.
#[derive(Clone, PartialEq, Default)]
pub struct Tensor {
    shape: Vec<usize>,
    data: AlignedVec,
}

impl Tensor {
    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self { shape: shape.to_vec(), data: AlignedVec::filled(numel(shape), 0.0) }
    }

    /// A tensor whose every element is `value`.
    pub fn full(shape: &[usize], value: f32) -> Self {
        Self { shape: shape.to_vec(), data: AlignedVec::filled(numel(shape), value) }
    }

    /// `data` (row-major) with `shape`, copied into the tensor's 64-byte aligned storage (see
    /// [`Tensor::from_iter_with_shape`] to build one without the intermediate `Vec`).
    ///
    /// # Panics
    /// If `data.len()` differs from the product of `shape`.
    pub fn from_vec(shape: &[usize], data: Vec<f32>) -> Self {
        assert_eq!(
            data.len(),
            numel(shape),
            "Tensor::from_vec: shape {shape:?} holds {} elements, got {}",
            numel(shape),
            data.len()
        );
        Self { shape: shape.to_vec(), data: data.into() }
    }

    /// The elements of `values` (row-major) with `shape`, written straight into the tensor's
    /// storage (no intermediate `Vec`).
    ///
    /// # Panics
    /// If `values` yields a number of elements other than the product of `shape`.
    pub fn from_iter_with_shape(shape: &[usize], values: impl IntoIterator<Item = f32>) -> Self {
        let data: AlignedVec = values.into_iter().collect();
        assert_eq!(
            data.len(),
            numel(shape),
            "Tensor::from_iter_with_shape: shape {shape:?} holds {} elements, got {}",
            numel(shape),
            data.len()
        );
        Self { shape: shape.to_vec(), data }
    }

    /// A matrix from rows of equal length.
    ///
    /// # Panics
    /// If the rows differ in length.
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R]) -> Self {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = AlignedVec::filled(rows.len() * cols, 0.0);
        for (i, r) in rows.iter().enumerate() {
            let r = r.as_ref();
            assert_eq!(r.len(), cols, "Tensor::from_rows: row {i} has {} values, row 0 has {cols}", r.len());
            data[i * cols..(i + 1) * cols].copy_from_slice(r);
        }
        Self { shape: vec![rows.len(), cols], data }
    }

    /// The shape, outermost dimension first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The first dimension (the batch for activations); 1 for a scalar.
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    /// The product of all dimensions but the first.
    pub fn cols(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    /// The elements, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The elements, row-major, mutable.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the tensor and returns its elements (a copy: the storage is aligned, a `Vec` is not).
    pub fn into_vec(self) -> Vec<f32> {
        self.data.to_vec()
    }

    /// Row `i` of the matrix view.
    pub fn row(&self, i: usize) -> &[f32] {
        let c = self.cols();
        &self.data[i * c..(i + 1) * c]
    }

    /// Row `i` of the matrix view, mutable.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        let c = self.cols();
        &mut self.data[i * c..(i + 1) * c]
    }

    /// The element at a multi-index.
    ///
    /// # Panics
    /// If the index has the wrong rank or is out of bounds.
    pub fn at(&self, index: &[usize]) -> f32 {
        self.data[self.offset(index)]
    }

    /// Sets the element at a multi-index.
    pub fn set(&mut self, index: &[usize], value: f32) {
        let o = self.offset(index);
        self.data[o] = value;
    }

    fn offset(&self, index: &[usize]) -> usize {
        assert_eq!(index.len(), self.shape.len(), "index {index:?} for a tensor of shape {:?}", self.shape);
        let mut o = 0;
        for (&i, &d) in index.iter().zip(&self.shape) {
            assert!(i < d, "index {index:?} out of bounds for shape {:?}", self.shape);
            o = o * d + i;
        }
        o
    }

    /// Gives the tensor a new shape with the same number of elements.
    ///
    /// # Panics
    /// If the element counts differ.
    pub fn reshape(mut self, shape: &[usize]) -> Self {
        assert_eq!(numel(shape), self.data.len(), "reshape {:?} -> {shape:?}: element counts differ", self.shape);
        self.shape = shape.to_vec();
        self
    }

    /// The samples `[n, …]` as `[n, sample_shape…]` (free: only the shape changes) when each holds
    /// `Π sample_shape` elements; otherwise unchanged, for the caller's shape check to refuse. Reads
    /// flat features `[n, 784]` as a model of input `[28, 28, 1]` takes them, and back.
    pub fn with_sample_shape(self, sample_shape: &[usize]) -> Self {
        if self.rank() == 0 || self.shape[1..] == *sample_shape || self.cols() != numel(sample_shape) {
            return self;
        }
        let mut shape = Vec::with_capacity(sample_shape.len() + 1);
        shape.push(self.rows());
        shape.extend_from_slice(sample_shape);
        self.reshape(&shape)
    }

    /// Makes this tensor `shape`-shaped, reusing its allocation when it is large enough. The contents
    /// are unspecified afterwards (callers overwrite them). Used for the per-batch buffers of layers.
    pub fn resize(&mut self, shape: &[usize]) {
        let n = numel(shape);
        if self.shape != shape {
            self.shape.clear();
            self.shape.extend_from_slice(shape);
        }
        if self.data.len() != n {
            self.data.resize(n, 0.0);
        }
    }

    /// Copies `other`'s shape and elements into this tensor, reusing the allocation.
    pub fn assign(&mut self, other: &Tensor) {
        self.resize(&other.shape);
        self.data.copy_from_slice(&other.data);
    }

    /// Sets every element to `value`.
    pub fn fill(&mut self, value: f32) {
        self.data.fill(value);
    }

    /// Applies `f` to every element.
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Tensor {
        Tensor { shape: self.shape.clone(), data: self.data.iter().map(|&x| f(x)).collect() }
    }

    /// The rows listed in `indices`, in that order, as a new tensor `[indices.len(), ...]`.
    pub fn gather_rows(&self, indices: &[usize]) -> Tensor {
        let mut out = Tensor::default();
        self.gather_rows_into(indices, &mut out);
        out
    }

    /// Copies the rows listed in `indices` into `out`, reusing its allocation. A large gather is
    /// split by rows across the thread pool: rows picked at random come from memory, and two cores
    /// keep twice the misses in flight.
    pub fn gather_rows_into(&self, indices: &[usize], out: &mut Tensor) {
        let c = self.cols();
        self.shape_rows_into(indices.len(), out);
        gather::rows(&self.data, c, indices, &mut out.data);
    }

    /// Copies rows `start..end` into `out`, reusing its allocation.
    pub fn slice_rows_into(&self, start: usize, end: usize, out: &mut Tensor) {
        let c = self.cols();
        self.shape_rows_into(end - start, out);
        out.data.copy_from_slice(&self.data[start * c..end * c]);
    }

    /// Gives `out` this tensor's shape with `rows` rows (without allocating once it is large enough).
    fn shape_rows_into(&self, rows: usize, out: &mut Tensor) {
        out.shape.clear();
        out.shape.push(rows);
        out.shape.extend(self.shape.iter().skip(1));
        out.data.resize(rows * self.cols(), 0.0);
    }

    /// Rows `start..end` as a new tensor.
    pub fn slice_rows(&self, start: usize, end: usize) -> Tensor {
        let c = self.cols();
        let mut shape = self.shape.clone();
        shape[0] = end - start;
        Tensor { shape, data: AlignedVec::from_slice(&self.data[start * c..end * c]) }
    }

    /// The transposed matrix, `[cols, rows]`.
    pub fn transpose(&self) -> Tensor {
        let (r, c) = (self.rows(), self.cols());
        let mut data = AlignedVec::filled(r * c, 0.0);
        for i in 0..r {
            for j in 0..c {
                data[j * r + i] = self.data[i * c + j];
            }
        }
        Tensor { shape: vec![c, r], data }
    }

    /// The matrix product `self · other` of the matrix views, `[m, k]·[k, n] = [m, n]`.
    ///
    /// # Panics
    /// If the inner dimensions differ.
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        let mut out = Tensor::default();
        matmul_into(&mut out, self, Transpose::No, other, Transpose::No, 0.0);
        out
    }

    /// The largest absolute difference to `other` (of equal shape).
    pub fn max_abs_diff(&self, other: &Tensor) -> f32 {
        assert_eq!(self.shape, other.shape, "max_abs_diff: shapes differ");
        self.data.iter().zip(other.data.iter()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
    }

    /// Whether every element is finite.
    pub fn is_finite(&self) -> bool {
        self.data.iter().all(|x| x.is_finite())
    }

    /// The sum of all elements, accumulated in f64.
    pub fn sum(&self) -> f64 {
        self.data.iter().map(|&x| f64::from(x)).sum()
    }

    /// The index of the largest element of each row.
    pub fn argmax_rows(&self) -> Vec<usize> {
        (0..self.rows()).map(|i| argmax(self.row(i))).collect()
    }
}

/// The class a classifier's output row predicts: for one output (a sigmoid unit, Keras' binary
/// head), 1 when the output is above 0.5, else 0 (Keras' `binary_accuracy` threshold); for several,
/// the [`argmax`].
pub fn predicted_class(outputs: &[f32]) -> usize {
    match outputs {
        [p] => usize::from(*p > 0.5),
        _ => argmax(outputs),
    }
}

/// The probability a classifier's output row gives class `class`: `p` for class 1 and `1 − p` for
/// class 0 of a one-output (sigmoid) head, else the class's output.
///
/// # Panics
/// If `class` is beyond the outputs (or above 1 for one output).
pub fn class_probability(outputs: &[f32], class: usize) -> f32 {
    match (outputs, class) {
        ([p], 0) => 1.0 - p,
        ([p], 1) => *p,
        _ => outputs[class],
    }
}

/// The index of the largest value (the first one on ties; NaN is never chosen over a number).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] || values[best].is_nan() {
            best = i;
        }
    }
    best
}

/// The number of elements of a shape.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        write!(f, "Tensor{:?} [", self.shape)?;
        for (i, x) in self.data.iter().take(SHOWN).enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{x}")?;
        }
        if self.data.len() > SHOWN {
            write!(f, ", … ({} more)", self.data.len() - SHOWN)?;
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_and_indexing() {
        let t = Tensor::from_vec(&[2, 3], vec![1., 2., 3., 4., 5., 6.]);
        assert_eq!((t.rows(), t.cols()), (2, 3));
        assert_eq!(t.row(1), &[4., 5., 6.]);
        assert_eq!(t.at(&[1, 2]), 6.);
        assert_eq!(t.transpose().data(), &[1., 4., 2., 5., 3., 6.]);
        assert_eq!(t.gather_rows(&[1, 0, 1]).data(), &[4., 5., 6., 1., 2., 3., 4., 5., 6.]);
        assert_eq!(t.argmax_rows(), vec![2, 2]);
    }

    #[test]
    #[should_panic(expected = "shape [2, 2] holds 4 elements, got 3")]
    fn from_vec_names_both_sizes() {
        let _ = Tensor::from_vec(&[2, 2], vec![1., 2., 3.]);
    }

    #[test]
    fn resize_reuses_the_allocation() {
        let mut t = Tensor::zeros(&[4, 8]);
        let p = t.data().as_ptr();
        t.resize(&[2, 8]);
        t.resize(&[4, 8]);
        assert_eq!(t.data().as_ptr(), p);
    }
}
