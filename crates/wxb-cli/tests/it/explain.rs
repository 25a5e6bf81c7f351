//! `wxb explain`, `wxb train --trace` and `wxb demo linear`, run as a user runs them.

use std::path::Path;
use std::process::{Command, Output};

fn wxb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wxb")).args(args).output().expect("wxb runs")
}

fn ok(args: &[&str]) -> String {
    let out = wxb(args);
    assert!(out.status.success(), "wxb {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The one-line error of a command that must fail with status 2.
fn fails(args: &[&str]) -> String {
    let out = wxb(args);
    assert_eq!(out.status.code(), Some(2), "wxb {args:?}: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

/// A fresh folder of its own (two runs of the tests at once never share one), removed when the
/// guard drops.
fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("wxb-explain-{name}-")).tempdir().unwrap()
}

/// Three classes of flowers in four named features, a deterministic pseudo-random scatter.
fn flowers(path: &Path) {
    let mut s = String::from("sepal_length,sepal_width,petal_length,petal_width,species\n");
    let mut state = 12345u64;
    let mut noise = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5
    };
    for i in 0..90 {
        let (c, name) = [(0.0, "setosa"), (1.0, "versicolor"), (2.0, "virginica")][i % 3];
        let v = [5.0 + c * 0.8, 3.4 - c * 0.3, 1.5 + c * 2.0, 0.2 + c * 0.9].map(|m| m + noise());
        s.push_str(&format!("{:.2},{:.2},{:.2},{:.2},{name}\n", v[0], v[1], v[2], v[3]));
    }
    std::fs::write(path, s).unwrap();
}

fn trained(name: &str, extra: &[&str]) -> (tempfile::TempDir, String, String) {
    let d = dir(name);
    let (data, model) = (d.path().join("flowers.csv"), d.path().join("model"));
    flowers(&data);
    let (data, model) = (data.to_str().unwrap().to_string(), model.to_str().unwrap().to_string());
    let mut args = vec!["train", "--data", &data, "--layers", "6,5", "--epochs", "4", "--standardize", "--out", &model];
    args.extend_from_slice(&["--verbose", "0"]);
    args.extend_from_slice(extra);
    ok(&args);
    (d, data, model)
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path).map(|b| b.len() > 2000 && b.starts_with(b"\x89PNG")).unwrap_or(false)
}

#[test]
fn explain_agrees_with_predict_row_by_row() {
    let (d, data, model) = trained("agree", &[]);
    let d = d.path();
    let pred = d.join("pred.csv");
    ok(&["predict", "--model", &model, "--data", &data, "--out", pred.to_str().unwrap()]);
    let pred = std::fs::read_to_string(pred).unwrap();
    let rows: Vec<Vec<String>> = pred.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    for row in [0usize, 31, 89] {
        let json = ok(&["explain", "--model", &model, "--data", &data, "--row", &row.to_string(), "--json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["row"], row);
        assert_eq!(v["output"]["prediction"]["name"], rows[row][0].as_str());
        for (k, p) in rows[row][1..].iter().enumerate() {
            let ours = v["output"]["values"][k].as_f64().unwrap();
            let theirs: f64 = p.parse().unwrap();
            assert!((ours - theirs).abs() < 1e-6, "row {row} class {k}: explain {ours} vs predict {theirs}");
        }
        // Every layer shows its neurons; the output layer the predicted class's.
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 3);
        let out = &layers[2]["step"]["neurons"][0];
        assert_eq!(out["class"], rows[row][0].as_str());
        let dot = out["dot"].as_f64().unwrap();
        let z = out["z"].as_f64().unwrap();
        assert!((dot + out["bias"].as_f64().unwrap() - z).abs() < 1e-12);
    }
}

#[test]
fn explain_prints_the_formula_with_feature_names_and_draws_it() {
    let (d, data, model) = trained("text", &[]);
    let d = d.path();
    let png = d.join("explain.png");
    let text = ok(&[
        "explain",
        "--model",
        &model,
        "--data",
        &data,
        "--row",
        "4",
        "--top",
        "2",
        "--draw",
        png.to_str().unwrap(),
    ]);
    for needle in
        ["z = x·w + b = ", "cos(x, w) = x·w/(|x|·|w|) = ", "a = relu(", "other terms, summed", "Prediction: class"]
    {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert!(text.contains("max |difference| over the 3 outputs"), "{text}");
    let names = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    assert!(text.lines().any(|l| names.iter().any(|n| l.trim_start().starts_with(n))), "no feature names:\n{text}");
    assert!(is_png(&png));
    // One layer, one neuron.
    let one = ok(&["explain", "--model", &model, "--data", &data, "--row", "4", "--layer", "dense_1", "--neuron", "3"]);
    assert!(one.contains("neuron dense_1[3]") && !one.contains("── layer 0"), "{one}");
}

#[test]
fn explain_refuses_rows_layers_and_neurons_that_do_not_exist() {
    let (_d, data, model) = trained("errors", &[]);
    let explain = |extra: &[&str]| {
        let mut args = vec!["explain", "--model", model.as_str(), "--data", data.as_str()];
        args.extend_from_slice(extra);
        fails(&args)
    };
    assert!(explain(&["--row", "90"]).contains("has 90 rows (0..=89)"));
    assert!(explain(&["--row", "0", "--layer", "3"]).contains("0 dense, 1 dense_1, 2 dense_2"));
    assert!(explain(&["--row", "0", "--layer", "2", "--neuron", "3"]).contains("has 3 neurons (0..=2)"));
}

#[test]
fn explain_draws_image_weights_for_digits() {
    let guard = dir("digits");
    let d = guard.path();
    let model = d.join("model");
    ok(&["train", "--layers", "16", "--epochs", "1", "--verbose", "0", "--out", model.to_str().unwrap()]);
    let images = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k-test-images-idx3-ubyte.gz");
    let png = d.join("digit.png");
    let text = ok(&[
        "explain",
        "--model",
        model.to_str().unwrap(),
        "--data",
        images,
        "--row",
        "0",
        "--draw",
        png.to_str().unwrap(),
    ]);
    assert!(text.contains("pixel[") && text.contains("784 inputs"), "{text}");
    assert!(is_png(&png));
}

#[test]
fn trace_follows_a_weight_and_ends_on_the_saved_value() {
    let (_d, _, model) = trained("trace", &["--trace", "1:2:4", "--optimizer", "adam"]);
    let csv = std::fs::read_to_string(Path::new(&model).join("trace.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "epoch,batch,step,lr,w_before,g,momentum_before,momentum_after,velocity_before,velocity_after,delta_w,w_after"
    );
    let rows: Vec<Vec<f32>> = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 4 * 3, "4 epochs of 90/32 → 3 batches");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[2], (i + 1) as f32);
        if i > 0 {
            assert_eq!(r[4], rows[i - 1][11], "each step starts where the last ended");
        }
    }
    let saved = wxb::io::load(Path::new(&model)).unwrap().model;
    let kernel = saved.get_weights()[2].clone();
    assert_eq!(kernel.at(&[2, 4]), rows.last().unwrap()[11], "the last traced value is the saved weight");
    assert!(is_png(&Path::new(&model).join("trace.png")));
}

#[test]
fn trace_prints_each_rules_formula_with_numbers() {
    for (optimizer, needle) in [
        ("sgd", "w ← w − lr·g = "),
        ("adam", "α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) = 0.001·√(1 − 0.999^"),
        ("rmsprop", "v ← ρ·v + (1 − ρ)·g² = 0.9·"),
        ("nadam", "m̂ = μₜ₊₁·m/(1 − Π·μₜ₊₁)"),
    ] {
        let guard = dir(&format!("formula-{optimizer}"));
        let d = guard.path();
        let data = d.join("flowers.csv");
        flowers(&data);
        let out = ok(&[
            "train",
            "--data",
            data.to_str().unwrap(),
            "--layers",
            "4",
            "--epochs",
            "2",
            "--verbose",
            "0",
            "--optimizer",
            optimizer,
            "--out",
            d.join("m").to_str().unwrap(),
            "--trace",
            "0:bias:1",
        ]);
        assert!(out.contains("trace dense/bias[1]") && out.contains(needle), "{optimizer}: {needle:?} missing:\n{out}");
        assert_eq!(out.matches("the epoch's last").count(), 2, "one formula per epoch:\n{out}");
    }
}

#[test]
fn bad_trace_specs_name_the_valid_ranges() {
    let guard = dir("bad-trace");
    let d = guard.path();
    let data = d.join("flowers.csv");
    flowers(&data);
    let train = |spec: &str| {
        let out = d.join("m");
        fails(&[
            "train",
            "--data",
            data.to_str().unwrap(),
            "--layers",
            "6",
            "--out",
            out.to_str().unwrap(),
            "--trace",
            spec,
        ])
    };
    assert!(train("0:4:0").contains("ROW in 0..=3 and COL in 0..=5"));
    assert!(train("0:bias:6").contains("BIAS in 0..=5"));
    assert!(train("5:0:0").contains("0 dense, 1 dense_1"));
    assert!(train("dense").contains("LAYER:ROW:COL"));
    assert!(!d.join("m").exists(), "nothing is written when the spec is wrong");
}

#[test]
fn demo_linear_learns_the_least_squares_line() {
    let guard = dir("demo");
    let d = guard.path();
    let png = d.join("line.png");
    let out = ok(&[
        "demo",
        "linear",
        "--m",
        "-1.5",
        "--b",
        "4",
        "--n",
        "60",
        "--epochs",
        "400",
        "--out",
        png.to_str().unwrap(),
    ]);
    let row = |name: &str| -> Vec<f64> {
        let line = out.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} missing:\n{out}"));
        line[name.len()..].split_whitespace().take(2).map(|v| v.parse().unwrap()).collect()
    };
    let (ls, learned) = (row("least squares"), row("learned (neuron)"));
    assert!((ls[0] - learned[0]).abs() < 1e-3 && (ls[1] - learned[1]).abs() < 1e-3, "{out}");
    assert!((ls[0] + 1.5).abs() < 0.2 && (ls[1] - 4.0).abs() < 0.2, "{out}");
    assert!(is_png(&png));
    assert!(fails(&["demo", "linear", "--n", "1", "--out", png.to_str().unwrap()]).contains("at least 2 points"));
}
