//! Linear regression is the one-neuron case of `Y = X·W + b`: a Dense(1) unit learns `y = 3x + 2`
//! from noisy points with plain (full-batch) SGD, and its weight `m` and bias `b` match the
//! closed-form least-squares solution.
//!
//! Run: `cargo run --release --example linear_regression`

use wxb::prelude::*;
use wxb::rng::WxbRng;
use wxb::train::Shuffle;

fn main() -> Result<(), WxbError> {
    let (true_m, true_b, noise, n) = (3.0f32, 2.0f32, 0.5f32, 200);
    let mut rng = WxbRng::new(42);
    let xs: Vec<f32> = (0..n).map(|_| rng.uniform_range(-2.0, 2.0)).collect();
    let ys: Vec<f32> = xs.iter().map(|&x| true_m * x + true_b + noise * rng.normal()).collect();

    // Closed form: m = cov(x, y) / var(x), b = ȳ − m·x̄ (in f64).
    let mean = |v: &[f32]| v.iter().map(|&a| f64::from(a)).sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&xs), mean(&ys));
    let cov: f64 = xs.iter().zip(&ys).map(|(&x, &y)| (f64::from(x) - mx) * (f64::from(y) - my)).sum();
    let var: f64 = xs.iter().map(|&x| (f64::from(x) - mx).powi(2)).sum();
    let (ls_m, ls_b) = (cov / var, my - cov / var * mx);

    // One neuron: y = m·x + b.
    let x = Tensor::from_vec(&[n, 1], xs);
    let y = Tensor::from_vec(&[n, 1], ys);
    let mut model = Sequential::new(&[1]).seed(0);
    model.add(Dense::new(1));
    model.compile(Optimizer::sgd(0.1), Loss::MeanSquaredError, &[Metric::MeanAbsoluteError]);
    let options = FitOptions { epochs: 500, batch_size: n, shuffle: Shuffle::Never, ..FitOptions::default() };
    let history = model.fit(&x, &y, &options, &mut [])?;

    let weights = model.get_weights();
    let (m, b) = (weights[0].data()[0], weights[1].data()[0]);
    println!("data: y = {true_m}·x + {true_b} + N(0, {noise}²), {n} points");
    println!("final loss (mse): {:.6}", history.last("loss").unwrap_or(f64::NAN));
    println!("            {:>10} {:>10}", "m", "b");
    println!("learned     {m:>10.6} {b:>10.6}");
    println!("least sq.   {ls_m:>10.6} {ls_b:>10.6}");
    let agree = (f64::from(m) - ls_m).abs() < 1e-3 && (f64::from(b) - ls_b).abs() < 1e-3;
    println!("agree to 1e-3: {}", if agree { "yes" } else { "NO" });
    if !agree {
        std::process::exit(1);
    }
    Ok(())
}
