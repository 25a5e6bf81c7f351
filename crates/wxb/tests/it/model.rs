//! Sequential's contract: determinism, Keras' validation_split semantics, summary, weights, errors.

use wxb::prelude::*;
use wxb::rng::WxbRng;
use wxb::train::{Shuffle, TrainParams};

fn blobs(n: usize, seed: u64) -> (Tensor, Tensor) {
    // Three Gaussian blobs in 4-D, labels 0..3.
    let mut rng = WxbRng::new(seed);
    let mut x = Vec::with_capacity(n * 4);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 3;
        for j in 0..4 {
            let centre = if j == c { 3.0 } else { 0.0 };
            x.push(centre + rng.normal());
        }
        y.push(c as f32);
    }
    (Tensor::from_vec(&[n, 4], x), Tensor::from_vec(&[n, 1], y))
}

fn mlp(seed: u64) -> Sequential {
    let mut m = Sequential::new(&[4]).seed(seed);
    m.add(Dense::new(16).activation(Activation::Relu));
    m.add(Dense::new(3).activation(Activation::Softmax));
    m.compile(
        Optimizer::new(wxb::optim::Sgd { momentum: 0.9, nesterov: true }).with_learning_rate(0.05),
        Loss::SPARSE_CATEGORICAL_CROSSENTROPY,
        &[Metric::Accuracy],
    );
    m
}

#[test]
fn the_same_seed_gives_bit_identical_weights_and_history() {
    let (x, y) = blobs(300, 1);
    let opts = FitOptions { epochs: 3, batch_size: 16, validation_split: 0.2, ..FitOptions::default() };
    let run = |seed| {
        let mut m = mlp(seed);
        let h = m.fit(&x, &y, &opts, &mut []).unwrap();
        (m.get_weights(), h)
    };
    let (w1, h1) = run(7);
    let (w2, h2) = run(7);
    assert_eq!(w1, w2, "weights differ between two runs with the same seed");
    assert_eq!(h1, h2);
    let (w3, _) = run(8);
    assert_ne!(w1, w3, "a different seed should give different weights");
}

#[test]
fn training_learns_separable_blobs() {
    let (x, y) = blobs(600, 2);
    let mut m = mlp(0);
    let h = m.fit(&x, &y, &FitOptions { epochs: 10, batch_size: 32, ..FitOptions::default() }, &mut []).unwrap();
    let loss = h.get("loss").unwrap();
    assert!(loss.last().unwrap() < &loss[0], "loss did not go down: {loss:?}");
    let (xt, yt) = blobs(300, 3);
    let logs = m.evaluate(&xt, &yt, 32).unwrap();
    assert!(logs["accuracy"] > 0.85, "{logs:?}");
}

/// Records which sample rows each batch held, by tagging samples with their index.
struct SeenRows {
    steps: Vec<usize>,
    params: Option<TrainParams>,
}

impl Callback for SeenRows {
    fn on_train_begin(&mut self, _m: &mut Sequential, params: &TrainParams) {
        self.params = Some(params.clone());
    }
    fn on_batch_end(&mut self, _m: &mut Sequential, batch: usize, _logs: &Logs) {
        self.steps.push(batch);
    }
}

#[test]
fn validation_split_holds_out_the_last_fraction_before_shuffling() {
    // Targets equal to the sample index: validation must be exactly the tail 8..10 whatever the
    // shuffling, so a model that predicts 8.5 has validation MAE 0.5.
    let n = 10;
    let x = Tensor::from_vec(&[n, 1], vec![0.0; n]);
    let y = Tensor::from_vec(&[n, 1], (0..n).map(|i| i as f32).collect());
    let mut m = Sequential::new(&[1]);
    m.add(Dense::new(1).without_bias().kernel_initializer(Initializer::Zeros));
    m.compile(Optimizer::sgd(0.0), Loss::MeanAbsoluteError, &[]);
    let mut seen = SeenRows { steps: vec![], params: None };
    let opts = FitOptions { epochs: 1, batch_size: 3, validation_split: 0.2, ..FitOptions::default() };
    let h = m.fit(&x, &y, &opts, &mut [&mut seen]).unwrap();
    let p = seen.params.unwrap();
    assert_eq!((p.samples, p.validation_samples, p.steps), (8, 2, 3));
    assert_eq!(seen.steps, vec![0, 1, 2]);
    // The model predicts 0 everywhere: val MAE = mean(8, 9) = 8.5; train MAE = mean(0..8) = 3.5.
    assert!((h.last("val_loss").unwrap() - 8.5).abs() < 1e-6, "{h:?}");
    assert!((h.last("loss").unwrap() - 3.5).abs() < 1e-6, "{h:?}");
}

#[test]
fn validation_split_follows_kerass_floor_rule() {
    // Keras: split_at = floor(n·(1 − split)); 0.2 of 1000 must keep 800 training samples.
    let x = Tensor::zeros(&[1000, 1]);
    let y = Tensor::zeros(&[1000, 1]);
    let mut m = Sequential::new(&[1]);
    m.add(Dense::new(1));
    m.compile(Optimizer::sgd(0.01), Loss::MeanSquaredError, &[]);
    let mut seen = SeenRows { steps: vec![], params: None };
    m.fit(&x, &y, &FitOptions { validation_split: 0.2, ..FitOptions::default() }, &mut [&mut seen]).unwrap();
    assert_eq!(seen.params.unwrap().samples, 800);
}

#[test]
fn summary_matches_keras_for_the_mnist_mlp() {
    let mut m = Sequential::new(&[784]);
    m.add(Dense::new(256).activation(Activation::Relu));
    m.add(Dense::new(128).activation(Activation::Relu));
    m.add(Dense::new(10).activation(Activation::Softmax));
    assert_eq!(m.summary(), include_str!("../fixtures/summary_mnist.txt"));
    let counts: Vec<usize> = m.layers().iter().map(|l| l.params().iter().map(|p| p.len()).sum()).collect();
    assert_eq!(counts, [200_960, 32_896, 1_290]);
}

#[test]
fn weights_round_trip_and_bad_weights_are_typed_errors() {
    let m = mlp(3);
    let w = m.get_weights();
    assert_eq!(w.len(), 4);
    let mut other = mlp(4);
    other.set_weights(&w).unwrap();
    assert_eq!(other.get_weights(), w);
    assert_eq!(other.set_weights(&w[..3]), Err(WxbError::WeightCount { expected: 4, got: 3 }));
    let mut bad = w.clone();
    bad[0] = Tensor::zeros(&[5, 16]);
    let err = other.set_weights(&bad).unwrap_err();
    assert_eq!(err.to_string(), "weight dense/kernel: expected shape [4, 16], got [5, 16]");
}

#[test]
fn bad_data_gives_typed_errors_not_panics() {
    let mut m = mlp(0);
    let x = Tensor::zeros(&[4, 4]);
    let err = m.fit(&Tensor::zeros(&[4, 5]), &Tensor::zeros(&[4, 1]), &FitOptions::default(), &mut []).unwrap_err();
    assert_eq!(err.to_string(), "x: expected shape [4, 4], got [4, 5]");
    let err = m.fit(&x, &Tensor::zeros(&[3, 1]), &FitOptions::default(), &mut []).unwrap_err();
    assert_eq!(err.to_string(), "y: expected 4 samples, got 3");
    let err = m.fit(&x, &Tensor::from_vec(&[4, 1], vec![0., 1., 3., 2.]), &FitOptions::default(), &mut []).unwrap_err();
    assert_eq!(err.to_string(), "y: label 3 at sample 2 is outside 0..3");
    let err = m.evaluate(&x, &Tensor::zeros(&[4, 1]), 0).unwrap_err();
    assert!(err.to_string().contains("batch_size"), "{err}");
    let mut uncompiled = Sequential::new(&[4]);
    uncompiled.add(Dense::new(1));
    assert_eq!(uncompiled.fit(&x, &x, &FitOptions::default(), &mut []).unwrap_err(), WxbError::NotCompiled);
    let opts = FitOptions { validation_split: 1.0, ..FitOptions::default() };
    assert!(m.fit(&x, &Tensor::zeros(&[4, 1]), &opts, &mut []).is_err());
}

#[test]
fn shuffle_never_visits_samples_in_order_and_predict_batches_agree() {
    let (x, y) = blobs(50, 5);
    let mut m = mlp(1);
    let opts = FitOptions { epochs: 1, batch_size: 50, shuffle: Shuffle::Never, ..FitOptions::default() };
    m.fit(&x, &y, &opts, &mut []).unwrap();
    let a = m.predict(&x, 7).unwrap();
    let b = m.predict(&x, 50).unwrap();
    assert!(a.max_abs_diff(&b) < 1e-6);
}

#[test]
fn one_neuron_learns_the_least_squares_line() {
    // The `linear_regression` example's claim: Dense(1) + full-batch SGD reaches the closed form.
    let mut rng = WxbRng::new(9);
    let n = 100;
    let xs: Vec<f32> = (0..n).map(|_| rng.uniform_range(-2.0, 2.0)).collect();
    let ys: Vec<f32> = xs.iter().map(|&x| 3.0 * x + 2.0 + 0.5 * rng.normal()).collect();
    let mean = |v: &[f32]| v.iter().map(|&a| f64::from(a)).sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&xs), mean(&ys));
    let cov: f64 = xs.iter().zip(&ys).map(|(&x, &y)| (f64::from(x) - mx) * (f64::from(y) - my)).sum();
    let var: f64 = xs.iter().map(|&x| (f64::from(x) - mx).powi(2)).sum();
    let (m_ls, b_ls) = (cov / var, my - cov / var * mx);
    let mut model = Sequential::new(&[1]);
    model.add(Dense::new(1));
    model.compile(Optimizer::sgd(0.1), Loss::MeanSquaredError, &[]);
    let opts = FitOptions { epochs: 500, batch_size: n, shuffle: Shuffle::Never, ..FitOptions::default() };
    model.fit(&Tensor::from_vec(&[n, 1], xs), &Tensor::from_vec(&[n, 1], ys), &opts, &mut []).unwrap();
    let w = model.get_weights();
    assert!((f64::from(w[0].data()[0]) - m_ls).abs() < 1e-3, "m {} vs {m_ls}", w[0].data()[0]);
    assert!((f64::from(w[1].data()[0]) - b_ls).abs() < 1e-3, "b {} vs {b_ls}", w[1].data()[0]);
}

/// `predict` takes `&self`: four threads predicting at once with one model (every kind of layer,
/// activations that keep their logits) get the single-threaded result bit for bit.
#[test]
fn four_threads_predict_at_once_with_one_model() {
    let mut m = Sequential::new(&[4]).seed(3);
    m.add(BatchNormalization::new());
    m.add(Dense::new(16).activation(Activation::Tanh));
    m.add(Dropout::new(0.3));
    m.add(LayerNormalization::new());
    m.add(Dense::new(8));
    m.add(ActivationLayer::new(Activation::Gelu));
    m.add(Dense::new(3).activation(Activation::Softmax));
    m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[]);
    let (x, y) = blobs(90, 4);
    m.train_on_batch(&x, &y, None).unwrap();
    let model = &m;
    let bits = |t: &Tensor| t.data().iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    let single = bits(&model.predict(&x, 7).unwrap());
    let results: Vec<Vec<Vec<u32>>> = std::thread::scope(|s| {
        let threads: Vec<_> =
            (0..4).map(|_| s.spawn(|| (0..5).map(|_| bits(&model.predict(&x, 7).unwrap())).collect())).collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for r in results.iter().flatten() {
        assert_eq!(r, &single);
    }
}
