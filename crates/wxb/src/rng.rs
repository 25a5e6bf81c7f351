//! The one seeded random generator of wxb: ChaCha8, so that the same seed gives the same numbers on
//! every platform and in every release.
//!
//! Every consumer (an initializer, a dropout mask, the shuffling of `fit`) draws from its own stream,
//! derived from the model seed and a stable label, so adding a layer never changes another layer's
//! numbers.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng as _, SeedableRng};

/// A seeded ChaCha8 generator with the few draws wxb needs.
#[derive(Clone, Debug)]
pub struct WxbRng {
    inner: ChaCha8Rng,
}

impl WxbRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self { inner: ChaCha8Rng::seed_from_u64(seed) }
    }

    /// An independent generator for the consumer called `label` (e.g. `"init/dense_1/kernel"`).
    pub fn derive(seed: u64, label: &str) -> Self {
        // FNV-1a over the label, mixed with the seed through splitmix64.
        Self::new(splitmix64(Self::key(seed, label)))
    }

    /// The key of the stream `label` of `seed`, for [`WxbRng::at`]: the numbers of
    /// `at(key(seed, label), i)` depend only on `seed`, `label` and `i`.
    pub(crate) fn key(seed: u64, label: &str) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        seed ^ splitmix64(h)
    }

    /// The `index`-th independent generator of the stream `key` (e.g. one per training step), made
    /// without allocating.
    pub(crate) fn at(key: u64, index: u64) -> Self {
        Self::new(splitmix64(splitmix64(key) ^ splitmix64(index ^ 0x5851_f42d_4c95_7f2d)))
    }

    /// A raw 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `[0, 1)` with 24 bits of precision (every value exactly representable in f32).
    pub fn uniform(&mut self) -> f32 {
        (self.inner.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform in `[low, high)`.
    pub fn uniform_range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.uniform()
    }

    /// Standard normal N(0, 1) by the Box–Muller transform, computed in f64.
    pub fn normal(&mut self) -> f32 {
        loop {
            let u1 = (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            let u2 = (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            if u1 > 0.0 {
                let r = (-2.0 * u1.ln()).sqrt();
                return (r * (std::f64::consts::TAU * u2).cos()) as f32;
            }
        }
    }

    /// Uniform integer in `0..n` (Lemire's method, unbiased).
    ///
    /// # Panics
    /// If `n == 0`.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "WxbRng::below(0)");
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let x = self.inner.next_u64();
            let m = u128::from(x) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }

    /// Fisher–Yates shuffle in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_labels_are_independent() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = WxbRng::derive(7, "x");
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = WxbRng::derive(7, "x");
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut r = WxbRng::derive(7, "y");
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut r = WxbRng::new(1);
        let n = 200_000;
        let u: Vec<f32> = (0..n).map(|_| r.uniform()).collect();
        let mean = u.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 5e-3, "uniform mean {mean}");
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        let z: Vec<f64> = (0..n).map(|_| f64::from(r.normal())).collect();
        let m = z.iter().sum::<f64>() / n as f64;
        let v = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!(m.abs() < 1e-2 && (v - 1.0).abs() < 2e-2, "normal mean {m} var {v}");
    }

    #[test]
    fn below_is_in_range_and_shuffle_is_a_permutation() {
        let mut r = WxbRng::new(3);
        assert!((0..1000).all(|_| r.below(7) < 7));
        let mut v: Vec<usize> = (0..100).collect();
        r.shuffle(&mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
        assert_ne!(v, s);
    }
}
