//! CSV reading throughput on a numeric table (`cargo bench -p wxb-bench --bench csv`): 50,000 rows of
//! 16 features written like `{:.6}` floats and an integer class label, about 9 MB.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::fmt::Write;
use std::hint::black_box;
use wxb::data::csv::{self, CsvOptions};

fn table() -> String {
    let mut s: String = (0..16).map(|j| format!("f{j},")).collect();
    s.push_str("label\n");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..50_000 {
        for _ in 0..16 {
            // xorshift: values in [-50, 50).
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = (x >> 11) as f64 / (1u64 << 53) as f64 * 100.0 - 50.0;
            write!(s, "{v:.6},").unwrap();
        }
        writeln!(s, "{}", i % 10).unwrap();
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = table();
    let mut g = c.benchmark_group("csv");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("numeric_50k_x_16", |b| {
        b.iter(|| csv::from_reader(black_box(text.as_bytes()), "bench.csv", &CsvOptions::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
