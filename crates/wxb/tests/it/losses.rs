//! Losses: golden values from Keras, and gradients against central finite differences.

use crate::fixture_json;

use fixture_json::{Mismatches, floats, load, tensor};
use wxb::activations::Activation;
use wxb::losses::{Loss, Predictions};
use wxb::rng::WxbRng;
use wxb::tensor::Tensor;

/// Golden values: `tests/fixtures/keras/losses.py` (Keras 3.15.1, TensorFlow 2.21) →
/// `tests/fixtures/losses.json`. Reduced loss, per-sample losses and gradient, to 1e-6 (relative
/// above 1).
#[test]
fn losses_match_keras() {
    let fixture = load("losses.json");
    let mut mismatches = Mismatches::default();
    let cases = fixture["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let loss: Loss = serde_json::from_value(case["loss"].clone()).unwrap();
        let y = tensor(&case["y_true"]);
        let sw = case.get("sample_weight").map(floats);
        let sw = sw.as_deref();
        let expected = case["value"].as_f64().unwrap();
        let mut grad = Tensor::default();
        if let Some(activation) = case.get("activation") {
            let activation: Activation = activation.as_str().unwrap().parse().unwrap();
            let z = tensor(&case["logits"]);
            assert!(loss.fuses_with(activation), "{name}: {loss} should fuse with {activation}");
            let value = loss.value_and_grad_logits(activation, &y, &z, sw, &mut grad);
            mismatches.check(&format!("{name} value"), f64::from(value), expected, 1e-6);
            let value = loss.compute_logits(activation, &y, &z, sw);
            mismatches.check(&format!("{name} compute_logits"), f64::from(value), expected, 1e-6);
        } else {
            let p = tensor(&case["y_pred"]);
            let value = loss.value_and_grad(&y, &p, sw, &mut grad);
            mismatches.check(&format!("{name} value"), f64::from(value), expected, 1e-6);
            mismatches.check(&format!("{name} compute"), f64::from(loss.compute(&y, &p, sw)), expected, 1e-6);
            let per_sample = loss.per_sample(&y, &p);
            mismatches.check_all(&format!("{name} per_sample"), &per_sample, &floats(&case["per_sample"]), 1e-6);
        }
        let expected_grad = tensor(&case["grad"]);
        assert_eq!(grad.shape(), expected_grad.shape(), "{name}: gradient shape");
        mismatches.check_all(&format!("{name} grad"), grad.data(), expected_grad.data(), 1e-6);
    }
    mismatches.assert_none(cases.len());
}

/// Uniform values in `[low, high)` that keep at least `gap` away from every kink in `kinks`.
fn away_from(rng: &mut WxbRng, low: f32, high: f32, kinks: &[f32], gap: f32) -> f32 {
    loop {
        let v = rng.uniform_range(low, high);
        if kinks.iter().all(|k| (v - k).abs() >= gap) {
            return v;
        }
    }
}

fn random(rng: &mut WxbRng, shape: &[usize], low: f32, high: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.uniform_range(low, high)).collect())
}

/// Rows of non-negative weights summing to 1 (soft or one-hot targets).
fn distributions(rng: &mut WxbRng, rows: usize, cols: usize, one_hot: bool) -> Tensor {
    let mut t = Tensor::zeros(&[rows, cols]);
    for i in 0..rows {
        let row = t.row_mut(i);
        if one_hot {
            row[rng.below(cols)] = 1.0;
        } else {
            row.iter_mut().for_each(|v| *v = rng.uniform_range(0.05, 1.0));
            let s: f32 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= s);
        }
    }
    t
}

/// The reduced loss `Σᵢ swᵢ·lᵢ / batch` from the per-sample losses, in f64: the function the
/// finite differences differentiate (rounding the sum to f32 would drown them in noise). That it
/// equals `compute` is checked separately.
fn reduced_in_f64(loss: Loss, y: &Tensor, p: &Tensor, sw: Option<&[f32]>) -> f64 {
    let per_sample = loss.per_sample(y, p);
    let total: f64 =
        per_sample.iter().enumerate().map(|(i, &l)| f64::from(sw.map_or(1.0, |w| w[i])) * f64::from(l)).sum();
    total / per_sample.len() as f64
}

/// Checks `grad = ∂L/∂x` against finite differences of the reduced loss at `x`: the fourth-order
/// central difference `(8·(L(x+h) − L(x−h)) − (L(x+2h) − L(x−2h))) / 12h`, `h = 1e-2`, whose
/// truncation error `O(h⁴)` is negligible (inputs are kept farther than `2h` from kinks and clip
/// bounds). Per element, `|fd − g|` must be at most 1e-2 of `max(|fd|, |g|, 5e-2·max|g of its row|)`,
/// plus the rounding the differences of f32 losses carry, about `8·ε_f32·max(|lᵢ|, 1)·swᵢ/(batch·h)`
/// for sample `i`: entries near zero cannot be resolved to 1%. A wrong formula errs by the order of
/// the row's scale and still fails.
fn check_gradient(what: &str, loss: Loss, y: &Tensor, x: &Tensor, sw: Option<&[f32]>, grad: &Tensor) {
    assert_eq!(grad.shape(), x.shape(), "{what}: gradient shape");
    let per_sample = loss.per_sample(y, x);
    let (batch, cols) = (x.rows() as f64, x.cols());
    let h = 1e-2f32;
    let at = |k: usize, offset: f32| {
        let mut moved = x.clone();
        moved.data_mut()[k] += offset;
        reduced_in_f64(loss, y, &moved, sw)
    };
    for k in 0..x.len() {
        let i = k / cols;
        let scale = grad.row(i).iter().fold(0.0f64, |m, &g| m.max(f64::from(g).abs()));
        let weight = f64::from(sw.map_or(1.0, |w| w[i]));
        let rounding =
            8.0 * f64::from(f32::EPSILON) * f64::from(per_sample[i].abs().max(1.0)) * weight / (batch * f64::from(h));
        let fd = (8.0 * (at(k, h) - at(k, -h)) - (at(k, 2.0 * h) - at(k, -2.0 * h))) / (12.0 * f64::from(h));
        let g = f64::from(grad.data()[k]);
        let tolerance = 1e-2 * fd.abs().max(g.abs()).max(5e-2 * scale) + rounding;
        assert!(
            (fd - g).abs() <= tolerance,
            "{what}: element {k} of {:?}: analytic {g}, finite difference {fd}",
            x.shape()
        );
    }
}

/// The crossentropy reading logits that the fused path computes (see `Loss::fuses_with`).
fn on_logits(loss: Loss) -> Loss {
    match loss {
        Loss::BinaryCrossentropy { label_smoothing, .. } => {
            Loss::BinaryCrossentropy { from: Predictions::Logits, label_smoothing }
        }
        Loss::CategoricalCrossentropy { label_smoothing, .. } => {
            Loss::CategoricalCrossentropy { from: Predictions::Logits, label_smoothing }
        }
        Loss::SparseCategoricalCrossentropy { .. } => Loss::SparseCategoricalCrossentropy { from: Predictions::Logits },
        other => panic!("{other} has no logits form"),
    }
}

/// A random batch for `loss`: targets, predictions kept inside the clip ranges and away from kinks.
fn batch_for(loss: Loss, rng: &mut WxbRng, rows: usize, cols: usize) -> (Tensor, Tensor) {
    let fill = |rng: &mut WxbRng, f: &mut dyn FnMut(&mut WxbRng) -> (f32, f32)| {
        let (mut y, mut p) = (Tensor::zeros(&[rows, cols]), Tensor::zeros(&[rows, cols]));
        for k in 0..rows * cols {
            let (yk, pk) = f(rng);
            y.data_mut()[k] = yk;
            p.data_mut()[k] = pk;
        }
        (y, p)
    };
    match loss {
        Loss::MeanSquaredError | Loss::LogCosh => {
            (random(rng, &[rows, cols], -2.0, 2.0), random(rng, &[rows, cols], -2.0, 2.0))
        }
        Loss::MeanAbsoluteError => fill(rng, &mut |r| (0.0, away_from(r, -2.0, 2.0, &[0.0], 0.05))),
        Loss::Huber { delta } => fill(rng, &mut |r| (0.5, 0.5 + away_from(r, -3.0, 3.0, &[-delta, delta], 0.05))),
        Loss::Hinge => fill(rng, &mut |r| {
            let t = if r.uniform() < 0.5 { -1.0 } else { 1.0 };
            (t, t * away_from(r, -2.0, 2.0, &[1.0], 0.05))
        }),
        Loss::KlDivergence => (distributions(rng, rows, cols, false), random(rng, &[rows, cols], 0.1, 0.9)),
        Loss::Poisson => fill(rng, &mut |r| (r.below(4) as f32, r.uniform_range(0.2, 3.0))),
        Loss::BinaryCrossentropy { from, .. } => {
            let y = random(rng, &[rows, cols], 0.0, 1.0).map(|v| {
                if v < 0.3 {
                    0.0
                } else if v < 0.6 {
                    1.0
                } else {
                    v
                }
            });
            let p = match from {
                Predictions::Probabilities => random(rng, &[rows, cols], 0.1, 0.9),
                Predictions::Logits => random(rng, &[rows, cols], -4.0, 4.0),
            };
            (y, p)
        }
        Loss::CategoricalCrossentropy { from, .. } => {
            let one_hot = rng.uniform() < 0.5;
            let y = distributions(rng, rows, cols, one_hot);
            // Unnormalised rows (renormalised by the loss), far enough from 0 for the step.
            let p = match from {
                Predictions::Probabilities => random(rng, &[rows, cols], 0.5, 1.0),
                Predictions::Logits => random(rng, &[rows, cols], -4.0, 4.0),
            };
            (y, p)
        }
        Loss::SparseCategoricalCrossentropy { from } => {
            let y = Tensor::from_vec(&[rows, 1], (0..rows).map(|_| rng.below(cols) as f32).collect());
            let p = match from {
                Predictions::Probabilities => random(rng, &[rows, cols], 0.1, 0.9),
                Predictions::Logits => random(rng, &[rows, cols], -4.0, 4.0),
            };
            (y, p)
        }
        Loss::MeanAbsolutePercentageError => fill(rng, &mut |r| {
            let y = away_from(r, -2.0, 2.0, &[0.0], 0.2);
            (y, y + away_from(r, -1.0, 1.0, &[0.0], 0.05))
        }),
        Loss::MeanSquaredLogarithmicError => fill(rng, &mut |r| (r.uniform_range(0.0, 3.0), r.uniform_range(0.1, 3.0))),
        Loss::SquaredHinge => fill(rng, &mut |r| {
            let t = if r.uniform() < 0.5 { -1.0 } else { 1.0 };
            (t, t * r.uniform_range(-2.0, 2.0))
        }),
        Loss::CategoricalHinge => {
            // Distinct predictions: no tie for the largest wrong class.
            let y = distributions(rng, rows, cols, true);
            let p = Tensor::from_vec(
                &[rows, cols],
                (0..rows * cols).map(|k| (k % cols) as f32 * 0.3 + rng.uniform_range(0.0, 0.2)).collect(),
            );
            (y, p)
        }
        Loss::CosineSimilarity => (random(rng, &[rows, cols], -2.0, 2.0), random(rng, &[rows, cols], 0.5, 2.0)),
        Loss::BinaryFocalCrossentropy { from, .. } => {
            let y = random(rng, &[rows, cols], 0.0, 1.0).map(|v| if v < 0.5 { 0.0 } else { 1.0 });
            let p = match from {
                Predictions::Probabilities => random(rng, &[rows, cols], 0.1, 0.9),
                Predictions::Logits => random(rng, &[rows, cols], -4.0, 4.0),
            };
            (y, p)
        }
        Loss::CategoricalFocalCrossentropy { from, .. } => {
            let one_hot = rng.uniform() < 0.5;
            let y = distributions(rng, rows, cols, one_hot);
            let p = match from {
                Predictions::Probabilities => random(rng, &[rows, cols], 0.5, 1.0),
                Predictions::Logits => random(rng, &[rows, cols], -4.0, 4.0),
            };
            (y, p)
        }
        other => panic!("no random batch for {other}"),
    }
}

/// Every loss, with and without logits and smoothing.
fn variants() -> Vec<Loss> {
    let mut all = vec![
        Loss::MeanSquaredError,
        Loss::MeanAbsoluteError,
        Loss::HUBER,
        Loss::Huber { delta: 0.4 },
        Loss::LogCosh,
        Loss::Hinge,
        Loss::KlDivergence,
        Loss::Poisson,
        Loss::MeanAbsolutePercentageError,
        Loss::MeanSquaredLogarithmicError,
        Loss::SquaredHinge,
        Loss::CategoricalHinge,
        Loss::CosineSimilarity,
    ];
    for from in [Predictions::Probabilities, Predictions::Logits] {
        for (label_smoothing, gamma) in [(0.0, 2.0), (0.15, 1.5)] {
            for apply_class_balancing in [false, true] {
                let alpha = 0.25;
                all.push(Loss::BinaryFocalCrossentropy { apply_class_balancing, alpha, gamma, from, label_smoothing });
            }
            all.push(Loss::CategoricalFocalCrossentropy { alpha: 0.4, gamma, from, label_smoothing });
        }
        for label_smoothing in [0.0, 0.15] {
            all.push(Loss::BinaryCrossentropy { from, label_smoothing });
            all.push(Loss::CategoricalCrossentropy { from, label_smoothing });
        }
        all.push(Loss::SparseCategoricalCrossentropy { from });
    }
    all
}

#[test]
fn value_and_grad_matches_finite_differences() {
    let mut rng = WxbRng::new(7);
    for loss in variants() {
        for trial in 0..4 {
            let (rows, cols) = (1 + rng.below(5), 2 + rng.below(5));
            let (y, p) = batch_for(loss, &mut rng, rows, cols);
            let weights: Vec<f32> = (0..rows).map(|_| rng.uniform_range(0.0, 2.0)).collect();
            let sw = (trial % 2 == 1).then_some(weights.as_slice());
            let mut grad = Tensor::default();
            let value = loss.value_and_grad(&y, &p, sw, &mut grad);
            assert_eq!(value, loss.compute(&y, &p, sw), "{loss:?}: value_and_grad and compute disagree");
            let reduced = reduced_in_f64(loss, &y, &p, sw);
            assert!(
                (f64::from(value) - reduced).abs() <= 1e-6 * reduced.abs().max(1.0),
                "{loss:?}: {value} vs {reduced}"
            );
            check_gradient(&format!("{loss:?} trial {trial}"), loss, &y, &p, sw, &grad);
        }
    }
}

#[test]
fn fused_gradient_matches_finite_differences() {
    let mut rng = WxbRng::new(11);
    for activation in [Activation::Softmax, Activation::Sigmoid] {
        for loss in variants().into_iter().filter(|l| l.fuses_with(activation)) {
            for trial in 0..3 {
                let (rows, cols) = (1 + rng.below(5), 2 + rng.below(5));
                let (y, _) = batch_for(loss, &mut rng, rows, cols);
                let z = random(&mut rng, &[rows, cols], -3.0, 3.0);
                let weights: Vec<f32> = (0..rows).map(|_| rng.uniform_range(0.0, 2.0)).collect();
                let sw = (trial != 0).then_some(weights.as_slice());
                let mut grad = Tensor::default();
                let value = loss.value_and_grad_logits(activation, &y, &z, sw, &mut grad);
                assert_eq!(value, loss.compute_logits(activation, &y, &z, sw));
                let logits = on_logits(loss);
                assert_eq!(value, logits.compute(&y, &z, sw), "{loss:?} after {activation}: not {logits:?}");
                let what = format!("{loss:?} after {activation}, trial {trial}");
                check_gradient(&what, logits, &y, &z, sw, &grad);
            }
        }
    }
}

/// The usual pairs compute the crossentropy of the activation's output, only stably.
#[test]
fn fused_path_equals_the_loss_of_the_activation_output() {
    let mut rng = WxbRng::new(3);
    for (loss, activation) in [
        (Loss::CATEGORICAL_CROSSENTROPY, Activation::Softmax),
        (Loss::SPARSE_CATEGORICAL_CROSSENTROPY, Activation::Softmax),
        (Loss::BINARY_CROSSENTROPY, Activation::Sigmoid),
        (Loss::BinaryCrossentropy { from: Predictions::Probabilities, label_smoothing: 0.1 }, Activation::Sigmoid),
    ] {
        let (y, _) = batch_for(loss, &mut rng, 4, 3);
        let z = random(&mut rng, &[4, 3], -3.0, 3.0);
        let mut p = Tensor::default();
        activation.forward(&z, &mut p);
        let (fused, plain) = (loss.compute_logits(activation, &y, &z, None), loss.compute(&y, &p, None));
        assert!((fused - plain).abs() < 1e-5, "{loss} after {activation}: fused {fused}, from probabilities {plain}");
    }
}

#[test]
fn only_crossentropies_after_softmax_or_sigmoid_fuse() {
    for loss in variants() {
        let crossentropy = loss.name().contains("crossentropy") && !loss.name().contains("focal");
        for activation in Activation::ALL {
            let expected = crossentropy && matches!(activation, Activation::Softmax | Activation::Sigmoid);
            assert_eq!(loss.fuses_with(activation), expected, "{loss:?} with {activation}");
        }
    }
}

#[test]
fn names_and_aliases_parse() {
    for loss in Loss::ALL {
        assert_eq!(loss.name().parse::<Loss>().unwrap(), loss);
    }
    for (alias, loss) in [
        ("mse", Loss::MeanSquaredError),
        ("MeanAbsoluteError", Loss::MeanAbsoluteError),
        ("MAE", Loss::MeanAbsoluteError),
        ("kld", Loss::KlDivergence),
        ("KLDivergence", Loss::KlDivergence),
        ("bce", Loss::BINARY_CROSSENTROPY),
        ("logcosh", Loss::LogCosh),
        ("SparseCategoricalCrossentropy", Loss::SPARSE_CATEGORICAL_CROSSENTROPY),
        ("mape", Loss::MeanAbsolutePercentageError),
        ("MSLE", Loss::MeanSquaredLogarithmicError),
        ("CosineSimilarity", Loss::CosineSimilarity),
        ("BinaryFocalCrossentropy", Loss::BINARY_FOCAL_CROSSENTROPY),
        ("categorical_focal_crossentropy", Loss::CATEGORICAL_FOCAL_CROSSENTROPY),
    ] {
        assert_eq!(alias.parse::<Loss>().unwrap(), loss, "{alias}");
    }
    // config.json: every Keras name parses; the saved form keeps the parameters.
    for loss in Loss::ALL {
        let name = serde_json::to_string(loss.name()).unwrap();
        assert_eq!(serde_json::from_str::<Loss>(&name).unwrap(), loss);
        let saved = serde_json::to_string(&loss).unwrap();
        assert_eq!(serde_json::from_str::<Loss>(&saved).unwrap(), loss);
    }
    assert_eq!(serde_json::from_str::<Loss>("\"msle\"").unwrap(), Loss::MeanSquaredLogarithmicError);
    let focal =
        Loss::CategoricalFocalCrossentropy { alpha: 0.5, gamma: 3.0, from: Predictions::Logits, label_smoothing: 0.1 };
    let json = serde_json::to_string(&focal).unwrap();
    assert!(json.starts_with(r#"{"categorical_focal_crossentropy":{"alpha":0.5,"gamma":3.0"#), "{json}");
    assert_eq!(serde_json::from_str::<Loss>(&json).unwrap(), focal);
    assert!(serde_json::from_str::<Loss>("\"mse2\"").unwrap_err().to_string().contains("mse2"));
    let err = "cross_entropy".parse::<Loss>().unwrap_err().to_string();
    assert!(err.contains("\"cross_entropy\"") && err.contains("poisson"), "{err}");
}

#[test]
#[should_panic(expected = "y_true [3, 2] does not fit y_pred [3, 4]")]
fn mismatched_shapes_panic_naming_both() {
    let mut grad = Tensor::default();
    Loss::MeanSquaredError.value_and_grad(&Tensor::zeros(&[3, 2]), &Tensor::zeros(&[3, 4]), None, &mut grad);
}

#[test]
#[should_panic(expected = "sample_weight has 2 weights for a batch of 3 samples")]
fn wrong_number_of_sample_weights_panics() {
    Loss::MeanSquaredError.compute(&Tensor::zeros(&[3, 2]), &Tensor::zeros(&[3, 2]), Some(&[1.0, 2.0]));
}

#[test]
#[should_panic(expected = "does not fuse with a relu activation")]
fn logits_path_needs_a_fusing_activation() {
    Loss::CATEGORICAL_CROSSENTROPY.compute_logits(
        Activation::Relu,
        &Tensor::zeros(&[1, 2]),
        &Tensor::zeros(&[1, 2]),
        None,
    );
}
