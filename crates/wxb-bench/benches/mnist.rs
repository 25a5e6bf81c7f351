//! Loading the bundled MNIST-10k (`cargo bench -p wxb-bench --bench mnist`): the four gzip-compressed IDX
//! files of `data/` read, decompressed and scaled to `[0, 1]` floats (10,000 images of 784 pixels).

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use wxb::data::mnist::Mnist;

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    c.bench_function("mnist/load_dir", |b| b.iter(|| Mnist::load_dir(&dir).unwrap()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
