//! The dense layer's GEMMs (`cargo bench -p wxb-bench --bench dense`): forward `y = relu(x·W + b)` and
//! backward (`dW = xᵀ·dz`, `db`, `dx = dz·Wᵀ`) at the MNIST MLP's shapes and at 1024×1024×1024, on
//! 1 and 2 threads. Throughput is in floating-point operations (an FMA counts two), so criterion's
//! `Gelem/s` reads as GFLOP/s; a table at the end gives each as a share of the FMA-loop peak that
//! the bench measures first (`wxb::tensor::fma_peak_gflops`).

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use wxb::prelude::*;

/// (name, batch, inputs, units)
const SHAPES: [(&str, usize, usize, usize); 5] = [
    ("B128 784→256", 128, 784, 256),
    ("B128 256→128", 128, 256, 128),
    ("B128 128→10", 128, 128, 10),
    ("B32 784→256", 32, 784, 256),
    ("1024³", 1024, 1024, 1024),
];

fn tensor(rows: usize, cols: usize, seed: usize) -> Tensor {
    Tensor::from_vec(
        &[rows, cols],
        (0..rows * cols).map(|i| ((i * 7919 + seed) % 2000) as f32 / 1000.0 - 1.0).collect(),
    )
}

fn layer(inputs: usize, units: usize) -> Dense {
    let mut d = Dense::new(units).activation(Activation::Relu).named("dense");
    d.build(&[inputs], 0);
    d
}

fn bench(c: &mut Criterion, threads: usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a rayon pool");
    for (name, batch, inputs, units) in SHAPES {
        let macs = (batch * inputs * units) as u64;
        let x = tensor(batch, inputs, 1);
        let dy = tensor(batch, units, 2);
        let mut d = layer(inputs, units);
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        let mut s = Scratch::default();
        let mut g = c.benchmark_group(format!("dense/forward/{threads}t"));
        g.throughput(Throughput::Elements(2 * macs));
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            pool.install(|| b.iter(|| d.forward(&x, &mut y, Mode::Train, &mut s)))
        });
        g.finish();
        // The backward pass reads the forward pass' output (also when only it is benchmarked).
        pool.install(|| d.forward(&x, &mut y, Mode::Train, &mut s));
        let mut g = c.benchmark_group(format!("dense/backward/{threads}t"));
        g.throughput(Throughput::Elements(4 * macs));
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            pool.install(|| b.iter(|| d.backward(&x, &y, &dy, Some(&mut dx), &mut s)))
        });
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args()
}

fn main() {
    let peaks = [1, 2].map(|t| wxb::tensor::fma_peak_gflops(t, Duration::from_millis(500)));
    println!("FMA-loop peak: {:.0} GFLOP/s on 1 thread, {:.0} on 2", peaks[0], peaks[1]);
    let mut c = config();
    for threads in [1, 2] {
        bench(&mut c, threads);
    }
    c.final_summary();
    summary::print(&peaks, &SHAPES.map(|s| s.0));
}

/// Reads criterion's estimates back and prints GFLOP/s and % of the peak per shape.
mod summary {
    use std::path::PathBuf;

    fn criterion_dir() -> PathBuf {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
        target.join("criterion")
    }

    /// `(full id, GFLOP/s)` of every benchmark criterion has results for, from the mean time.
    fn results() -> Vec<(String, f64)> {
        let mut out = Vec::new();
        let mut dirs = vec![criterion_dir()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.ends_with("new/benchmark.json") {
                    let read = |name: &str| -> Option<serde_json::Value> {
                        serde_json::from_str(&std::fs::read_to_string(path.with_file_name(name)).ok()?).ok()
                    };
                    let (Some(bench), Some(est)) = (read("benchmark.json"), read("estimates.json")) else { continue };
                    let flop = bench["throughput"]["Elements"].as_f64();
                    let ns = est["mean"]["point_estimate"].as_f64();
                    if let (Some(id), Some(flop), Some(ns)) = (bench["full_id"].as_str(), flop, ns) {
                        out.push((id.to_string(), flop / ns));
                    }
                }
            }
        }
        out
    }

    pub fn print(peaks: &[f64; 2], shapes: &[&str]) {
        let results = results();
        let gflops = |group: &str, id: &str| {
            let full = format!("{group}/{id}");
            results.iter().find(|(r, _)| *r == full).map(|&(_, g)| g)
        };
        println!("\n| pass | shape | 1 thread GFLOP/s (% of peak) | 2 threads GFLOP/s (% of peak) |");
        println!("|---|---|---|---|");
        for pass in ["forward", "backward"] {
            for shape in shapes {
                let cell = |t: usize| match gflops(&format!("dense/{pass}/{t}t"), shape) {
                    Some(g) => format!("{g:.0} ({:.0} %)", 100.0 * g / peaks[t - 1]),
                    None => "–".into(),
                };
                println!("| {pass} | {shape} | {} | {} |", cell(1), cell(2));
            }
        }
    }
}
