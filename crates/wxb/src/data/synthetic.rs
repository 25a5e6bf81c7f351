//! Synthetic data: points on a known line, for demonstrations and tests of linear regression (the
//! one-neuron case of `Y = X·W + b`).

use crate::rng::WxbRng;

/// `n` points `(x, m·x + b + noise·ε)` with `x` uniform in `[−2, 2)` and `ε ~ N(0, 1)`, drawn from
/// the stream `seed`: the `xs` and the `ys`.
pub fn noisy_line(m: f32, b: f32, noise: f32, n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    // The stream's name predates this module: kept so that a seed draws the same points.
    let mut rng = WxbRng::derive(seed, "explain/noisy_line");
    let xs: Vec<f32> = (0..n).map(|_| rng.uniform_range(-2.0, 2.0)).collect();
    let ys = xs.iter().map(|&x| m * x + b + noise * rng.normal()).collect();
    (xs, ys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noisy_points_are_seeded_and_in_range() {
        let (xs, ys) = noisy_line(3.0, 2.0, 0.0, 200, 7);
        assert_eq!(noisy_line(3.0, 2.0, 0.0, 200, 7), (xs.clone(), ys.clone()));
        assert_ne!(noisy_line(3.0, 2.0, 0.0, 200, 8).0, xs);
        assert!(xs.iter().all(|x| (-2.0..2.0).contains(x)));
        assert!(xs.iter().zip(&ys).all(|(x, y)| (3.0 * x + 2.0 - y).abs() < 1e-6));
    }
}
