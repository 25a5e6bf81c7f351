//! Images keep their shape: IDX images arrive as `(rows, cols, 1)` and NumPy arrays keep their
//! trailing shape, so a spec may begin with `Conv2D`; a spec beginning with `Dense` gets a
//! `Flatten` first (with a note); models saved flat by earlier versions still evaluate and predict.

use crate::common;

use common::*;
use serde_json::json;

const TRAIN: [&str; 7] = ["train", "--lr", "0.01", "--epochs", "15", "--verbose", "0"];

/// 60 4×4 byte images of three classes, as IDX files `img` and `lab`.
fn idx_digits(p: &std::path::Path) -> Vec<u8> {
    let (px, labels) = images(60, 1);
    write(p, "img", idx_u8(&[60, 4, 4], &px));
    write(p, "lab", idx_u8(&[60], &labels));
    labels
}

fn layer(class: &str, config: serde_json::Value) -> serde_json::Value {
    json!({"class_name": class, "config": config})
}

fn softmax(units: usize) -> serde_json::Value {
    layer("Dense", json!({"units": units, "activation": "softmax"}))
}

#[test]
fn a_spec_beginning_with_conv2d_takes_idx_images_as_they_are() {
    let d = tempdir();
    let p = d.path();
    let labels = idx_digits(p);
    let conv = layer("Conv2D", json!({"filters": 4, "kernel_size": 3, "activation": "relu"}));
    write(p, "conv.json", json!([conv, layer("Flatten", json!({})), softmax(3)]).to_string());
    ok(p, &[&TRAIN[..], &["--data", "img", "--labels", "lab", "--spec", "conv.json", "--out", "m"]].concat());
    let cfg = config(&p.join("m"));
    assert_eq!(cfg["model"]["config"]["input_shape"], json!([4, 4, 1]));
    assert_eq!(cfg["metadata"]["preprocessing"]["sample_shape"], json!([4, 4, 1]));
    assert_eq!(tensors(&p.join("m").join("model.safetensors"))["layers.0.kernel"].0, [3, 3, 1, 4]);

    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "img", "--labels", "lab", "--json"]).stdout);
    ok(p, &["predict", "--model", "m", "--data", "img", "--out", "p.csv"]);
    let (_, rows) = read_csv(&p.join("p.csv"));
    let right = rows.iter().zip(&labels).filter(|(r, l)| r[0] == l.to_string()).count();
    assert!(close(right as f64 / 60.0, e["accuracy"].as_f64().unwrap(), 1e-9), "predict agrees with evaluate");
    // One conv output explained from the flat row read for the model.
    let x = json(
        &ok(p, &["explain", "--model", "m", "--data", "img", "--row", "0", "--layer", "0", "--neuron", "5", "--json"])
            .stdout,
    );
    assert_eq!(x["layers"][0]["name"], json!("conv2d"), "{x}");
    // --draw draws the layer asked for (tests/it/explain_conv_draw.rs); a Flatten it refuses in one line.
    fails(
        p,
        &["explain", "--model", "m", "--data", "img", "--row", "0", "--layer", "1", "--draw", "c.png"],
        &["--draw draws a Dense, Conv2D or Conv1D layer, not layer 1 (flatten, Flatten)"],
    );
    assert!(!p.join("c.png").exists());
}

#[test]
fn a_spec_beginning_with_dense_gets_a_flatten_and_says_so() {
    let d = tempdir();
    let p = d.path();
    idx_digits(p);
    write(p, "mlp.json", json!([layer("Dense", json!({"units": 8, "activation": "relu"})), softmax(3)]).to_string());
    let out =
        ok(p, &["train", "--data", "img", "--labels", "lab", "--spec", "mlp.json", "--epochs", "1", "--out", "m"]);
    assert!(
        out.stderr.contains(
            "mlp.json: the samples are (4, 4, 1) arrays and the first layer is Dense: a Flatten layer was added before it"
        ),
        "{}",
        out.stderr
    );
    let layers = &config(&p.join("m"))["model"]["config"]["layers"];
    assert_eq!(layers[0]["class_name"], json!("Flatten"));
    assert_eq!(layers[1]["config"]["units"], json!(8));
    // A Dense layer after another first layer is the user's to flatten: one clear line.
    write(p, "late.json", json!([layer("Dropout", json!({"rate": 0.1})), softmax(3)]).to_string());
    fails(
        p,
        &["train", "--data", "img", "--labels", "lab", "--spec", "late.json", "--out", "late"],
        &["late.json: layer \"dense\"", "[4, 4, 1]", "add a Flatten layer first"],
    );
    assert!(!p.join("late").exists());
}

#[test]
fn npy_arrays_keep_their_trailing_shape() {
    let d = tempdir();
    let p = d.path();
    let rows = blobs(60, 5);
    // Each sample a 1×1 image of three channels, [60, 1, 1, 3].
    let x: Vec<f32> = rows.iter().flat_map(|(x, _)| x.map(|v| v as f32)).collect();
    let y: Vec<f32> =
        rows.iter().map(|(_, l)| ["red", "green", "blue"].iter().position(|c| c == l).unwrap() as f32).collect();
    write(p, "x.npy", npy(&[60, 1, 1, 3], x));
    write(p, "y.npy", npy(&[60], y));
    let conv = layer("Conv2D", json!({"filters": 8, "kernel_size": 1, "activation": "relu"}));
    write(p, "conv.json", json!([conv, layer("Flatten", json!({})), softmax(3)]).to_string());
    ok(p, &[&TRAIN[..], &["--data", "x.npy", "--labels", "y.npy", "--spec", "conv.json", "--out", "m"]].concat());
    assert_eq!(config(&p.join("m"))["metadata"]["preprocessing"]["sample_shape"], json!([1, 1, 3]));
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "x.npy", "--labels", "y.npy", "--json"]).stdout);
    assert!(e["accuracy"].as_f64().unwrap() >= 0.9, "{e}");
}

#[test]
fn a_model_saved_flat_by_an_earlier_version_still_evaluates_and_predicts() {
    let d = tempdir();
    let p = d.path();
    idx_digits(p);
    ok(p, &[&TRAIN[..], &["--data", "img", "--labels", "lab", "--layers", "8", "--out", "new"]].concat());
    // What an earlier wxb wrote: no sample shape, a model of 16 inputs (here still led by a Flatten,
    // which leaves [16] as it is).
    let mut cfg = config(&p.join("new"));
    cfg["metadata"]["preprocessing"].as_object_mut().unwrap().remove("sample_shape");
    cfg["model"]["config"]["input_shape"] = json!([16]);
    std::fs::create_dir(p.join("old")).unwrap();
    std::fs::copy(p.join("new/model.safetensors"), p.join("old/model.safetensors")).unwrap();
    write(p, "old/config.json", cfg.to_string());
    let evaluate = |m: &str| ok(p, &["evaluate", "--model", m, "--data", "img", "--labels", "lab", "--json"]).stdout;
    assert_eq!(evaluate("old"), evaluate("new"));
    ok(p, &["predict", "--model", "old", "--data", "img", "--out", "old.csv"]);
    ok(p, &["predict", "--model", "new", "--data", "img", "--out", "new.csv"]);
    assert_eq!(read_csv(&p.join("old.csv")), read_csv(&p.join("new.csv")));
    assert!(ok(p, &["summary", "--model", "old"]).stdout.contains("(None, 16)"));
}

#[test]
fn a_spec_beginning_with_reshape_works_too() {
    let d = tempdir();
    let p = d.path();
    idx_digits(p);
    let reshape = layer("Reshape", json!({"target_shape": [16]}));
    write(
        p,
        "flat.json",
        json!([reshape, layer("Dense", json!({"units": 8, "activation": "relu"})), softmax(3)]).to_string(),
    );
    let out = ok(p, &[&TRAIN[..], &["--data", "img", "--labels", "lab", "--spec", "flat.json", "--out", "m"]].concat());
    assert!(!out.said().contains("Flatten layer was added"), "used as written: {}", out.said());
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "img", "--labels", "lab", "--json"]).stdout);
    assert!(e["accuracy"].as_f64().unwrap() >= 0.9, "{e}");
}

#[test]
fn the_example_convnet_trains_on_digits_and_explains_a_conv_output() {
    let d = tempdir();
    let p = d.path();
    mnist_subset(p, 256);
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/mnist_convnet.json");
    let data = ["--data", "digits", "--labels", "digit-labels"];
    ok(p, &[&["train", "--spec", spec, "--epochs", "1", "--verbose", "0", "--out", "m"], &data[..]].concat());
    // Keras' "simple MNIST convnet" (keras.io/examples/vision/mnist_convnet), as Keras counts it.
    let summary = ok(p, &["summary", "--model", "m"]).stdout;
    for row in [
        "│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │",
        "│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │",
        "│ conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496 │",
        "│ max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0 │",
        "│ flatten (Flatten)               │ (None, 1600)           │             0 │",
        "│ dense (Dense)                   │ (None, 10)             │        16,010 │",
        " Trainable params: 34,826 (136.04 KB)",
    ] {
        assert!(summary.contains(row), "{row}\n{summary}");
    }
    // Filter 0 at output position (13, 13) of the first convolution: value (13·26 + 13)·32 + 0.
    let args = ["explain", "--model", "m", "--row", "0", "--layer", "0", "--neuron", "11232", "--json"];
    let x = json(&ok(p, &[&args[..], &data[..2]].concat()).stdout);
    let o = &x["layers"][0]["step"]["outputs"][0];
    assert_eq!((&o["name"], &o["position"], &o["filter"]), (&json!("conv2d[13,13,0]"), &json!([13, 13]), &json!(0)));
    let terms = o["terms"].as_array().unwrap();
    assert_eq!(terms.len(), 9, "a 3×3 patch of one channel");
    let dot: f64 = terms.iter().map(|t| t["x"].as_f64().unwrap() * t["w"].as_f64().unwrap()).sum();
    let f = |k: &str| o[k].as_f64().unwrap();
    assert!(close(dot, f("dot"), 1e-6) && close(f("dot") + f("bias"), f("z"), 1e-6), "{o}");
    assert!(close(f("output"), f("z").max(0.0), 1e-9), "relu: {o}");
    assert!(terms.iter().any(|t| t["x"].as_f64().unwrap() > 0.0), "the patch lies on the digit: {o}");
}
