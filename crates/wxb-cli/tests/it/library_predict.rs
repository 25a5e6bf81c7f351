//! A Rust program gets the same predictions as `wxb predict`: the library loads the model folder
//! with its schema, prepares raw features (a table's saved preprocessing: Keras Normalization per
//! numeric column) and names the classes.

use crate::common;

use common::*;
use wxb::data::csv::{self, CsvOptions};
use wxb::data::table::PrepLayer;
use wxb::data::{LoadOptions, Targets};
use wxb::io::load_trained;

/// Trains with `--standardize` on `train.csv`, predicts `new.csv` with the CLI and with the
/// library, and compares every field.
fn same_predictions(p: &std::path::Path, train: &str, new: &str) {
    write(p, "train.csv", train);
    write(p, "new.csv", new);
    let flags = ["--standardize", "--layers", "6", "--epochs", "3", "--out", "m", "--verbose", "0"];
    ok(p, &[&["train", "--data", "train.csv"][..], &flags].concat());
    ok(p, &["predict", "--model", "m", "--data", "new.csv", "--out", "preds.csv"]);
    let (header, rows) = read_csv(&p.join("preds.csv"));

    let trained = load_trained(&p.join("m")).unwrap();
    let columns = trained.schema.columns.as_ref().expect("a table's columns");
    assert!(columns.iter().all(|c| matches!(c.layer, Some(PrepLayer::Normalization { .. }))));
    // Raw features, picked by name in the model's order; the library prepares them.
    let raw = csv::read(&p.join("new.csv"), &CsvOptions::for_prediction(&trained.schema.source_columns())).unwrap();
    let got = trained.predict(&raw.features, wxb::model::DEFAULT_BATCH_SIZE).unwrap();
    // Or the file read for the model, already prepared.
    let (x, _) = trained.read_data(&p.join("new.csv"), None, &LoadOptions::default(), Targets::Ignored).unwrap();
    assert_eq!(trained.predict_prepared(&x, wxb::model::DEFAULT_BATCH_SIZE).unwrap(), got);

    assert_eq!(rows.len(), got.outputs.rows());
    for (i, row) in rows.iter().enumerate() {
        let mut expected: Vec<String> = got.outputs.row(i).iter().map(|v| v.to_string()).collect();
        if let Some(classes) = &got.classes {
            expected.insert(0, classes[i].clone());
        }
        assert_eq!(row, &expected, "row {i} of {header:?}");
    }
}

#[test]
fn a_classifier_trained_with_standardize_predicts_the_same_from_rust() {
    let d = tempdir();
    // The new file has its columns in another order, and no target.
    let mut new = String::from("c,b,a\n");
    for (x, _) in blobs(40, 9) {
        new.push_str(&format!("{:.4},{:.4},{:.4}\n", x[2], x[1], x[0]));
    }
    same_predictions(d.path(), &blobs_csv(90, 3), &new);
}

#[test]
fn a_regression_trained_with_standardize_predicts_the_same_from_rust() {
    let d = tempdir();
    same_predictions(d.path(), &regression_csv(60, 4), &regression_csv(25, 8));
}
