//! Linear regression, the one-neuron case of `Y = X·W + b`: noisy points on a line `y = m·x + b`
//! and the closed-form least-squares line through them.

use crate::rng::WxbRng;

/// `n` points `(x, m·x + b + noise·ε)` with `x` uniform in `[−2, 2)` and `ε ~ N(0, 1)`, drawn from
/// the stream `seed`.
pub fn noisy_line(m: f32, b: f32, noise: f32, n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = WxbRng::derive(seed, "explain/noisy_line");
    let xs: Vec<f32> = (0..n).map(|_| rng.uniform_range(-2.0, 2.0)).collect();
    let ys = xs.iter().map(|&x| m * x + b + noise * rng.normal()).collect();
    (xs, ys)
}

/// The least-squares line `(m, b)` through the points, in `f64`: `m = cov(x, y)/var(x)`,
/// `b = ȳ − m·x̄`. `None` when there are no points or every `x` is the same.
pub fn least_squares(xs: &[f32], ys: &[f32]) -> Option<(f64, f64)> {
    let n = xs.len().min(ys.len());
    if n == 0 {
        return None;
    }
    let mean = |v: &[f32]| v[..n].iter().map(|&a| f64::from(a)).sum::<f64>() / n as f64;
    let (mx, my) = (mean(xs), mean(ys));
    let cov: f64 = xs.iter().zip(ys).map(|(&x, &y)| (f64::from(x) - mx) * (f64::from(y) - my)).sum();
    let var: f64 = xs[..n].iter().map(|&x| (f64::from(x) - mx).powi(2)).sum();
    (var > 0.0).then(|| (cov / var, my - cov / var * mx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_points_give_their_line_back() {
        let xs = [-1.0, 0.0, 2.0, 5.0];
        let ys = xs.map(|x| 3.0 * x + 2.0);
        let (m, b) = least_squares(&xs, &ys).unwrap();
        assert!((m - 3.0).abs() < 1e-12 && (b - 2.0).abs() < 1e-12);
        assert_eq!(least_squares(&[1.0, 1.0], &[0.0, 2.0]), None);
    }

    #[test]
    fn noisy_points_are_seeded_and_near_the_line() {
        let (xs, ys) = noisy_line(3.0, 2.0, 0.5, 200, 7);
        assert_eq!(noisy_line(3.0, 2.0, 0.5, 200, 7), (xs.clone(), ys.clone()));
        assert!(xs.iter().all(|x| (-2.0..2.0).contains(x)));
        let (m, b) = least_squares(&xs, &ys).unwrap();
        assert!((m - 3.0).abs() < 0.2 && (b - 2.0).abs() < 0.2, "{m} {b}");
    }
}
