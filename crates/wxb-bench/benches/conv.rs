//! The convolutions of Keras' "simple MNIST convnet" (`cargo bench -p wxb-bench --bench conv`): forward
//! `y = relu(im2col(x)·K + b)` and backward (`dK = colsᵀ·dz`, `db`, `dx = col2im(dz·Kᵀ)`) at
//! batch 128 and 32, on 1 and 2 threads. Throughput is in floating-point operations of the
//! products (an FMA counts two; im2col and col2im are counted as free), so criterion's `Gelem/s`
//! reads as GFLOP/s. The first layer's backward pass computes no `dx`, as in training.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use wxb::prelude::*;

/// (name, input sample, filters, whether the backward pass computes `dx`)
const LAYERS: [(&str, [usize; 3], usize, bool); 2] =
    [("conv1 28x28x1→32", [28, 28, 1], 32, false), ("conv2 13x13x32→64", [13, 13, 32], 64, true)];

fn tensor(shape: &[usize], seed: usize) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|i| ((i * 7919 + seed) % 2000) as f32 / 1000.0 - 1.0).collect())
}

fn bench(c: &mut Criterion, threads: usize, batch: usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a rayon pool");
    for (name, input, filters, with_dx) in LAYERS {
        let mut conv = Conv2D::new(filters, [3, 3]).activation(Activation::Relu).named("conv");
        conv.build(&input, 0);
        let out = conv.output_shape();
        let macs = (batch * out[0] * out[1] * 9 * input[2] * filters) as u64;
        let x = tensor(&[batch, input[0], input[1], input[2]], 1);
        let dy = tensor(&[batch, out[0], out[1], out[2]], 2);
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        let mut s = Scratch::default();
        let id = BenchmarkId::new(name, format!("B{batch}"));
        let mut g = c.benchmark_group(format!("conv/forward/{threads}t"));
        g.throughput(Throughput::Elements(2 * macs));
        g.bench_function(id.clone(), |b| pool.install(|| b.iter(|| conv.forward(&x, &mut y, Mode::Train, &mut s))));
        g.finish();
        pool.install(|| conv.forward(&x, &mut y, Mode::Train, &mut s));
        let mut g = c.benchmark_group(format!("conv/backward/{threads}t"));
        g.throughput(Throughput::Elements(if with_dx { 4 } else { 2 } * macs));
        g.bench_function(id, |b| {
            pool.install(|| b.iter(|| conv.backward(&x, &y, &dy, if with_dx { Some(&mut dx) } else { None }, &mut s)))
        });
        g.finish();
    }
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    for threads in [1, 2] {
        for batch in [128, 32] {
            bench(&mut c, threads, batch);
        }
    }
    c.final_summary();
}
