//! Determinism: the same seed gives bit-identical weights after `fit`, run after run, and on one or
//! two threads (wxb splits products by blocks of output and optimizer updates by elements, never a
//! sum, so the thread count does not change a single rounding).

use wxb::prelude::*;

fn data(n: usize) -> (Tensor, Tensor) {
    let x = Tensor::from_vec(&[n, 100], (0..n * 100).map(|i| ((i * 7919 % 1009) as f32) / 1009.0).collect());
    let y = Tensor::from_vec(&[n, 1], (0..n).map(|i| (i * 31 % 10) as f32).collect());
    (x, y)
}

/// Weights after two epochs of an MLP large enough that its products and its Adam update are split
/// across threads (when there are two), with a partial last batch.
fn trained(threads: usize) -> Vec<Tensor> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let (x, y) = data(300);
        let mut m = Sequential::new(&[100]).seed(7);
        m.add(Dense::new(300).activation(Activation::Relu));
        m.add(Dense::new(130).activation(Activation::Tanh));
        m.add(Dense::new(10).activation(Activation::Softmax));
        m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
        let options = FitOptions { epochs: 2, batch_size: 128, ..FitOptions::default() };
        m.fit(&x, &y, &options, &mut []).unwrap();
        m.get_weights()
    })
}

#[test]
fn same_seed_same_weights_on_one_and_two_threads() {
    let two = trained(2);
    assert_eq!(trained(2), two, "two runs on two threads");
    let one = trained(1);
    for (i, (a, b)) in one.iter().zip(&two).enumerate() {
        assert_eq!(a, b, "weight {i}: one thread and two threads differ by up to {}", a.max_abs_diff(b));
    }
}

/// Weights after two epochs of a small convnet (two Conv2D, max pooling) with a partial last batch:
/// its convolutions split the batch into parts, and the kernel gradient's partial sums are added
/// in part order whatever the number of threads.
fn trained_convnet(threads: usize) -> Vec<Tensor> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let n = 150;
        let x = Tensor::from_vec(&[n, 12, 12, 1], (0..n * 144).map(|i| ((i * 7919 % 1009) as f32) / 1009.0).collect());
        let y = Tensor::from_vec(&[n, 1], (0..n).map(|i| (i * 31 % 10) as f32).collect());
        let mut m = Sequential::new(&[12, 12, 1]).seed(3);
        m.add(Conv2D::new(8, [3, 3]).activation(Activation::Relu));
        m.add(MaxPooling2D::new([2, 2]));
        m.add(Conv2D::new(16, [3, 3]).activation(Activation::Relu));
        m.add(Flatten::new());
        m.add(Dense::new(10).activation(Activation::Softmax));
        m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
        let options = FitOptions { epochs: 2, batch_size: 64, ..FitOptions::default() };
        m.fit(&x, &y, &options, &mut []).unwrap();
        m.get_weights()
    })
}

#[test]
fn a_convnet_trains_to_the_same_weights_on_one_and_two_threads() {
    let two = trained_convnet(2);
    assert_eq!(trained_convnet(2), two, "two runs on two threads");
    let one = trained_convnet(1);
    for (i, (a, b)) in one.iter().zip(&two).enumerate() {
        assert_eq!(a, b, "weight {i}: one thread and two threads differ by up to {}", a.max_abs_diff(b));
    }
}
