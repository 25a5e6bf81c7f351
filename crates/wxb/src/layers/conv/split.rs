//! A convolution's passes over a batch split into parts of whole samples, each part walking its
//! samples in chunks whose patches `im2col(x)` stay in the core's cache: the patches of a chunk are
//! written, multiplied and forgotten before the next chunk, instead of a `[B·P, K]` matrix (17 MiB
//! for the convnet's second layer at batch 128) written to memory, read back by the product, and
//! read again by the backward pass. Each part holds its own buffers (no allocation once sized).
//!
//! Forward, chunk `c` of samples: `y_c = act(im2col(x_c)·K + b)`, parts run on the thread pool
//! (rows are independent, so any split gives the same values). Backward: part `p` sums
//! `dK_p = Σ_c im2col(x_c)ᵀ·dz_c` and writes `dx_c = col2im(dz_c·Kᵀ)`; then
//! `dK = dK_0 + dK_1 + …` in part order. The parts of the backward pass are [`BACKWARD_PARTS`]
//! whatever the number of threads, so that the sums, and the trained weights, do not depend on it.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use super::Geometry;
use super::im2col::{col2im, im2col};
use crate::parallel;
use crate::tensor::{Fused, Mat, Tensor, Transpose, matmul_slices};

/// Parts of a backward pass (at most the batch's samples): a fixed number, so that the weight
/// gradient's additions happen in the same order on any number of threads.
pub(super) const BACKWARD_PARTS: usize = 8;

/// Patch values per chunk (256 KiB): a chunk's patches stay in L2 between `im2col` and the product.
const CHUNK_VALUES: usize = 1 << 16;

/// The buffers of each part.
#[derive(Debug, Default)]
pub(super) struct Parts(Vec<Mutex<PartBuffers>>);

/// One part's patches, their gradient, and its share of the kernel's gradient.
#[derive(Debug, Default)]
struct PartBuffers {
    cols: Tensor,
    dcols: Tensor,
    dk: Tensor,
}

impl Parts {
    /// At least `n` parts' buffers.
    fn ensure(&mut self, n: usize) {
        while self.0.len() < n {
            self.0.push(Mutex::default());
        }
    }
}

/// Samples per chunk for geometry `g`.
fn chunk(g: &Geometry) -> usize {
    (CHUNK_VALUES / (g.positions() * g.patch()).max(1)).max(1)
}

/// `out = act(im2col(x)·k + bias)` for `batch` samples `x` (`out`: `[B·P, f]`).
///
/// # Panics
/// If the sizes do not match `g` and `batch`.
#[allow(clippy::too_many_arguments)]
pub(super) fn forward(
    g: &Geometry,
    x: &[f32],
    batch: usize,
    k: Mat<'_>,
    bias: Option<&[f32]>,
    act: Fused,
    out: &mut [f32],
    parts: &mut Parts,
) {
    let (in_len, out_len) = (g.input_len(), g.positions() * g.filters);
    assert_eq!((x.len(), out.len()), (batch * in_len, batch * out_len), "convolution: sizes for {batch} samples");
    if batch == 0 {
        return;
    }
    let n_parts = parallel::threads().min(batch);
    parts.ensure(n_parts);
    let (bufs, step) = (&parts.0, chunk(g));
    parallel::for_each_range_mut(out, n_parts, out_len, &|p, r, out| {
        let mut b = bufs[p].lock().unwrap_or_else(PoisonError::into_inner);
        b.cols.resize(&[step * g.positions(), g.patch()]);
        for (n0, n) in chunks(r.start / out_len..r.end / out_len, step) {
            let rows = n * g.positions();
            let cols = &mut b.cols.data_mut()[..rows * g.patch()];
            im2col(g, &x[n0 * in_len..(n0 + n) * in_len], n, cols);
            let a = Mat { data: cols, rows, cols: g.patch() };
            let o = &mut out[n0 * out_len - r.start..][..n * out_len];
            matmul_slices(o, a, Transpose::No, k, Transpose::No, false, bias, act);
        }
    });
}

/// `dk = im2col(x)ᵀ·dz` and, when asked, `dx = col2im(dz·kᵀ)`, for `batch` samples.
///
/// # Panics
/// If the sizes do not match `g` and `batch`.
#[allow(clippy::too_many_arguments)]
pub(super) fn backward(
    g: &Geometry,
    x: &[f32],
    batch: usize,
    dz: &[f32],
    k: Mat<'_>,
    dk: &mut [f32],
    dx: Option<&mut [f32]>,
    parts: &mut Parts,
) {
    let (in_len, out_len, patch) = (g.input_len(), g.positions() * g.filters, g.patch());
    assert_eq!((x.len(), dz.len()), (batch * in_len, batch * out_len), "convolution: sizes for {batch} samples");
    assert_eq!(dk.len(), patch * g.filters, "convolution: a kernel gradient of the wrong size");
    if batch == 0 {
        dk.fill(0.0);
        return;
    }
    let n_parts = BACKWARD_PARTS.min(batch);
    parts.ensure(n_parts);
    let (bufs, step) = (&parts.0, chunk(g));
    let work = |p: usize, samples: Range<usize>, mut dx: Option<&mut [f32]>| {
        let mut guard = bufs[p].lock().unwrap_or_else(PoisonError::into_inner);
        let b = &mut *guard;
        b.cols.resize(&[step * g.positions(), patch]);
        b.dk.resize(&[patch, g.filters]);
        b.dk.data_mut().fill(0.0);
        if dx.is_some() {
            b.dcols.resize(&[step * g.positions(), patch]);
        }
        let first = samples.start;
        for (i, (n0, n)) in chunks(samples, step).enumerate() {
            let rows = n * g.positions();
            let cols = &mut b.cols.data_mut()[..rows * patch];
            im2col(g, &x[n0 * in_len..(n0 + n) * in_len], n, cols);
            let a = Mat { data: cols, rows, cols: patch };
            let d = Mat { data: &dz[n0 * out_len..(n0 + n) * out_len], rows, cols: g.filters };
            matmul_slices(b.dk.data_mut(), a, Transpose::Yes, d, Transpose::No, i > 0, None, Fused::Identity);
            if let Some(dx) = dx.as_deref_mut() {
                let dcols = &mut b.dcols.data_mut()[..rows * patch];
                matmul_slices(dcols, d, Transpose::No, k, Transpose::Yes, false, None, Fused::Identity);
                col2im(g, dcols, n, &mut dx[(n0 - first) * in_len..][..n * in_len]);
            }
        }
    };
    match dx {
        Some(dx) => {
            assert_eq!(dx.len(), batch * in_len, "convolution: an input gradient of the wrong size");
            parallel::for_each_range_mut(dx, n_parts, in_len, &|p, r, d| {
                work(p, r.start / in_len..r.end / in_len, Some(d))
            });
        }
        None => parallel::for_each_part(n_parts, &|p| work(p, parallel::range(batch, n_parts, 1, p), None)),
    }
    for (p, part) in parts.0[..n_parts].iter_mut().enumerate() {
        let partial = part.get_mut().unwrap_or_else(PoisonError::into_inner).dk.data();
        if p == 0 {
            dk.copy_from_slice(partial);
        } else {
            dk.iter_mut().zip(partial).for_each(|(d, s)| *d += s);
        }
    }
}

/// `(first sample, samples)` of each chunk of at most `step` samples of `samples`.
fn chunks(samples: Range<usize>, step: usize) -> impl Iterator<Item = (usize, usize)> {
    samples.clone().step_by(step).map(move |n0| (n0, step.min(samples.end - n0)))
}
