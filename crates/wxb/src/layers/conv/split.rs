//! A convolution's passes over a batch split into parts of whole samples, each part walking its
//! samples in chunks whose patches `im2col(x)` stay in the core's cache: the patches of a chunk are
//! written, multiplied and forgotten before the next chunk, instead of a `[B·P, K]` matrix (17 MiB
//! for the convnet's second layer at batch 128) written to memory, read back by the product, and
//! read again by the backward pass. Each part holds its own buffers (no allocation once sized).
//!
//! Forward, chunk `c` of samples: `y_c = act(im2col(x_c)·K + b)`, parts run on the thread pool
//! (rows are independent, so any split gives the same values). Backward: part `p` makes each
//! chunk's `dz_c` (for ReLU `dy_c ⊙ [y_c > 0]`, in the cache), sums `dK_p = Σ_c im2col(x_c)ᵀ·dz_c`
//! and `db_p = Σ_c Σ_rows dz_c`, and writes `dx_c = col2im(dz_c·Kᵀ)`; then `dK = dK_0 + dK_1 + …`
//! and `db` likewise, in part order. With a max pooling after the convolution (`pooled.rs`), the
//! forward pass pools each chunk's output from the cache ([`forward_pooled`]) and the backward
//! pass makes each chunk's `dz` from the pooled gradient ([`Upstream::Pooled`]). The parts of the backward pass are [`BACKWARD_PARTS`]
//! whatever the number of threads, so that the sums, and the trained weights, do not depend on it.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use super::Geometry;
use super::im2col::{col2im, im2col};
use crate::layers::pool::PoolCore;
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

/// One part's patches, their gradient, a chunk's `z` (when pooled) and `dz`, and its shares of the
/// weights' gradients.
#[derive(Debug, Default)]
struct PartBuffers {
    cols: Tensor,
    z: Tensor,
    dcols: Tensor,
    dz: Tensor,
    dk: Tensor,
    db: Tensor,
}

/// The gradient a backward pass starts from (`[B·P, f]` values).
#[derive(Clone, Copy, Debug)]
pub(super) enum Upstream<'a> {
    /// `∂L/∂z` itself.
    Logits(&'a [f32]),
    /// ReLU's output `y` and `∂L/∂y`: `dz = dy ⊙ [y > 0]`, made chunk by chunk.
    Relu { y: &'a [f32], dy: &'a [f32] },
    /// The output and gradient of a max pooling of the convolution's output (see [`Pooled`]).
    Pooled(Pooled<'a>),
}

/// A max pooling's output `y`, its gradient `dy` and its argmax (each output's cell within its
/// sample of the convolution's output), `len` values a sample: `dz[argmax[o]] += dy[o]` for each
/// pooled value `o` in order, for ReLU only where `y[o] > 0` (the max is the ReLU output at its
/// argmax, so this is the pooling's backward pass, then ReLU's, in one pass over a chunk).
#[derive(Clone, Copy, Debug)]
pub(super) struct Pooled<'a> {
    pub y: &'a [f32],
    pub dy: &'a [f32],
    pub argmax: &'a [u32],
    pub len: usize,
    pub relu: bool,
}

impl Upstream<'_> {
    /// The number of values, counted as the convolution's output (`[B·P, f]`).
    pub(super) fn len(&self, out_len: usize) -> usize {
        match self {
            Upstream::Logits(dz) => dz.len(),
            Upstream::Relu { dy, .. } => dy.len(),
            Upstream::Pooled(p) => p.dy.len() / p.len.max(1) * out_len,
        }
    }
}

/// Where a backward pass writes the weights' gradients: `[K, f]` and, with a bias, `[f]`.
#[derive(Debug)]
pub(super) struct Grads<'a> {
    pub kernel: &'a mut [f32],
    pub bias: Option<&'a mut [f32]>,
}

impl Parts {
    /// At least `n` parts' buffers.
    fn ensure(&mut self, n: usize) {
        while self.0.len() < n {
            self.0.push(Mutex::default());
        }
    }
}

/// Samples per chunk for geometry `g`: the larger of a chunk's patches and its `dz` (a first layer
/// has few patch values, 9 per position, and many filters) within [`CHUNK_VALUES`].
fn chunk(g: &Geometry) -> usize {
    (CHUNK_VALUES / (g.positions() * g.patch().max(g.filters)).max(1)).max(1)
}

/// `out = act(im2col(x)·k + bias)` for `batch` samples `x` (`out`: `[B·P, f]`).
///
/// # Panics
/// If the sizes do not match `g` and `batch`.
pub(super) fn forward(
    g: &Geometry,
    x: &[f32],
    batch: usize,
    (k, bias, act): (Mat<'_>, Option<&[f32]>, Fused),
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
        for (n0, n) in chunks(r.start / out_len..r.end / out_len, step) {
            let o = &mut out[n0 * out_len - r.start..][..n * out_len];
            forward_chunk(g, &x[n0 * in_len..(n0 + n) * in_len], n, (k, bias, act), &mut b.cols, step, o);
        }
    });
}

/// The forward pass of [`forward`] followed by a max pooling `pool` of its output, chunk by chunk:
/// each chunk's `act(im2col(x)·k + b)` stays in the cache, pooled into `out` (`pool`'s output for
/// `batch` samples) with each value's argmax (its cell within the sample's convolution output)
/// in `argmax`. The same products on the same chunks as [`forward`], then the same pooling as
/// the layer's: the values are those of the two passes one after the other.
///
/// # Panics
/// If the sizes do not match `g`, `pool` and `batch`.
#[allow(clippy::too_many_arguments)]
pub(super) fn forward_pooled(
    g: &Geometry,
    x: &[f32],
    batch: usize,
    (k, bias, act): (Mat<'_>, Option<&[f32]>, Fused),
    pool: &PoolCore,
    out: &mut [f32],
    argmax: &mut [u32],
    parts: &mut Parts,
) {
    let (in_len, out_len, pooled) = (g.input_len(), g.positions() * g.filters, pool.output_len());
    assert_eq!((x.len(), out.len()), (batch * in_len, batch * pooled), "convolution: sizes for {batch} samples");
    assert_eq!(argmax.len(), out.len(), "convolution: an argmax per pooled value");
    if batch == 0 {
        return;
    }
    let n_parts = parallel::threads().min(batch);
    parts.ensure(n_parts);
    let (bufs, step) = (&parts.0, chunk(g));
    let args = SharedArgs(argmax.as_mut_ptr());
    parallel::for_each_range_mut(out, n_parts, pooled, &|p, r, out| {
        let mut guard = bufs[p].lock().unwrap_or_else(PoisonError::into_inner);
        let b = &mut *guard;
        b.z.resize(&[step * out_len]);
        let first = r.start / pooled;
        for (n0, n) in chunks(first..r.end / pooled, step) {
            let z = &mut b.z.data_mut()[..n * out_len];
            forward_chunk(g, &x[n0 * in_len..(n0 + n) * in_len], n, (k, bias, act), &mut b.cols, step, z);
            for (s, zs) in z.chunks_exact(out_len).enumerate() {
                let at = (n0 + s) * pooled;
                // SAFETY: `argmax` holds `batch · pooled` values (checked above) and is borrowed
                // exclusively for this call; this part writes only its own samples' values.
                let a = unsafe { std::slice::from_raw_parts_mut(args.get().add(at), pooled) };
                pool.max_sample(zs, &mut out[at - r.start..][..pooled], Some(a));
            }
        }
    });
}

/// `out = act(im2col(x)·k + bias)` for the `n` samples `x` of one chunk of at most `step`,
/// through the patches' buffer `cols`.
fn forward_chunk(
    g: &Geometry,
    x: &[f32],
    n: usize,
    (k, bias, act): (Mat<'_>, Option<&[f32]>, Fused),
    cols: &mut Tensor,
    step: usize,
    out: &mut [f32],
) {
    cols.resize(&[step * g.positions(), g.patch()]);
    let rows = n * g.positions();
    let cols = &mut cols.data_mut()[..rows * g.patch()];
    im2col(g, x, n, cols);
    let a = Mat { data: cols, rows, cols: g.patch() };
    matmul_slices(out, a, Transpose::No, k, Transpose::No, false, bias, act);
}

/// The argmax buffer of one pooled forward pass, written by its parts, each to its own samples.
struct SharedArgs(*mut u32);
// SAFETY: the parts of one call write disjoint ranges through it (see its use).
unsafe impl Sync for SharedArgs {}
impl SharedArgs {
    /// The pointer (a method, so that closures capture the `Sync` wrapper, not the field).
    fn get(&self) -> *mut u32 {
        self.0
    }
}

/// `dk = im2col(x)ᵀ·dz`, `db = Σ_rows dz` and, when asked, `dx = col2im(dz·kᵀ)`, for `batch`
/// samples.
///
/// # Panics
/// If the sizes do not match `g` and `batch`.
#[allow(clippy::too_many_arguments)]
pub(super) fn backward(
    g: &Geometry,
    x: &[f32],
    batch: usize,
    up: Upstream<'_>,
    k: Mat<'_>,
    grads: Grads<'_>,
    dx: Option<&mut [f32]>,
    parts: &mut Parts,
) {
    let (in_len, out_len, patch, f) = (g.input_len(), g.positions() * g.filters, g.patch(), g.filters);
    assert_eq!((x.len(), up.len(out_len)), (batch * in_len, batch * out_len), "convolution: sizes for {batch} samples");
    if let Upstream::Relu { y, dy } = up {
        assert_eq!(y.len(), dy.len(), "relu backward: an output of {} values for a gradient of {}", y.len(), dy.len());
    }
    assert_eq!(grads.kernel.len(), patch * f, "convolution: a kernel gradient of the wrong size");
    let want_db = grads.bias.is_some();
    let n_parts = BACKWARD_PARTS.min(batch);
    parts.ensure(n_parts);
    let (bufs, step) = (&parts.0, chunk(g));
    let work = |p: usize, samples: Range<usize>, mut dx: Option<&mut [f32]>| {
        let mut guard = bufs[p].lock().unwrap_or_else(PoisonError::into_inner);
        let b = &mut *guard;
        b.cols.resize(&[step * g.positions(), patch]);
        b.dk.resize(&[patch, f]);
        b.dk.data_mut().fill(0.0);
        b.db.resize(&[f]);
        b.db.data_mut().fill(0.0);
        if dx.is_some() {
            b.dcols.resize(&[step * g.positions(), patch]);
        }
        if !matches!(up, Upstream::Logits(_)) {
            b.dz.resize(&[step * g.positions(), f]);
        }
        let first = samples.start;
        for (i, (n0, n)) in chunks(samples, step).enumerate() {
            let rows = n * g.positions();
            let db = want_db.then(|| b.db.data_mut());
            let dz: &[f32] = match up {
                Upstream::Logits(dz) => {
                    let dz = &dz[n0 * out_len..(n0 + n) * out_len];
                    chunk_dz(up, (n0, out_len), &mut [], dz, db);
                    dz
                }
                _ => {
                    let dz = &mut b.dz.data_mut()[..rows * f];
                    chunk_dz(up, (n0, out_len), dz, &[], db);
                    dz
                }
            };
            let cols = &mut b.cols.data_mut()[..rows * patch];
            im2col(g, &x[n0 * in_len..(n0 + n) * in_len], n, cols);
            let a = Mat { data: cols, rows, cols: patch };
            let d = Mat { data: dz, rows, cols: f };
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
    let Grads { kernel: dk, bias: mut db } = grads;
    dk.fill(0.0);
    if let Some(db) = db.as_deref_mut() {
        assert_eq!(db.len(), f, "convolution: a bias gradient of the wrong size");
        db.fill(0.0);
    }
    for part in &mut parts.0[..n_parts] {
        let part = part.get_mut().unwrap_or_else(PoisonError::into_inner);
        dk.iter_mut().zip(part.dk.data()).for_each(|(d, s)| *d += s);
        if let Some(db) = db.as_deref_mut() {
            db.iter_mut().zip(part.db.data()).for_each(|(d, s)| *d += s);
        }
    }
}

/// One chunk's `dz` from the upstream gradient (into `made`, for a ReLU or pooled upstream; a
/// logits upstream is `given`, the chunk's slice) and, with `db`, its rows' sums added to `db`:
/// the chunk starts at sample `n0`, of `out_len` output values each. Compiled for AVX-512 when
/// the CPU has it (the selects and sums on whole vectors).
fn chunk_dz(up: Upstream<'_>, at: (usize, usize), made: &mut [f32], given: &[f32], db: Option<&mut [f32]>) {
    #[cfg(target_arch = "x86_64")]
    if crate::tensor::has_avx512() {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { chunk_dz_avx512(up, at, made, given, db) };
    }
    chunk_dz_any(up, at, made, given, db);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn chunk_dz_avx512(up: Upstream<'_>, at: (usize, usize), made: &mut [f32], given: &[f32], db: Option<&mut [f32]>) {
    chunk_dz_any(up, at, made, given, db);
}

/// [`chunk_dz`] for any instruction set.
#[inline(always)]
fn chunk_dz_any(
    up: Upstream<'_>,
    (n0, out_len): (usize, usize),
    made: &mut [f32],
    given: &[f32],
    db: Option<&mut [f32]>,
) {
    let span = n0 * out_len..n0 * out_len + made.len();
    match up {
        Upstream::Logits(_) => {}
        Upstream::Relu { y, dy } => {
            for ((d, &g), &v) in made.iter_mut().zip(&dy[span.clone()]).zip(&y[span]) {
                *d = if v > 0.0 { g } else { 0.0 };
            }
        }
        Upstream::Pooled(p) => {
            made.fill(0.0);
            for (s, d) in made.chunks_exact_mut(out_len).enumerate() {
                let o = (n0 + s) * p.len..(n0 + s + 1) * p.len;
                // Without a branch (half the ReLU masks go each way: a mispredicted branch per
                // value cost more than the scatter). Adding +0.0 leaves every sum as it is: a sum
                // from +0.0 is never −0.0.
                for ((&g, &v), &a) in p.dy[o.clone()].iter().zip(&p.y[o.clone()]).zip(&p.argmax[o]) {
                    d[a as usize] += if !p.relu || v > 0.0 { g } else { 0.0 };
                }
            }
        }
    }
    if let Some(db) = db {
        let dz = if matches!(up, Upstream::Logits(_)) { given } else { made };
        for row in dz.chunks_exact(db.len().max(1)) {
            db.iter_mut().zip(row).for_each(|(s, d)| *s += d);
        }
    }
}

/// `(first sample, samples)` of each chunk of at most `step` samples of `samples`.
fn chunks(samples: Range<usize>, step: usize) -> impl Iterator<Item = (usize, usize)> {
    samples.clone().step_by(step).map(move |n0| (n0, step.min(samples.end - n0)))
}
