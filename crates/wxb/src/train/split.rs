//! [`ValidationSplit`]: which rows of a data set are held out for validation.
//!
//! Keras' `validation_split=f` holds out the **last** `n − ⌊n·(1 − f)⌋` rows ([`SplitRule::Last`]):
//! on a file sorted by class the validation set then holds one class. [`SplitRule::Shuffled`]
//! holds out the same number of rows chosen at random (seeded), and, when stratified, as many of
//! each class as its share of the data (largest remainders), so that every class is represented
//! in proportion.

use serde::{Deserialize, Serialize};

use super::FitOptions;
use crate::error::WxbError;
use crate::rng::WxbRng;

/// How the validation rows are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SplitRule {
    /// Keras' rule: the last rows, in file order.
    Last,
    /// Rows drawn at random with `seed`; with `stratified` and class ids, class by class.
    Shuffled {
        /// The seed of the draw: the same seed and data give the same rows.
        seed: u64,
        /// Whether each class keeps its share in both sets (needs per-row class ids).
        stratified: bool,
    },
}

/// A validation split: the fraction held out and the rule choosing the rows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationSplit {
    /// The fraction `f ∈ (0, 1)` of the rows held out (Keras' `validation_split`).
    pub fraction: f64,
    /// Which rows.
    pub rule: SplitRule,
}

/// The training and the validation row indices, each in ascending order.
pub type SplitRows = (Vec<usize>, Vec<usize>);

impl ValidationSplit {
    /// The rows of `n` to train on and to validate on. The validation set has Keras' size,
    /// `n − ⌊n·(1 − fraction)⌋` rows; `classes` (one class id per row, `None` for regression) is
    /// used by a stratified [`SplitRule::Shuffled`]: class `c` with `n_c` rows gives
    /// `⌊n_c·v/n⌋` validation rows, the `v − Σ⌊…⌋` rows left over going to the classes with the
    /// largest remainders (ties: the lower class id).
    ///
    /// # Errors
    /// [`WxbError::InvalidArgument`] when `fraction` is outside `(0, 1)` or leaves no training or
    /// no validation row (as [`FitOptions::training_rows`]).
    ///
    /// # Panics
    /// If `classes` is given with a length other than `n`.
    pub fn split(&self, n: usize, classes: Option<&[usize]>) -> Result<SplitRows, WxbError> {
        if let Some(c) = classes {
            assert_eq!(c.len(), n, "ValidationSplit::split: {} class ids for {n} rows", c.len());
        }
        if self.fraction == 0.0 {
            return Err(WxbError::InvalidArgument {
                name: "validation_split",
                value: "0".into(),
                reason: "must be in (0, 1) to hold rows out",
            });
        }
        let training_rows = FitOptions { validation_split: self.fraction, ..FitOptions::default() }.training_rows(n)?;
        let held = n - training_rows;
        let mut validation = match (self.rule, classes) {
            (SplitRule::Last, _) => (training_rows..n).collect(),
            (SplitRule::Shuffled { seed, stratified: true }, Some(classes)) => stratified(seed, classes, held),
            (SplitRule::Shuffled { seed, .. }, _) => {
                let mut order: Vec<usize> = (0..n).collect();
                WxbRng::derive(seed, "validation_split").shuffle(&mut order);
                order.truncate(held);
                order
            }
        };
        validation.sort_unstable();
        let mut is_validation = vec![false; n];
        validation.iter().for_each(|&i| is_validation[i] = true);
        let training = (0..n).filter(|&i| !is_validation[i]).collect();
        Ok((training, validation))
    }
}

/// `held` rows drawn class by class, in proportion to each class's count.
fn stratified(seed: u64, classes: &[usize], held: usize) -> Vec<usize> {
    let n = classes.len();
    let k = classes.iter().max().map_or(0, |&m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &c) in classes.iter().enumerate() {
        rows[c].push(i);
    }
    let mut take: Vec<usize> = rows.iter().map(|r| r.len() * held / n).collect();
    let mut by_remainder: Vec<usize> = (0..k).collect();
    // Remainder of c: (n_c·held mod n); the largest first, ties by class id (stable sort).
    by_remainder.sort_by_key(|&c| std::cmp::Reverse(rows[c].len() * held % n));
    let short = held - take.iter().sum::<usize>();
    for &c in by_remainder.iter().take(short) {
        take[c] += 1;
    }
    let mut chosen = Vec::with_capacity(held);
    for (c, mut class_rows) in rows.into_iter().enumerate() {
        WxbRng::derive(seed, &format!("validation_split/{c}")).shuffle(&mut class_rows);
        chosen.extend_from_slice(&class_rows[..take[c]]);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shuffled(fraction: f64, seed: u64) -> ValidationSplit {
        ValidationSplit { fraction, rule: SplitRule::Shuffled { seed, stratified: true } }
    }

    #[test]
    fn last_holds_out_keras_rows() {
        // Keras: n = 10, validation_split = 0.25 → split_at = floor(10·0.75) = 7.
        let (t, v) = ValidationSplit { fraction: 0.25, rule: SplitRule::Last }.split(10, None).unwrap();
        assert_eq!(t, (0..7).collect::<Vec<_>>());
        assert_eq!(v, vec![7, 8, 9]);
    }

    #[test]
    fn stratified_keeps_each_class_share() {
        // 60 rows sorted by class (30 of class 0, 20 of class 1, 10 of class 2), 20 % held out:
        // 12 validation rows, 6 + 4 + 2.
        let classes: Vec<usize> = [0; 30].into_iter().chain([1; 20]).chain([2; 10]).collect();
        let (t, v) = shuffled(0.2, 7).split(60, Some(&classes)).unwrap();
        assert_eq!((t.len(), v.len()), (48, 12));
        let count = |rows: &[usize], c: usize| rows.iter().filter(|&&i| classes[i] == c).count();
        assert_eq!([count(&v, 0), count(&v, 1), count(&v, 2)], [6, 4, 2]);
        assert_eq!([count(&t, 0), count(&t, 1), count(&t, 2)], [24, 16, 8]);
        let mut all: Vec<usize> = t.iter().chain(&v).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..60).collect::<Vec<_>>());
    }

    #[test]
    fn remainders_go_to_the_largest_fractions() {
        // 3 + 3 + 4 rows, 3 held out: exact shares 0.9, 0.9, 1.2 → floors 0, 0, 1, remainders
        // 9, 9, 2 (of 10): classes 0 and 1 get the two rows left.
        let classes = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
        let (_, v) = shuffled(0.3, 1).split(10, Some(&classes)).unwrap();
        let per: Vec<usize> = (0..3).map(|c| v.iter().filter(|&&i| classes[i] == c).count()).collect();
        assert_eq!(per, vec![1, 1, 1]);
    }

    #[test]
    fn the_same_seed_gives_the_same_rows_and_another_seed_others() {
        let classes: Vec<usize> = (0..200).map(|i| i / 100).collect();
        let a = shuffled(0.3, 5).split(200, Some(&classes)).unwrap();
        assert_eq!(a, shuffled(0.3, 5).split(200, Some(&classes)).unwrap());
        assert_ne!(a, shuffled(0.3, 6).split(200, Some(&classes)).unwrap());
        let plain = ValidationSplit { fraction: 0.3, rule: SplitRule::Shuffled { seed: 5, stratified: false } };
        let (t, v) = plain.split(200, None).unwrap();
        assert_eq!((t.len(), v.len()), (140, 60));
        assert_eq!((t.clone(), v.clone()), plain.split(200, None).unwrap());
        assert!(v.iter().any(|&i| i < 100) && v.iter().any(|&i| i >= 100), "rows from both halves: {v:?}");
    }

    #[test]
    fn a_fraction_that_leaves_a_set_empty_is_refused() {
        // floor(10·0.05) = 0 rows left to train on.
        assert!(shuffled(0.95, 0).split(10, None).is_err());
        assert!(shuffled(0.0, 0).split(10, None).is_err());
        assert!(shuffled(1.0, 0).split(10, None).is_err());
    }
}
