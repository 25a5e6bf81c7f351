//! Table preprocessing: kind inference, missing markers, imputation, Keras `Normalization` and
//! `StringLookup` (one-hot, OOV slot) against Keras' own outputs, the missing indicator, every
//! problem of a file named at once, and the preprocessing's round trip through a saved schema.

use crate::fixture_json;

use std::collections::BTreeMap;

use fixture_json::{Mismatches, floats, load};
use serde_json::Value;
use wxb::Tensor;
use wxb::data::table::{Cells, ColumnKind, Impute, MissingValues, PrepLayer, RawColumn, RawTable, adapt, transform};
use wxb::data::{
    AdaptOptions, DataError, Input, LoadOptions, RawFeatures, Schema, Standardize, Targets, load_for_model,
    load_raw_input, open_prepared,
};

fn raw(text: &str, options: &LoadOptions) -> Result<wxb::data::RawDataset, DataError> {
    load_raw_input(Input::from_reader(std::io::Cursor::new(text.to_string()), "t.csv").unwrap(), None, options)
}

fn table(d: &wxb::data::RawDataset) -> &RawTable {
    match &d.features {
        RawFeatures::Table(t) => t,
        _ => panic!("a table"),
    }
}

fn numbers(v: &Value) -> Vec<Option<f32>> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().map(|f| f as f32)).collect()
}

fn texts(v: &Value) -> Vec<Option<String>> {
    v.as_array().unwrap().iter().map(|x| x.as_str().map(String::from)).collect()
}

/// Golden: `tests/fixtures/keras/preprocessing.py` (Keras 3.15.1) → `preprocessing.json`.
#[test]
fn normalization_and_string_lookup_match_keras() {
    let golden = load("preprocessing.json");
    let mut m = Mismatches::default();
    for case in ["numeric", "constant"] {
        let g = &golden[case];
        let train =
            RawTable { columns: vec![RawColumn { name: "x".into(), cells: Cells::Numbers(numbers(&g["train"])) }] };
        let rows: Vec<usize> = (0..train.rows()).collect();
        let prep = adapt(&train, &rows, true, false);
        if let Some(impute) = g.get("impute") {
            let Impute::Mean { value } = prep[0].impute else { panic!("mean imputation") };
            m.check(&format!("{case} impute"), f64::from(value), impute.as_f64().unwrap(), 1e-6);
        }
        let Some(PrepLayer::Normalization { variables, .. }) = &prep[0].layer else { panic!("a Normalization") };
        m.check(&format!("{case} mean"), f64::from(variables.mean[0]), g["mean"][0].as_f64().unwrap(), 1e-6);
        m.check(
            &format!("{case} variance"),
            f64::from(variables.variance[0]),
            g["variance"][0].as_f64().unwrap(),
            1e-5,
        );
        let test =
            RawTable { columns: vec![RawColumn { name: "x".into(), cells: Cells::Numbers(numbers(&g["test"])) }] };
        let out = transform(&prep, &test);
        for (i, (a, e)) in out.data().iter().zip(floats(&g["output"])).enumerate() {
            m.check(&format!("{case} output {i}"), f64::from(*a), f64::from(e), 1e-5);
        }
    }
    let g = &golden["text"];
    let train = RawTable { columns: vec![RawColumn { name: "island".into(), cells: Cells::Text(texts(&g["train"])) }] };
    let rows: Vec<usize> = (0..train.rows()).collect();
    let prep = adapt(&train, &rows, true, false);
    assert_eq!(prep[0].impute, Impute::MostFrequent { value: g["most_frequent"].as_str().map(String::from) });
    let Some(PrepLayer::StringLookup { config }) = &prep[0].layer else { panic!("a StringLookup") };
    let keras_vocabulary: Vec<String> = texts(&g["vocabulary"]).into_iter().flatten().collect();
    assert_eq!([vec![config.oov_token.clone()], config.vocabulary.clone()].concat(), keras_vocabulary);
    let saved = serde_json::to_value(config).unwrap();
    for (k, v) in g["config"].as_object().unwrap() {
        assert_eq!(&saved[k], v, "config field {k}");
    }
    let test = RawTable { columns: vec![RawColumn { name: "island".into(), cells: Cells::Text(texts(&g["test"])) }] };
    let out = transform(&prep, &test);
    let expected = fixture_json::tensor(&g["output"]);
    assert_eq!(out, expected, "one-hot outputs");
    m.assert_none(2);
}

/// A categorical column of integer codes (`--categorical`) takes Keras' `IntegerLookup`: its
/// vocabulary order (ties by value, largest first), config and one-hot outputs, a code unseen in
/// training in the OOV slot. Golden: `preprocessing.py` → `preprocessing.json`, `integer`.
#[test]
fn integer_lookup_matches_keras() {
    let golden = load("preprocessing.json");
    let g = &golden["integer"];
    let cells = |v: &Value| -> Vec<Option<String>> {
        v.as_array().unwrap().iter().map(|x| x.as_i64().map(|i| i.to_string())).collect()
    };
    let train = RawTable { columns: vec![RawColumn { name: "code".into(), cells: Cells::Text(cells(&g["train"])) }] };
    let rows: Vec<usize> = (0..train.rows()).collect();
    let prep = adapt(&train, &rows, true, false);
    assert_eq!(prep[0].impute, Impute::MostFrequent { value: Some(g["most_frequent"].as_i64().unwrap().to_string()) });
    let Some(PrepLayer::IntegerLookup { config }) = &prep[0].layer else { panic!("an IntegerLookup: {:?}", prep[0]) };
    let keras: Vec<i64> = g["vocabulary"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!([vec![config.oov_token], config.vocabulary.clone()].concat(), keras);
    let saved = serde_json::to_value(config).unwrap();
    for (k, v) in g["config"].as_object().unwrap() {
        assert_eq!(&saved[k], v, "config field {k}");
    }
    let test = RawTable { columns: vec![RawColumn { name: "code".into(), cells: Cells::Text(cells(&g["test"])) }] };
    assert_eq!(transform(&prep, &test), fixture_json::tensor(&g["output"]), "one-hot outputs");
    // A code is matched by its value.
    let padded =
        RawTable { columns: vec![RawColumn { name: "code".into(), cells: Cells::Text(vec![Some("03".into())]) }] };
    assert_eq!(transform(&prep, &padded).data()[3], 1.0);
    // Text in the column keeps it a StringLookup.
    let mixed = RawTable {
        columns: vec![RawColumn { name: "c".into(), cells: Cells::Text(vec![Some("1".into()), Some("b".into())]) }],
    };
    assert!(matches!(adapt(&mixed, &[0, 1], true, false)[0].layer, Some(PrepLayer::StringLookup { .. })));
}

#[test]
fn kinds_are_inferred_and_missing_markers_are_missing() {
    let text = "n,t,mixed,y\n1,a,1,x\nNA,b,b,y\n?,,c,x\n2.5,null,d,y\n";
    let d = raw(text, &LoadOptions::default()).unwrap();
    let t = table(&d);
    let kinds: Vec<ColumnKind> = t.columns.iter().map(RawColumn::kind).collect();
    assert_eq!(kinds, [ColumnKind::Numeric, ColumnKind::Text, ColumnKind::Text]);
    assert_eq!(t.columns[0].cells, Cells::Numbers(vec![Some(1.0), None, None, Some(2.5)]));
    assert_eq!(t.columns[1].missing(), 2);
    // In a text column, a number is a category.
    assert_eq!(t.columns[2].cells, Cells::Text(["1", "b", "c", "d"].map(|s| Some(s.to_string())).to_vec()));
    // Markers are configurable; an empty cell is always missing.
    let o = LoadOptions { missing: MissingValues(vec!["-".into()]), ..LoadOptions::default() };
    let d = raw("n,y\n-,a\n,b\n3,a\n", &o).unwrap();
    assert_eq!(table(&d).columns[0].cells, Cells::Numbers(vec![None, None, Some(3.0)]));
    // `nan` is not a marker: it is a non-finite number, refused unless allowed.
    let e = raw("n,y\nnan,a\n1,b\n", &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::NonFinite { .. }), "{e}");
    let o = LoadOptions { non_finite: wxb::data::NonFinite::Allow, ..LoadOptions::default() };
    let d = raw("n,y\nnan,a\n1,b\n", &o).unwrap();
    let Cells::Numbers(v) = &table(&d).columns[0].cells else { panic!("numbers") };
    assert!(v[0].unwrap().is_nan());
    // Integer codes are numbers unless named categorical.
    let o = LoadOptions { categorical: vec!["n".into()], ..LoadOptions::default() };
    let d = raw("n,y\n1,a\n2,b\n1,a\n", &o).unwrap();
    assert_eq!(table(&d).columns[0].cells, Cells::Text(["1", "2", "1"].map(|s| Some(s.to_string())).to_vec()));
    let o = LoadOptions { categorical: vec!["nope".into()], ..LoadOptions::default() };
    assert!(matches!(raw("n,y\n1,a\n2,b\n", &o), Err(DataError::UnknownColumn { .. })));
    // A missing target is an error naming its line.
    let e = raw("n,y\n1,a\n2,NA\n", &LoadOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv:3: the target column \"y\" is missing (\"NA\"); remove the row or fill the target"
    );
}

#[test]
fn integer_targets_with_more_than_ten_values_are_a_regression() {
    let mut text = String::from("x,rating\n");
    for i in 0..40 {
        text.push_str(&format!("{i},{}\n", i % 13));
    }
    let d = raw(&text, &LoadOptions::default()).unwrap();
    assert_eq!(d.schema.task, wxb::data::Task::Regression);
    let text: String = "x,rating\n".to_string() + &(0..40).map(|i| format!("{i},{}\n", i % 10)).collect::<String>();
    assert_eq!(raw(&text, &LoadOptions::default()).unwrap().schema.classes(), 10);
}

#[test]
fn every_problem_of_a_file_is_named() {
    let text = "a,b,c,y\n1,2,3,k\nx,2,3,k\n1,y,3,k\n1,2\n4,z,inf,k\n1,2,3,4,5\n5,6,7,k\n8,9,1,k\n";
    let e = raw(text, &LoadOptions::default()).unwrap_err();
    let DataError::Problems { problems, total, .. } = &e else { panic!("{e}") };
    assert_eq!((problems.len(), *total), (6, 6));
    assert_eq!(
        e.to_string(),
        "t.csv: 2 columns have text in numeric cells: \"a\" (line 3, col 1: \"x\"), \"b\" (line 4, col 2: \"y\"), \
         \"b\" (line 6, col 2: \"z\"); column \"c\" has non-finite numbers: \"c\" (line 6, col 3: \"inf\"); \
         2 rows have another number of fields than the header's 4: line 5 (2 fields), line 7 (5 fields)"
    );
    // A column of numbers for its first 4,096 present cells is numeric; text after them is named,
    // and problems beyond those kept are counted.
    let mut text = String::from("a,y\n");
    (0..5000).for_each(|i| text.push_str(&format!("{i},k\n")));
    (0..30).for_each(|i| text.push_str(&format!("x{i},k\n")));
    let e = raw(&text, &LoadOptions::default()).unwrap_err();
    let m = e.to_string();
    assert!(m.starts_with("t.csv: column \"a\" has text in numeric cells: \"a\" (line 5002, col 1: \"x0\")"), "{m}");
    assert!(m.ends_with("(30 problems in all; the first 20 were looked at)"), "{m}");
    // One problem alone keeps its own error.
    let e = raw("a,y\n1,k\nx,k\n2,k\n3,j\n", &LoadOptions::default()).unwrap_err();
    assert_eq!(e.to_string(), "t.csv:3: column \"a\": \"x\" is not a number");
}

#[test]
fn adapting_on_training_rows_only_and_the_missing_indicator() {
    let text = "n,c,y\n1,a,k\n3,b,j\n,a,k\n100,z,j\n";
    let d = raw(text, &LoadOptions::default()).unwrap();
    let o = AdaptOptions { standardize: Standardize::Tables, missing_indicator: true };
    let set = d.adapt(&[0, 1, 2], &o);
    let s = &set.schema;
    assert_eq!(s.feature_names, ["n", "n (missing)", "c=[UNK]", "c=a", "c=b"]);
    let columns = s.columns.as_ref().unwrap();
    // Mean of 1 and 3 (row 3, a validation row, is not seen); the filled cell is 2.
    assert_eq!(columns[0].impute, Impute::Mean { value: 2.0 });
    // The validation row's unseen "z" takes the OOV slot; its number is standardized with the
    // training rows' statistics (mean 2, variance 2/3).
    let sd = (2.0f32 / 3.0).sqrt();
    assert_eq!(set.features.row(2), [0.0, 1.0, 0.0, 1.0, 0.0]);
    assert_eq!(set.features.row(3), [(100.0 - 2.0) / sd, 0.0, 1.0, 0.0, 0.0]);
    assert!(!columns[1].missing_indicator, "no missing training cell in c");
}

#[test]
fn the_preprocessing_is_saved_and_applied_to_new_data_as_in_training() {
    let text = "c;n;y\na;1;k\nb;;j\na;3;k\nb;4;j\n";
    let d = raw(text, &LoadOptions::default()).unwrap();
    let rows: Vec<usize> = (0..d.rows()).collect();
    let set = d.adapt(&rows, &AdaptOptions::default());
    let mut meta = BTreeMap::new();
    set.schema.insert_into(&mut meta);
    let text = serde_json::to_string(&meta).unwrap();
    assert!(text.contains(r#""class_name":"StringLookup""#) && text.contains(r#""class_name":"Normalization""#));
    let schema = Schema::from_metadata(&serde_json::from_str(&text).unwrap()).unwrap();
    assert_eq!(schema, set.schema);
    // A hand-edited kind that its layers do not fit is refused, not applied.
    let edited = text.replacen(r#""kind":"text""#, r#""kind":"numeric""#, 1);
    let e = Schema::from_metadata(&serde_json::from_str(&edited).unwrap()).unwrap_err();
    assert!(e.to_string().ends_with("the preprocessing of column \"c\" does not fit its kind numeric"), "{e}");
    // New data, its columns in another order, semicolons, an unseen category, a missing cell.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.csv");
    std::fs::write(&path, "y;n;c\nk;1;a\nj;NA;zzz\n").unwrap();
    let (x, y) = load_for_model(&path, None, &schema, &LoadOptions::default(), Targets::Required).unwrap();
    assert_eq!(x.row(0), set.features.row(0));
    let mean = 8.0 / 3.0;
    let Some(PrepLayer::Normalization { variables, .. }) = &schema.columns.as_ref().unwrap()[1].layer else {
        panic!("normalized")
    };
    assert_eq!(x.row(1), [1.0, 0.0, 0.0, variables.apply(mean)]);
    assert_eq!(y.unwrap().data(), [1.0, 0.0]);
    // Streamed in batches, the same inputs.
    let mut reader = open_prepared(&path, &schema, &LoadOptions::default()).unwrap();
    let mut batch = Tensor::default();
    assert_eq!(reader.next_batch_into(1, &mut batch).unwrap(), 1);
    assert_eq!(batch.row(0), x.row(0));
    assert_eq!(reader.next_batch_into(1, &mut batch).unwrap(), 1);
    assert_eq!(batch.row(0), x.row(1));
    assert_eq!(reader.next_batch_into(1, &mut batch).unwrap(), 0);
}
