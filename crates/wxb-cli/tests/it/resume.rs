//! `--checkpoint` and `--resume`: a run interrupted and resumed ends with exactly the weights, the
//! optimizer state and the history of an uninterrupted one.

use crate::common;

use std::path::Path;

use common::*;

fn same_run(p: &Path, a: &str, b: &str) {
    let (wa, wb) = (tensors(&p.join(a).join("model.safetensors")), tensors(&p.join(b).join("model.safetensors")));
    assert_eq!(wa.keys().collect::<Vec<_>>(), wb.keys().collect::<Vec<_>>(), "{a} vs {b}");
    assert!(wa.keys().any(|k| k.starts_with("optimizer.")), "the optimizer's slots are saved");
    for (name, (shape, values)) in &wa {
        assert_eq!(shape, &wb[name].0, "{name}");
        let same = values.iter().zip(&wb[name].1).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "{name} differs between {a} and {b}");
    }
    let history = |m: &str| std::fs::read_to_string(p.join(m).join("history.csv")).unwrap();
    assert_eq!(history(a), history(b));
}

#[test]
fn a_resumed_run_matches_an_uninterrupted_one_with_dropout_and_batch_norm() {
    let d = dir_with("train.csv", blobs_csv(70, 3));
    let p = d.path();
    let model = [
        "--data",
        "train.csv",
        "--standardize",
        "--layers",
        "8,8",
        "--dropout",
        "0.3",
        "--batch-norm",
        "--validation-split",
        "0.2",
        "--seed",
        "11",
        "--verbose",
        "0",
    ];
    ok(p, &[&["train", "--epochs", "5", "--out", "full"][..], &model].concat());
    ok(p, &[&["train", "--epochs", "2", "--out", "part", "--checkpoint"][..], &model].concat());
    for sub in ["last", "best"] {
        for f in ["config.json", "model.safetensors"] {
            assert!(p.join("part/checkpoints").join(sub).join(f).is_file(), "checkpoints/{sub}/{f}");
        }
    }
    // From the last checkpoint, and from the saved model itself.
    let data = ["--data", "train.csv", "--validation-split", "0.2", "--epochs", "5", "--verbose", "0"];
    ok(p, &[&["train", "--resume", "part/checkpoints/last", "--out", "from_checkpoint"][..], &data].concat());
    ok(p, &[&["train", "--resume", "part", "--out", "from_model"][..], &data].concat());
    same_run(p, "full", "from_checkpoint");
    same_run(p, "full", "from_model");
    assert_eq!(column(&p.join("from_model/history.csv"), "loss").len(), 5);
}

#[test]
fn checkpoints_are_written_after_every_epoch_and_best_is_the_lowest_loss() {
    let d = dir_with("train.csv", blobs_csv(30, 3));
    let p = d.path();
    ok(p, &["train", "--data", "train.csv", "--epochs", "3", "--checkpoint", "--out", "m", "--verbose", "0"]);
    let cfg = config(&p.join("m/checkpoints/last"));
    assert_eq!(cfg["metadata"]["training"]["epochs_completed"], 3);
    let best = config(&p.join("m/checkpoints/best"));
    let losses = column(&p.join("m/history.csv"), "loss");
    let best_epoch = (0..3).min_by(|&i, &j| losses[i].total_cmp(&losses[j])).unwrap();
    assert_eq!(best["metadata"]["training"]["epochs_completed"], best_epoch + 1);
    // The last checkpoint holds the final weights.
    let w = |m: &str| tensors(&p.join(m).join("model.safetensors"));
    assert_eq!(w("m")["layers.0.kernel"], w("m/checkpoints/last")["layers.0.kernel"]);
}

#[test]
fn resuming_on_the_bundled_mnist_continues_its_epochs() {
    let d = tempdir();
    let p = d.path();
    ok(p, &["train", "--epochs", "1", "--verbose", "0", "--layers", "16"]);
    let out = ok(p, &["train", "--resume", "wxb-model", "--epochs", "2", "--out", "more"]).said();
    assert!(out.starts_with("Epoch 2/2\n63/63 - "), "{out}");
    assert!(out.contains("Test accuracy: "), "{out}");
    assert_eq!(column(&p.join("more/history.csv"), "loss").len(), 2);
}

#[test]
fn a_run_with_validation_split_resumes_holding_out_the_same_rows_twice() {
    let d = dir_with("train.csv", blobs_csv(40, 5));
    let p = d.path();
    let data = ["--data", "train.csv", "--verbose", "0"];
    let new = ["--layers", "6", "--seed", "4", "--validation-split", "0.25"];
    ok(p, &[&["train", "--epochs", "4", "--out", "full"][..], &new, &data].concat());
    ok(p, &[&["train", "--epochs", "2", "--out", "a"][..], &new, &data].concat());
    // Resumed without the flag: the saved split holds out the same (last) rows.
    ok(p, &[&["train", "--resume", "a", "--epochs", "3", "--out", "b"][..], &data].concat());
    ok(p, &[&["train", "--resume", "b", "--epochs", "4", "--out", "c"][..], &data].concat());
    same_run(p, "full", "c");
    let val = column(&p.join("c/history.csv"), "val_loss");
    assert!(val.len() == 4 && val.iter().all(|v| v.is_finite()), "{val:?}");
    let training = config(&p.join("c"))["metadata"]["training"].clone();
    let logged = training["history"]["history"]["val_loss"].as_array().unwrap().clone();
    assert!(logged.len() == 4 && logged.iter().all(serde_json::Value::is_f64), "{training}");
    assert_eq!(training["validation_split"], 0.25);
    let other = [&["train", "--resume", "c", "--epochs", "5", "--out", "d", "--validation-split", "0.5"][..], &data];
    fails(p, &other.concat(), &["--validation-split 0.5: c was trained holding out 0.25 of the rows"]);
}
