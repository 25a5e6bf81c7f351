//! Packing `B` into `NR`-wide panels: panel `q` holds columns `js.start + q·NR ..` of rows `ks`,
//! as `ks.len()` rows of `NR` contiguous values, zero past the last column.
//!
//! Row-major `B` (a weight matrix, a gradient) is copied row by row. A transposed `B` (`Wᵀ` in
//! `dz·Wᵀ`: column `j` of `B` is row `j` of `W`) is transposed 16×16 values at a time in AVX-512
//! registers, reading `W` along its rows.

use std::ops::Range;

use super::driver::View;
use super::kernel::{Isa, MR, NR};

/// Floats of alignment of the packed panels (64 bytes).
const ALIGN: usize = 16;

/// The buffer length that holds `B` packed for `kc` steps and `nc` columns.
pub(super) fn b_len(kc: usize, nc: usize) -> usize {
    nc.div_ceil(NR) * kc * NR + ALIGN
}

/// The buffer length that holds a strip of `A` packed for `kc` steps.
pub(super) fn a_len(kc: usize) -> usize {
    kc * MR + ALIGN
}

/// Packs `B[ks, js]` into `buf` (grown when too small, else reused) and returns the first panel.
pub(super) fn pack_b(buf: &mut Vec<f32>, b: View, ks: Range<usize>, js: Range<usize>, isa: Isa) -> *const f32 {
    let panels = js.len().div_ceil(NR);
    let len = panels * ks.len() * NR;
    if buf.len() < b_len(ks.len(), js.len()) {
        buf.resize(b_len(ks.len(), js.len()), 0.0);
    }
    let skip = buf.as_ptr().align_offset(ALIGN * 4).min(ALIGN);
    let out = &mut buf[skip..skip + len];
    for (q, panel) in out.chunks_exact_mut(ks.len() * NR).enumerate() {
        let j = js.start + q * NR;
        let cols = j..(j + NR).min(js.end);
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx512 && b.rs == 1 {
            // SAFETY: the CPU has AVX-512F; the view covers rows `ks` and columns `cols`.
            unsafe { avx512::transposed_panel(panel, b, ks.clone(), cols) };
            continue;
        }
        let _ = isa;
        // SAFETY: the view covers rows `ks` and columns `cols`.
        unsafe { panel_by_rows(panel, b, ks.clone(), cols) };
    }
    out.as_ptr()
}

/// Packs the strip `A[rows, ks]` (at most `MR` rows) as `ks.len()` groups of `MR` values (row
/// `i` of step `p` at `p·MR + i`) and returns it: a transposed `A` (`xᵀ`, one row of `x` per step)
/// would otherwise be read across as many cache lines as steps, all in the same cache set when the
/// row length is a power of two.
pub(super) fn pack_a(buf: &mut Vec<f32>, a: View, rows: Range<usize>, ks: Range<usize>) -> *const f32 {
    let len = ks.len() * MR;
    if buf.len() < a_len(ks.len()) {
        buf.resize(a_len(ks.len()), 0.0);
    }
    let skip = buf.as_ptr().align_offset(ALIGN * 4).min(ALIGN);
    let out = &mut buf[skip..skip + len];
    let r = rows.len();
    for (group, p) in out.chunks_exact_mut(MR).zip(ks) {
        // SAFETY: element (rows.start, p) of A.
        let src = unsafe { a.ptr.offset(rows.start as isize * a.rs + p as isize * a.cs) };
        if a.rs == 1 && r == MR {
            // SAFETY: elements (rows, p) of A, contiguous (a fixed-size copy: no call to memcpy).
            group.copy_from_slice(unsafe { &*src.cast::<[f32; MR]>() });
        } else {
            for (i, x) in group[..r].iter_mut().enumerate() {
                // SAFETY: element (rows.start + i, p) of A.
                *x = unsafe { *src.offset(i as isize * a.rs) };
            }
        }
    }
    out.as_ptr()
}

/// One panel, element by element (contiguous copies when `B`'s columns are contiguous).
///
/// # Safety
/// `b` is valid for rows `ks` and columns `cols`.
unsafe fn panel_by_rows(panel: &mut [f32], b: View, ks: Range<usize>, cols: Range<usize>) {
    let w = cols.len();
    for (row, p) in panel.chunks_exact_mut(NR).zip(ks) {
        // SAFETY: element (p, cols.start) of B.
        let src = unsafe { b.ptr.offset(p as isize * b.rs + cols.start as isize * b.cs) };
        if b.cs == 1 {
            // SAFETY: row p, columns `cols` of B.
            row[..w].copy_from_slice(unsafe { std::slice::from_raw_parts(src, w) });
        } else {
            for (jj, x) in row[..w].iter_mut().enumerate() {
                // SAFETY: element (p, cols.start + jj) of B.
                *x = unsafe { *src.offset(jj as isize * b.cs) };
            }
        }
        row[w..].fill(0.0);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;
    use std::ops::Range;

    use super::super::driver::View;
    use super::NR;

    fn mask(n: usize) -> __mmask16 {
        if n >= 16 { 0xFFFF } else { ((1u32 << n) - 1) as __mmask16 }
    }

    /// One panel of a `B` whose rows are contiguous down its columns (`b.rs == 1`): 16×16 blocks
    /// of `Bᵀ` are loaded along their rows, transposed in registers and stored as panel rows.
    ///
    /// # Safety
    /// AVX-512F; `b` is valid for rows `ks` and columns `cols`, `b.rs == 1`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn transposed_panel(panel: &mut [f32], b: View, ks: Range<usize>, cols: Range<usize>) {
        let zero = _mm512_setzero_ps();
        for half in 0..NR / 16 {
            let j0 = cols.start + 16 * half;
            let valid_cols = cols.end.saturating_sub(j0).min(16);
            let mut p = 0;
            while p < ks.len() {
                let steps = (ks.len() - p).min(16);
                let m = mask(steps);
                let mut r = [zero; 16];
                for (c, v) in r.iter_mut().enumerate().take(valid_cols) {
                    // SAFETY: column j0 + c of B, rows ks.start + p ..+ steps (masked).
                    *v = unsafe {
                        _mm512_maskz_loadu_ps(m, b.ptr.offset((j0 + c) as isize * b.cs + (ks.start + p) as isize))
                    };
                }
                let t = transpose16(r);
                for (s, v) in t.iter().enumerate().take(steps) {
                    // SAFETY: panel row p + s, columns 16·half ..+ 16.
                    unsafe { _mm512_storeu_ps(panel.as_mut_ptr().add((p + s) * NR + 16 * half), *v) };
                }
                p += 16;
            }
        }
    }

    /// The transpose of a 16×16 block held as 16 row vectors.
    #[target_feature(enable = "avx512f")]
    fn transpose16(r: [__m512; 16]) -> [__m512; 16] {
        // Interleave 32-bit elements of row pairs, then 64-bit pairs, then 128-bit lanes twice.
        let mut a = [_mm512_setzero_ps(); 16];
        for i in 0..8 {
            a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
            a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
        }
        let mut b = [_mm512_setzero_ps(); 16];
        for i in 0..4 {
            for h in 0..2 {
                let (x, y) = (_mm512_castps_pd(a[4 * i + h]), _mm512_castps_pd(a[4 * i + 2 + h]));
                b[4 * i + h] = _mm512_castpd_ps(_mm512_unpacklo_pd(x, y));
                b[4 * i + 2 + h] = _mm512_castpd_ps(_mm512_unpackhi_pd(x, y));
            }
        }
        let mut c = [_mm512_setzero_ps(); 16];
        for i in 0..2 {
            for h in 0..4 {
                c[8 * i + h] = _mm512_shuffle_f32x4::<0x88>(b[8 * i + h], b[8 * i + 4 + h]);
                c[8 * i + 4 + h] = _mm512_shuffle_f32x4::<0xDD>(b[8 * i + h], b[8 * i + 4 + h]);
            }
        }
        let mut d = [_mm512_setzero_ps(); 16];
        for h in 0..8 {
            d[h] = _mm512_shuffle_f32x4::<0x88>(c[h], c[8 + h]);
            d[8 + h] = _mm512_shuffle_f32x4::<0xDD>(c[h], c[8 + h]);
        }
        // d[k] now holds column `order[k]` of the block.
        let order = [0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15];
        let mut out = [_mm512_setzero_ps(); 16];
        for (k, &col) in order.iter().enumerate() {
            out[col] = d[k];
        }
        out
    }
}
