//! [`Collective`]: what data-parallel training needs from the processes it runs on (MPI's
//! broadcast and sum-allreduce), and [`SingleProcess`], the one-process case.
//!
//! The library knows no MPI: `wxb`'s `mpi` feature implements this trait with rsmpi, and
//! [`Sequential::fit_distributed`](crate::model::Sequential::fit_distributed) trains through it.

/// The `size` processes (ranks `0..size`) of one training job and the two collective operations
/// `fit` uses. Every rank must call the operations in the same order with slices of the same
/// length (MPI's rules); results must be bit-identical on every rank.
pub trait Collective {
    /// This process's rank, `0 ≤ rank < size`.
    fn rank(&self) -> usize;
    /// The number of processes (at least 1).
    fn size(&self) -> usize;
    /// Replaces `values` on every rank by the element-wise sum over all ranks (`MPI_Allreduce`
    /// with `MPI_SUM`).
    fn allreduce_sum(&self, values: &mut [f32]);
    /// [`Collective::allreduce_sum`] on `f64` (the metrics' running sums).
    fn allreduce_sum_f64(&self, values: &mut [f64]);
    /// Replaces `values` on every rank by rank 0's (`MPI_Bcast` from rank 0).
    fn broadcast(&self, values: &mut [f32]);
    /// Every rank's `bytes`, in rank order, on every rank (`MPI_Allgatherv`; the ranks' byte
    /// counts may differ): how the shards of a streamed file exchange their surveys.
    fn all_gather_bytes(&self, bytes: &[u8]) -> Vec<Vec<u8>>;
}

/// Every rank's `count`, in rank order (one [`Collective::allreduce_sum_f64`]; exact below 2⁵³).
pub fn all_gather_counts(collective: &dyn Collective, count: usize) -> Vec<usize> {
    let mut counts = vec![0.0f64; collective.size()];
    counts[collective.rank()] = count as f64;
    collective.allreduce_sum_f64(&mut counts);
    counts.into_iter().map(|c| c as usize).collect()
}

/// One process alone: rank 0 of 1; every operation leaves its values as they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SingleProcess;

impl Collective for SingleProcess {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn allreduce_sum(&self, _values: &mut [f32]) {}
    fn allreduce_sum_f64(&self, _values: &mut [f64]) {}
    fn broadcast(&self, _values: &mut [f32]) {}
    fn all_gather_bytes(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        vec![bytes.to_vec()]
    }
}

/// The rows of a global batch of `len` samples that rank `rank` of `size` takes: the
/// `rank`-th of `size` contiguous parts, `⌊rank·len/size⌋ .. ⌊(rank+1)·len/size⌋` (sizes differ by
/// at most one; a part is empty when `len < size`).
///
/// # Panics
/// If `size` is 0 or `rank ≥ size`.
pub fn rank_part(len: usize, rank: usize, size: usize) -> std::ops::Range<usize> {
    assert!(rank < size, "rank {rank} of {size} processes");
    (rank * len / size)..((rank + 1) * len / size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_batch_once_in_order() {
        for len in 0..20 {
            for size in 1..6 {
                let parts: Vec<_> = (0..size).map(|r| rank_part(len, r, size)).collect();
                assert_eq!(parts[0].start, 0);
                assert_eq!(parts[size - 1].end, len);
                for w in parts.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                let (lo, hi) = (parts.iter().map(|p| p.len()).min(), parts.iter().map(|p| p.len()).max());
                assert!(hi.unwrap() - lo.unwrap() <= 1, "len {len} size {size}: {parts:?}");
            }
        }
    }

    #[test]
    fn single_process_is_rank_0_of_1_and_changes_nothing() {
        let mut v = [1.0f32, -2.5];
        let mut d = [3.0f64];
        let c = SingleProcess;
        c.allreduce_sum(&mut v);
        c.broadcast(&mut v);
        c.allreduce_sum_f64(&mut d);
        assert_eq!((c.rank(), c.size(), v, d), (0, 1, [1.0, -2.5], [3.0]));
        assert_eq!(c.all_gather_bytes(b"survey"), vec![b"survey".to_vec()]);
        assert_eq!(all_gather_counts(&c, 42), vec![42]);
    }
}
