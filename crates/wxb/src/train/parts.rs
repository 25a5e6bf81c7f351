//! The parts of each global batch that the processes of a streamed data-parallel run take
//! ([`Parts`]): each process reads only its own shard, and the shards differ by a few rows.

/// Splits each global batch of a streamed run among the processes in proportion to their rows,
/// so that every process takes each of its rows exactly once per epoch and every global batch but
/// the last has exactly `batch_size` rows.
///
/// Rule (D'Hondt's divisor method, row by row): the global batches are one sequence of
/// `N = Σ nᵣ` rows; each next row of it goes to the process `r` whose next row is the most
/// overdue, the smallest `(cᵣ + 1)/nᵣ` (`cᵣ`: rows it has taken this epoch; ties: the lowest rank).
/// So after any number of rows `G` every process has taken at least `⌊G·nᵣ/N⌋` rows, never more
/// than its own, and exactly `nᵣ` at the end; with equal shards the processes take turns, and the
/// parts of a batch differ by at most one row.
#[derive(Clone, Debug)]
pub(super) struct Parts {
    rows: Vec<usize>,
    taken: Vec<usize>,
    step: Vec<usize>,
}

impl Parts {
    /// The schedule of processes holding `rows[r]` rows each.
    pub(super) fn new(rows: Vec<usize>) -> Self {
        let size = rows.len();
        Self { rows, taken: vec![0; size], step: vec![0; size] }
    }

    /// The rows of every process together (`N`).
    pub(super) fn total(&self) -> usize {
        self.rows.iter().sum()
    }

    /// Starts an epoch.
    pub(super) fn reset(&mut self) {
        self.taken.iter_mut().for_each(|t| *t = 0);
    }

    /// The next global batch of at most `batch_size` rows: each process's part of it (empty at the
    /// end of the epoch).
    pub(super) fn next(&mut self, batch_size: usize) -> &[usize] {
        self.step.iter_mut().for_each(|s| *s = 0);
        for _ in 0..batch_size {
            // The process with the smallest (c_r + 1)/n_r, compared exactly: (rank, c_r + 1, n_r).
            let mut best: Option<(usize, u128, u128)> = None;
            for (r, (&n, &c)) in self.rows.iter().zip(&self.taken).enumerate() {
                if c == n {
                    continue;
                }
                let (due, of) = (c as u128 + 1, n as u128);
                if best.is_none_or(|(_, due_b, of_b)| due * of_b < due_b * of) {
                    best = Some((r, due, of));
                }
            }
            let Some((r, _, _)) = best else { break };
            self.taken[r] += 1;
            self.step[r] += 1;
        }
        &self.step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_taken_once_and_every_batch_is_full_but_the_last() {
        for rows in [vec![10], vec![5, 5], vec![7, 3], vec![101, 99, 100], vec![0, 4], vec![1, 1, 9]] {
            for batch in 1..12 {
                let mut parts = Parts::new(rows.clone());
                let n = parts.total();
                let mut got = vec![0; rows.len()];
                let mut given = 0;
                loop {
                    let step = parts.next(batch).to_vec();
                    let m: usize = step.iter().sum();
                    if m == 0 {
                        break;
                    }
                    assert_eq!(m, batch.min(n - given), "{rows:?} batch {batch}");
                    given += m;
                    got.iter_mut().zip(&step).for_each(|(g, s)| *g += s);
                    // Never behind its quota by a whole row: ⌊G·n_r/N⌋.
                    for (r, &n_r) in rows.iter().enumerate() {
                        assert!(got[r] >= given * n_r / n, "{rows:?}: {got:?} after {given}");
                    }
                }
                assert_eq!(got, rows, "batch {batch}");
                parts.reset();
                assert_eq!(parts.next(batch).iter().sum::<usize>(), batch.min(n));
            }
        }
    }

    #[test]
    fn equal_shards_take_turns() {
        let mut parts = Parts::new(vec![6, 6]);
        assert_eq!(parts.next(5), [3, 2]);
        assert_eq!(parts.next(5), [2, 3]);
        assert_eq!(parts.next(5), [1, 1]);
        assert_eq!(parts.next(5), [0, 0]);
    }
}
