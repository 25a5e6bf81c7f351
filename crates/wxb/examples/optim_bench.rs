//! The optimizer's update on its own: `Optimizer::apply` on a 784×256 kernel and its bias (the
//! first layer of the MNIST MLP) for every rule and variant, one thread by default. Prints one line
//! per rule: the median time of one `apply` over `--reps` timed batches of `--iters` steps.
//!
//! Run: `RAYON_NUM_THREADS=1 cargo run --release --example optim_bench -- [--iters 200] [--reps 15]`

use std::time::Instant;

use wxb::layers::Param;
use wxb::optim::{Adadelta, Adagrad, Adam, AdamW, Adamax, Nadam, Optimizer, RmsProp, Sgd};
use wxb::tensor::Tensor;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| v.parse().unwrap())
}

fn main() {
    let (iters, reps) = (arg("--iters", 200), arg("--reps", 15));
    let values = |n: usize, seed: u32| -> Vec<f32> {
        (0..n as u32).map(|i| (i.wrapping_mul(seed) % 1999) as f32 / 9990.0 - 0.1).collect()
    };
    let rules: Vec<(&str, Optimizer)> = vec![
        ("sgd", Optimizer::sgd(0.01)),
        ("sgd_momentum", Optimizer::new(Sgd { momentum: 0.9, nesterov: false })),
        ("sgd_nesterov", Optimizer::new(Sgd { momentum: 0.9, nesterov: true })),
        ("rmsprop", Optimizer::rmsprop()),
        ("rmsprop_centered_momentum", Optimizer::new(RmsProp { momentum: 0.9, centered: true, ..RmsProp::default() })),
        ("adam", Optimizer::adam()),
        ("adam_amsgrad", Optimizer::new(Adam { amsgrad: true, ..Adam::default() })),
        ("adamw", Optimizer::new(AdamW::default())),
        ("adagrad", Optimizer::new(Adagrad::default())),
        ("adadelta", Optimizer::new(Adadelta::default())),
        ("adamax", Optimizer::new(Adamax::default())),
        ("nadam", Optimizer::new(Nadam::default())),
    ];
    for (name, mut opt) in rules {
        let mut kernel = Param::trainable("kernel", Tensor::from_vec(&[784, 256], values(784 * 256, 7)));
        kernel.grad = Tensor::from_vec(&[784, 256], values(784 * 256, 13));
        let mut bias = Param::trainable("bias", Tensor::from_vec(&[256], values(256, 3)));
        bias.grad = Tensor::from_vec(&[256], values(256, 5));
        let mut times = Vec::with_capacity(reps);
        for _ in 0..reps {
            let start = Instant::now();
            for _ in 0..iters {
                opt.apply(&mut [&mut kernel, &mut bias]);
            }
            times.push(start.elapsed().as_secs_f64() / iters as f64);
        }
        times.sort_by(f64::total_cmp);
        let checksum: f64 = kernel.value.data().iter().map(|&w| f64::from(w)).sum();
        println!(
            "{name:28} {:8.1} µs/apply  (min {:8.1})  checksum {checksum:.6e}",
            times[reps / 2] * 1e6,
            times[0] * 1e6
        );
    }
}
