//! `wxb explain --html`: one self-contained page holding, for each embedded row, the same
//! calculation `wxb explain --json` prints. (`html_browser.rs` clicks through it in Chromium.)

use crate::common;

use common::*;

/// The JSON of `wxb explain --json` for `row`, without the file names: the `Explanation` itself.
fn explanation(dir: &std::path::Path, row: usize) -> serde_json::Value {
    let out = ok(
        dir,
        &[
            "explain",
            "--model",
            "model",
            "--data",
            "train.csv",
            "--row",
            &row.to_string(),
            "--json",
            "--per-layer",
            "6",
        ],
    );
    let mut v = json(&out.stdout);
    let map = v.as_object_mut().unwrap();
    for k in ["model", "data", "row"] {
        map.remove(k);
    }
    v
}

#[test]
fn the_page_embeds_each_rows_json_and_loads_nothing() {
    let d = tempdir();
    let p = d.path();
    traced_model(p);
    assert!(p.join("model/trace.json").is_file(), "train --trace saves its steps for the page");
    let out = ok(
        p,
        &["explain", "--model", "model", "--data", "train.csv", "--html", "page.html", "--rows", "0-4,7", "--row", "3"],
    );
    assert!(out.stdout.starts_with("Wrote page.html (6 samples, "), "{}", out.stdout);
    let html = std::fs::read_to_string(p.join("page.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Nothing to fetch: no linked file, and a policy that forbids any request.
    for needle in ["<link", " src=", "url(", "@import", "https:"] {
        assert!(!html.contains(needle), "the page refers to {needle}");
    }
    assert!(html.contains("content=\"default-src 'none';"), "a Content-Security-Policy");
    // "http:" appears only as the SVG namespace, a name that is never fetched.
    assert_eq!(html.matches("http:").count(), html.matches("http://www.w3.org/2000/svg").count());

    let data = page_data(&html);
    let samples = data["samples"].as_array().unwrap();
    let rows: Vec<u64> = samples.iter().map(|s| s["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, [0, 1, 2, 3, 4, 7]);
    assert_eq!(data["first"], 3, "--row 3 is shown first");
    for s in samples {
        let row = s["row"].as_u64().unwrap() as usize;
        assert_eq!(s["explanation"], explanation(p, row), "row {row}: the page's calculation is --json's");
        assert_eq!(s["label"], ["red", "green", "blue"][row % 3], "the true label");
    }
    // The output layer is small: every class's neuron is traced (the rest in `extra`).
    let extra = samples[0]["extra"].as_array().unwrap();
    assert_eq!(extra.len(), 2, "3 classes, 1 chosen by the explanation: {extra:?}");
    assert_eq!(data["layers"][0]["dense"]["inputs"], 3);
    let history = &data["history"];
    assert_eq!(history["columns"][0], "epoch");
    assert_eq!(history["rows"].as_array().unwrap().len(), 3);
    let trace = &data["trace"];
    assert_eq!(trace["weight"], format!("{}/kernel[1, 2]", data["layers"][0]["name"].as_str().unwrap()));
    assert_eq!(trace["count"], 3, "3 epochs of one batch (30 rows, batch 32)");
    let step = &trace["steps"][0];
    assert!(step["rule"]["equations"].as_array().is_some_and(|e| !e.is_empty()), "{step}");
}

#[test]
fn the_mnist_mlp_page_of_100_digits_stays_under_5_mb() {
    let d = tempdir();
    let p = d.path();
    ok(p, &["train", "--epochs", "1", "--verbose", "0", "--out", "mnist"]);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/");
    let images = format!("{root}mnist-10k-test-images-idx3-ubyte.gz");
    let labels = format!("{root}mnist-10k-test-labels-idx1-ubyte.gz");
    ok(p, &["explain", "--model", "mnist", "--data", &images, "--labels", &labels, "--html", "digits.html"]);
    let html = std::fs::read_to_string(p.join("digits.html")).unwrap();
    assert!(html.len() < 5_000_000, "{} bytes", html.len());
    let data = page_data(&html);
    assert_eq!(data["samples"].as_array().unwrap().len(), 100, "the first 100 rows by default");
    assert_eq!(data["input"]["image"], serde_json::json!([28, 28]));
    let label = data["samples"][0]["label"].as_str().unwrap();
    assert!(label.len() == 1 && label.as_bytes()[0].is_ascii_digit(), "a digit: {label}");
    assert_eq!(data["layers"][1]["dense"]["inputs"], 784, "the first Dense kernel, for its weights as an image");
}

#[test]
fn bad_rows_fail_in_one_line() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    let base = ["explain", "--model", "model", "--data", "train.csv", "--html", "page.html"];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();
    fails(p, &with(&["--rows", "5-30"]), &["--rows 5-30", "row 30 is past the data's 30 rows"]);
    fails(p, &with(&["--rows", "a-3"]), &["--rows a-3", "\"a-3\" is not a row or a range"]);
    fails(p, &with(&["--rows", "0-9", "--row", "12"]), &["--row 12", "not among the embedded rows"]);
    fails(p, &with(&["--json"]), &["--json"]);
    fails(p, &with(&["--per-layer", "0"]), &["--per-layer 0"]);
}
