//! [`Tensor::gather_rows_into`](super::Tensor::gather_rows_into): rows picked at random (a shuffled
//! batch), copied with prefetching, split by rows across the thread pool when large (the rows come
//! from memory, and two cores keep twice the misses in flight).

use crate::parallel;

/// Copies the rows `indices` of the `c`-column matrix `src` into `out` (`indices.len() · c`
/// values), on several threads from [`PARALLEL_MIN`] values.
pub(super) fn rows(src: &[f32], c: usize, indices: &[usize], out: &mut [f32]) {
    assert_eq!(out.len(), indices.len() * c, "gather: output of the wrong size");
    let parts = if out.len() >= PARALLEL_MIN { parallel::threads() } else { 1 };
    if parts == 1 {
        return gather(src, c, indices, out);
    }
    let dst = RowsPtr(out.as_mut_ptr());
    parallel::for_each_part(parts, &|p| {
        let rows = parallel::range(indices.len(), parts, 1, p);
        // SAFETY: `out` holds `indices.len() · c` values (checked above) and is borrowed
        // exclusively for the whole call; parts write disjoint ranges of rows.
        let d = unsafe { std::slice::from_raw_parts_mut(dst.get().add(rows.start * c), rows.len() * c) };
        gather(src, c, &indices[rows], d);
    });
}

/// How many rows ahead a gather prefetches.
const GATHER_AHEAD: usize = 4;

/// Gathers of at least this many values are split across the thread pool.
const PARALLEL_MIN: usize = 1 << 14;

/// `out`'s rows for [`rows`], shared by its parts.
struct RowsPtr(*mut f32);
// SAFETY: the parts of one gather write disjoint rows through it.
unsafe impl Sync for RowsPtr {}
impl RowsPtr {
    /// The pointer (a method, so that closures capture the `Sync` wrapper, not the field).
    fn get(&self) -> *mut f32 {
        self.0
    }
}

/// Copies the rows `indices` of the `c`-column matrix `src` into `out` (`indices.len() · c`
/// values), prefetching a few rows ahead.
fn gather(src: &[f32], c: usize, indices: &[usize], out: &mut [f32]) {
    for (k, (dst, &i)) in out.chunks_exact_mut(c.max(1)).zip(indices).enumerate() {
        // Rows picked at random come from memory: ask for a later row while this one is copied.
        if let Some(&ahead) = indices.get(k + GATHER_AHEAD) {
            prefetch_row(&src[ahead * c..(ahead + 1) * c]);
        }
        dst.copy_from_slice(&src[i * c..(i + 1) * c]);
    }
}

/// Asks the CPU to bring the first cache lines of `row` into cache (a hint: no effect on results).
fn prefetch_row(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in row.chunks(16).take(8) {
        // SAFETY: prefetching reads nothing architecturally; the address is inside `row`.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_split_gather_copies_the_same_rows() {
        let (n, c) = (100, 300); // 64 rows × 300 columns: above the parallel threshold
        let src: Vec<f32> = (0..n * c).map(|i| i as f32).collect();
        let indices: Vec<usize> = (0..64).map(|i| (i * 37) % n).collect();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut out = vec![0.0; indices.len() * c];
        two.install(|| super::rows(&src, c, &indices, &mut out));
        for (row, &i) in out.chunks_exact(c).zip(&indices) {
            assert_eq!(row, &src[i * c..(i + 1) * c]);
        }
    }
}
