//! The loops around the micro-kernel: blocks of `k` and of columns, packing of `B`, tiles.
//!
//! For a block of `k` (`KC` steps) and of columns (`NC`), `B` is used in place when its columns are
//! contiguous and `A` has few rows, else copied into `NR`-wide panels (`KC × NR`, zero-padded)
//! in a buffer of the current thread that is reused from call to call (no allocation once it is
//! large enough). Then each `MR`-row strip of `A` (which stays in L1) meets every panel.

use std::cell::RefCell;
use std::ops::Range;

use super::kernel::{self, Fused, Init, Isa, MR, NR, Tile};
use super::pack;

/// Steps of `k` per block: the MLP's products (k ≤ 784) and 1024³ take one block, so that `C` is
/// written once (with several blocks, a tall `C` leaves the cache between them: 8192×784×256 ran
/// at 80 % of the peak with blocks of 512 against 88 % in one).
const KC: usize = 1024;
/// Columns per block: a packed `KC × NC` block of `B` (at most 1 MiB) stays in L2.
const NC: usize = 256;
/// Rows of `A` from which packing a row-major `B` pays for itself. Below, reading `B` in place is
/// faster (measured: 92–95 % of the peak at the MLP's shapes against 80–89 % packed); above, packed
/// panels avoid the cache-set conflicts of a large power-of-two row stride (1024³: 88 % against 76 %).
const PACK_MIN_ROWS: usize = 256;

/// A strided matrix: element `(i, j)` at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy, Debug)]
pub(super) struct View {
    pub ptr: *const f32,
    pub rs: isize,
    pub cs: isize,
}

/// `C ← [C +] A·B [+ bias] [→ act]`, `A: [m, k]`, `B: [k, n]`, `C: [m, n]` with row stride `ldc`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Problem {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: View,
    pub b: View,
    pub c: *mut f32,
    pub ldc: usize,
    pub add_c: bool,
    pub bias: *const f32,
    pub act: Fused,
    pub isa: Isa,
}

// SAFETY: a problem is shared by the parts of one call, which write disjoint blocks of `C`.
unsafe impl Sync for Problem {}
// SAFETY: as for `Sync`: the parts of one call write disjoint blocks of `C`.
unsafe impl Send for Problem {}

thread_local! {
    /// Packed panels of `B` and a packed strip of `A`.
    static PACKED: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Computes `C[rows, cols]`.
///
/// # Safety
/// The problem's pointers and strides describe valid, non-overlapping memory for its sizes.
pub(super) unsafe fn compute(p: &Problem, rows: Range<usize>, cols: Range<usize>) {
    if rows.is_empty() || cols.is_empty() {
        return;
    }
    let pack = p.b.cs != 1 || rows.len() >= PACK_MIN_ROWS || !kernel::masks_edges(p.isa);
    // A transposed A read in place strides a whole row of memory per step.
    let pack_a = p.a.cs != 1 && rows.len() >= PACK_MIN_ROWS;
    PACKED.with(|buffers| {
        let (buf, abuf) = &mut *buffers.borrow_mut();
        if buf.is_empty() {
            // Sized once for the largest block, so that which thread runs which part never
            // changes whether a call allocates.
            buf.resize(pack::b_len(KC, NC), 0.0);
            abuf.resize(pack::a_len(KC), 0.0);
        }
        let mut p0 = 0;
        loop {
            let kc = KC.min(p.k - p0);
            let first = p0 == 0;
            let last = p0 + kc == p.k;
            let mut j0 = cols.start;
            while j0 < cols.end {
                let j1 = (j0 + NC).min(cols.end);
                let (b, b_rs, panel) = if pack {
                    let packed = pack::pack_b(buf, p.b, p0..p0 + kc, j0..j1, p.isa);
                    (packed, NR as isize, (kc * NR) as isize)
                } else {
                    // SAFETY: in bounds of B.
                    (unsafe { p.b.ptr.offset(p0 as isize * p.b.rs + j0 as isize) }, p.b.rs, NR as isize)
                };
                let mut i0 = rows.start;
                while i0 < rows.end {
                    let r = MR.min(rows.end - i0);
                    let (a, a_rs, a_cs) = if pack_a {
                        (pack::pack_a(abuf, p.a, i0..i0 + r, p0..p0 + kc), 1, MR as isize)
                    } else {
                        // SAFETY: in bounds of A.
                        (unsafe { p.a.ptr.offset(i0 as isize * p.a.rs + p0 as isize * p.a.cs) }, p.a.rs, p.a.cs)
                    };
                    let width = kernel::wide_cols(p.isa, r);
                    let mut j = j0;
                    while j < j1 {
                        let w = width.min(j1 - j);
                        let q = ((j - j0) / NR) as isize;
                        let t = Tile {
                            rows: r,
                            cols: w,
                            k: kc,
                            a,
                            a_rs,
                            a_cs,
                            // SAFETY: panel `q` of the packed B lies inside the packed block.
                            b: unsafe { b.offset(q * panel) },
                            b_rs,
                            panel,
                            // SAFETY: row `i0`, column `j` is inside C (`i0 < m`, `j < n`).
                            c: unsafe { p.c.add(i0 * p.ldc + j) },
                            ldc: p.ldc as isize,
                            init: if first { Init::Zero } else { Init::Load },
                            add_c: first && p.add_c,
                            bias: if last && !p.bias.is_null() {
                                // SAFETY: the bias has `n` entries and `j < n`.
                                unsafe { p.bias.add(j) }
                            } else {
                                std::ptr::null()
                            },
                            act: if last { p.act } else { Fused::Identity },
                        };
                        // SAFETY: the tile lies inside the problem.
                        unsafe { kernel::tile(p.isa, &t) };
                        j += width;
                    }
                    i0 += MR;
                }
                j0 = j1;
            }
            p0 += kc;
            if p0 >= p.k {
                break;
            }
        }
    });
}
