//! Bad flag values and bad `--spec` files: one line, exit status 2, nothing written — checked
//! before any data is read or any file touched.

use crate::common;

use std::path::Path;

use common::*;
use serde_json::json;

/// `wxb train --data train.csv --out model FLAGS…` (over the existing model) must fail with `parts`.
fn train_fails(p: &Path, flags: &[&str], parts: &[&str]) {
    fails(p, &[&["train", "--data", "train.csv", "--out", "model"][..], flags].concat(), parts);
}

#[test]
fn bad_numbers() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    let cases: &[(&[&str], &str)] = &[
        (&["--lr", "-1"], "--lr -1: the learning rate must be a positive number"),
        (&["--lr", "0"], "--lr 0: the learning rate must be a positive number"),
        (&["--lr", "nan"], "--lr NaN: the learning rate must be a positive number"),
        (&["--lr", "fast"], "invalid value 'fast' for '--lr <RATE>': invalid float literal"),
        (&["--dropout", "1.5"], "--dropout 1.5: the rate must be in [0, 1)"),
        (&["--dropout", "1"], "--dropout 1: the rate must be in [0, 1)"),
        (&["--dropout", "-0.1"], "--dropout -0.1: the rate must be in [0, 1)"),
        (&["--layers", "0"], "--layers: \"0\" is not a positive number of units"),
        (&["--layers", "64,x"], "--layers: \"x\" is not a positive number of units"),
        (&["--layers", "-3"], "--layers: \"-3\" is not a positive number of units"),
        (&["--validation-split", "1"], "--validation-split 1: the fraction held out must be in [0, 1)"),
        (&["--validation-split", "-0.1"], "--validation-split -0.1: the fraction held out must be in [0, 1)"),
        (
            &["--validation-split", "0.99"],
            "validation_split = 0.99 (of 30 samples it leaves 0 for training and 30 for validation)",
        ),
        (&["--batch-size", "0"], "--batch-size 0: a batch needs at least one sample"),
        (&["--epochs", "0"], "--epochs 0: train for at least one epoch"),
        (&["--epochs", "-2"], "invalid value '-2' for '--epochs <EPOCHS>'"),
        (&["--clipnorm", "-1"], "--clipnorm -1: the norm must be a positive number"),
        (&["--verbose", "3"], "invalid value '3' for '--verbose <VERBOSE>' [possible values: 0, 1, 2]"),
        (&["--task", "guess"], "invalid value 'guess' for '--task <TASK>'"),
    ];
    for (flags, message) in cases {
        train_fails(p, flags, &[message]);
    }
    fails(
        p,
        &["--threads", "0", "train", "--data", "train.csv", "--out", "model"],
        &["--threads 0: need at least one thread"],
    );
    fails(p, &["--threads", "10000", "train", "--data", "train.csv", "--out", "model"], &["--threads 10000: at most "]);
    fails(
        p,
        &["evaluate", "--model", "model", "--data", "train.csv", "--batch-size", "0"],
        &["--batch-size 0: a batch needs at least one sample"],
    );
    fails(p, &["predict", "--model", "model", "--data", "train.csv", "--batch-size", "0"], &["--batch-size 0"]);
    fails(p, &["train", "--data", "train.csv", "--out", "train.csv"], &["--out train.csv: a file of that name exists"]);
}

#[test]
fn unknown_names() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    train_fails(
        p,
        &["--activation", "relux"],
        &["--activation: unknown activation \"relux\"; expected one of: linear, relu"],
    );
    train_fails(p, &["--optimizer", "adamm"], &["--optimizer: unknown optimizer \"adamm\"; expected one of: sgd"]);
    train_fails(p, &["--loss", "mse2"], &["--loss: unknown loss \"mse2\"; expected one of: mean_squared_error"]);
    train_fails(
        p,
        &["--metrics", "auc"],
        &["--metrics auc: with class indices as targets", "add --loss categorical_crossentropy"],
    );
    train_fails(p, &["--metrics", "accuracy,f1"], &["--metrics: unknown metric \"f1\"; expected one of: accuracy"]);
    fails(p, &["fit", "--data", "train.csv"], &["unrecognized subcommand 'fit'"]);
    fails(p, &["train", "--dta", "train.csv"], &["unexpected argument '--dta' found"]);
    fails(
        p,
        &["evaluate", "--data", "train.csv"],
        &["the following required arguments were not provided: --model <PATH>"],
    );
    fails(p, &["train", "--labels", "y.npy"], &["--labels, --target and --features need --data FILE"]);
    fails(p, &["evaluate", "--model", "model"], &["--data FILE is required"]);
}

#[test]
fn bad_spec_files() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    let dense = |units: usize| json!({"class_name": "Dense", "config": {"units": units, "activation": "softmax"}});
    write(p, "broken.json", "[{\"class_name\": \"Dense\",\n \"config\": {\"units\": 3,}}]");
    write(p, "unknown.json", json!([{"class_name": "LSTM", "config": {}}]).to_string());
    let conv = |class: &str, config: serde_json::Value| json!([{"class_name": class, "config": config}, dense(3)]);
    write(p, "flat.json", conv("Conv2D", json!({"filters": 4, "kernel_size": 3})).to_string());
    write(p, "stride.json", conv("Conv1D", json!({"filters": 4, "kernel_size": 3, "strides": 0})).to_string());
    write(p, "causal.json", conv("Conv2D", json!({"filters": 4, "kernel_size": 3, "padding": "causal"})).to_string());
    write(p, "rate.json", json!([{"class_name": "Dropout", "config": {"rate": 1.5}}, dense(3)]).to_string());
    write(p, "outputs.json", json!([dense(8), dense(5)]).to_string());
    write(p, "zero.json", json!([dense(0), dense(3)]).to_string());
    write(p, "empty.json", "[]");
    write(p, "object.json", "{\"layer\": []}");
    write(
        p,
        "twins.json",
        json!([{"class_name": "Dense", "config": {"name": "d", "units": 4}},
        {"class_name": "Dense", "config": {"name": "d", "units": 3}}])
        .to_string(),
    );
    write(
        p,
        "init.json",
        json!([{"class_name": "Dense", "config": {"units": 3, "bias_initializer": "orthogonal"}}]).to_string(),
    );
    let cases: &[(&str, &[&str])] = &[
        ("nope.json", &["nope.json", "No such file"]),
        ("broken.json", &["broken.json:2:", "invalid JSON", "trailing comma"]),
        ("unknown.json", &["unknown.json: invalid layer list: unknown variant `LSTM`"]),
        (
            "flat.json",
            &[
                "flat.json: layer \"conv2d\": invalid input_shape = [3]: Conv2D takes samples of shape [height, width, channels]",
            ],
        ),
        ("stride.json", &["stride.json: layer \"conv1d\": invalid strides = [0]: every value must be at least 1"]),
        (
            "causal.json",
            &["causal.json: layer \"conv2d\": invalid padding = causal: causal padding is only for Conv1D"],
        ),
        ("rate.json", &["rate.json: layer \"dropout\": invalid rate = 1.5: must be in [0, 1)"]),
        ("outputs.json", &["outputs.json: the last layer has 5 outputs, the data needs 3 (one per class)"]),
        ("zero.json", &["zero.json: layer \"dense\": invalid units = 0: must be at least 1"]),
        ("empty.json", &["empty.json: the layer list is empty"]),
        (
            "object.json",
            &[
                "object.json: invalid layer list: an object needs a \"layers\" key holding the list of layers (found keys: layer)",
            ],
        ),
        ("twins.json", &["twins.json: two layers are named \"d\": layer names must be unique"]),
        ("init.json", &["init.json: layer \"dense\": invalid bias_initializer = orthogonal: needs a 2-D weight"]),
    ];
    for (file, parts) in cases {
        train_fails(p, &["--spec", file], parts);
    }
    train_fails(
        p,
        &["--spec", "rate.json", "--layers", "3"],
        &["the argument '--spec <FILE>' cannot be used with '--layers"],
    );
}

/// Pooling and reshaping specs that do not fit the 3 features: one line naming the layer and the
/// shapes, exit 2, nothing written; one that fits trains and its summary shows Keras' shapes.
#[test]
fn pooling_specs_that_do_not_fit() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    let dense = json!({"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}});
    let layer = |class: &str, config: serde_json::Value| json!({"class_name": class, "config": config});
    let flat = layer("Flatten", json!({}));
    write(p, "pool.json", json!([layer("MaxPooling2D", json!({})), dense]).to_string());
    write(p, "reshape.json", json!([layer("Reshape", json!({"target_shape": [2, -1]})), dense]).to_string());
    let image = layer("Reshape", json!({"target_shape": [1, 3, 1]}));
    write(p, "window.json", json!([image, layer("MaxPooling2D", json!({"pool_size": 2})), flat, dense]).to_string());
    let cases: &[(&str, &[&str])] = &[
        (
            "pool.json",
            &[
                "pool.json: layer \"max_pooling2d\": invalid input_shape = [3] for MaxPooling2D: takes samples of shape [height, width, channels]",
            ],
        ),
        (
            "reshape.json",
            &[
                "reshape.json: layer \"reshape\": invalid target_shape = [2, -1] for samples of shape [3]: does not hold the input's number of values",
            ],
        ),
        (
            "window.json",
            &[
                "window.json: layer \"max_pooling2d\": invalid pool_size = [2, 2] for samples of shape [1, 3, 1] with padding valid: the pool window is larger than the input",
            ],
        ),
    ];
    for (file, parts) in cases {
        train_fails(p, &["--spec", file], parts);
    }
    let sequence = layer("Reshape", json!({"target_shape": [3, 1]}));
    let pool = layer("MaxPooling1D", json!({"pool_size": 2, "padding": "same"}));
    write(p, "fits.json", json!([sequence, pool, flat, dense]).to_string());
    let args =
        ["train", "--data", "train.csv", "--spec", "fits.json", "--epochs", "1", "--out", "pooled", "--verbose", "0"];
    ok(p, &args);
    let summary = ok(p, &["summary", "--model", "pooled"]).stdout;
    assert!(summary.contains("│ max_pooling1d (MaxPooling1D)    │ (None, 2, 1)"), "{summary}");
}

#[test]
fn predict_never_touches_its_out_file_on_error() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    write(p, "preds.csv", "previous predictions\n");
    write(p, "bad.csv", "a,b,c\n1,2\n");
    fails(
        p,
        &["predict", "--model", "model", "--data", "bad.csv", "--out", "preds.csv"],
        &["bad.csv:2: row has 2 fields"],
    );
    fails(
        p,
        &["predict", "--model", "model", "--data", "train.csv", "--out", "no/such/dir/p.csv"],
        &["no/such/dir/p.csv"],
    );
}

#[test]
#[cfg(unix)]
fn predict_out_never_names_the_data_or_a_file_of_the_model() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    std::os::unix::fs::symlink("train.csv", p.join("link.csv")).unwrap();
    std::fs::hard_link(p.join("model/config.json"), p.join("hard.json")).unwrap();
    let absolute = p.join("train.csv").display().to_string();
    let data = "the input data";
    let model = "a file of the model folder";
    let cases = [
        ("train.csv", data),
        ("./train.csv", data),
        (absolute.as_str(), data),
        ("link.csv", data),
        ("model/config.json", model),
        ("model/../model/model.safetensors", model),
        ("model/history.csv", model),
        ("hard.json", model),
    ];
    for (out, what) in cases {
        let args = ["predict", "--model", "model", "--data", "train.csv", "--out", out];
        fails(p, &args, &[&format!("--out {out} is {what}"), "nothing was written"]);
    }
    let args = ["predict", "--model", "model", "--data", "link.csv", "--out", "train.csv"];
    fails(p, &args, &["--out train.csv is the input data (link.csv)"]);
}

#[test]
fn train_out_refuses_a_folder_that_is_not_a_wxb_model_and_an_unwritable_place_before_training() {
    let d = dir_with("train.csv", blobs_csv(30, 1));
    let p = d.path();
    std::fs::create_dir_all(p.join("project/src")).unwrap();
    write(p, "project/config.json", r#"{"name": "my project", "format": "not ours"}"#);
    std::fs::create_dir(p.join("notes")).unwrap();
    write(p, "notes/todo.txt", "keep me");
    // A run that trained would print its result on stdout, which `fails` forbids.
    let train = ["train", "--data", "train.csv", "--epochs", "1", "--layers", "4", "--out"];
    for folder in ["project", "notes", "./project/"] {
        let message = format!("--out {folder}: the folder exists and holds files that are not a wxb model");
        fails(p, &[&train[..], &[folder]].concat(), &[&message, "choose a new or empty folder"]);
    }
    let unwritable = "--out /proc/wxb-model: cannot write in /proc (";
    fails(p, &[&train[..], &["/proc/wxb-model"]].concat(), &[unwritable, "nothing was trained"]);
    let in_a_file = "--out train.csv/model: cannot write in train.csv (";
    fails(p, &[&train[..], &["train.csv/model"]].concat(), &[in_a_file, "nothing was trained"]);
    // An empty folder is written, and a wxb model folder is replaced, as before.
    std::fs::create_dir(p.join("empty")).unwrap();
    for _ in 0..2 {
        ok(p, &[&train[..], &["empty", "--verbose", "0"]].concat());
        assert_eq!(config(&p.join("empty"))["format"], "wxb-model");
    }
}
