//! The ideas behind the weights calculation, each backed by a test (the guide,
//! `docs/weights-calculation.md`, walks through them).

use wxb::explain::{ExplainOptions, LayerStep, explain};
use wxb::layers::Mode;
use wxb::prelude::*;
use wxb::rng::WxbRng;
use wxb::train::{NonFiniteIn, OnDivergence, Shuffle};

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = WxbRng::new(seed);
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.uniform_range(-1.0, 1.0)).collect())
}

fn infer(model: &mut Sequential, x: &Tensor) -> Tensor {
    model.forward(x, Mode::Infer).clone()
}

/// Kernels start random, Glorot uniform within ±√(6/(fan_in + fan_out)); biases start at zero.
#[test]
fn kernels_start_glorot_uniform_and_biases_at_zero() {
    let mut model = Sequential::new(&[64]).seed(1);
    model.add(Dense::new(32));
    model.add(Dense::new(10));
    let w = model.get_weights();
    for (kernel, bias, (fan_in, fan_out)) in [(&w[0], &w[1], (64.0, 32.0)), (&w[2], &w[3], (32.0, 10.0))] {
        let limit = (6.0f32 / (fan_in + fan_out)).sqrt();
        let v = kernel.data();
        assert!(v.iter().all(|x| x.abs() <= limit), "a weight outside ±{limit}");
        let (lo, hi) = v.iter().fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(lo < -0.9 * limit && hi > 0.9 * limit, "the weights do not fill [−{limit}, {limit}]: {lo}..{hi}");
        // Uniform on [−L, L]: E|w| = L/2.
        let mean_abs = v.iter().map(|x| x.abs()).sum::<f32>() / v.len() as f32;
        assert!((mean_abs / limit - 0.5).abs() < 0.06, "E|w| = {mean_abs} for L = {limit}");
        assert!(bias.data().iter().all(|&b| b == 0.0), "biases start at zero");
    }
    let mut other = Sequential::new(&[64]).seed(2);
    other.add(Dense::new(32));
    assert_ne!(other.get_weights()[0], w[0], "another seed draws other weights");
}

/// A dense layer is one dot product per neuron plus a bias: `yⱼ = Σᵢ xᵢ·Wᵢⱼ + bⱼ`.
#[test]
fn a_dense_layer_is_a_dot_product_per_neuron_plus_a_bias() {
    let mut model = Sequential::new(&[5]).seed(0);
    model.add(Dense::new(4));
    let (kernel, bias) = (random(&[5, 4], 1), random(&[4], 2));
    model.set_weights(&[kernel.clone(), bias.clone()]).unwrap();
    let x = random(&[7, 5], 3);
    let y = infer(&mut model, &x);
    for r in 0..7 {
        for j in 0..4 {
            let dot: f64 = (0..5).map(|i| f64::from(x.at(&[r, i])) * f64::from(kernel.at(&[i, j]))).sum();
            let want = dot + f64::from(bias.at(&[j]));
            assert!((f64::from(y.at(&[r, j])) - want).abs() < 1e-5, "row {r} neuron {j}");
        }
    }
}

/// `m·x + b` is the one-input, one-neuron case: the kernel is `[[m]]`, the bias `[b]`.
#[test]
fn mx_plus_b_is_the_one_input_case() {
    let mut model = Sequential::new(&[1]).seed(0);
    model.add(Dense::new(1));
    model.set_weights(&[Tensor::from_vec(&[1, 1], vec![3.0]), Tensor::from_vec(&[1], vec![2.0])]).unwrap();
    let x = Tensor::from_vec(&[4, 1], vec![-2.0, 0.0, 1.5, 4.0]);
    assert_eq!(infer(&mut model, &x).data(), &[-4.0, 2.0, 6.5, 14.0]);
    // `wxb explain` shows it as one term m·x plus b.
    let e = explain(&model, &[1.5], &ExplainOptions::default()).unwrap();
    let LayerStep::Dense { neurons, .. } = &e.layers[0].step else { panic!("a Dense layer") };
    let n = &neurons[0];
    assert_eq!((n.terms.len(), n.terms[0].x, n.terms[0].w, n.bias, n.z), (1, 1.5, 3.0, Some(2.0), 6.5));
}

/// The bias shifts a neuron's output by the same amount for every input: it moves the line
/// without turning it.
#[test]
fn the_bias_shifts_every_output_by_the_same_amount() {
    let mut model = Sequential::new(&[3]).seed(4);
    model.add(Dense::new(2));
    let kernel = model.get_weights()[0].clone();
    let x = random(&[6, 3], 5);
    let before = infer(&mut model, &x);
    model.set_weights(&[kernel, Tensor::from_vec(&[2], vec![2.0, -0.5])]).unwrap();
    let after = infer(&mut model, &x);
    for r in 0..6 {
        assert!((after.at(&[r, 0]) - before.at(&[r, 0]) - 2.0).abs() < 1e-6);
        assert!((after.at(&[r, 1]) - before.at(&[r, 1]) + 0.5).abs() < 1e-6);
    }
    // The slope between any two inputs is unchanged.
    let slope = |y: &Tensor| y.at(&[1, 0]) - y.at(&[0, 0]);
    assert!((slope(&after) - slope(&before)).abs() < 1e-6);
}

fn line_data() -> (Tensor, Tensor) {
    let xs: Vec<f32> = (0..20).map(|i| i as f32 * 0.2).collect(); // 0 … 3.8
    let ys: Vec<f32> = xs.iter().map(|x| 3.0 * x + 2.0).collect();
    (Tensor::from_vec(&[20, 1], xs), Tensor::from_vec(&[20, 1], ys))
}

fn fit_line(dense: Dense, epochs: usize) -> f64 {
    let (x, y) = line_data();
    let mut model = Sequential::new(&[1]).seed(0);
    model.add(dense);
    model.compile(Optimizer::sgd(0.05), Loss::MeanSquaredError, &[]);
    let opts = FitOptions { epochs, batch_size: 20, shuffle: Shuffle::Never, ..FitOptions::default() };
    model.fit(&x, &y, &opts, &mut []).unwrap();
    model.evaluate(&x, &y, 20).unwrap()["loss"]
}

/// Without a bias, a line through the origin cannot fit `y = 3x + 2`; with one, it fits exactly.
#[test]
fn without_a_bias_a_line_through_the_origin_cannot_fit_3x_plus_2() {
    let (x, y) = line_data();
    // The best line through the origin, y = m·x with m = Σxy/Σx², still misses by this much.
    let (xs, ys) = (x.data(), y.data());
    let m = xs.iter().zip(ys).map(|(a, b)| f64::from(a * b)).sum::<f64>()
        / xs.iter().map(|a| f64::from(a * a)).sum::<f64>();
    let floor = xs.iter().zip(ys).map(|(a, b)| (f64::from(*b) - m * f64::from(*a)).powi(2)).sum::<f64>() / 20.0;
    assert!(floor > 0.5, "{floor}");
    let without = fit_line(Dense::new(1).without_bias(), 2000);
    assert!(without >= floor * 0.999, "no-bias loss {without} below the best possible {floor}");
    assert!(without < floor * 1.01, "training did not even reach the best line through the origin");
    let with = fit_line(Dense::new(1), 2000);
    assert!(with < 1e-4, "with a bias the line fits: loss {with}");
    // The least-squares line, m = cov(x, y)/var(x) and b = ȳ − m·x̄, is the data's line itself.
    let mean = |v: &[f32]| v.iter().map(|&a| f64::from(a)).sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(xs), mean(ys));
    let cov: f64 = xs.iter().zip(ys).map(|(&a, &b)| (f64::from(a) - mx) * (f64::from(b) - my)).sum();
    let ls_m = cov / xs.iter().map(|&a| (f64::from(a) - mx).powi(2)).sum::<f64>();
    assert_eq!(((ls_m * 1e4).round(), ((my - ls_m * mx) * 1e4).round()), (30000.0, 20000.0));
}

/// Dense → Dense → Dense without activations, with or without biases, equals one Dense layer with
/// `W = W₁·W₂·W₃` and `b = (b₁·W₂ + b₂)·W₃ + b₃`: biases do not make a network non-linear.
#[test]
fn a_stack_of_linear_dense_layers_is_one_dense_layer() {
    for with_bias in [true, false] {
        let dense = |units| if with_bias { Dense::new(units) } else { Dense::new(units).without_bias() };
        let mut stack = Sequential::new(&[6]).seed(7);
        for units in [5, 4, 3] {
            stack.add(dense(units));
        }
        let mut weights = stack.get_weights();
        if with_bias {
            for (i, b) in [1, 3, 5].into_iter().zip([8, 9, 10]) {
                weights[i] = random(weights[i].shape(), b);
            }
            stack.set_weights(&weights).unwrap();
        }
        let (w, b) = if with_bias {
            let w = weights[0].matmul(&weights[2]).matmul(&weights[4]);
            let row = |t: &Tensor| t.clone().reshape(&[1, t.len()]);
            let b1 = row(&weights[1]).matmul(&weights[2]);
            let b12 = Tensor::from_vec(&[1, 4], b1.data().iter().zip(weights[3].data()).map(|(a, b)| a + b).collect());
            let b = b12.matmul(&weights[4]).data().iter().zip(weights[5].data()).map(|(a, b)| a + b).collect();
            (w, vec![Tensor::from_vec(&[3], b)])
        } else {
            (weights[0].matmul(&weights[1]).matmul(&weights[2]), vec![])
        };
        let mut single = Sequential::new(&[6]).seed(0);
        single.add(dense(3));
        single.set_weights(&[vec![w], b].concat()).unwrap();
        let x = random(&[16, 6], 11);
        let diff = infer(&mut stack, &x).max_abs_diff(&infer(&mut single, &x));
        assert!(diff < 1e-5, "with_bias {with_bias}: the stack and the single layer differ by {diff}");
    }
}

fn xor_loss(activation: Activation) -> f64 {
    let x = Tensor::from_vec(&[4, 2], vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    let y = Tensor::from_vec(&[4, 1], vec![0.0, 1.0, 1.0, 0.0]);
    let mut model = Sequential::new(&[2]).seed(3);
    model.add(Dense::new(16).activation(activation));
    model.add(Dense::new(1));
    model.compile(Optimizer::adam().with_learning_rate(0.05), Loss::MeanSquaredError, &[]);
    let opts = FitOptions { epochs: 400, batch_size: 4, shuffle: Shuffle::Never, ..FitOptions::default() };
    model.fit(&x, &y, &opts, &mut []).unwrap();
    model.evaluate(&x, &y, 4).unwrap()["loss"]
}

/// The activation is what adds non-linearity: a linear stack cannot fit XOR (its best is to
/// predict ½ everywhere, a mean squared error of ¼); the same stack with relu fits it.
#[test]
fn the_activation_adds_non_linearity_xor() {
    let linear = xor_loss(Activation::Linear);
    assert!(linear > 0.249, "a linear network cannot beat the best affine fit of XOR (0.25): {linear}");
    let relu = xor_loss(Activation::Relu);
    assert!(relu < 0.01, "a relu network fits XOR: loss {relu}");
}

/// Records whether every step changed the weights.
struct EveryStep {
    last: Vec<Tensor>,
    unchanged: usize,
    steps: usize,
}

impl Callback for EveryStep {
    fn on_batch_begin(&mut self, model: &mut Sequential, _batch: usize) {
        self.last = model.get_weights();
    }

    fn on_batch_end(&mut self, model: &mut Sequential, _batch: usize, _logs: &Logs) {
        self.steps += 1;
        let now = model.get_weights();
        if now.iter().zip(&self.last).any(|(a, b)| a == b) {
            self.unchanged += 1;
        }
    }
}

/// The optimizer changes the weights at every step, and the loss goes down over the epochs.
#[test]
fn the_optimizer_changes_weights_every_step_and_the_loss_goes_down() {
    let x = random(&[96, 3], 21);
    let y = Tensor::from_vec(&[96, 1], x.data().chunks(3).map(|r| 2.0 * r[0] - r[1] + 0.5 * r[2] + 1.0).collect());
    let mut model = Sequential::new(&[3]).seed(2);
    model.add(Dense::new(8).activation(Activation::Tanh));
    model.add(Dense::new(1));
    model.compile(Optimizer::sgd(0.05), Loss::MeanSquaredError, &[]);
    let mut every = EveryStep { last: vec![], unchanged: 0, steps: 0 };
    let opts = FitOptions { epochs: 15, batch_size: 16, ..FitOptions::default() };
    let history = model.fit(&x, &y, &opts, &mut [&mut every]).unwrap();
    assert_eq!((every.steps, every.unchanged), (15 * 6, 0), "every step moves every weight tensor");
    let loss = history.get("loss").unwrap();
    assert!(loss.windows(2).all(|w| w[1] < w[0]), "the loss goes down epoch after epoch: {loss:?}");
    assert!(loss[14] < loss[0] / 4.0, "{loss:?}");
}

/// |m| after each step of plain SGD on `y = 3x + 2` (one neuron), going on through NaN.
fn slope_after_each_step(lr: f32, clipping: Clipping, steps: usize) -> Vec<f32> {
    let (x, y) = line_data();
    let mut model = Sequential::new(&[1]).seed(0);
    model.add(Dense::new(1));
    model.compile(Optimizer::sgd(lr).with_clipping(clipping), Loss::MeanSquaredError, &[]);
    let opts = FitOptions {
        epochs: steps,
        batch_size: 20,
        shuffle: Shuffle::Never,
        on_divergence: OnDivergence::Continue,
        ..FitOptions::default()
    };
    let mut slopes = SlopeAfterEachStep(vec![]);
    model.fit(&x, &y, &opts, &mut [&mut slopes]).unwrap();
    slopes.0
}

struct SlopeAfterEachStep(Vec<f32>);

impl Callback for SlopeAfterEachStep {
    fn on_batch_end(&mut self, model: &mut Sequential, _: usize, _: &Logs) {
        self.0.push(model.get_weights()[0].data()[0].abs());
    }
}

/// Weights that blow up make the loss diverge: with too large a learning rate every step
/// overshoots further, |m| grows at every step until it is infinite, then NaN. `fit` stops at
/// that batch instead, keeps the last finite weights, says where it happened and what to try;
/// a learning rate ten times lower, or clipping the gradient's norm, trains.
#[test]
fn weights_that_blow_up_make_the_loss_diverge() {
    // On this data (x in [0, 3.8]) plain SGD is stable below lr ≈ 0.33 (2 / the largest
    // eigenvalue of the loss' Hessian): lr = 1 multiplies the error by about -5 at every step.
    let slopes = slope_after_each_step(1.0, Clipping::None, 80);
    let finite = slopes.iter().take_while(|m| m.is_finite()).count();
    assert!(finite > 10 && finite < 80, "the weights overflow after some steps: {slopes:?}");
    assert!(slopes[..finite].windows(2).skip(2).all(|w| w[1] > w[0]), "|m| grows at every step: {slopes:?}");
    assert!(slopes[finite..].iter().all(|m| !m.is_finite()), "after inf comes NaN, never a number again");

    // The same run with the divergence guard (fit's default) stops at the first bad batch.
    let (x, y) = line_data();
    let mut model = Sequential::new(&[1]).seed(0);
    model.add(Dense::new(1).named("line"));
    model.compile(Optimizer::sgd(1.0), Loss::MeanSquaredError, &[]);
    let opts = FitOptions { epochs: 80, batch_size: 20, shuffle: Shuffle::Never, ..FitOptions::default() };
    let Err(WxbError::Diverged(d)) = model.fit(&x, &y, &opts, &mut []) else { panic!("the run must diverge") };
    assert!(d.epoch < 80 && d.batch == 0 && d.steps == 1, "{d}");
    // The outputs (about 1e19) are still finite; their squared error is the first to overflow.
    assert_eq!((d.found, d.layer.clone()), (NonFiniteIn::Loss, None), "{d}");
    assert!(model.get_weights().iter().all(|w| w.data().iter().all(|v| v.is_finite())), "the last good weights");
    let text = d.to_string();
    assert!(text.starts_with(&format!("training diverged at epoch {}, batch 1/1", d.epoch + 1)), "{text}");
    assert!(text.contains("first non-finite value in the loss"), "{text}");
    assert!(
        text.contains("lower the learning rate (e.g. 1e-1)") && text.contains("clip the gradients by norm"),
        "{text}"
    );

    // When a layer's output is the first value to overflow, the report names that layer.
    let huge = Tensor::from_vec(&[4, 1], vec![3e38; 4]);
    let mut deep = Sequential::new(&[1]).seed(0);
    // Weights of 2: the hidden layer's 3e38 · 2 overflows, before any loss is computed.
    deep.add(
        Dense::new(8)
            .activation(Activation::Relu)
            .kernel_initializer(Initializer::Constant { value: 2.0 })
            .named("hidden"),
    );
    deep.add(Dense::new(1).named("out"));
    deep.compile(Optimizer::sgd(0.01), Loss::MeanSquaredError, &[]);
    let opts = FitOptions { epochs: 1, batch_size: 4, ..FitOptions::default() };
    let Err(WxbError::Diverged(d)) = deep.fit(&huge, &Tensor::zeros(&[4, 1]), &opts, &mut []) else {
        panic!("3e38 · w overflows")
    };
    assert_eq!((d.found, d.layer.clone(), d.epoch, d.batch), (NonFiniteIn::Output, Some((0, "hidden".into())), 0, 0));
    assert!(d.to_string().contains("layer 0 \"hidden\""), "{d}");

    // What it suggests works: lr / 10, or the same lr with the gradient's norm clipped at 1.
    for (lr, clipping) in [(0.1, Clipping::None), (1.0, Clipping::Norm(1.0))] {
        let slopes = slope_after_each_step(lr, clipping, 400);
        let m = *slopes.last().unwrap();
        assert!((m - 3.0).abs() < 0.1, "lr {lr}, {clipping:?}: m = {m}, y = 3x + 2 is found");
    }
}
