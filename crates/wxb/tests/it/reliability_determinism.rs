//! Determinism: the same seed on the same number of threads gives bit-identical weights and
//! history; 1 and 2 threads agree to 1e-5 (relative); a run interrupted, saved and resumed (dropout
//! masks included) is bit-identical to an uninterrupted one.
//!
//! (Today 1 and 2 threads even agree bit for bit: the GEMM splits output rows between threads, so
//! every sum runs in the same order. The test allows what the contract promises, 1e-5.)

use std::collections::BTreeMap;

use wxb::io::{self, OptimizerState};
use wxb::prelude::*;
use wxb::rng::WxbRng;
use wxb::train::Shuffle;

/// Big enough that the GEMM splits its work across threads.
fn data() -> (Tensor, Tensor) {
    let mut rng = WxbRng::new(9);
    let x = Tensor::from_vec(&[256, 96], (0..256 * 96).map(|_| rng.normal()).collect());
    let y = Tensor::from_vec(&[256, 1], (0..256).map(|i| (i % 4) as f32).collect());
    (x, y)
}

fn model(seed: u64) -> Sequential {
    let mut m = Sequential::new(&[96]).seed(seed);
    m.add(Dense::new(256).activation(Activation::Relu));
    m.add(BatchNormalization::new());
    m.add(Dropout::new(0.3));
    m.add(Dense::new(128).activation(Activation::Tanh));
    m.add(Dense::new(4).activation(Activation::Softmax));
    m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
    m
}

fn options(from: usize, to: usize) -> FitOptions {
    FitOptions {
        epochs: to,
        initial_epoch: from,
        batch_size: 64,
        shuffle: Shuffle::EveryEpoch,
        ..FitOptions::default()
    }
}

fn run(threads: usize, seed: u64) -> (Vec<Tensor>, History) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let (x, y) = data();
        let mut m = model(seed);
        let history = m.fit(&x, &y, &options(0, 3), &mut []).unwrap();
        (m.get_weights(), history)
    })
}

fn bits(weights: &[Tensor]) -> Vec<Vec<u32>> {
    weights.iter().map(|w| w.data().iter().map(|v| v.to_bits()).collect()).collect()
}

#[test]
fn same_seed_same_threads_is_bit_identical() {
    for threads in [1, 2] {
        let (w1, h1) = run(threads, 5);
        let (w2, h2) = run(threads, 5);
        assert_eq!(bits(&w1), bits(&w2), "{threads} threads: weights");
        assert_eq!(h1, h2, "{threads} threads: history");
    }
    let (w3, _) = run(1, 6);
    assert_ne!(bits(&run(1, 5).0), bits(&w3), "another seed, other weights");
}

#[test]
fn one_and_two_threads_agree_to_1e_5() {
    let (w1, h1) = run(1, 5);
    let (w2, h2) = run(2, 5);
    for (i, (a, b)) in w1.iter().zip(&w2).enumerate() {
        let scale = a.data().iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-3);
        let diff = a.data().iter().zip(b.data()).fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(diff <= 1e-5 * scale, "weight {i}: max difference {diff} for values up to {scale}");
    }
    for (key, a) in &h1.history {
        for (x, y) in a.iter().zip(&h2.history[key]) {
            assert!((x - y).abs() <= 1e-5 * x.abs().max(1e-3), "{key}: {x} vs {y}");
        }
    }
}

#[test]
fn interrupted_saved_and_resumed_with_dropout_is_bit_identical() {
    let (x, y) = data();
    let mut straight = model(8);
    let h_straight = straight.fit(&x, &y, &options(0, 4), &mut []).unwrap();
    let mut first = model(8);
    let mut h = first.fit(&x, &y, &options(0, 2), &mut []).unwrap();
    let dir = tempfile::tempdir().unwrap();
    io::save(&mut first, dir.path(), &BTreeMap::new(), OptimizerState::Include).unwrap();
    drop(first);
    let mut resumed = io::load(dir.path()).unwrap().model;
    h.extend(&resumed.fit(&x, &y, &options(2, 4), &mut []).unwrap());
    assert_eq!(bits(&resumed.get_weights()), bits(&straight.get_weights()));
    assert_eq!(h, h_straight);
}
