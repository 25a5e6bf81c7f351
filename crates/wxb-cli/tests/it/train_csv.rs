//! `wxb train`, `evaluate`, `predict` end to end on CSV files the tests write: classification with
//! text labels, regression, target and feature selection, standardization, validation split.

use crate::common;

use common::*;
use serde_json::json;

#[test]
fn classification_with_text_labels_saves_the_classes_and_predicts_their_names() {
    let d = dir_with("train.csv", blobs_csv(90, 1));
    let p = d.path();
    ok(p, &["train", "--data", "train.csv", "--standardize", "--layers", "16", "--lr", "0.01", "--epochs", "20"]);
    let m = p.join("wxb-model");
    let pre = &config(&m)["metadata"]["preprocessing"];
    assert_eq!(pre["class_names"], json!(["blue", "green", "red"]), "classes sorted by name");
    assert_eq!(pre["feature_names"], json!(["a", "b", "c"]));
    assert_eq!(pre["target"], json!("species"));
    assert_eq!(pre["task"], json!("classification"));

    let out = ok(p, &["evaluate", "--model", "wxb-model", "--data", "train.csv", "--json"]).stdout;
    assert!(out.starts_with("{\"loss\": ") && out.ends_with("}\n") && out.lines().count() == 1, "{out}");
    let e = json(&out);
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["accuracy", "loss"]);
    assert!(e["accuracy"].as_f64().unwrap() >= 0.95, "{out}");
    let text = ok(p, &["evaluate", "--model", "wxb-model", "--data", "train.csv"]).stdout;
    assert!(text.starts_with("90 samples - loss: ") && text.contains(" - accuracy: "), "{text}");
    // A file holding one class only (the green rows) evaluates against the model's classes.
    let green: String = blobs_csv(90, 1)
        .lines()
        .filter(|l| !l.ends_with(",red") && !l.ends_with(",blue"))
        .map(|l| format!("{l}\n"))
        .collect();
    write(p, "green.csv", &green);
    let e = json(&ok(p, &["evaluate", "--model", "wxb-model", "--data", "green.csv", "--json"]).stdout);
    assert!(e["accuracy"].as_f64().unwrap() >= 0.9, "{e}");

    // New data without the target column.
    let truth: Vec<&str> = blobs(30, 2).iter().map(|(_, l)| *l).collect();
    let features: String = std::iter::once("a,b,c\n".to_string())
        .chain(blobs(30, 2).iter().map(|(x, _)| format!("{:.4},{:.4},{:.4}\n", x[0], x[1], x[2])))
        .collect();
    write(p, "new.csv", features);
    ok(p, &["predict", "--model", "wxb-model", "--data", "new.csv", "--out", "preds.csv"]);
    let (header, rows) = read_csv(&p.join("preds.csv"));
    assert_eq!(header, ["prediction", "p_blue", "p_green", "p_red"]);
    assert_eq!(rows.len(), 30);
    let names = ["blue", "green", "red"];
    let mut right = 0;
    for (row, want) in rows.iter().zip(&truth) {
        let probs: Vec<f64> = row[1..].iter().map(|v| v.parse().unwrap()).collect();
        assert!(close(probs.iter().sum(), 1.0, 1e-5), "{row:?}");
        let best = (0..3).max_by(|&i, &j| probs[i].total_cmp(&probs[j])).unwrap();
        assert_eq!(row[0], names[best], "the prediction is the most probable class: {row:?}");
        right += usize::from(row[0] == *want);
    }
    assert!(right >= 28, "{right}/30 right");
    // Without --out, the same CSV goes to stdout.
    let stdout = ok(p, &["predict", "--model", "wxb-model", "--data", "new.csv"]).stdout;
    assert_eq!(stdout, std::fs::read_to_string(p.join("preds.csv")).unwrap());
}

#[test]
fn regression_evaluates_loss_mae_mse_and_predicts_values() {
    let d = dir_with("train.csv", regression_csv(80, 3));
    let p = d.path();
    ok(p, &["train", "--data", "train.csv", "--standardize", "--lr", "0.01", "--epochs", "30", "--out", "m"]);
    let pre = &config(&p.join("m"))["metadata"]["preprocessing"];
    assert_eq!(pre["task"], json!("regression"));
    assert_eq!(pre["class_names"], json!(null));

    let out = ok(p, &["evaluate", "--model", "m", "--data", "train.csv", "--json"]).stdout;
    assert!(out.starts_with("{\"loss\": "), "Keras' order: loss, then the metrics: {out}");
    let e = json(&out);
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["loss", "mae", "mse"]);
    let (loss, mae, mse) = (e["loss"].as_f64().unwrap(), e["mae"].as_f64().unwrap(), e["mse"].as_f64().unwrap());
    assert!(close(loss, mse, 1e-5), "the loss is the mse: {out}");

    // Predictions on the features alone give the same errors.
    let csv = std::fs::read_to_string(p.join("train.csv")).unwrap();
    let features: String = csv.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n").collect();
    write(p, "x.csv", features);
    ok(p, &["predict", "--model", "m", "--data", "x.csv", "--out", "y.csv"]);
    let (header, _) = read_csv(&p.join("y.csv"));
    assert_eq!(header, ["prediction"]);
    let pred = column(&p.join("y.csv"), "prediction");
    let y = column(&p.join("train.csv"), "y");
    let n = y.len() as f64;
    let my_mae = pred.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
    let my_mse = pred.iter().zip(&y).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n;
    assert!(close(my_mae, mae, 1e-4) && close(my_mse, mse, 1e-4), "{my_mae} {my_mse} vs {out}");
    let mean = y.iter().sum::<f64>() / n;
    let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    assert!(mse < 0.5 * var, "learned something: mse {mse}, variance {var}");
}

#[test]
fn target_by_name_or_index_and_chosen_features() {
    let d = tempdir();
    let p = d.path();
    let mut csv = String::from("id,species,a,b,c\n");
    for (i, (x, label)) in blobs(45, 4).iter().enumerate() {
        csv.push_str(&format!("{i},{label},{:.4},{:.4},{:.4}\n", x[0], x[1], x[2]));
    }
    write(p, "data.csv", csv);
    let common = ["--data", "data.csv", "--features", "a,b", "--epochs", "2", "--verbose", "0"];
    ok(p, &[&["train", "--target", "species", "--out", "by_name"][..], &common].concat());
    ok(p, &[&["train", "--target", "1", "--out", "by_index"][..], &common].concat());
    for m in ["by_name", "by_index"] {
        let pre = &config(&p.join(m))["metadata"]["preprocessing"];
        assert_eq!(pre["feature_names"], json!(["a", "b"]), "{m}");
        assert_eq!(pre["target"], json!("species"), "{m}");
        assert_eq!(pre["class_names"], json!(["blue", "green", "red"]), "{m}");
    }
    let kernel = |m: &str| tensors(&p.join(m).join("model.safetensors"))["layers.0.kernel"].clone();
    assert_eq!(kernel("by_name").0, [2, 64]);
    assert_eq!(kernel("by_name"), kernel("by_index"), "the same run, however the target is named");
    // The saved target name finds the column again, wherever it is.
    let e = json(&ok(p, &["evaluate", "--model", "by_name", "--data", "data.csv", "--json"]).stdout);
    assert!(e["accuracy"].as_f64().is_some());
    // Without --features, every other column is a feature, in file order.
    ok(p, &["train", "--data", "data.csv", "--target", "species", "--epochs", "1", "--out", "all", "--verbose", "0"]);
    let pre = &config(&p.join("all"))["metadata"]["preprocessing"];
    assert_eq!(pre["feature_names"], json!(["id", "a", "b", "c"]));
}

#[test]
fn standardization_comes_from_the_training_rows_and_is_reapplied_to_raw_data() {
    let d = tempdir();
    let p = d.path();
    let csv = blobs_csv(80, 5);
    write(p, "train.csv", &csv);
    // Keras' validation_split (--split last) holds out the last 25%: rows 60..80.
    ok(
        p,
        &[
            "train",
            "--data",
            "train.csv",
            "--standardize",
            "--validation-split",
            "0.25",
            "--split",
            "last",
            "--layers",
            "8",
            "--epochs",
            "5",
            "--out",
            "m",
            "--verbose",
            "0",
        ],
    );
    let m = p.join("m");
    // Keras Normalization per column: its variables mean and (population) variance.
    let columns = &config(&m)["metadata"]["preprocessing"]["columns"];
    for (j, name) in ["a", "b", "c"].iter().enumerate() {
        let stats = &columns[j]["layer"]["variables"];
        let train: Vec<f64> = column(&p.join("train.csv"), name)[..60].to_vec();
        let mean = train.iter().sum::<f64>() / 60.0;
        let std = (train.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 60.0).sqrt();
        let (m_saved, s_saved) = (stats["mean"][0].as_f64().unwrap(), stats["variance"][0].as_f64().unwrap().sqrt());
        assert!(close(m_saved, mean, 1e-5) && close(s_saved, std, 1e-5), "{name}: {m_saved} {s_saved} vs {mean} {std}");
    }
    let history = p.join("m/history.csv");
    let (header, rows) = read_csv(&history);
    assert_eq!(header, ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]);
    assert_eq!(rows.len(), 5);
    let val_loss = *column(&history, "val_loss").last().unwrap();
    let val_accuracy = *column(&history, "val_accuracy").last().unwrap();

    // The held-out rows, raw: evaluate standardizes them with the saved statistics.
    let lines: Vec<&str> = csv.lines().collect();
    write(p, "tail.csv", format!("{}\n{}\n", lines[0], lines[61..].join("\n")));
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "tail.csv", "--json"]).stdout);
    let loss = e["loss"].as_f64().unwrap();
    assert!(close(loss, val_loss, 1e-5), "evaluate {loss} vs the last val_loss {val_loss}");
    assert!(close(e["accuracy"].as_f64().unwrap(), val_accuracy, 1e-9));

    // And predict: the crossentropy of its probabilities is the same loss.
    let features: String =
        lines[0..1].iter().chain(&lines[61..]).map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n").collect();
    write(p, "tail_x.csv", features);
    ok(p, &["predict", "--model", "m", "--data", "tail_x.csv", "--out", "p.csv"]);
    let (header, rows) = read_csv(&p.join("p.csv"));
    let truth: Vec<&str> = lines[61..].iter().map(|l| l.rsplit_once(',').unwrap().1).collect();
    let ce: f64 = rows
        .iter()
        .zip(&truth)
        .map(|(row, t)| {
            let i = header.iter().position(|h| *h == format!("p_{t}")).unwrap();
            -row[i].parse::<f64>().unwrap().ln()
        })
        .sum::<f64>()
        / rows.len() as f64;
    assert!(close(ce, loss, 1e-4), "crossentropy of predict's probabilities {ce} vs evaluate's loss {loss}");
}

#[test]
fn early_stopping_stops_and_keeps_the_best_weights() {
    let d = tempdir();
    let p = d.path();
    // Labels without signal: the validation loss soon rises.
    let mut g = Gen::new(9);
    let mut csv = String::from("a,b,y\n");
    for _ in 0..60 {
        csv.push_str(&format!(
            "{:.4},{:.4},{}\n",
            g.signed(),
            g.signed(),
            ["no", "yes"][usize::from(g.uniform() < 0.5)]
        ));
    }
    write(p, "noise.csv", &csv);
    ok(
        p,
        &[
            "train",
            "--data",
            "noise.csv",
            "--early-stopping",
            "2",
            "--validation-split",
            "0.25",
            "--split",
            "last",
            "--lr",
            "0.05",
            "--epochs",
            "200",
            "--out",
            "m",
            "--verbose",
            "0",
        ],
    );
    let val_loss = column(&p.join("m/history.csv"), "val_loss");
    assert!(val_loss.len() < 200, "stopped early: {} epochs", val_loss.len());
    let best = val_loss.iter().copied().fold(f64::INFINITY, f64::min);
    let lines: Vec<&str> = csv.lines().collect();
    write(p, "tail.csv", format!("{}\n{}\n", lines[0], lines[46..].join("\n")));
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "tail.csv", "--json"]).stdout);
    assert!(close(e["loss"].as_f64().unwrap(), best, 1e-5), "the saved weights are the best epoch's: {e} vs {best}");
}

#[test]
fn verbose_levels_print_as_keras() {
    let d = dir_with("train.csv", blobs_csv(90, 1));
    let p = d.path();
    let train =
        |v: &str| ok(p, &["train", "--data", "train.csv", "--epochs", "3", "--verbose", v, "--out", "m"]).said();
    let quiet = train("0");
    assert!(!quiet.contains("Epoch") && !quiet.contains("classification"), "--verbose 0: no progress: {quiet}");
    assert!(quiet.contains("Saved the model to m/"), "--verbose 0 still says where the model went: {quiet}");
    for v in ["1", "2"] {
        // Not a terminal: one line per epoch, Keras' verbose=2 format
        // ("3/3 - 0s - 2ms/step - accuracy: 0.3333 - loss: 1.0986").
        let out = train(v);
        // First the task and the table's schema (one line per column), then the epochs.
        let start = out.find("Epoch 1/3").unwrap();
        assert!(out[..start].starts_with("classification: 3 classes from text column \"species\"\n"), "{out}");
        let out = &out[start..];
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 8, "{out}");
        for e in 0..3 {
            assert_eq!(lines[2 * e], format!("Epoch {}/3", e + 1));
            let parts: Vec<&str> = lines[2 * e + 1].split(" - ").collect();
            assert_eq!(parts.len(), 5, "{}", lines[2 * e + 1]);
            assert_eq!(parts[0], "3/3", "ceil(90 / 32) steps");
            let secs = parts[1].strip_suffix('s').unwrap();
            assert!(secs.parse::<u64>().is_ok(), "{}", parts[1]);
            let per_step = parts[2].strip_suffix("/step").unwrap();
            let digits = per_step.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            assert!(
                ["s", "ms", "us"].contains(&&per_step[digits.len()..]) && digits.parse::<u64>().is_ok(),
                "{}",
                parts[2]
            );
            for (part, key) in parts[3..].iter().zip(["accuracy", "loss"]) {
                let value = part.strip_prefix(&format!("{key}: ")).unwrap();
                assert!(value.len() == 6 && value.parse::<f64>().is_ok(), "four decimals: {part}");
            }
        }
        // Standard error (progress, then the status line), then standard output (the result).
        assert_eq!(lines[6], "Saved the model to m/ (config.json, model.safetensors, history.csv, training.png)");
        assert!(lines[7].starts_with("Saved model: epoch 3 - accuracy: "), "{}", lines[7]);
    }
}

#[test]
fn threads_flag_is_accepted_anywhere_and_runs_are_deterministic() {
    let d = dir_with("train.csv", blobs_csv(60, 6));
    let p = d.path();
    let args = ["train", "--data", "train.csv", "--epochs", "3", "--dropout", "0.2", "--verbose", "0"];
    ok(p, &[&["--threads", "1"][..], &args, &["--out", "a"]].concat());
    ok(p, &[&args[..], &["--threads", "1", "--out", "b"]].concat());
    ok(p, &[&args[..], &["--threads", "2", "--out", "c"]].concat());
    let w = |m: &str| tensors(&p.join(m).join("model.safetensors"));
    assert_eq!(w("a"), w("b"), "the same seed and thread count give the same weights");
    assert_eq!(w("c").keys().collect::<Vec<_>>(), w("a").keys().collect::<Vec<_>>());
    for cmd in [
        vec!["--threads", "1", "evaluate", "--model", "a", "--data", "train.csv"],
        vec!["predict", "--model", "a", "--data", "train.csv", "--threads", "2"],
        vec!["summary", "--model", "a", "--threads", "1"],
    ] {
        ok(p, &cmd);
    }
}
