//! The MNIST MLP end to end (`cargo bench -p wxb-bench --bench mlp`): 784-256-128-10 (relu, relu,
//! softmax), Adam, sparse categorical crossentropy. One training step (`train_on_batch`: forward,
//! fused softmax-crossentropy gradient, backward, Adam, accuracy) at batch 128 and 32, and
//! inference (`predict`) at batch 1 and 8192, with rayon's default thread count (all cores).
//! Throughput is in samples.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wxb::prelude::*;

fn mlp() -> Sequential {
    let mut model = Sequential::new(&[784]).seed(0);
    model.add(Dense::new(256).activation(Activation::Relu));
    model.add(Dense::new(128).activation(Activation::Relu));
    model.add(Dense::new(10).activation(Activation::Softmax));
    model.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
    model
}

/// `rows` MNIST-like samples in [0, 1] and their labels.
fn data(rows: usize) -> (Tensor, Tensor) {
    let x = Tensor::from_vec(&[rows, 784], (0..rows * 784).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect());
    let y = Tensor::from_vec(&[rows, 1], (0..rows).map(|i| (i % 10) as f32).collect());
    (x, y)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("mlp/train_step");
    for batch in [128, 32] {
        let (x, y) = data(batch);
        let mut model = mlp();
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_function(BenchmarkId::from_parameter(batch), |b| {
            b.iter(|| model.train_on_batch(&x, &y, None).unwrap())
        });
    }
    g.finish();
    let mut g = c.benchmark_group("mlp/predict");
    for batch in [1, 8192] {
        let (x, _) = data(batch);
        let model = mlp();
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_function(BenchmarkId::from_parameter(batch), |b| b.iter(|| model.predict(&x, batch).unwrap()));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
