//! Bad flag values and bad `--spec` files: one line, exit status 2, nothing written — checked
//! before any data is read or any file touched.

mod common;

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
        &["the following required arguments were not provided: --model <DIR>"],
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
    write(p, "unknown.json", json!([{"class_name": "Conv2D", "config": {}}]).to_string());
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
        ("unknown.json", &["unknown.json: invalid layer list: unknown variant `Conv2D`"]),
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
