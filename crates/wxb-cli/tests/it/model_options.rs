//! The model `wxb train` builds: `--layers` (empty: logistic or linear regression), `--dropout`,
//! `--batch-norm`, `--spec model.json`; and `wxb summary`.

use crate::common;

use common::*;
use serde_json::json;

fn layer_classes(model: &std::path::Path) -> Vec<String> {
    let cfg = config(model);
    cfg["model"]["config"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["class_name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn empty_layers_give_logistic_and_linear_regression() {
    let d = dir_with("cls.csv", blobs_csv(30, 1));
    let p = d.path();
    write(p, "reg.csv", regression_csv(30, 1));
    // `--layers ""`, and `--layers` with no value before another flag.
    ok(p, &["train", "--data", "cls.csv", "--layers", "", "--epochs", "1", "--verbose", "0", "--out", "logistic"]);
    ok(p, &["train", "--data", "reg.csv", "--layers", "--epochs", "1", "--verbose", "0", "--out", "linear"]);
    for (m, units, activation) in [("logistic", 3, "softmax"), ("linear", 1, "linear")] {
        let cfg = config(&p.join(m));
        let layers = cfg["model"]["config"]["layers"].as_array().unwrap().clone();
        assert_eq!(layers.len(), 1, "{m}");
        assert_eq!(layers[0]["class_name"], json!("Dense"));
        assert_eq!(layers[0]["config"]["units"], json!(units));
        assert_eq!(layers[0]["config"]["activation"], json!(activation));
        let w = tensors(&p.join(m).join("model.safetensors"));
        assert_eq!(w["layers.0.kernel"].0, [if m == "logistic" { 3 } else { 2 }, units]);
    }
}

#[test]
fn dropout_and_batch_norm_follow_each_hidden_layer() {
    let d = dir_with("train.csv", blobs_csv(30, 1));
    let p = d.path();
    ok(
        p,
        &[
            "train",
            "--data",
            "train.csv",
            "--layers",
            "8,4",
            "--dropout",
            "0.2",
            "--batch-norm",
            "--activation",
            "tanh",
            "--epochs",
            "2",
            "--verbose",
            "0",
            "--out",
            "m",
        ],
    );
    let m = p.join("m");
    let hidden = ["Dense", "BatchNormalization", "Activation", "Dropout"];
    let want: Vec<&str> = hidden.iter().chain(&hidden).chain(&["Dense"]).copied().collect();
    assert_eq!(layer_classes(&m), want);
    let cfg = config(&m);
    let layers = &cfg["model"]["config"]["layers"];
    assert_eq!(layers[3]["config"]["rate"].as_f64().map(|r| r as f32), Some(0.2));
    assert_eq!(layers[2]["config"]["activation"], json!("tanh"));
    let w = tensors(&m.join("model.safetensors"));
    assert_eq!(w["layers.1.moving_variance"].0, [8]);
    let summary = ok(p, &["summary", "--model", "m"]).stdout;
    assert!(summary.contains("│ batch_normalization ") && summary.contains("│ (BatchNormalization) "), "{summary}");
    assert!(summary.contains("│ dropout (Dropout)"), "{summary}");
    // Moving means and variances: 2 × (8 + 4).
    assert!(summary.contains(" Non-trainable params: 24 (96.00 B)"), "{summary}");
}

#[test]
fn a_spec_file_describes_the_layers_like_keras() {
    let d = dir_with("train.csv", blobs_csv(30, 1));
    let p = d.path();
    let layers = json!([
        {"class_name": "Dense", "config": {"units": 8, "activation": "tanh", "kernel_initializer": "he_normal",
            "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}}},
        {"class_name": "Dropout", "config": {"rate": 0.25}},
        {"class_name": "Dense", "config": {"name": "out", "units": 3, "activation": "softmax"}}
    ]);
    write(p, "list.json", layers.to_string());
    write(p, "object.json", json!({"layers": layers}).to_string());
    let train = ["train", "--data", "train.csv", "--epochs", "2", "--verbose", "0"];
    ok(p, &[&train[..], &["--spec", "list.json", "--out", "a"]].concat());
    ok(p, &[&train[..], &["--spec", "object.json", "--out", "b"]].concat());
    let w = |m: &str| tensors(&p.join(m).join("model.safetensors"));
    assert_eq!(w("a"), w("b"));
    assert_eq!(layer_classes(&p.join("a")), ["Dense", "Dropout", "Dense"]);
    let cfg = config(&p.join("a"));
    let first = &cfg["model"]["config"]["layers"][0]["config"];
    assert_eq!(first["units"], json!(8));
    assert_eq!(first["activation"], json!("tanh"));
    assert_eq!(first["kernel_initializer"], json!("he_normal"));
    assert_eq!(first["kernel_regularizer"]["class_name"], json!("L2"));
    assert_eq!(cfg["model"]["config"]["layers"][2]["config"]["name"], json!("out"));
    let summary = ok(p, &["summary", "--model", "a"]).stdout;
    assert!(summary.contains("│ out (Dense)"), "{summary}");
}

#[test]
fn losses_other_than_sparse_crossentropy_take_one_hot_classes() {
    let d = dir_with("train.csv", blobs_csv(60, 1));
    let p = d.path();
    let args = ["train", "--data", "train.csv", "--standardize", "--lr", "0.01", "--epochs", "10", "--verbose", "0"];
    ok(p, &[&args[..], &["--loss", "categorical_crossentropy", "--metrics", "accuracy,auc", "--out", "cce"]].concat());
    ok(p, &[&args[..], &["--loss", "mean_squared_error", "--out", "mse"]].concat());
    let out = ok(p, &["evaluate", "--model", "cce", "--data", "train.csv", "--json"]).stdout;
    assert!(out.starts_with("{\"loss\": ") && out.find("\"accuracy\"") < out.find("\"auc\""), "{out}");
    let e = json(&out);
    assert!(e["accuracy"].as_f64().unwrap() > 0.9 && e["auc"].as_f64().unwrap() > 0.9, "{out}");
    let e = json(&ok(p, &["evaluate", "--model", "mse", "--data", "train.csv", "--json"]).stdout);
    assert!(e["accuracy"].as_f64().unwrap() > 0.9, "{e}");
    ok(p, &["train", "--resume", "cce", "--data", "train.csv", "--epochs", "12", "--out", "cce", "--verbose", "0"]);
}

#[test]
fn summary_prints_kerass_table() {
    let d = dir_with("train.csv", blobs_csv(30, 1));
    let p = d.path();
    ok(p, &["train", "--data", "train.csv", "--layers", "4", "--epochs", "1", "--verbose", "0", "--out", "m"]);
    // Keras 3.15.1: keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
    // keras.layers.Dense(3, activation="softmax")]), compiled with Adam and fitted one epoch, then
    // model.summary().
    let keras = "\
Model: \"sequential\"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 4)              │            16 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 3)              │            15 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 95 (384.00 B)
 Trainable params: 31 (124.00 B)
 Non-trainable params: 0 (0.00 B)
 Optimizer params: 64 (260.00 B)
";
    assert_eq!(ok(p, &["summary", "--model", "m"]).stdout, keras);
}

#[test]
fn kerass_other_losses_train_by_name_and_are_saved_under_it() {
    let d = dir_with("train.csv", blobs_csv(60, 1));
    let p = d.path();
    write(p, "reg.csv", regression_csv(60, 1));
    let cases = [
        ("train.csv", "squared_hinge", "squared_hinge"),
        ("train.csv", "categorical_hinge", "categorical_hinge"),
        ("train.csv", "CosineSimilarity", "cosine_similarity"),
        ("train.csv", "binary_focal_crossentropy", "binary_focal_crossentropy"),
        ("train.csv", "categorical_focal_crossentropy", "categorical_focal_crossentropy"),
        ("reg.csv", "mape", "mean_absolute_percentage_error"),
        ("reg.csv", "msle", "mean_squared_logarithmic_error"),
    ];
    for (data, flag, name) in cases {
        let args = ["train", "--data", data, "--loss", flag, "--standardize", "--epochs", "2", "--verbose", "0"];
        ok(p, &[&args[..], &["--out", name]].concat());
        let saved = &config(&p.join(name))["compile"]["loss"];
        assert!(saved == &json!(name) || saved.get(name).is_some(), "{flag}: saved as {saved}");
        let e = json(&ok(p, &["evaluate", "--model", name, "--data", data, "--json"]).stdout);
        assert!(e["loss"].as_f64().is_some_and(f64::is_finite), "{flag}: {e}");
    }
}

#[test]
fn new_activations_and_an_activity_regularizer_in_a_spec() {
    let d = dir_with("train.csv", blobs_csv(60, 1));
    let p = d.path();
    let relu = json!({"relu": {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.0}});
    let layers = json!([
        {"class_name": "Dense", "config": {"units": 8, "activation": relu,
            "activity_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}}},
        {"class_name": "Dense", "config": {"units": 6, "activation": "glu"}},
        {"class_name": "Activation", "config": {"activation": "hard_swish"}},
        {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}
    ]);
    write(p, "spec.json", layers.to_string());
    let train = ["train", "--data", "train.csv", "--standardize", "--epochs", "3", "--verbose", "0"];
    ok(p, &[&train[..], &["--spec", "spec.json", "--out", "m"]].concat());
    let cfg = config(&p.join("m"));
    let saved = &cfg["model"]["config"]["layers"];
    assert_eq!(saved[0]["config"]["activation"], relu);
    assert_eq!(saved[0]["config"]["activity_regularizer"], json!({"class_name": "L2", "config": {"l2": 0.01}}));
    assert_eq!(saved[2]["config"]["activation"], json!("hard_silu"));
    // glu halves Dense(6)'s outputs: the Activation layer after it has 3.
    let summary = ok(p, &["summary", "--model", "m"]).stdout;
    assert!(summary.contains("│ dense_1 (Dense)                 │ (None, 3) "), "{summary}");
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "train.csv", "--json"]).stdout);
    assert!(e["loss"].as_f64().is_some_and(f64::is_finite), "{e}");
    // explain writes glu's gate and relu's options out.
    let text = ok(p, &["explain", "--model", "m", "--data", "train.csv", "--row", "0"]).stdout;
    assert!(text.contains("relu(") && text.contains("; negative_slope 0.1, max_value 6, threshold 0)"), "{text}");
    assert!(text.contains("·σ(z[") && text.contains(" + n/2]), n the layer's units"), "{text}");
    ok(p, &[&train[..], &["--layers", "6,4", "--activation", "relu6", "--out", "r6"]].concat());
    assert_eq!(config(&p.join("r6"))["model"]["config"]["layers"][0]["config"]["activation"], json!("relu6"));
    // An odd number of units cannot be split in two halves.
    let odd = json!([{"class_name": "Dense", "config": {"units": 5, "activation": "glu"}},
        {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]);
    write(p, "odd.json", odd.to_string());
    fails(p, &[&train[..], &["--spec", "odd.json", "--out", "odd"]].concat(), &["units", "glu", "even"]);
}
