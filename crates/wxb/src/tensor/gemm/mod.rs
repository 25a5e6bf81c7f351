//! Matrix products `C = op(A)·op(B)` on wxb's own AVX-512 kernels, with the dense layer's bias and
//! ReLU fused into the store.
//!
//! Own kernels rather than a GEMM crate (measured in `bench/gemm-crates`, figures in
//! `bench/README.md`): at the MLP's shapes they match or beat the `gemm` crate, they allocate
//! nothing per call (the crates allocate packing buffers on every call), and they add the bias and
//! apply ReLU while the tile is still in registers.
//!
//! Products of at least [`PARALLEL_MIN_MACS`] multiply-adds are split across [`threads`] into
//! blocks of columns (or of rows when the product is narrow), each computed by one part of the
//! persistent pool. Every element of `C` is the same chain of fused multiply-adds over `k` however
//! the product is split, so the result does not depend on the thread count.
//!
//! [`threads`]: crate::parallel::threads

mod driver;
mod kernel;
mod pack;

pub(crate) use kernel::{Fused, Isa, isa};

use super::Tensor;
use crate::parallel;
use driver::{Problem, View};
use kernel::{MR, NR};

/// Whether an operand enters a product as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// Use the matrix as stored.
    No,
    /// Use the transpose of the stored matrix (no copy: only the strides change).
    Yes,
}

/// Products with fewer multiply-adds run on one thread: below, handing half to the second core
/// costs more than it saves. Measured with `cargo bench --bench dense`.
pub const PARALLEL_MIN_MACS: usize = 1 << 16;

/// `out = beta·out + op(a)·op(b)` for the matrix views of `a` and `b` (`rows × cols`).
///
/// Shapes: `op(a): [m, k]`, `op(b): [k, n]`, `out: [m, n]`. With `beta == 0.0`, `out` is resized to
/// `[m, n]` (reusing its allocation) and its old contents are ignored; otherwise it must already be
/// `[m, n]`.
///
/// # Panics
/// If the inner dimensions differ, or `beta != 0` and `out` is not `[m, n]`.
pub fn matmul_into(out: &mut Tensor, a: &Tensor, ta: Transpose, b: &Tensor, tb: Transpose, beta: f32) {
    let (m, n) = check(out, a, ta, b, tb, beta);
    if beta != 0.0 && beta != 1.0 {
        out.data_mut().iter_mut().for_each(|x| *x *= beta);
    }
    let add = if beta == 0.0 { Accumulate::No } else { Accumulate::Yes };
    product(out, m, n, a, ta, b, tb, add, None, Fused::Identity);
}

/// Whether a product is added to the output's previous values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accumulate {
    No,
    Yes,
}

/// `out = act(op(a)·op(b) + bias)`, the bias (one value per column of the product) added to the
/// finished sums, then the activation: a dense layer's `activation(x·W + b)` in one pass. `out` is
/// resized to `[m, n]`.
///
/// # Panics
/// If the inner dimensions differ or the bias does not have `n` values.
pub(crate) fn matmul_bias_act(
    out: &mut Tensor,
    a: &Tensor,
    ta: Transpose,
    b: &Tensor,
    tb: Transpose,
    bias: Option<&[f32]>,
    act: Fused,
) {
    let (m, n) = check(out, a, ta, b, tb, 0.0);
    if let Some(bias) = bias {
        assert_eq!(bias.len(), n, "matmul: a bias of {} values for {n} columns", bias.len());
    }
    product(out, m, n, a, ta, b, tb, Accumulate::No, bias, act);
}

/// A row-major `rows × cols` matrix over a slice: a tensor of any rank seen as a matrix (a
/// convolution's kernel `[kh, kw, in, out]` as `[kh·kw·in, out]`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mat<'a> {
    /// The elements, row-major (at least `rows · cols`).
    pub data: &'a [f32],
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

/// `out = act([out +] op(a)·op(b) + bias)` over slices: `op(a): [m, k]`, `op(b): [k, n]`, `out`
/// the first `m·n` values of a row-major `[m, n]` buffer. With `add`, the product is added to
/// `out`'s values (and must come without bias or activation).
///
/// # Panics
/// If the inner dimensions differ, a slice is too short, the bias does not have `n` values, or
/// `add` comes with a bias or an activation.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul_slices(
    out: &mut [f32],
    a: Mat<'_>,
    ta: Transpose,
    b: Mat<'_>,
    tb: Transpose,
    add: bool,
    bias: Option<&[f32]>,
    act: Fused,
) {
    let dims = |m: Mat<'_>, t| if t == Transpose::No { (m.rows, m.cols) } else { (m.cols, m.rows) };
    let ((m, k), (kb, n)) = (dims(a, ta), dims(b, tb));
    assert_eq!(k, kb, "matmul: inner dimensions differ: op(a) is [{m}, {k}], op(b) is [{kb}, {n}]");
    assert!(a.data.len() >= a.rows * a.cols && b.data.len() >= b.rows * b.cols, "matmul: a slice is too short");
    assert!(out.len() >= m * n, "matmul: an output of {} values for [{m}, {n}]", out.len());
    assert!(!add || (bias.is_none() && act == Fused::Identity), "matmul: accumulating with a bias or activation");
    if let Some(bias) = bias {
        assert_eq!(bias.len(), n, "matmul: a bias of {} values for {n} columns", bias.len());
    }
    let view = |x: Mat<'_>, t| {
        let (rs, cs) = if t == Transpose::No { (x.cols as isize, 1) } else { (1, x.cols as isize) };
        View { ptr: x.data.as_ptr(), rs, cs }
    };
    let p = Problem {
        m,
        n,
        k,
        a: view(a, ta),
        b: view(b, tb),
        c: out.as_mut_ptr(),
        ldc: n,
        add_c: add,
        bias: bias.map_or(std::ptr::null(), <[f32]>::as_ptr),
        act,
        isa: kernel::isa(),
    };
    run(&p);
}

/// Checks the shapes, resizes `out` when it is overwritten, and returns `(m, n)`.
fn check(out: &mut Tensor, a: &Tensor, ta: Transpose, b: &Tensor, tb: Transpose, beta: f32) -> (usize, usize) {
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
    (m, n)
}

#[allow(clippy::too_many_arguments)]
fn product(
    out: &mut Tensor,
    m: usize,
    n: usize,
    a: &Tensor,
    ta: Transpose,
    b: &Tensor,
    tb: Transpose,
    add: Accumulate,
    bias: Option<&[f32]>,
    act: Fused,
) {
    let k = op_dims(a, ta).1;
    let view = |t: &Tensor, tr| {
        let (rs, cs) = strides(t, tr);
        View { ptr: t.data().as_ptr(), rs, cs }
    };
    let p = Problem {
        m,
        n,
        k,
        a: view(a, ta),
        b: view(b, tb),
        c: out.data_mut().as_mut_ptr(),
        ldc: n,
        add_c: add == Accumulate::Yes,
        bias: bias.map_or(std::ptr::null(), <[f32]>::as_ptr),
        act,
        isa: kernel::isa(),
    };
    run(&p);
}

/// How a product is divided among the threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Split {
    /// Blocks of `NR`-aligned columns.
    Columns,
    /// Blocks of `MR`-aligned rows.
    Rows,
}

fn run(p: &Problem) {
    if p.m == 0 || p.n == 0 {
        return;
    }
    let macs = p.m * p.n * p.k;
    let threads = if macs < PARALLEL_MIN_MACS { 1 } else { parallel::threads() };
    // Rows for a tall product (a weight gradient `xᵀ·dz`: each thread then holds its rows of the
    // gradient for the optimizer, which splits variables the same way) or a narrow one. Columns
    // otherwise, when each part gets at least two panels: each thread packs only its share of B.
    let split = if p.m <= p.n && p.n >= 2 * NR * threads { Split::Columns } else { Split::Rows };
    let parts = match split {
        Split::Columns => threads.min(p.n.div_ceil(NR)),
        Split::Rows => threads.min(p.m.div_ceil(MR)),
    };
    parallel::for_each_part(parts, &|part| {
        let (rows, cols) = match split {
            Split::Columns => (0..p.m, parallel::range(p.n, parts, NR, part)),
            Split::Rows => (parallel::range(p.m, parts, MR, part), 0..p.n),
        };
        // SAFETY: the views describe `a`, `b` and `out` (borrowed by the caller for the whole
        // call) and parts write disjoint blocks of `C`.
        unsafe { driver::compute(p, rows, cols) };
    });
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

    fn product_of(shape: (usize, usize, usize), ta: Transpose, tb: Transpose, rng: &mut WxbRng) -> (Tensor, Tensor) {
        let (m, k, n) = shape;
        let a = random(&if ta == Transpose::No { [m, k] } else { [k, m] }, rng);
        let b = random(&if tb == Transpose::No { [k, n] } else { [n, k] }, rng);
        (a, b)
    }

    /// Edges of tiles (rows, columns), several blocks of k (KC = 512) and of columns (NC = 256),
    /// and products large enough to be split across threads.
    const SHAPES: [(usize, usize, usize); 8] =
        [(1, 1, 1), (3, 5, 2), (17, 33, 9), (130, 300, 70), (9, 1100, 40), (70, 20, 600), (1, 784, 256), (0, 3, 4)];

    #[test]
    fn all_transpose_combinations_match_the_naive_product() {
        let mut rng = WxbRng::new(0);
        for shape in SHAPES {
            for ta in [Transpose::No, Transpose::Yes] {
                for tb in [Transpose::No, Transpose::Yes] {
                    let (a, b) = product_of(shape, ta, tb, &mut rng);
                    let mut out = Tensor::default();
                    matmul_into(&mut out, &a, ta, &b, tb, 0.0);
                    let want = naive(&a, ta, &b, tb);
                    assert!(out.max_abs_diff(&want) < 1e-4 * shape.1 as f32, "{shape:?} {ta:?} {tb:?}");
                }
            }
        }
    }

    #[test]
    fn bias_and_relu_are_applied_to_the_finished_sums() {
        let mut rng = WxbRng::new(1);
        for shape in SHAPES {
            let (a, b) = product_of(shape, Transpose::No, Transpose::No, &mut rng);
            let bias: Vec<f32> = (0..shape.2).map(|j| j as f32 * 0.1 - 1.0).collect();
            let mut plain = Tensor::default();
            matmul_into(&mut plain, &a, Transpose::No, &b, Transpose::No, 0.0);
            for act in [Fused::Identity, Fused::Relu] {
                let mut fused = Tensor::default();
                matmul_bias_act(&mut fused, &a, Transpose::No, &b, Transpose::No, Some(&bias), act);
                let mut want = plain.clone();
                for row in want.data_mut().chunks_exact_mut(shape.2.max(1)) {
                    for (x, b) in row.iter_mut().zip(&bias) {
                        *x = act.apply(*x + b);
                    }
                }
                assert_eq!(fused, want, "{shape:?} {act:?}");
            }
        }
    }

    #[test]
    fn the_fused_relu_keeps_nan() {
        // inf − inf in a sum gives NaN; relu must pass it on, not turn it into 0.
        for (m, k, n) in [(1, 2, 1), (5, 2, 37), (128, 2, 256)] {
            let mut a = Tensor::from_vec(&[m, k], vec![1.0; m * k]);
            a.data_mut()[0] = f32::NAN;
            let b = Tensor::from_vec(&[k, n], vec![-1.0; k * n]);
            let mut y = Tensor::default();
            matmul_bias_act(&mut y, &a, Transpose::No, &b, Transpose::No, None, Fused::Relu);
            assert!(y.row(0).iter().all(|v| v.is_nan()), "{m}×{k}×{n}: {:?}", &y.row(0)[..n.min(4)]);
            if m > 1 {
                assert!(y.row(1).iter().all(|&v| v == 0.0), "{m}×{k}×{n}");
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let mut rng = WxbRng::new(2);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for shape in [(128, 784, 256), (784, 128, 256), (33, 700, 300)] {
            for (ta, tb) in
                [(Transpose::No, Transpose::No), (Transpose::Yes, Transpose::No), (Transpose::No, Transpose::Yes)]
            {
                let (a, b) = product_of(shape, ta, tb, &mut rng);
                let run = |pool: &rayon::ThreadPool| {
                    pool.install(|| {
                        let mut out = Tensor::default();
                        matmul_into(&mut out, &a, ta, &b, tb, 0.0);
                        out
                    })
                };
                assert_eq!(run(&one), run(&two), "{shape:?} {ta:?} {tb:?}");
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
