//! Matrix products on the `gemm` crate (AVX-512 kernels through its `x86-v4` feature).
//!
//! The crate was chosen by measurement on the 2-core AVX-512 reference machine (see `bench/README.md`):
//! at the MLP shapes it reaches ~80 % of the f32 peak on one thread, against 72 % for `faer` and 60 %
//! for `matrixmultiply`. Its own threading only pays off for large products, so [`matmul_into`]
//! splits the *output rows* across the rayon pool itself, once a product is big enough, which for a
//! layer's forward pass is the same as splitting the batch across cores.

use super::Tensor;

/// Whether an operand enters a product as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// Use the matrix as stored.
    No,
    /// Use the transpose of the stored matrix (no copy: only the strides change).
    Yes,
}

/// Products with fewer multiply-adds than this run on one thread: below it, the cost of waking a
/// second core is larger than its help. Measured with `cargo bench --bench dense`.
const PARALLEL_MIN_FLOPS: usize = 1 << 21;
/// Each thread gets at least this many output rows.
const MIN_ROWS_PER_THREAD: usize = 16;

/// `out = beta·out + op(a)·op(b)` for the matrix views of `a` and `b` (`rows × cols`).
///
/// Shapes: `op(a): [m, k]`, `op(b): [k, n]`, `out: [m, n]`. With `beta == 0.0`, `out` is resized to
/// `[m, n]` (reusing its allocation) and its old contents are ignored; otherwise it must already be
/// `[m, n]`.
///
/// # Panics
/// If the inner dimensions differ, or `beta != 0` and `out` is not `[m, n]`.
pub fn matmul_into(out: &mut Tensor, a: &Tensor, ta: Transpose, b: &Tensor, tb: Transpose, beta: f32) {
    let (m, ka) = op_dims(a, ta);
    let (kb, n) = op_dims(b, tb);
    assert_eq!(
        ka,
        kb,
        "matmul: inner dimensions differ: op(a) is [{m}, {ka}] (a {:?}, {ta:?}) and op(b) is [{kb}, {n}] (b {:?}, {tb:?})",
        a.shape(),
        b.shape()
    );
    if beta == 0.0 {
        out.resize(&[m, n]);
    } else {
        assert_eq!(
            (out.rows(), out.cols()),
            (m, n),
            "matmul: accumulating into {:?}, product is [{m}, {n}]",
            out.shape()
        );
    }
    let (a_rs, a_cs) = strides(a, ta);
    let (b_rs, b_cs) = strides(b, tb);
    let spec = Spec { n, k: ka, a_rs, a_cs, b_rs, b_cs, beta };
    // SAFETY: the strides describe `a`, `b` and `out` exactly as their shapes say; each thread gets
    // a disjoint range of output rows.
    unsafe {
        run(m, spec, out.data_mut().as_mut_ptr(), a.data().as_ptr(), b.data().as_ptr());
    }
}

fn op_dims(t: &Tensor, tr: Transpose) -> (usize, usize) {
    match tr {
        Transpose::No => (t.rows(), t.cols()),
        Transpose::Yes => (t.cols(), t.rows()),
    }
}

/// (row stride, column stride) of `op(t)`.
fn strides(t: &Tensor, tr: Transpose) -> (isize, isize) {
    let c = t.cols() as isize;
    match tr {
        Transpose::No => (c, 1),
        Transpose::Yes => (1, c),
    }
}

#[derive(Clone, Copy)]
struct Spec {
    n: usize,
    k: usize,
    a_rs: isize,
    a_cs: isize,
    b_rs: isize,
    b_cs: isize,
    beta: f32,
}

#[derive(Clone, Copy)]
struct SendPtr<T>(T);
// SAFETY: used only to hand disjoint row ranges of one buffer to the threads of one call.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

unsafe fn run(m: usize, s: Spec, dst: *mut f32, a: *const f32, b: *const f32) {
    if m == 0 || s.n == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let flops = m * s.n * s.k;
    let parts = if flops < PARALLEL_MIN_FLOPS { 1 } else { threads.min(m / MIN_ROWS_PER_THREAD).max(1) };
    if parts == 1 {
        unsafe { kernel(m, s, dst, a, b) };
        return;
    }
    let (dst, a, b) = (SendPtr(dst), SendPtr(a), SendPtr(b));
    let chunk = m.div_ceil(parts);
    rayon::scope(|scope| {
        for p in 0..parts {
            let r0 = p * chunk;
            let rows = chunk.min(m.saturating_sub(r0));
            if rows == 0 {
                continue;
            }
            let (dst, a, b) = (dst, a, b);
            scope.spawn(move |_| {
                let (dst, a, b) = (dst, a, b);
                // SAFETY: rows r0..r0+rows of dst belong to this task alone.
                unsafe {
                    kernel(rows, s, dst.0.add(r0 * s.n), a.0.offset(r0 as isize * s.a_rs), b.0);
                }
            });
        }
    });
}

unsafe fn kernel(m: usize, s: Spec, dst: *mut f32, a: *const f32, b: *const f32) {
    if s.k == 0 {
        // An empty sum: the product is zero.
        let out = unsafe { std::slice::from_raw_parts_mut(dst, m * s.n) };
        if s.beta == 0.0 {
            out.fill(0.0);
        } else {
            out.iter_mut().for_each(|x| *x *= s.beta);
        }
        return;
    }
    // The gemm crate computes dst := alpha·dst + beta·lhs·rhs.
    unsafe {
        gemm::gemm(
            m,
            s.n,
            s.k,
            dst,
            1,
            s.n as isize,
            s.beta != 0.0,
            a,
            s.a_cs,
            s.a_rs,
            b,
            s.b_cs,
            s.b_rs,
            s.beta,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::WxbRng;

    fn naive(a: &Tensor, ta: Transpose, b: &Tensor, tb: Transpose) -> Tensor {
        let a = if ta == Transpose::Yes { a.transpose() } else { a.clone() };
        let b = if tb == Transpose::Yes { b.transpose() } else { b.clone() };
        let (m, k, n) = (a.rows(), a.cols(), b.cols());
        let mut out = Tensor::zeros(&[m, n]);
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f64;
                for p in 0..k {
                    s += f64::from(a.at(&[i, p])) * f64::from(b.at(&[p, j]));
                }
                out.set(&[i, j], s as f32);
            }
        }
        out
    }

    fn random(shape: &[usize], rng: &mut WxbRng) -> Tensor {
        let n = shape.iter().product();
        Tensor::from_vec(shape, (0..n).map(|_| rng.uniform_range(-1.0, 1.0)).collect())
    }

    #[test]
    fn all_transpose_combinations_match_the_naive_product() {
        let mut rng = WxbRng::new(0);
        // Includes a product large enough to be split across threads.
        for &(m, k, n) in &[(1, 1, 1), (3, 5, 2), (17, 33, 9), (130, 300, 70)] {
            for ta in [Transpose::No, Transpose::Yes] {
                for tb in [Transpose::No, Transpose::Yes] {
                    let a = random(&if ta == Transpose::No { [m, k] } else { [k, m] }, &mut rng);
                    let b = random(&if tb == Transpose::No { [k, n] } else { [n, k] }, &mut rng);
                    let mut out = Tensor::default();
                    matmul_into(&mut out, &a, ta, &b, tb, 0.0);
                    let want = naive(&a, ta, &b, tb);
                    assert!(out.max_abs_diff(&want) < 1e-4 * k as f32, "{m}x{k}x{n} {ta:?} {tb:?}");
                }
            }
        }
    }

    #[test]
    fn beta_accumulates() {
        let a = Tensor::from_vec(&[1, 2], vec![1., 2.]);
        let b = Tensor::from_vec(&[2, 1], vec![3., 4.]);
        let mut out = Tensor::from_vec(&[1, 1], vec![10.]);
        matmul_into(&mut out, &a, Transpose::No, &b, Transpose::No, 0.5);
        assert_eq!(out.data(), &[16.]);
    }

    #[test]
    #[should_panic(expected = "inner dimensions differ")]
    fn mismatched_shapes_panic_naming_both() {
        let a = Tensor::zeros(&[2, 3]);
        let b = Tensor::zeros(&[4, 2]);
        let _ = a.matmul(&b);
    }
}
