//! What a command-line user expects (as of cargo and ripgrep): results on standard output,
//! progress and status on standard error, `--json` on every command that prints results, help
//! for a bare `wxb`, completions and a man page, and the bundled MNIST as the default data of a
//! model trained on it.

use crate::common;

use common::{blobs_csv, fails, json, ok, run, tempdir, write};

#[test]
fn bare_wxb_and_wxb_demo_print_the_whole_help() {
    let d = tempdir();
    for args in [&[][..], &["demo"][..]] {
        let r = run(d.path(), args);
        assert_eq!(r.code, 2, "wxb {args:?}");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains("Usage: wxb") && r.stderr.contains("Commands:"), "{}", r.stderr);
        assert!(r.stderr.lines().count() > 6, "laid out, not one line: {}", r.stderr);
    }
}

#[test]
fn training_prints_its_result_on_stdout_and_its_progress_on_stderr() {
    let d = tempdir();
    let p = d.path();
    write(p, "t.csv", blobs_csv(60, 1));
    let r = ok(p, &["train", "--data", "t.csv", "--epochs", "3", "--out", "m"]);
    assert_eq!(r.stdout.lines().count(), 1, "only the result: {}", r.stdout);
    assert!(r.stdout.starts_with("Saved model: epoch 3 - accuracy: "), "{}", r.stdout);
    for e in 1..=3 {
        assert_eq!(r.stderr.matches(&format!("Epoch {e}/3")).count(), 1, "Epoch {e} once:\n{}", r.stderr);
    }
    assert!(r.stderr.contains("classification: 3 classes") && r.stderr.contains("Saved the model to m/"));
    assert!(!r.stderr.contains('\x1b') && !r.stdout.contains('\x1b'), "no colors off a terminal");
    // --verbose 0: no progress, but the result and where the model went.
    let r = ok(p, &["train", "--data", "t.csv", "--epochs", "2", "--out", "m", "--verbose", "0"]);
    assert!(r.stdout.starts_with("Saved model: epoch 2"), "{}", r.stdout);
    assert!(!r.stderr.contains("Epoch") && r.stderr.contains("Saved the model to m/"), "{}", r.stderr);
    // --json: one object on stdout.
    let r = ok(p, &["train", "--data", "t.csv", "--epochs", "2", "--out", "m", "--json", "--verbose", "0"]);
    let j = json(&r.stdout);
    assert_eq!((j["model"].as_str(), j["epochs"].as_u64(), j["epoch"].as_u64()), (Some("m"), Some(2), Some(2)));
    assert!(j["logs"]["loss"].as_f64().is_some() && j["logs"]["accuracy"].as_f64().is_some(), "{j}");
}

#[test]
fn every_result_has_json() {
    let d = tempdir();
    let p = d.path();
    write(p, "t.csv", blobs_csv(30, 2));
    ok(p, &["train", "--data", "t.csv", "--epochs", "1", "--out", "m", "--verbose", "0"]);
    let s = json(&ok(p, &["summary", "--model", "m", "--json"]).stdout);
    assert_eq!(s["layers"].as_array().map(Vec::len), Some(3), "{s}");
    assert_eq!(s["layers"][2]["output_shape"], serde_json::json!([3]));
    let params: u64 = s["layers"].as_array().unwrap().iter().map(|l| l["params"].as_u64().unwrap()).sum();
    assert_eq!(s["trainable_params"].as_u64(), Some(params));
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "t.csv", "--json"]).stdout);
    assert!(e["loss"].as_f64().is_some());
    let lines = ok(p, &["predict", "--model", "m", "--data", "t.csv", "--json"]).stdout;
    let rows: Vec<serde_json::Value> = lines.lines().map(json).collect();
    assert_eq!(rows.len(), 30);
    let total: f64 = ["p_blue", "p_green", "p_red"].iter().map(|k| rows[0][*k].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-5 && rows[0]["prediction"].is_string(), "{}", rows[0]);
    // demo linear: the three lines as numbers; the learned one is the least-squares one.
    let d = json(&ok(p, &["demo", "linear", "--epochs", "300", "--json", "--out", "l.png"]).stdout);
    assert_eq!(d["true"], serde_json::json!({"m": 3.0, "b": 2.0}), "{d}");
    for k in ["m", "b"] {
        let (learned, ls) = (d["learned"][k].as_f64().unwrap(), d["least_squares"][k].as_f64().unwrap());
        assert!((learned - ls).abs() < 1e-4, "{k}: {learned} vs {ls}");
    }
}

#[test]
fn completions_and_the_man_page() {
    let d = tempdir();
    assert!(ok(d.path(), &["completions", "bash"]).stdout.contains("_wxb()"));
    assert!(ok(d.path(), &["completions", "zsh"]).stdout.starts_with("#compdef wxb"));
    assert!(ok(d.path(), &["completions", "fish"]).stdout.contains("complete -c wxb"));
    let man = ok(d.path(), &["man"]).stdout;
    assert!(man.contains(".TH wxb 1") && man.contains("train"), "{}", &man[..man.len().min(400)]);
    fails(d.path(), &["completions", "tcsh"], &["tcsh"]);
}

#[test]
fn help_shows_each_default_once() {
    let d = tempdir();
    let help = ok(d.path(), &["train", "--help"]).stdout;
    assert!(!help.contains("(default: 10) [default: 10]"), "{help}");
    assert!(help.contains("[default: 10]"));
}

#[test]
fn pictures_must_be_named_png() {
    let d = tempdir();
    let p = d.path();
    write(p, "t.csv", blobs_csv(30, 3));
    ok(p, &["train", "--data", "t.csv", "--epochs", "1", "--out", "m", "--verbose", "0"]);
    fails(p, &["explain", "--model", "m", "--data", "t.csv", "--row", "0", "--draw", "x.jpg"], &["x.jpg", "PNG"]);
    fails(p, &["demo", "linear", "--out", "line"], &["line", "png"]);
    // A model not trained on MNIST has no default data.
    fails(p, &["evaluate", "--model", "m"], &["--data FILE is required"]);
}

#[test]
fn a_model_trained_on_the_bundled_mnist_defaults_to_its_test_digits() {
    let d = tempdir();
    let p = d.path();
    ok(p, &["train", "--epochs", "1", "--layers", "8", "--out", "m", "--verbose", "0"]);
    let e = ok(p, &["evaluate", "--model", "m"]).stdout;
    assert!(e.starts_with("2000 samples - loss: "), "{e}");
    let predictions = ok(p, &["predict", "--model", "m"]).stdout;
    assert_eq!(predictions.lines().count(), 2001, "a header and the 2,000 test digits");
    let text = ok(p, &["explain", "--model", "m", "--row", "3", "--per-layer", "1"]).stdout;
    assert!(text.contains("the bundled MNIST test digits"), "{}", &text[..text.len().min(300)]);
    fails(p, &["evaluate", "--model", "m", "--labels", "y.npy"], &["--labels", "need --data"]);
}
