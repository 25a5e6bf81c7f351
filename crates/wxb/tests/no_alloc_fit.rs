//! Steady-state training allocates nothing per batch: `fit` on ten times as many batches makes
//! exactly as many allocations (those of setting up the call and of each epoch, none per batch),
//! and `evaluate` likewise. A counting global allocator counts the allocations of every thread
//! (the thread pool's workers included), so this binary holds a single test.

mod alloc_counter;

use alloc_counter::{Counting, allocations};
use wxb::prelude::*;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `n` samples of 64 features and 10 classes.
fn data(n: usize) -> (Tensor, Tensor) {
    let x = Tensor::from_vec(&[n, 64], (0..n * 64).map(|i| ((i * 37 % 101) as f32) / 101.0).collect());
    let y = Tensor::from_vec(&[n, 1], (0..n).map(|i| (i % 10) as f32).collect());
    (x, y)
}

/// The MLP of the benchmarks, scaled down, with metrics and Adam: wide enough that its products
/// are split across threads (when there are two).
/// With `activity`, activity regularizers on a hidden layer and on the softmax head (whose
/// penalty's gradient goes through the fused activation).
fn model(activity: bool) -> Sequential {
    let mut m = Sequential::new(&[64]).seed(1);
    let mut hidden = Dense::new(256).activation(Activation::Relu);
    let mut head = Dense::new(10).activation(Activation::Softmax);
    if activity {
        hidden = hidden.activity_regularizer(Regularizer::L2_DEFAULT);
        head = head.activity_regularizer(Regularizer::L1_DEFAULT);
    }
    m.add(hidden);
    m.add(Dense::new(128).activation(Activation::Relu));
    m.add(head);
    m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
    m
}

/// One test (the allocation counter is global: tests running side by side would mix their counts).
#[test]
fn training_and_evaluation_allocate_nothing_per_batch() {
    check_no_allocation_per_batch(false);
    check_no_allocation_per_batch(true);
}

fn check_no_allocation_per_batch(activity: bool) {
    let batch = 32;
    let options = FitOptions { epochs: 2, batch_size: batch, ..FitOptions::default() };
    let (x_few, y_few) = data(2 * batch);
    let (x_many, y_many) = data(20 * batch);
    let mut m = model(activity);
    // Warm-up: buffers sized, the thread pool started, every thread's scratch space grown.
    m.fit(&x_many, &y_many, &options, &mut []).unwrap();
    m.evaluate(&x_many, &y_many, batch).unwrap();

    let few = allocations(|| {
        m.fit(&x_few, &y_few, &options, &mut []).unwrap();
    });
    let many = allocations(|| {
        m.fit(&x_many, &y_many, &options, &mut []).unwrap();
    });
    assert!(few > 0, "the counter sees the allocations of setting up fit");
    assert_eq!(many, few, "fit: {} batches made {many} allocations, {} batches {few}", 2 * 20, 2 * 2);

    let few = allocations(|| {
        m.evaluate(&x_few, &y_few, batch).unwrap();
    });
    let many = allocations(|| {
        m.evaluate(&x_many, &y_many, batch).unwrap();
    });
    assert_eq!(many, few, "evaluate: 20 batches made {many} allocations, 2 batches {few}");
}
