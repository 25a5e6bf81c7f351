//! A convnet's training and evaluation allocate nothing per batch: Conv2D's patches, products
//! and gradients live in buffers reused batch after batch. A counting global allocator (this test
//! binary only: `alloc_counter`) counts the allocations of every thread.

mod alloc_counter;

use alloc_counter::{Counting, allocations};
use wxb::prelude::*;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `n` samples of 64 features and 10 classes.
fn data(n: usize) -> (Tensor, Tensor) {
    let x = Tensor::from_vec(&[n, 10, 10, 1], (0..n * 100).map(|i| ((i * 37 % 101) as f32) / 101.0).collect());
    let y = Tensor::from_vec(&[n, 1], (0..n).map(|i| (i % 10) as f32).collect());
    (x, y)
}

/// Conv2D (fused ReLU), Conv2D (tanh, strided, same padding: z kept), Conv1D-free head.
fn model() -> Sequential {
    let mut m = Sequential::new(&[10, 10, 1]).seed(1);
    m.add(Conv2D::new(8, [3, 3]).activation(Activation::Relu));
    m.add(Conv2D::new(16, [3, 3]).strides([2, 2]).padding(Padding::Same).activation(Activation::Tanh));
    m.add(Flatten::new());
    m.add(Dense::new(10).activation(Activation::Softmax));
    m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
    m
}

#[test]
fn conv_training_and_evaluation_allocate_nothing_per_batch() {
    let batch = 32;
    let options = FitOptions { epochs: 2, batch_size: batch, ..FitOptions::default() };
    let (x_few, y_few) = data(2 * batch);
    let (x_many, y_many) = data(12 * batch);
    let mut m = model();
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
    assert_eq!(many, few, "fit: {} batches made {many} allocations, {} batches {few}", 2 * 12, 2 * 2);

    let few = allocations(|| {
        m.evaluate(&x_few, &y_few, batch).unwrap();
    });
    let many = allocations(|| {
        m.evaluate(&x_many, &y_many, batch).unwrap();
    });
    assert_eq!(many, few, "evaluate: 12 batches made {many} allocations, 2 batches {few}");
}
