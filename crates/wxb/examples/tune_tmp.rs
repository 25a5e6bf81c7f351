use std::path::Path;
use wxb::data::mnist::Mnist;
use wxb::prelude::*;

fn cpu() -> f64 {
    let mut t = libc_timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { clock_gettime(3, &mut t) }; // CLOCK_THREAD_CPUTIME_ID
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}
#[repr(C)]
struct libc_timespec {
    tv_sec: i64,
    tv_nsec: i64,
}
unsafe extern "C" {
    fn clock_gettime(clk: i32, t: *mut libc_timespec) -> i32;
}

fn mlp() -> Sequential {
    let mut model = Sequential::new(&[784]).seed(0);
    model.add(Dense::new(256).activation(Activation::Relu));
    model.add(Dense::new(128).activation(Activation::Relu));
    model.add(Dense::new(10).activation(Activation::Softmax));
    model.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
    model
}

fn main() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    pool.install(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let m = Mnist::load_dir(&dir).unwrap();
        for batch in std::env::var("BATCHES").unwrap_or("128,32".into()).split(',').map(|b| b.parse::<usize>().unwrap())
        {
            let mut model = mlp();
            let o = FitOptions { epochs: 1, batch_size: batch, ..FitOptions::default() };
            model.fit(&m.train_images, &m.train_labels, &o, &mut []).unwrap();
            let mut best = f64::MAX;
            for _ in 0..3 {
                let t = cpu();
                model.fit(&m.train_images, &m.train_labels, &o, &mut []).unwrap();
                best = best.min(cpu() - t);
            }
            let flops = 2.0 * 8000.0 * (784.0 * 256.0 * 2.0 + 256.0 * 128.0 * 3.0 + 128.0 * 10.0 * 3.0);
            println!(
                "batch {batch}: {:.0} samples per CPU-s, GEMM {:.1} GFLOP per CPU-s",
                8000.0 / best,
                flops / best / 1e9
            );
        }
        if std::env::var("ONLY_TRAIN").is_ok() {
            return;
        }
        let mut model = mlp();
        let one = m.train_images.slice_rows(0, 1);
        for _ in 0..1000 {
            model.predict(&one, 1).unwrap();
        }
        let t = cpu();
        for _ in 0..20000 {
            std::hint::black_box(model.predict(&one, 1).unwrap());
        }
        println!("batch 1: {:.2} us CPU", (cpu() - t) / 20000.0 * 1e6);
        let rows: Vec<usize> = (0..8192).map(|i| i % 8000).collect();
        let big = m.train_images.gather_rows(&rows);
        for _ in 0..3 {
            model.predict(&big, 8192).unwrap();
        }
        let t = cpu();
        for _ in 0..10 {
            std::hint::black_box(model.predict(&big, 8192).unwrap());
        }
        println!("batch 8192: {:.0} samples per CPU-s", 81920.0 / (cpu() - t));
    });
}
