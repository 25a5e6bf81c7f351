//! Issue 12's acceptance test: a real table as people have it — the Palmer penguins
//! (`examples/data/penguins.csv`, see its LICENSE note): text features (`island`, `sex`), 19
//! missing cells (`NA`), the target `species` in the first column and rows sorted by species —
//! trained with no preprocessing flags, reaching what Keras reaches with the usual preprocessing
//! (mean imputation, one-hot, z-score; MLP 64-32, Adam). Keras' figure comes from
//! `bench/tabular/penguins.py` (`fixtures/tables/penguins_keras.json`).

use crate::common;

use std::path::{Path, PathBuf};

use common::*;

fn table() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/penguins.csv")
}

/// The last row's value of `column` in a model folder's `history.csv`.
fn last_in_history(model: &Path, column: &str) -> f64 {
    let text = std::fs::read_to_string(model.join("history.csv")).expect("history.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let i = header.iter().position(|h| *h == column).unwrap_or_else(|| panic!("no {column} in {header:?}"));
    let last = lines.last().expect("epoch rows");
    last.split(',').nth(i).expect("a cell").parse().expect("a number")
}

#[test]
fn penguins_with_no_preprocessing_flags_reach_keras() {
    let keras: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tables/penguins_keras.json"),
        )
        .expect("the Keras figure"),
    )
    .expect("JSON");
    let keras_mean = keras["mean"].as_f64().expect("mean");
    let d = TempDir::new().expect("temp dir");
    let p = d.path();
    let data = table();
    let data = data.to_str().expect("UTF-8 path");
    let mut accs = Vec::new();
    for seed in ["0", "1", "2"] {
        let out = format!("m{seed}");
        let r = ok(
            p,
            &[
                "train",
                "--data",
                data,
                "--target",
                "species",
                "--validation-split",
                "0.2",
                "--epochs",
                "30",
                "--seed",
                seed,
                "--out",
                &out,
                "--verbose",
                "2",
            ],
        );
        let said = format!("{}{}", r.stdout, r.stderr);
        assert!(said.contains("classification: 3 classes from text column \"species\""), "{said}");
        for column in ["island", "sex", "bill_length_mm"] {
            assert!(said.contains(column), "the schema table lacks {column}:\n{said}");
        }
        accs.push(last_in_history(&p.join(&out), "val_accuracy"));
    }
    let mean = accs.iter().sum::<f64>() / accs.len() as f64;
    assert!(
        mean >= keras_mean - 0.02,
        "wxb's validation accuracy {accs:?} (mean {mean:.4}) is below Keras' {keras_mean:.4} − 0.02"
    );

    // The saved model takes raw rows: text, missing cells and an island it never saw.
    let rows = "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n\
                Adelie,Torgersen,39.1,18.7,181,3750,male,2007\n\
                Gentoo,Biscoe,NA,NA,217,5200,NA,2009\n\
                Chinstrap,Atlantis,49.5,19.0,200,3800,male,2008\n";
    write(p, "new.csv", rows);
    let pred = ok(p, &["predict", "--model", "m0", "--data", "new.csv"]).stdout;
    let predicted: Vec<&str> = pred.lines().skip(1).map(|l| l.split(',').next().expect("a class")).collect();
    assert_eq!(predicted.len(), 3, "{pred}");
    assert_eq!(&predicted[..2], ["Adelie", "Gentoo"], "{pred}");
    let e = json(&ok(p, &["evaluate", "--model", "m0", "--data", data, "--json"]).stdout);
    assert!(e["accuracy"].as_f64().expect("accuracy") >= 0.95, "{e}");
}
