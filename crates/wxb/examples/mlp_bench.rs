//! wxb's side of `bench/compare.sh`: the MNIST-10k MLP (784-256-128-10, relu, relu, softmax, Adam,
//! sparse categorical crossentropy) trained at each batch size for the same epochs as PyTorch in
//! `bench/peers.py`, then inference at batch 1 and 8192. Prints one JSON object:
//!
//! - `train.{batch}.samples_per_s`: the median epoch's training samples per second;
//! - `train.{batch}.test_accuracy`: accuracy on the 2,000 test digits after the last epoch;
//! - `inference.latency_us_batch1`: the median time of `predict` on one sample;
//! - `inference.samples_per_s_batch8192`: the median throughput of `predict` on 8,192 samples;
//! - `mnist_load_ms`: the fastest of five loads of the bundled MNIST-10k files;
//! - `fma_peak_gflops`: the machine's f32 multiply-add peak on the threads used, measured in the
//!   same run ([`wxb::tensor::fma_peak_gflops`]).
//!
//! Threads: rayon's (`RAYON_NUM_THREADS`, or `--threads N`).
//!
//! `--model convnet` measures Keras' simple MNIST convnet instead (`examples/mnist_convnet.json`,
//! the digits as `(28, 28, 1)` images; `bench/peers.py --model convnet` is PyTorch's side).
//!
//! Run: `cargo run --release --example mlp_bench -- [--model mlp|convnet] [--threads N] [--epochs E] [--batches 128,32] [--seed S] [--inference on|off]`

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use wxb::data::mnist::Mnist;
use wxb::prelude::*;

/// Records the wall time of each epoch.
#[derive(Default)]
struct EpochTimer {
    start: Option<Instant>,
    seconds: Vec<f64>,
}

impl Callback for EpochTimer {
    fn on_epoch_begin(&mut self, _model: &mut Sequential, _epoch: usize) {
        self.start = Some(Instant::now());
    }

    fn on_epoch_end(&mut self, _model: &mut Sequential, _epoch: usize, _logs: &Logs) {
        if let Some(start) = self.start.take() {
            self.seconds.push(start.elapsed().as_secs_f64());
        }
    }
}

/// The model measured, and the shape of one sample it takes.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Mlp,
    Convnet,
}

impl Kind {
    fn sample_shape(self) -> &'static [usize] {
        match self {
            Kind::Mlp => &[784],
            Kind::Convnet => &[28, 28, 1],
        }
    }

    /// The compiled model: Adam, sparse categorical crossentropy, accuracy.
    fn build(self, seed: u64) -> Result<Sequential, Box<dyn std::error::Error>> {
        let mut model = match self {
            Kind::Mlp => {
                let mut model = Sequential::new(&[784]).seed(seed);
                model.add(Dense::new(256).activation(Activation::Relu));
                model.add(Dense::new(128).activation(Activation::Relu));
                model.add(Dense::new(10).activation(Activation::Softmax));
                model
            }
            Kind::Convnet => {
                let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/mnist_convnet.json");
                let configs = wxb::layers::parse_spec(&std::fs::read(spec)?)?;
                Sequential::from_configs(self.sample_shape(), seed, &configs, wxb::model::MAX_PARAMS)?
            }
        };
        model.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
        Ok(model)
    }

    /// `x: [n, 784]` as this model's samples.
    fn shaped(self, x: &Tensor) -> Tensor {
        let shape: Vec<usize> = std::iter::once(x.rows()).chain(self.sample_shape().iter().copied()).collect();
        x.clone().reshape(&shape)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Args {
    model: Kind,
    threads: Option<usize>,
    epochs: usize,
    batches: Vec<usize>,
    seed: u64,
    /// Whether to measure inference (`--inference off` times training only, for profiling it).
    inference: bool,
}

fn args() -> Result<Args, Box<dyn std::error::Error>> {
    let mut a = Args { model: Kind::Mlp, threads: None, epochs: 10, batches: vec![128, 32], seed: 0, inference: true };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--model" => {
                a.model = match value.as_str() {
                    "mlp" => Kind::Mlp,
                    "convnet" => Kind::Convnet,
                    _ => return Err(format!("--model {value}: mlp or convnet").into()),
                }
            }
            "--threads" => a.threads = Some(value.parse()?),
            "--epochs" => a.epochs = value.parse()?,
            "--batches" => a.batches = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--seed" => a.seed = value.parse()?,
            "--inference" => {
                a.inference = match value.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(format!("--inference {value}: on or off").into()),
                }
            }
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    Ok(a)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    if let Some(n) = a.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let mut load_ms = f64::INFINITY;
    let mut m = None;
    for _ in 0..5 {
        let start = Instant::now();
        m = Some(Mnist::load_dir(&dir)?);
        load_ms = load_ms.min(start.elapsed().as_secs_f64() * 1e3);
    }
    let m = m.expect("loaded");
    let (images, test_images) = (a.model.shaped(&m.train_images), a.model.shaped(&m.test_images));
    let mut train = serde_json::Map::new();
    for &batch in &a.batches {
        let mut model = a.model.build(a.seed)?;
        let mut timer = EpochTimer::default();
        let options = FitOptions { epochs: a.epochs, batch_size: batch, ..FitOptions::default() };
        model.fit(&images, &m.train_labels, &options, &mut [&mut timer])?;
        let test = model.evaluate(&test_images, &m.test_labels, 1024)?;
        let n = images.rows() as f64;
        let rate = median(timer.seconds.iter().map(|s| n / s).collect());
        train.insert(
            batch.to_string(),
            json!({"samples_per_s": rate, "epochs": a.epochs, "test_accuracy": test["accuracy"]}),
        );
    }
    let out = json!({
        "name": "wxb",
        "model": match a.model { Kind::Mlp => "mlp", Kind::Convnet => "convnet" },
        "version": env!("CARGO_PKG_VERSION"),
        "threads": rayon::current_num_threads(),
        "train": train,
        "inference": if a.inference { inference(a.model, &images, a.seed)? } else { json!(null) },
        "mnist_load_ms": load_ms,
        // The machine's f32 FMA peak, measured in the same run, to quote figures against.
        "fma_peak_gflops": wxb::tensor::fma_peak_gflops(rayon::current_num_threads(), Duration::from_millis(300)),
    });
    println!("{out}");
    Ok(())
}

/// Latency of one sample and throughput at batch 8192 (the training digits repeated).
fn inference(kind: Kind, images: &Tensor, seed: u64) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let model = kind.build(seed)?;
    let one = images.slice_rows(0, 1);
    let rows: Vec<usize> = (0..8192).map(|i| i % images.rows()).collect();
    let big = images.gather_rows(&rows);
    for _ in 0..200 {
        model.predict(&one, 1)?;
    }
    let mut times = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let start = Instant::now();
        std::hint::black_box(model.predict(&one, 1)?);
        times.push(start.elapsed().as_secs_f64());
    }
    let latency = median(times);
    for _ in 0..3 {
        model.predict(&big, 8192)?;
    }
    let mut rates = Vec::new();
    let until = Instant::now() + Duration::from_millis(500);
    while rates.len() < 15 || Instant::now() < until {
        let start = Instant::now();
        std::hint::black_box(model.predict(&big, 8192)?);
        rates.push(8192.0 / start.elapsed().as_secs_f64());
    }
    Ok(json!({"latency_us_batch1": latency * 1e6, "samples_per_s_batch8192": median(rates)}))
}
