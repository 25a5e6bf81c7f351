//! `wxb demo linear`: linear regression is the one-neuron case of `Y = X·W + b`. One Dense(1)
//! unit, `ŷ = m·x + b`, learns from points `y = m·x + b + noise` by full-batch SGD on the mean
//! squared error, and ends on the closed-form least-squares line.

use anyhow::{Context, Result, bail};
use plotters::style::RGBColor;
use wxb::data::synthetic::noisy_line;
use wxb::prelude::*;
use wxb::train::Shuffle;

use crate::cli::{DemoArgs, LinearArgs};
use crate::draw::line_fit::{Line, draw};
use crate::formula::num;

/// The most points `--n` may ask for: the demo trains on all of them at once and draws each.
const MAX_POINTS: usize = 1_000_000;

/// Runs `wxb demo`.
pub fn run(args: &DemoArgs) -> Result<()> {
    match &args.demo {
        crate::cli::Demo::Linear(a) => linear(a),
    }
}

/// The text result: the data, the model, and the three lines side by side.
fn print_table(a: &LinearArgs, w0: f32, loss: f64, (ls_m, ls_b): (f64, f64), (m, b): (f64, f64)) {
    println!(
        "Data: y = {}·x + {} + {}·ε, ε ~ N(0, 1), {} points with x in [−2, 2) (seed {}).",
        a.m, a.b, a.noise, a.n, a.seed
    );
    println!(
        "Model: one neuron, Dense(1): ŷ = x·w + b, i.e. the line ŷ = m·x + b with m = w (started at {}, Glorot uniform) and b = 0.",
        num(w0)
    );
    println!(
        "Training: SGD, lr {}, full batch, {} epochs, mean squared error; final loss {}.",
        a.lr,
        a.epochs,
        num(loss)
    );
    println!();
    println!("                   {:>12} {:>12}", "m", "b");
    println!("true line          {:>12} {:>12}", num(a.m), num(a.b));
    println!(
        "least squares      {:>12} {:>12}   (closed form: m = cov(x, y)/var(x), b = ȳ − m·x̄)",
        num(ls_m),
        num(ls_b)
    );
    println!("learned (neuron)   {:>12} {:>12}", num(m), num(b));
    println!(
        "|learned − l.sq.|  {:>12} {:>12}",
        format!("{:.1e}", (m - ls_m).abs()),
        format!("{:.1e}", (b - ls_b).abs())
    );
    if (m - ls_m).abs() > 1e-3 || (b - ls_b).abs() > 1e-3 {
        println!("Not converged yet: more --epochs or a larger --lr bring the neuron to the least-squares line.");
    }
}

fn linear(a: &LinearArgs) -> Result<()> {
    if !(a.m.is_finite() && a.b.is_finite()) {
        bail!("--m {} --b {}: the line needs finite numbers", a.m, a.b);
    }
    if !(a.noise.is_finite() && a.noise >= 0.0) {
        bail!("--noise {}: the noise must be a number ≥ 0", a.noise);
    }
    if a.n < 2 {
        bail!("--n {}: a line needs at least 2 points", a.n);
    }
    if a.n > MAX_POINTS {
        bail!("--n {}: at most {MAX_POINTS} points (the demo draws every one)", a.n);
    }
    if a.epochs == 0 {
        bail!("--epochs 0: train at least one epoch");
    }
    if !(a.lr.is_finite() && a.lr > 0.0) {
        bail!("--lr {}: the learning rate must be a positive number", a.lr);
    }
    let (xs, ys) = noisy_line(a.m, a.b, a.noise, a.n, a.seed);
    let (ls_m, ls_b) = least_squares(&xs, &ys).context("the points' x are all equal: no line fits")?;
    let mut model = Sequential::new(&[1]).seed(a.seed);
    model.add(Dense::new(1));
    model.compile(Optimizer::sgd(a.lr), Loss::MeanSquaredError, &[]);
    let w0 = model.get_weights()[0].data()[0];
    let x = Tensor::from_vec(&[a.n, 1], xs.clone());
    let y = Tensor::from_vec(&[a.n, 1], ys.clone());
    let options = FitOptions { epochs: a.epochs, batch_size: a.n, shuffle: Shuffle::Never, ..FitOptions::default() };
    let history = model.fit(&x, &y, &options, &mut [])?;
    let w = model.get_weights();
    let (m, b) = (f64::from(w[0].data()[0]), f64::from(w[1].data()[0]));
    let loss = history.last("loss").unwrap_or(f64::NAN);
    if a.json {
        let line = |m: f64, b: f64| serde_json::json!({"m": m, "b": b});
        let v = serde_json::json!({
            "data": {"m": a.m, "b": a.b, "noise": a.noise, "n": a.n, "seed": a.seed},
            "training": {"optimizer": "sgd", "learning_rate": a.lr, "epochs": a.epochs, "initial_w": w0, "final_loss": loss},
            "true": line(a.m.into(), a.b.into()),
            "least_squares": line(ls_m, ls_b),
            "learned": line(m, b),
        });
        println!("{v}");
    } else {
        print_table(a, w0, loss, (ls_m, ls_b), (m, b));
    }
    let coincide = (m - ls_m).abs() <= 1e-3 && (b - ls_b).abs() <= 1e-3;
    let on_it = if coincide { " — on the least-squares line" } else { " — not yet on the least-squares line" };
    let lines = [
        Line {
            label: format!("least squares: y = {}·x + {}", num(ls_m), num(ls_b)),
            m: ls_m,
            b: ls_b,
            colour: RGBColor(255, 165, 0),
            width: 10,
            dashed: false,
        },
        Line {
            label: format!("learned by Dense(1): y = {}·x + {}{on_it}", num(m), num(b)),
            m,
            b,
            colour: RGBColor(200, 30, 30),
            width: 4,
            dashed: false,
        },
        Line {
            label: format!("true: y = {}·x + {} (dashed; the noise moves the fit off it)", num(a.m), num(a.b)),
            m: a.m.into(),
            b: a.b.into(),
            colour: RGBColor(20, 60, 220),
            width: 2,
            dashed: true,
        },
    ];
    let caption = format!("One neuron learns y = {}·x + {} from {} noisy points", a.m, a.b, a.n);
    draw(&xs, &ys, &lines, &caption, &a.out)?;
    eprintln!("Drew {}", a.out.display());
    Ok(())
}

/// The least-squares line `(m, b)` through the points, in `f64`: `m = cov(x, y)/var(x)`,
/// `b = ȳ − m·x̄`. `None` when there are no points or every `x` is the same.
fn least_squares(xs: &[f32], ys: &[f32]) -> Option<(f64, f64)> {
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
    fn noisy_points_lie_near_their_line() {
        let (xs, ys) = noisy_line(3.0, 2.0, 0.5, 200, 7);
        let (m, b) = least_squares(&xs, &ys).unwrap();
        assert!((m - 3.0).abs() < 0.2 && (b - 2.0).abs() < 0.2, "{m} {b}");
    }
}
