//! Every `--model` takes Keras' `.keras` and `.h5` files, and `wxb export` writes them. The
//! fixtures and Keras' predictions come from real Keras 3.15
//! (`crates/wxb/tests/fixtures/keras/interop.py`).

use crate::common;

use std::path::{Path, PathBuf};

use common::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../wxb/tests/fixtures/keras/interop").join(name)
}

fn expected(key: &str) -> serde_json::Value {
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    all[key].clone()
}

/// The dense fixture's inputs as a CSV with columns `x0…x3` (an imported model's input names).
fn inputs_csv(dir: &Path) -> PathBuf {
    let rows = expected("dense")["inputs"].as_array().unwrap().clone();
    let mut text = String::from("x0,x1,x2,x3\n");
    for r in rows {
        let cells: Vec<String> =
            r.as_array().unwrap().iter().map(|v| format!("{}", v.as_f64().unwrap() as f32)).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    write(dir, "x.csv", text)
}

#[test]
fn predict_on_keras_files_gives_keras_predictions() {
    let d = tempdir();
    let p = d.path();
    inputs_csv(p);
    let want = expected("dense")["predictions"].as_array().unwrap().clone();
    for file in ["dense.keras", "dense.h5"] {
        let model = fixture(file);
        let out = ok(p, &["predict", "--model", model.to_str().unwrap(), "--data", "x.csv"]).stdout;
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("prediction,p_0,p_1,p_2"), "{file}");
        for (line, row) in lines.zip(&want) {
            let got: Vec<f64> = line.split(',').skip(1).map(|v| v.parse().unwrap()).collect();
            for (g, w) in got.iter().zip(row.as_array().unwrap()) {
                assert!((g - w.as_f64().unwrap()).abs() < 1e-5, "{file}: {line} vs {row}");
            }
        }
    }
}

#[test]
fn summary_and_explain_show_the_files_layer_names() {
    let d = tempdir();
    let p = d.path();
    inputs_csv(p);
    let model = fixture("dense.h5");
    let summary = ok(p, &["summary", "--model", model.to_str().unwrap()]).stdout;
    assert!(summary.contains("hidden (Dense)") && summary.contains("ln (LayerNormalization)"), "{summary}");
    let explained = ok(p, &["explain", "--model", model.to_str().unwrap(), "--data", "x.csv", "--row", "1"]).stdout;
    assert!(explained.contains("hidden") && explained.contains("probs"), "{explained}");
}

#[test]
fn export_writes_keras_files_that_read_back() {
    let d = tempdir();
    let p = d.path();
    let model = fixture("conv.keras");
    ok(p, &["export", "--model", model.to_str().unwrap(), "--out", "copy.keras"]);
    let h5 = ok(p, &["export", "--model", "copy.keras", "--out", "again.h5"]).stderr;
    assert!(h5.contains("again.h5 keeps no optimizer state"), "{h5}");
    // The .keras copy keeps everything, the optimizer's state included.
    let a = ok(p, &["summary", "--model", model.to_str().unwrap()]).stdout;
    let b = ok(p, &["summary", "--model", "copy.keras"]).stdout;
    assert_eq!(a, b);
    let c = ok(p, &["summary", "--model", "again.h5"]).stdout;
    assert!(c.contains("conv (Conv2D)") && c.contains("out (Dense)"), "{c}");
}

#[test]
fn bad_exports_and_foreign_files_fail_in_one_line() {
    let d = tempdir();
    let p = d.path();
    let model = fixture("dense.keras");
    fails(
        p,
        &["export", "--model", model.to_str().unwrap(), "--out", "model.pt"],
        &["model.pt", "unknown model file extension"],
    );
    write(p, "notes.txt", "hello");
    fails(p, &["summary", "--model", "notes.txt"], &["notes.txt", "not a model"]);
    let bytes = std::fs::read(&model).unwrap();
    write(p, "cut.keras", &bytes[..bytes.len() / 3]);
    fails(p, &["summary", "--model", "cut.keras"], &["cut.keras"]);
}

#[test]
fn training_resumes_from_a_keras_file() {
    let d = tempdir();
    let p = d.path();
    let rows = expected("dense")["inputs"].as_array().unwrap().clone();
    let mut text = String::from("x0,x1,x2,x3,label\n");
    for (i, r) in rows.iter().cycle().take(24).enumerate() {
        let cells: Vec<String> =
            r.as_array().unwrap().iter().map(|v| format!("{}", v.as_f64().unwrap() as f32)).collect();
        text.push_str(&format!("{},{}\n", cells.join(","), i % 3));
    }
    write(p, "train.csv", text);
    let model = fixture("dense.keras");
    let args = ["train", "--resume", model.to_str().unwrap(), "--data", "train.csv", "--target", "label"];
    ok(p, &[&args[..], &["--epochs", "1", "--out", "tuned", "--verbose", "0"]].concat());
    let summary = ok(p, &["summary", "--model", "tuned"]).stdout;
    assert!(summary.contains("hidden (Dense)"), "{summary}");
}

/// A table with a text column, an integer-coded category and numbers, as CSV text.
fn table_csv(rows: usize) -> String {
    let islands = ["Biscoe", "Dream", "Torgersen"];
    let mut text = String::from("island,bill,year,species\n");
    for i in 0..rows {
        let island = islands[(i * 7) % 3];
        let bill = 38.0 + ((i * 13) % 17) as f64 * 0.7;
        let year = 2007 + (i % 3);
        let species = if island == "Dream" {
            "Chinstrap"
        } else if bill > 44.0 {
            "Gentoo"
        } else {
            "Adelie"
        };
        text.push_str(&format!("{island},{bill:.1},{year},{species}\n"));
    }
    text
}

/// `wxb train --out FILE.keras` saves the model as a Keras 3 file (its history and picture in
/// FILE-training/, `--checkpoint`'s folders there too), which `wxb predict` reads with the
/// table's schema (raw text columns, class names) and predicts as the saved model; `--resume
/// FILE.keras --out OTHER.keras` continues from the saved epoch and optimizer step.
#[test]
fn training_saves_and_resumes_keras_files() {
    let d = tempdir();
    let p = d.path();
    write(p, "table.csv", table_csv(48));
    let train = ["train", "--data", "table.csv", "--target", "species", "--categorical", "year", "--layers", "6"];
    let said = ok(p, &[&train[..], &["--epochs", "2", "--out", "penguins.keras", "--checkpoint"]].concat()).stderr;
    assert!(said.contains("penguins.keras") && said.contains("penguins-training"), "{said}");
    assert_eq!(std::fs::read(p.join("penguins.keras")).unwrap()[..4], *b"PK\x03\x04");
    for f in ["history.csv", "training.png", "checkpoints/last/config.json"] {
        assert!(p.join("penguins-training").join(f).exists(), "{f}");
    }
    assert!(!p.join("wxb-model").exists());
    let from_keras = ok(p, &["predict", "--model", "penguins.keras", "--data", "table.csv"]).stdout;
    let from_last = ok(p, &["predict", "--model", "penguins-training/checkpoints/last", "--data", "table.csv"]).stdout;
    assert_eq!(from_keras, from_last, "the .keras file predicts as the saved epoch");
    assert!(from_keras.starts_with("prediction,p_Adelie,p_Chinstrap,p_Gentoo"), "{from_keras}");
    let resume = "train --resume penguins.keras --data table.csv --target species --epochs 3 --out more.keras \
                  --verbose 0 --json";
    let json = ok(p, &resume.split_whitespace().collect::<Vec<_>>()).stdout;
    let result: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(result["epochs"], 3, "{json}");
    let summary = ok(p, &["summary", "--model", "more.keras"]).stdout;
    assert!(summary.contains("dense"), "{summary}");
    // Only .keras files and folders: other model formats come from `wxb export`.
    fails(p, &[&train[..], &["--out", "m.onnx"]].concat(), &["m.onnx", "wxb export"]);
    write(p, "notes.keras", "not a model");
    fails(p, &[&train[..], &["--out", "notes.keras"]].concat(), &["notes.keras", "not a Keras archive"]);
    assert_eq!(std::fs::read(p.join("notes.keras")).unwrap(), b"not a model");
}
