//! Tables as people have them: text columns, missing cells, a target that is not the last
//! column, semicolons — trained on with no preprocessing flags, the task and the schema said,
//! and the saved preprocessing applied by predict (an unseen category, missing cells), evaluate
//! and explain. Bad tables: every problem named in one line.

use crate::common;

use common::*;

/// A small table: the target `species` first, a text column with a missing cell, numbers with
/// missing cells (`NA`, empty, `?`), `;`-separated.
const TABLE: &str = "species;island;bill;mass\n\
    Adelie;Torgersen;39.1;3750\n\
    Adelie;Torgersen;NA;3800\n\
    Gentoo;Biscoe;46.1;?\n\
    Gentoo;Biscoe;47.5;5200\n\
    Chinstrap;Dream;46.5;3500\n\
    Chinstrap;;50.0;3900\n\
    Adelie;Dream;37.0;3400\n\
    Gentoo;Biscoe;50.0;5400\n\
    Chinstrap;Dream;49.0;\n\
    Adelie;Torgersen;38.0;3600\n";

#[test]
fn a_table_with_text_and_missing_cells_trains_predicts_evaluates_and_explains() {
    let d = tempdir();
    let p = d.path();
    write(p, "penguins.txt", TABLE);
    let out = ok(p, &["train", "--data", "penguins.txt", "--target", "species", "--epochs", "3", "--out", "m"]).said();
    assert!(out.contains("classification: 3 classes from text column \"species\"\n"), "{out}");
    assert!(out.contains("island  text     1 missing  3 categories (Biscoe, Dream, Torgersen)\n"), "{out}");
    assert!(out.contains("bill    numeric  1 missing\n") && out.contains("mass    numeric  2 missing\n"), "{out}");
    // The preprocessing is saved as Keras layers.
    let config = std::fs::read_to_string(p.join("m/config.json")).unwrap();
    for part in [r#""class_name": "StringLookup""#, r#""class_name": "Normalization""#, r#""oov_token": "[UNK]""#] {
        assert!(config.contains(part), "config.json lacks {part}");
    }
    // Prediction: columns in another order, an unseen island, missing cells; no target column.
    write(p, "new.csv", "mass,island,bill\n4000,Atlantis,40\n,Dream,NA\n5000,Biscoe,48\n");
    let pred = ok(p, &["predict", "--model", "m", "--data", "new.csv"]).stdout;
    let lines: Vec<&str> = pred.lines().collect();
    assert_eq!(lines[0], "prediction,p_Adelie,p_Chinstrap,p_Gentoo");
    assert_eq!(lines.len(), 4, "{pred}");
    let eval = ok(p, &["evaluate", "--model", "m", "--data", "penguins.txt"]).stdout;
    assert!(eval.starts_with("10 samples - loss: "), "{eval}");
    let explain = ok(p, &["explain", "--model", "m", "--data", "new.csv", "--row", "1"]).stdout;
    assert!(explain.contains("island=Dream") && explain.contains("island=[UNK]"), "{explain}");
    assert!(explain.contains("Raw values: island=\"Dream\", bill (missing), mass (missing)."), "{explain}");
}

#[test]
fn integer_targets_say_which_task_and_how_to_override_it() {
    let d = tempdir();
    let p = d.path();
    let rows: String = (0..40).map(|i| format!("{i},{}\n", i % 13)).collect();
    write(p, "r.csv", format!("x,rating\n{rows}"));
    let out = ok(p, &["train", "--data", "r.csv", "--epochs", "1", "--out", "m"]).said();
    assert!(out.contains("regression: column \"rating\" has 13 distinct numbers (--task classification to override)"));
    let out = ok(p, &["train", "--data", "r.csv", "--epochs", "1", "--out", "m", "--task", "classification"]).said();
    assert!(out.contains("classification: 13 classes from integer column \"rating\" (--task classification)"));
    let rows: String = (0..40).map(|i| format!("{i},{}\n", i % 4)).collect();
    write(p, "c.csv", format!("x,rating\n{rows}"));
    let out = ok(p, &["train", "--data", "c.csv", "--epochs", "1", "--out", "m", "--no-standardize"]).said();
    assert!(out.contains("classification: 4 classes from integer column \"rating\" (--task regression to override)"));
    let config = std::fs::read_to_string(p.join("m/config.json")).unwrap();
    assert!(!config.contains("Normalization"), "--no-standardize keeps the numbers");
}

#[test]
fn missing_markers_delimiter_and_indicator_are_flags() {
    let d = tempdir();
    let p = d.path();
    write(p, "t.txt", "a|b|y\n1|-|k\n2|5|j\n3|6|k\n4|7|j\n");
    let args = ["train", "--data", "t.txt", "--epochs", "1", "--out", "m", "--delimiter", "|"];
    let e = fails(p, &args, &["t.txt:2: column \"b\": \"-\" is not a number"]);
    assert!(!e.contains("--missing-values"), "a single problem keeps its own message: {e}");
    let out = ok(p, &[&args[..], &["--missing-values", "-", "--missing-indicator"]].concat()).said();
    assert!(out.contains("b       numeric  1 missing"), "{out}");
    let config = std::fs::read_to_string(p.join("m/config.json")).unwrap();
    assert!(config.contains(r#""b (missing)""#), "the indicator input is named");
    // Integer codes one-hot encoded on request.
    let out = ok(p, &[&args[..], &["--missing-values", "-", "--categorical", "a"]].concat()).said();
    assert!(out.contains("a       text     0 missing  4 categories (1, 2, 3, 4)"), "{out}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("m/config.json")).unwrap()).unwrap();
    let a = &config["metadata"]["preprocessing"]["columns"][0]["layer"];
    assert_eq!(a["class_name"], "IntegerLookup", "{a}");
    assert_eq!(
        a["config"]["vocabulary"],
        serde_json::json!([4, 3, 2, 1]),
        "Keras' order: ties by value, largest first"
    );
    let pred = ok(p, &["predict", "--model", "m", "--data", "t.txt", "--delimiter", "|"]).stdout;
    assert_eq!(pred.lines().count(), 5, "{pred}");
    fails(p, &[&args[..], &["--categorical", "zz"]].concat(), &["no column \"zz\""]);
}

#[test]
fn every_problem_of_a_table_is_named_in_one_line() {
    let d = tempdir();
    let p = d.path();
    write(p, "bad.csv", "a,b,c,y\n1,2,3,k\nx,2,3,k\n1,y,3,k\n1,2\n4,z,inf,k\n5,6,7,k\n8,9,1,j\n");
    fails(
        p,
        &["train", "--data", "bad.csv", "--out", "m"],
        &[
            "bad.csv: 2 columns have text in numeric cells: \"a\" (line 3, col 1: \"x\"), \"b\" (line 4, col 2: \"y\")",
            "column \"c\" has non-finite numbers: \"c\" (line 6, col 3: \"inf\")",
            "a row has another number of fields than the header's 4: line 5 (2 fields)",
            "--missing-values",
            "--allow-nonfinite",
        ],
    );
}
