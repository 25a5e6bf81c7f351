//! The classic MLP on MNIST-10k: 784-256-128-10 (relu, relu, softmax), Adam, batch 128, 10 epochs,
//! trained on the 8,000 training digits and tested on the 2,000 test digits in `data/`.
//!
//! Test accuracy after 10 epochs varies with the seed by about ±0.3 points (as it does in Keras),
//! so the example trains with five seeds and reports each and their mean.
//!
//! Run: `cargo run --release --example mnist_mlp [SEEDS]` (default 5).

use std::path::Path;
use std::time::Instant;

use wxb::data::mnist::Mnist;
use wxb::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seeds: u64 = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(5);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let m = Mnist::load_dir(&dir)?;
    println!("MNIST-10k: {} training and {} test digits", m.train_images.rows(), m.test_images.rows());
    let mut accuracies = Vec::new();
    for seed in 0..seeds {
        let mut model = Sequential::new(&[784]).seed(seed);
        model.add(Dense::new(256).activation(Activation::Relu));
        model.add(Dense::new(128).activation(Activation::Relu));
        model.add(Dense::new(10).activation(Activation::Softmax));
        model.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
        let start = Instant::now();
        let options = FitOptions { epochs: 10, batch_size: 128, ..FitOptions::default() };
        let history = model.fit(&m.train_images, &m.train_labels, &options, &mut [])?;
        let seconds = start.elapsed().as_secs_f64();
        let test = model.evaluate(&m.test_images, &m.test_labels, 256)?;
        println!(
            "seed {seed}: train accuracy {:.4}, test accuracy {:.4} (loss {:.4}), {:.0} samples/s",
            history.last("accuracy").unwrap_or(f64::NAN),
            test["accuracy"],
            test["loss"],
            10.0 * m.train_images.rows() as f64 / seconds
        );
        accuracies.push(test["accuracy"]);
    }
    let mean = accuracies.iter().sum::<f64>() / accuracies.len().max(1) as f64;
    println!("mean test accuracy over {} seeds: {:.4}", accuracies.len(), mean);
    Ok(())
}
