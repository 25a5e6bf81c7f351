//! Work bounded by the input: a spec of thousands of unnamed layers trains at once, memory beyond
//! the budget (`--memory-budget`, `WXB_MEMORY_BUDGET`, default 8 GiB) is refused before anything
//! is allocated or written, and size flags are bounded.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn dropouts_spec(n: usize) -> String {
    let dropout = r#"{"class_name": "Dropout", "config": {"rate": 0.1}}"#;
    let dense = r#"{"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}"#;
    format!("[{}{dense}]", format!("{dropout},").repeat(n))
}

#[test]
fn a_spec_of_5000_unnamed_layers_trains_in_seconds() {
    // Before: 150 s (cubic naming); now well under a second of naming.
    let dir = tempdir();
    let p = dir.path();
    write(p, "t.csv", blobs_csv(30, 1));
    write(p, "spec.json", dropouts_spec(5000));
    let start = Instant::now();
    ok(p, &["train", "--data", "t.csv", "--spec", "spec.json", "--epochs", "1", "--out", "m", "--verbose", "0"]);
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    let layers = config(&p.join("m"))["model"]["config"]["layers"].as_array().map(Vec::len);
    assert_eq!(layers, Some(5001));
}

#[test]
fn memory_beyond_the_budget_is_refused_before_allocating_or_writing() {
    let dir = tempdir();
    let p = dir.path();
    write(p, "t.csv", blobs_csv(30, 1));
    // 10⁸ units: 500 million weights pass MAX_PARAMS; with the activations of a batch of 30,
    // training needs about 80 GiB. Before: OOM-killed at 24 GB.
    let big =
        r#"[{"class_name": "Dense", "config": {"units": 100000000}}, {"class_name": "Dense", "config": {"units": 3}}]"#;
    write(p, "big.json", big);
    let start = Instant::now();
    let train = ["train", "--data", "t.csv", "--out", "m", "--verbose", "0", "--epochs", "1"];
    let parts =
        ["big.json: training in batches of 30", "GiB", "more than the memory budget of 8 GiB", "--memory-budget"];
    fails(p, &[&train[..], &["--spec", "big.json"]].concat(), &parts);
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    // A small budget, by flag or by environment, refuses a small model; a valid size lets it run.
    fails(p, &[&train[..], &["--memory-budget", "4KiB"]].concat(), &["more than the memory budget of 4 KiB"]);
    let out =
        Command::new(env!("CARGO_BIN_EXE_wxb")).args(train).current_dir(p).env("WXB_MEMORY_BUDGET", "4k").output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WXB_MEMORY_BUDGET"), "{out:?}");
    assert!(!p.join("m").exists());
    fails(p, &[&train[..], &["--memory-budget", "8XB"]].concat(), &["--memory-budget", "512MiB"]);
    ok(p, &[&train[..], &["--memory-budget", "64MiB"]].concat());
    // Prediction and evaluation check the saved model against the budget as well.
    let predict = ["predict", "--model", "m", "--data", "t.csv", "--out", "p.csv", "--memory-budget", "1KiB"];
    fails(p, &predict, &["prediction in batches of 30", "memory budget of 1 KiB", "--memory-budget"]);
    fails(p, &["evaluate", "--model", "m", "--data", "t.csv", "--memory-budget", "1KiB"], &["evaluation"]);
}

#[test]
fn demo_sizes_are_bounded() {
    // Before: `--n 1000000000000` aborted on allocation.
    let dir = tempdir();
    fails(dir.path(), &["demo", "linear", "--n", "1000000000000"], &["--n 1000000000000", "at most 1000000"]);
}
