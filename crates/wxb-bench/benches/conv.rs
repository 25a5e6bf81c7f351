//! The convolutions of Keras' "simple MNIST convnet" (`cargo bench -p wxb-bench --bench conv`), at
//! batch 128 and 32 on 1 and 2 threads: forward `y = relu(im2col(x)·K + b)`, backward-weights
//! (`dK = colsᵀ·dz`, `db`: the backward pass without `dx`, as the first layer runs in training) and
//! backward-input (`dx = col2im(dz·Kᵀ)`: a backward pass with `dx` less one without). Each figure
//! is the best of several timed runs, in GFLOP/s of the products (an FMA counts two; im2col,
//! col2im and the ReLU mask are counted as free) and as a share of the machine's FMA peak
//! ([`wxb::tensor::fma_peak_gflops`]) measured in the same run on the same threads.
//!
//! Options (after `--`): `--quick` (fewer repetitions).

use std::time::{Duration, Instant};

use wxb::prelude::*;

/// (name, input sample, filters)
const LAYERS: [(&str, [usize; 3], usize); 2] =
    [("conv1 28x28x1→32", [28, 28, 1], 32), ("conv2 13x13x32→64", [13, 13, 32], 64)];

fn tensor(shape: &[usize], seed: usize) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|i| ((i * 7919 + seed) % 2000) as f32 / 1000.0 - 1.0).collect())
}

/// The best time of `reps` runs of `f` (after one warm-up run), in seconds.
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let reps = if std::env::args().any(|a| a == "--quick") { 10 } else { 40 };
    println!("| threads | layer | batch | forward | backward-weights | backward-input |");
    println!("|---|---|---|---|---|---|");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a rayon pool");
        let peak = wxb::tensor::fma_peak_gflops(threads, Duration::from_millis(500));
        let share = |flops: f64, secs: f64| {
            let g = flops / secs / 1e9;
            format!("{g:.0} GFLOP/s ({:.0} %)", 100.0 * g / peak)
        };
        for batch in [128, 32] {
            for (name, input, filters) in LAYERS {
                let mut conv = Conv2D::new(filters, [3, 3]).activation(Activation::Relu).named("conv");
                conv.build(&input, 0);
                let out = conv.output_shape();
                let flops = 2.0 * (batch * out[0] * out[1] * 9 * input[2] * filters) as f64;
                let x = tensor(&[batch, input[0], input[1], input[2]], 1);
                let dy = tensor(&[batch, out[0], out[1], out[2]], 2);
                let (mut y, mut dx) = (Tensor::default(), Tensor::default());
                let mut s = Scratch::default();
                let (fwd, weights, both) = pool.install(|| {
                    let fwd = best(reps, || conv.forward(&x, &mut y, Mode::Train, &mut s));
                    let weights = best(reps, || conv.backward(&x, &y, &dy, None, &mut s));
                    let both = best(reps, || conv.backward(&x, &y, &dy, Some(&mut dx), &mut s));
                    (fwd, weights, both)
                });
                println!(
                    "| {threads} | {name} | {batch} | {} | {} | {} |",
                    share(flops, fwd),
                    share(flops, weights),
                    share(flops, (both - weights).max(1e-9))
                );
            }
        }
        println!("| {threads} | FMA peak (`fma_peak_gflops`, same run) | | {peak:.0} GFLOP/s | | |");
    }
}
