//! A saved model and data that do not fit, or damaged model files: one line, exit status 2, no file
//! changed, no panic.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::json;

/// A copy of `dir/model` as `dir/name`, damaged by `edit`.
fn damaged(dir: &Path, name: &str, edit: impl FnOnce(&Path)) -> PathBuf {
    let to = dir.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for f in ["config.json", "model.safetensors"] {
        std::fs::copy(dir.join("model").join(f), to.join(f)).unwrap();
    }
    edit(&to);
    to
}

/// Rewrites `config.json` through `edit` (the weights' generation stamp still matches it).
fn edit_config(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut cfg = config(dir);
    edit(&mut cfg);
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
}

/// Every command that reads `model` must fail with `parts`.
fn all_commands_fail(p: &Path, model: &str, parts: &[&str]) {
    fails(p, &["evaluate", "--model", model, "--data", "train.csv"], parts);
    fails(p, &["predict", "--model", model, "--data", "train.csv", "--out", "p.csv"], parts);
    fails(p, &["summary", "--model", model], parts);
    fails(p, &["train", "--resume", model, "--data", "train.csv", "--epochs", "9", "--out", "model"], parts);
}

#[test]
fn labels_outside_the_models_classes() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    write(p, "purple.csv", "a,b,c,species\n1,2,3,red\n4,5,6,purple\n");
    let msg = "purple.csv: label \"purple\" is not one of the model's classes (blue, green, red)";
    fails(p, &["evaluate", "--model", "model", "--data", "purple.csv"], &[msg]);
    fails(p, &["train", "--resume", "model", "--data", "purple.csv", "--epochs", "5", "--out", "model"], &[msg]);

    let (px, labels) = images(12, 1);
    write(p, "img-idx3-ubyte", idx_u8(&[12, 4, 4], &px));
    write(p, "lab-idx1-ubyte", idx_u8(&[12], &labels));
    write(p, "seven-idx1-ubyte", idx_u8(&[12], &[7; 12]));
    ok(
        p,
        &[
            "train",
            "--data",
            "img-idx3-ubyte",
            "--labels",
            "lab-idx1-ubyte",
            "--epochs",
            "1",
            "--out",
            "idx",
            "--verbose",
            "0",
        ],
    );
    fails(
        p,
        &["evaluate", "--model", "idx", "--data", "img-idx3-ubyte", "--labels", "seven-idx1-ubyte"],
        &["seven-idx1-ubyte: label 7 at sample 0 is outside the model's 3 classes (0..3)"],
    );
    write(p, "x.npy", npy(&[12, 16], vec![0.5; 192]));
    write(p, "y.npy", npy(&[12], (0..12).map(|i| if i == 4 { 3.0 } else { (i % 3) as f32 }).collect()));
    fails(
        p,
        &["evaluate", "--model", "idx", "--data", "x.npy", "--labels", "y.npy"],
        &["y.npy: label 3 at sample 4 is outside the model's 3 classes (0..3)"],
    );
    fails(
        p,
        &["train", "--resume", "idx", "--data", "x.npy", "--labels", "y.npy", "--epochs", "3", "--out", "idx"],
        &["y.npy: label 3 at sample 4"],
    );
}

#[test]
fn feature_counts_that_differ_from_the_models_input() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    write(p, "two.csv", "a,b,species\n1,2,red\n");
    let msg = "two.csv: the model expects 3 features (\"a\", \"b\", \"c\"), the file lacks \"c\"; its columns are \"a\", \"b\", \"species\"";
    fails(p, &["evaluate", "--model", "model", "--data", "two.csv"], &[msg]);
    fails(p, &["predict", "--model", "model", "--data", "two.csv"], &[msg]);
    fails(p, &["train", "--resume", "model", "--data", "two.csv", "--epochs", "5"], &[msg]);
    write(p, "x4.npy", npy(&[2, 4], vec![0.0; 8]));
    write(p, "y.npy", npy(&[2], vec![0.0, 1.0]));
    fails(
        p,
        &["predict", "--model", "model", "--data", "x4.npy"],
        &["x4.npy: the model expects 3 features per sample, the data has 4"],
    );
    fails(
        p,
        &["evaluate", "--model", "model", "--data", "x4.npy", "--labels", "y.npy"],
        &["expects 3 features per sample, the data has 4"],
    );
    let (px, _) = images(2, 1);
    write(p, "big-idx3-ubyte", idx_u8(&[1, 5, 5], &px[..25]));
    fails(
        p,
        &["predict", "--model", "model", "--data", "big-idx3-ubyte"],
        &["big-idx3-ubyte: the model expects 3 features per sample, the data has 25"],
    );
}

#[test]
fn damaged_weights_files() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    let weights = std::fs::read(p.join("model/model.safetensors")).unwrap();
    let cut = weights[..weights.len() - 10].to_vec();
    damaged(p, "truncated", |m| std::fs::write(m.join("model.safetensors"), &cut).unwrap());
    damaged(p, "header_cut", |m| std::fs::write(m.join("model.safetensors"), &weights[..100]).unwrap());
    damaged(p, "garbage", |m| std::fs::write(m.join("model.safetensors"), "hello").unwrap());
    damaged(p, "empty", |m| std::fs::write(m.join("model.safetensors"), "").unwrap());
    damaged(p, "missing", |m| std::fs::remove_file(m.join("model.safetensors")).unwrap());
    for m in ["truncated", "header_cut", "garbage", "empty"] {
        all_commands_fail(p, m, &[&format!("{m}/model.safetensors: corrupt weights file")]);
    }
    all_commands_fail(p, "missing", &["missing/model.safetensors: No such file"]);
    all_commands_fail(p, "nowhere", &["nowhere: No such file"]);
}

#[test]
fn damaged_config_files() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    let text = std::fs::read_to_string(p.join("model/config.json")).unwrap();
    damaged(p, "truncated", |m| std::fs::write(m.join("config.json"), &text[..text.len() / 2]).unwrap());
    damaged(p, "empty", |m| std::fs::write(m.join("config.json"), "").unwrap());
    damaged(p, "binary", |m| std::fs::write(m.join("config.json"), b"\xff\xfe{").unwrap());
    damaged(p, "other", |m| std::fs::write(m.join("config.json"), "{\"hello\": 1}").unwrap());
    damaged(p, "future", |m| edit_config(m, |c| c["format_version"] = json!(99)));
    damaged(p, "no_meta", |m| edit_config(m, |c| c["metadata"] = json!({})));
    all_commands_fail(p, "truncated", &["truncated/config.json:", "invalid model configuration", "EOF while parsing"]);
    all_commands_fail(p, "empty", &["empty/config.json:", "invalid model configuration: EOF while parsing a value"]);
    all_commands_fail(p, "binary", &["binary/config.json:1:1: invalid model configuration: not UTF-8"]);
    all_commands_fail(p, "other", &["other/config.json:1:1: invalid model configuration: not a wxb model"]);
    all_commands_fail(p, "future", &["future/config.json: model format version 99 is not supported", "upgrade wxb"]);
    let no_meta = "the model has no preprocessing metadata (was it saved by `wxb train`?)";
    fails(p, &["evaluate", "--model", "no_meta", "--data", "train.csv"], &[no_meta]);
    fails(p, &["predict", "--model", "no_meta", "--data", "train.csv"], &[no_meta]);
    fails(p, &["train", "--resume", "no_meta", "--data", "train.csv", "--epochs", "5"], &["no_meta: ", no_meta]);
}

#[test]
fn tensors_that_disagree_with_the_config_and_layers_that_cannot_be_built() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    let layers = |c: &mut serde_json::Value| c["model"]["config"]["layers"].as_array_mut().unwrap().clone();
    damaged(p, "units", |m| edit_config(m, |c| c["model"]["config"]["layers"][0]["config"]["units"] = json!(5)));
    damaged(p, "input", |m| edit_config(m, |c| c["model"]["config"]["input_shape"] = json!([7])));
    damaged(p, "rate", |m| {
        edit_config(m, |c| {
            let mut l = layers(c);
            l.insert(1, json!({"class_name": "Dropout", "config": {"name": "dropout", "rate": 5.0}}));
            c["model"]["config"]["layers"] = json!(l);
        })
    });
    damaged(p, "twins", |m| edit_config(m, |c| c["model"]["config"]["layers"][1]["config"]["name"] = json!("dense")));
    damaged(p, "nounits", |m| edit_config(m, |c| c["model"]["config"]["layers"][1]["config"]["units"] = json!(0)));
    damaged(p, "huge", |m| {
        edit_config(m, |c| c["model"]["config"]["layers"][1]["config"]["units"] = json!(1_000_000_000_000u64))
    });
    all_commands_fail(
        p,
        "units",
        &[
            "units/model.safetensors: tensor \"layers.0.kernel\" has shape [3, 4] (F32), the configuration needs [3, 5] (F32)",
        ],
    );
    all_commands_fail(
        p,
        "input",
        &["tensor \"layers.0.kernel\" has shape [3, 4] (F32), the configuration needs [7, 4]"],
    );
    all_commands_fail(
        p,
        "rate",
        &["rate/config.json: invalid model: layer \"dropout\": invalid rate = 5: must be in [0, 1)"],
    );
    all_commands_fail(p, "twins", &["twins/config.json: invalid model: two layers are named \"dense\""]);
    all_commands_fail(
        p,
        "nounits",
        &["nounits/config.json: invalid model: layer \"dense_1\": invalid units = 0: must be at least 1"],
    );
    // A config asking for more weights than the file holds is refused before allocating them.
    all_commands_fail(
        p,
        "huge",
        &[
            "huge/model.safetensors: tensor \"layers.1.kernel\" has shape [4, 3] (F32), the configuration needs [4, 1000000000000]",
        ],
    );
}

#[test]
fn resume_needs_the_optimizer_state_and_more_epochs() {
    let d = tempdir();
    let p = d.path();
    small_model(p);
    // The library can save a model without its optimizer state (smaller, enough to predict).
    let mut loaded = wxb::io::load(&p.join("model")).unwrap();
    wxb::io::save(&mut loaded.model, &p.join("lean"), &loaded.metadata, wxb::io::OptimizerState::Exclude).unwrap();
    ok(p, &["evaluate", "--model", "lean", "--data", "train.csv"]);
    fails(
        p,
        &["train", "--resume", "lean", "--data", "train.csv", "--epochs", "5", "--out", "model"],
        &["lean: the model was saved without its optimizer state, so training cannot resume exactly"],
    );
    fails(
        p,
        &["train", "--resume", "model", "--data", "train.csv", "--epochs", "2", "--out", "model"],
        &["model: the model has already trained 2 epochs; --epochs is the total, pass more than 2"],
    );
    fails(
        p,
        &["train", "--resume", "model", "--layers", "8", "--data", "train.csv"],
        &["the argument '--resume <DIR>' cannot be used with '--layers"],
    );
}

#[test]
fn a_run_stopped_before_its_final_save_points_at_its_last_checkpoint() {
    let d = dir_with("train.csv", blobs_csv(30, 1));
    let p = d.path();
    ok(p, &["train", "--data", "train.csv", "--epochs", "2", "--checkpoint", "--out", "run", "--verbose", "0"]);
    // What Ctrl-C during the second epoch leaves: the checkpoints, no model yet.
    for f in ["config.json", "model.safetensors", "history.csv", "training.png"] {
        std::fs::remove_file(p.join("run").join(f)).unwrap();
    }
    all_commands_fail(p, "run", &["run: the model is not saved", "its last checkpoint is run/checkpoints/last"]);
    ok(p, &["predict", "--model", "run/checkpoints/last", "--data", "train.csv"]);
    // A folder without checkpoints gets the loader's own message.
    std::fs::create_dir(p.join("nothing")).unwrap();
    let r = run(p, &["predict", "--model", "nothing", "--data", "train.csv"]);
    assert!(r.code == 2 && !r.stderr.contains("checkpoint"), "{r:?}");
}

#[test]
fn shape_errors_name_the_model_and_the_labels_file() {
    let d = tempdir();
    let p = d.path();
    let x: Vec<f32> = (0..60).map(|i| (i % 7) as f32 / 7.0).collect();
    write(p, "x.npy", npy(&[20, 3], x));
    write(p, "y.npy", npy(&[20], (0..20).map(|i| (i % 3) as f32).collect()));
    write(p, "y4.npy", npy(&[20, 4], vec![0.0; 80]));
    ok(p, &["train", "--data", "x.npy", "--labels", "y.npy", "--epochs", "1", "--out", "m", "--verbose", "0"]);
    let parts = ["the model m on y4.npy", "expected shape [20, 1], got [20, 4]"];
    fails(p, &["evaluate", "--model", "m", "--data", "x.npy", "--labels", "y4.npy"], &parts);
    let resume = ["train", "--resume", "m", "--data", "x.npy", "--labels", "y4.npy", "--epochs", "2", "--out", "m"];
    fails(p, &resume, &["training the model m on y4.npy", "expected shape [20, 1], got [20, 4]"]);
}

#[test]
fn inconsistent_saved_preprocessing_is_refused() {
    // Before this was checked, `std: 0` divided by zero and a short standardization was applied to
    // the first features only, silently.
    let d = dir_with("train.csv", blobs_csv(30, 1));
    let p = d.path();
    ok(p, &["train", "--data", "train.csv", "--standardize", "--epochs", "1", "--out", "model", "--verbose", "0"]);
    let pre = |c: &mut serde_json::Value| c["metadata"]["preprocessing"].clone();
    // A table's columns: Keras Normalization variables per column.
    damaged(p, "zero_std", |m| {
        edit_config(m, |c| {
            c["metadata"]["preprocessing"]["columns"][0]["layer"]["variables"]["variance"][0] = json!(-1.0)
        })
    });
    damaged(p, "short_std", |m| {
        edit_config(m, |c| {
            let mut s = pre(c);
            s["feature_names"].as_array_mut().unwrap().pop();
            c["metadata"]["preprocessing"] = s;
        })
    });
    damaged(p, "bad_scale", |m| edit_config(m, |c| c["metadata"]["preprocessing"]["scale"] = json!(-1.0)));
    for (model, says) in [
        ("zero_std", "the normalization of column \"a\" is invalid"),
        ("short_std", "the columns' preprocessing makes 3 inputs for 2 feature names"),
        ("bad_scale", "scale = -1 must be a finite positive number"),
    ] {
        let parts = ["the model's preprocessing metadata is invalid: ", says];
        fails(p, &["predict", "--model", model, "--data", "train.csv"], &parts);
        fails(p, &["evaluate", "--model", model, "--data", "train.csv"], &parts);
    }
}
