//! Micro-kernels: one tile of `C = A·B` (`MR × NR` elements, or fewer rows and up to
//! [`wide_cols`] columns), accumulated in registers over `k`, then finished by the epilogue
//! (`+ C`, `+ bias`, ReLU) and stored.
//!
//! `A` is read through its strides (one broadcast per row and step of `k`), `B` as rows of `NR`
//! contiguous values per panel, `b + p·b_rs + panel·q` for panel `q` (the source itself when its
//! columns are contiguous, else a packed copy). Tiles of one to three rows span two or four panels,
//! so that they still have eight or more independent sums to hide the FMA latency. Every element of `C` is the same sequence of fused multiply-adds
//! `acc ← a·b + acc` over `p = 0, 1, …, k − 1`, whichever tile, thread or split computes it, so
//! results do not depend on the thread count.
//!
//! Three versions, chosen once at run time: AVX-512 (`x86-64-v4`), AVX2 + FMA, and portable Rust.

/// Rows of a tile.
pub(super) const MR: usize = 8;
/// Columns of a panel: two 16-lane vectors.
pub(super) const NR: usize = 32;

/// The columns of a tile of `rows` rows: wider for fewer rows, to keep at least eight accumulators
/// (AVX-512 only; the other kernels take one panel).
pub(super) fn wide_cols(isa: Isa, rows: usize) -> usize {
    match (isa, rows) {
        (Isa::Avx512, 1) => 4 * NR,
        (Isa::Avx512, 2 | 3) => 2 * NR,
        _ => NR,
    }
}

/// How a tile starts its sums.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Init {
    /// From zero: the first block of `k`.
    Zero,
    /// From the partial sums already in `C`: later blocks of `k`.
    Load,
}

/// An activation applied while storing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Fused {
    /// None.
    Identity,
    /// `max(x, 0)`, NaN staying NaN (as `activations::Activation::Relu`, PyTorch and TensorFlow).
    Relu,
}

impl Fused {
    /// The epilogue's function of one stored value.
    #[inline(always)]
    pub(crate) fn apply(self, y: f32) -> f32 {
        match self {
            Fused::Identity => y,
            Fused::Relu => {
                if y < 0.0 {
                    0.0
                } else {
                    y
                }
            }
        }
    }
}

/// One tile's operands and epilogue.
#[derive(Clone, Copy)]
pub(super) struct Tile {
    pub rows: usize,
    pub cols: usize,
    pub k: usize,
    pub a: *const f32,
    pub a_rs: isize,
    pub a_cs: isize,
    pub b: *const f32,
    pub b_rs: isize,
    /// From one panel of `B` to the next.
    pub panel: isize,
    pub c: *mut f32,
    pub ldc: isize,
    pub init: Init,
    /// Add the values `C` held before the product (`C ← C + A·B`), in the first block of `k`.
    pub add_c: bool,
    /// `bias[j]` for the tile's first column, added in the last block of `k` (null: none).
    pub bias: *const f32,
    /// Applied in the last block of `k`.
    pub act: Fused,
}

/// Which instructions the kernels use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Isa {
    Avx512,
    Avx2,
    Portable,
}

/// The best kernels this CPU runs.
pub(crate) fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return Isa::Avx2;
        }
    }
    Isa::Portable
}

/// Computes one tile.
///
/// # Safety
/// The pointers, strides and sizes describe valid memory: `rows` rows of `A` with `k` steps,
/// `k` rows of `B` with `cols` valid values (reads of whole panel rows must stay in bounds unless
/// the AVX-512 kernel masks them), `rows × cols` of `C`, `cols` of `bias`; `cols ≤ NR` except for
/// AVX-512, where `cols ≤ wide_cols(rows)`.
pub(super) unsafe fn tile(isa: Isa, t: &Tile) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX-512F (checked by `isa`); the caller vouches for the memory.
        Isa::Avx512 => unsafe { avx512::tile(t) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX2 and FMA.
        Isa::Avx2 => unsafe { portable::tile_fma(t) },
        // SAFETY: as above.
        _ => unsafe { portable::tile_plain(t) },
    }
}

/// Whether a kernel may read whole `NR`-wide rows of `B` past the valid columns (only AVX-512
/// masks its loads; the others need a packed, zero-padded `B` for a partial tile).
pub(super) fn masks_edges(isa: Isa) -> bool {
    isa == Isa::Avx512
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{Fused, Init, MR, Tile};

    /// Dispatches on the tile's rows and width (in 16-lane vectors) to a constant-size kernel.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tile(t: &Tile) {
        let v = t.cols.div_ceil(16);
        // SAFETY: forwarded from the caller.
        unsafe {
            match (t.rows, v) {
                (1, 1) => kernel::<1, 1>(t),
                (1, 2) => kernel::<1, 2>(t),
                (1, 3) => kernel::<1, 3>(t),
                (1, 4) => kernel::<1, 4>(t),
                (1, 5) => kernel::<1, 5>(t),
                (1, 6) => kernel::<1, 6>(t),
                (1, 7) => kernel::<1, 7>(t),
                (1, _) => kernel::<1, 8>(t),
                (2, 1) => kernel::<2, 1>(t),
                (2, 2) => kernel::<2, 2>(t),
                (2, 3) => kernel::<2, 3>(t),
                (2, _) => kernel::<2, 4>(t),
                (3, 1) => kernel::<3, 1>(t),
                (3, 2) => kernel::<3, 2>(t),
                (3, 3) => kernel::<3, 3>(t),
                (3, _) => kernel::<3, 4>(t),
                (4, 1) => kernel::<4, 1>(t),
                (4, _) => kernel::<4, 2>(t),
                (5, 1) => kernel::<5, 1>(t),
                (5, _) => kernel::<5, 2>(t),
                (6, 1) => kernel::<6, 1>(t),
                (6, _) => kernel::<6, 2>(t),
                (7, 1) => kernel::<7, 1>(t),
                (7, _) => kernel::<7, 2>(t),
                (_, 1) => kernel::<MR, 1>(t),
                (_, _) => kernel::<MR, 2>(t),
            }
        }
    }

    fn mask(cols: usize) -> __mmask16 {
        if cols >= 16 { 0xFFFF } else { ((1u32 << cols) - 1) as __mmask16 }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn kernel<const R: usize, const V: usize>(t: &Tile) {
        let masks: [__mmask16; V] = std::array::from_fn(|v| mask(t.cols.saturating_sub(16 * v)));
        // Vector v of a row of B: panel v / 2, half v % 2.
        let b_offsets: [isize; V] = std::array::from_fn(|v| (v / 2) as isize * t.panel + 16 * (v % 2) as isize);
        let zero = _mm512_setzero_ps();
        let mut acc = [[zero; V]; R];
        // SAFETY: pointers and strides are valid as the caller promised (the whole body); masked
        // lanes are neither read nor written.
        unsafe {
            if t.init == Init::Load {
                for (i, row) in acc.iter_mut().enumerate() {
                    for (v, x) in row.iter_mut().enumerate() {
                        *x = _mm512_maskz_loadu_ps(masks[v], t.c.offset(i as isize * t.ldc + 16 * v as isize));
                    }
                }
            }
            let a_offsets: [isize; R] = std::array::from_fn(|i| i as isize * t.a_rs);
            let (mut a, mut b) = (t.a, t.b);
            for _ in 0..t.k {
                let bv: [__m512; V] = std::array::from_fn(|v| _mm512_maskz_loadu_ps(masks[v], b.offset(b_offsets[v])));
                for (row, &off) in acc.iter_mut().zip(&a_offsets) {
                    let ai = _mm512_set1_ps(*a.offset(off));
                    for (x, &bj) in row.iter_mut().zip(&bv) {
                        *x = _mm512_fmadd_ps(ai, bj, *x);
                    }
                }
                a = a.offset(t.a_cs);
                b = b.offset(t.b_rs);
            }
            let bias: [__m512; V] = if t.bias.is_null() {
                [zero; V]
            } else {
                std::array::from_fn(|v| _mm512_maskz_loadu_ps(masks[v], t.bias.add(16 * v)))
            };
            for (i, row) in acc.iter().enumerate() {
                for (v, &x) in row.iter().enumerate() {
                    let dst = t.c.offset(i as isize * t.ldc + 16 * v as isize);
                    let mut y = x;
                    if t.add_c {
                        y = _mm512_add_ps(_mm512_maskz_loadu_ps(masks[v], dst), y);
                    }
                    if !t.bias.is_null() {
                        y = _mm512_add_ps(y, bias[v]);
                    }
                    if t.act == Fused::Relu {
                        // max(0, y): the second operand is returned when either is NaN, so NaN
                        // stays NaN (a diverging run must not be hidden), as in PyTorch and TF.
                        y = _mm512_max_ps(zero, y);
                    }
                    _mm512_mask_storeu_ps(dst, masks[v], y);
                }
            }
        }
    }
}

mod portable {
    use super::{Init, MR, NR, Tile};

    /// With fused multiply-adds (AVX2 + FMA machines).
    ///
    /// # Safety
    /// As [`super::tile`], and the CPU has AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile_fma(t: &Tile) {
        // SAFETY: forwarded.
        unsafe { by_rows(t, |a, b, c| a.mul_add(b, c)) }
    }

    /// Without fused multiply-adds (any CPU).
    ///
    /// # Safety
    /// As [`super::tile`].
    pub(super) unsafe fn tile_plain(t: &Tile) {
        // SAFETY: forwarded.
        unsafe { by_rows(t, |a, b, c| a * b + c) }
    }

    #[inline(always)]
    unsafe fn by_rows(t: &Tile, fma: impl Fn(f32, f32, f32) -> f32 + Copy) {
        // SAFETY: forwarded.
        unsafe {
            match t.rows {
                1 => kernel::<1>(t, fma),
                2 => kernel::<2>(t, fma),
                3 => kernel::<3>(t, fma),
                4 => kernel::<4>(t, fma),
                5 => kernel::<5>(t, fma),
                6 => kernel::<6>(t, fma),
                7 => kernel::<7>(t, fma),
                _ => kernel::<MR>(t, fma),
            }
        }
    }

    /// `B` rows are `NR` wide here (the driver packs and zero-pads partial tiles).
    #[inline(always)]
    unsafe fn kernel<const R: usize>(t: &Tile, fma: impl Fn(f32, f32, f32) -> f32) {
        let mut acc = [[0.0f32; NR]; R];
        // SAFETY: pointers and strides are valid as the caller promised (the whole body).
        unsafe {
            if t.init == Init::Load {
                for (i, row) in acc.iter_mut().enumerate() {
                    for (j, x) in row.iter_mut().enumerate().take(t.cols) {
                        *x = *t.c.offset(i as isize * t.ldc + j as isize);
                    }
                }
            }
            let (mut a, mut b) = (t.a, t.b);
            for _ in 0..t.k {
                let bv: &[f32; NR] = &*(b as *const [f32; NR]);
                for (i, row) in acc.iter_mut().enumerate() {
                    let ai = *a.offset(i as isize * t.a_rs);
                    for (x, &bj) in row.iter_mut().zip(bv) {
                        *x = fma(ai, bj, *x);
                    }
                }
                a = a.offset(t.a_cs);
                b = b.offset(t.b_rs);
            }
            for (i, row) in acc.iter().enumerate() {
                for (j, &x) in row.iter().enumerate().take(t.cols) {
                    let dst = t.c.offset(i as isize * t.ldc + j as isize);
                    let mut y = x;
                    if t.add_c {
                        y += *dst;
                    }
                    if !t.bias.is_null() {
                        y += *t.bias.add(j);
                    }
                    *dst = t.act.apply(y);
                }
            }
        }
    }
}
