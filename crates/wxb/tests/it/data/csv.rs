use wxb::Tensor;
use wxb::data::DataError;
use wxb::data::csv::{self, ClassCount, CsvOptions, FeatureColumns, NonFinite, Table, Target, TargetColumn, Task};

fn read(text: &str, options: &CsvOptions) -> Result<Table, DataError> {
    csv::from_reader(text.as_bytes(), "data.csv", options)
}

fn ok(text: &str) -> Table {
    read(text, &CsvOptions::default()).unwrap()
}

fn err(text: &str, options: &CsvOptions) -> DataError {
    read(text, options).unwrap_err()
}

fn classes(t: &Table) -> (Vec<f32>, Vec<String>) {
    match t.target.as_ref().unwrap() {
        Target::Classes { labels, classes, .. } => (labels.data().to_vec(), classes.clone()),
        other => panic!("expected classes, got {other:?}"),
    }
}

#[test]
fn features_and_integer_classes_from_a_file() {
    let (_dir, path) = super::temp_file("iris.csv", b"a,b,label\n1,2,10\n3,4,2\n5,6,10\n7,8,2\n");
    let t = csv::read(&path, &CsvOptions::default()).unwrap();
    assert_eq!(t.feature_names, ["a", "b"]);
    assert_eq!(t.features, Tensor::from_vec(&[4, 2], vec![1., 2., 3., 4., 5., 6., 7., 8.]));
    // Numeric labels sort numerically: 2 before 10.
    assert_eq!(classes(&t), (vec![1., 0., 1., 0.], vec!["2".to_string(), "10".to_string()]));
    assert_eq!(t.target.as_ref().unwrap().name(), "label");
}

#[test]
fn string_labels_are_sorted_classes() {
    let t = ok("x,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n");
    assert_eq!(classes(&t).0, [2., 0., 1., 0.]);
    assert_eq!(t.target.as_ref().unwrap().classes().unwrap(), ["setosa", "versicolor", "virginica"]);
}

#[test]
fn auto_reads_floats_and_many_integers_as_regression() {
    let t = ok("x,y\n1,0.5\n2,1.5\n3,0.5\n4,2\n");
    assert_eq!(t.target.as_ref().unwrap().tensor().data(), &[0.5, 1.5, 0.5, 2.]);
    assert!(t.target.as_ref().unwrap().classes().is_none());
    // Integers with more than half as many distinct values as rows: a quantity, not classes.
    let t = ok("x,y\n1,10\n2,20\n3,30\n4,10\n");
    assert!(matches!(t.target, Some(Target::Values { .. })));
    let many: String = (0..100).map(|i| format!("{i},{}\n", i % 30)).collect();
    assert!(matches!(ok(&format!("x,y\n{many}")).target, Some(Target::Values { .. })));
}

#[test]
fn forced_tasks_override_auto() {
    let cls = CsvOptions { task: Some(Task::Classification), ..CsvOptions::default() };
    let t = read("x,y\n1,0.5\n2,1.5\n3,0.5\n", &cls).unwrap();
    assert_eq!(classes(&t), (vec![0., 1., 0.], vec!["0.5".to_string(), "1.5".to_string()]));
    let reg = CsvOptions { task: Some(Task::Regression), ..CsvOptions::default() };
    let t = read("x,y\n1,0\n2,1\n3,0\n4,1\n", &reg).unwrap();
    assert!(matches!(t.target, Some(Target::Values { .. })));
    let e = err("x,y\n1,0\n2,yes\n", &reg);
    assert_eq!(e.to_string(), r#"data.csv:3: column "y": "yes" is not a number"#);
}

#[test]
fn mixed_targets_are_classes_only_when_few() {
    let t = ok("x,y\n1,yes\n2,0\n3,no\n4,0\n");
    assert_eq!(classes(&t).1, ["0", "no", "yes"]);
    let rows: String = (0..40).map(|i| format!("{i},{}.5\n", i)).collect();
    let e = err(&format!("x,y\n{rows}7,oops\n"), &CsvOptions::default());
    assert!(matches!(&e, DataError::NotANumber { line: 42, value, .. } if value == "oops"), "{e:?}");
}

#[test]
fn target_and_features_by_name_and_index() {
    let text = "a,b,c,d\n1,2,3,0\n4,5,6,1\n7,8,9,0\n10,11,12,1\n";
    let by_name = CsvOptions {
        target: TargetColumn::Name("a".into()),
        features: FeatureColumns::Names(vec!["d".into(), "b".into()]),
        ..CsvOptions::default()
    };
    let t = read(text, &by_name).unwrap();
    assert_eq!(t.feature_names, ["d", "b"]);
    assert_eq!(t.features.data(), &[0., 2., 1., 5., 0., 8., 1., 11.]);
    assert_eq!(t.target.unwrap().tensor().data(), &[1., 4., 7., 10.]);
    let by_index = CsvOptions {
        target: TargetColumn::Index(3),
        features: FeatureColumns::Indices(vec![2]),
        ..CsvOptions::default()
    };
    let t = read(text, &by_index).unwrap();
    assert_eq!((t.feature_names, t.features.data().to_vec()), (vec!["c".to_string()], vec![3., 6., 9., 12.]));
}

#[test]
fn prediction_data_without_the_target() {
    let names = vec!["b".to_string(), "a".to_string()];
    let t = read("a,b\n1,2\n3,4\n", &CsvOptions::for_prediction(&names)).unwrap();
    assert_eq!(t.features, Tensor::from_vec(&[2, 2], vec![2., 1., 4., 3.]));
    assert!(t.target.is_none());
    // A target column still present is ignored.
    let t = read("a,label,b\n1,x,2\n", &CsvOptions::for_prediction(&names)).unwrap();
    assert_eq!(t.features.data(), &[2., 1.]);
    let e = err("a,c\n1,2\n", &CsvOptions::for_prediction(&names));
    assert!(matches!(&e, DataError::UnknownColumn { name, available, .. } if name == "b" && available.len() == 2));
    assert_eq!(e.to_string(), r#"data.csv: no column "b"; the columns are "a", "c""#);
}

#[test]
fn dialects_quotes_blanks_bom_and_crlf() {
    let t = read(
        "\u{feff}a;b;y\r\n\" 1.5\";2;0\r\n\r\n3; 4 ;1\r\n5;6;0\r\n7;8;1\r\n",
        &CsvOptions { delimiter: Some(b';'), ..CsvOptions::default() },
    )
    .unwrap();
    assert_eq!(t.feature_names, ["a", "b"]);
    assert_eq!(t.features.data(), &[1.5, 2., 3., 4., 5., 6., 7., 8.]);
    // A quoted field may not span lines: its quote is named where it opens.
    let e = err("a,y\n1,\"x\ny\"\n2,\n", &CsvOptions::default());
    assert!(matches!(e, DataError::UnterminatedQuote { line: 2, column: 2, .. }), "{e}");
}

#[test]
fn missing_empty_and_header_only_files() {
    let missing = std::env::temp_dir().join("wxb-no-such-dir/none.csv");
    let e = csv::read(&missing, &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(&e, DataError::Io { path, source } if path == &missing && source.kind() == std::io::ErrorKind::NotFound)
    );
    assert!(e.to_string().starts_with(&format!("{}: ", missing.display())), "{e}");
    let e = err("", &CsvOptions::default());
    assert!(matches!(e, DataError::EmptyFile { .. }));
    assert_eq!(e.to_string(), "data.csv: the file is empty");
    let e = err("a,b,y\n", &CsvOptions::default());
    assert!(matches!(e, DataError::NoRows { .. }));
    assert_eq!(e.to_string(), "data.csv: the file has a header but no data rows");
}

#[test]
fn ragged_rows_name_their_line() {
    let e = err("a,b,c,d,y\n1,2,3,4,0\n1,2,3,4\n", &CsvOptions::default());
    assert!(matches!(e, DataError::RaggedRow { line: 3, fields: 4, expected: 5, .. }));
    assert_eq!(e.to_string(), "data.csv:3: row has 4 fields, the header has 5");
}

#[test]
fn bad_cells_name_line_column_and_value() {
    let o = CsvOptions::default();
    let e = err("id,age,y\n1,30,0\n2,abc,1\n", &o);
    assert!(matches!(&e, DataError::NotANumber { line: 3, column, value, .. } if column == "age" && value == "abc"));
    assert_eq!(e.to_string(), r#"data.csv:3: column "age": "abc" is not a number"#);
    let e = err("id,age,y\n1,,0\n", &o);
    assert!(matches!(&e, DataError::MissingValue { line: 2, column, .. } if column == "age"));
    for (cell, line) in [("nan", 2), ("inf", 2), ("-Infinity", 2)] {
        let e = err(&format!("a,y\n{cell},0\n1,1\n"), &o);
        assert!(matches!(&e, DataError::NonFinite { line: l, value, .. } if *l == line && value == cell), "{e:?}");
    }
    let e = err("a,y\n1,0\n2,1\n1e39,0\n", &o);
    assert_eq!(e.to_string(), r#"data.csv:4: column "a": "1e39" is too large for a 32-bit float"#);
    assert!(matches!(e, DataError::OutOfRange { line: 4, .. }));
    let e = err("a,y\n1,nan\n2,1.5\n", &o);
    assert!(matches!(&e, DataError::NonFinite { line: 2, column, .. } if column == "y"), "{e:?}");
    assert_eq!(
        e.to_string(),
        r#"data.csv:2: column "y": "nan" is not a finite number (use NonFinite::Allow to keep it)"#
    );
}

#[test]
fn non_finite_values_can_be_allowed() {
    let o = CsvOptions { non_finite: NonFinite::Allow, ..CsvOptions::default() };
    let t = read("a,y\nnan,0.5\n-inf,inf\n1e39,1.5\n", &o).unwrap();
    let f = t.features.data();
    assert!(f[0].is_nan() && f[1] == f32::NEG_INFINITY && f[2] == f32::INFINITY);
    assert_eq!(t.target.unwrap().tensor().data()[1], f32::INFINITY);
}

#[test]
fn column_selection_errors_list_the_columns() {
    let text = "a,b,a,y\n1,2,3,0\n";
    let named = |t: &str| CsvOptions { target: TargetColumn::Name(t.into()), ..CsvOptions::default() };
    let e = err(text, &named("label"));
    assert_eq!(e.to_string(), r#"data.csv: no column "label"; the columns are "a", "b", "a", "y""#);
    let e = err(text, &named("a"));
    assert!(matches!(&e, DataError::DuplicateColumn { name, .. } if name == "a"));
    assert_eq!(
        e.to_string(),
        r#"data.csv: the header names more than one column "a" (columns 1, 3); give each column its own name"#
    );
    let e = err(text, &CsvOptions { target: TargetColumn::Index(4), ..CsvOptions::default() });
    assert!(matches!(e, DataError::ColumnIndexOutOfRange { index: 4, .. }));
    assert_eq!(e.to_string(), r#"data.csv: no column at index 4 (0-based); the 4 columns are "a", "b", "a", "y""#);
    let e = err(text, &CsvOptions { features: FeatureColumns::Names(vec!["zz".into()]), ..CsvOptions::default() });
    assert!(matches!(&e, DataError::UnknownColumn { name, .. } if name == "zz"));
    let e = err(text, &CsvOptions { features: FeatureColumns::Indices(vec![0, 3]), ..CsvOptions::default() });
    assert_eq!(e.to_string(), r#"data.csv: column "y" is the target, it cannot also be a feature"#);
    let e = err("y\n1\n", &CsvOptions::default());
    assert!(matches!(e, DataError::NoFeatures { .. }));
    assert_eq!(e.to_string(), r#"data.csv: no feature columns (the header is "y")"#);
}

#[test]
fn classification_needs_two_classes() {
    let e = err("a,y\n1,cat\n2,cat\n", &CsvOptions::default());
    assert!(matches!(&e, DataError::SingleClass { column, class, .. } if column == "y" && class == "cat"));
    assert_eq!(
        e.to_string(),
        r#"data.csv: target column "y" holds the single class "cat"; classification needs at least 2"#
    );
    let cls = CsvOptions { task: Some(Task::Classification), ..CsvOptions::default() };
    assert!(matches!(err("a,y\n1,0\n2,0\n3,0\n", &cls), DataError::SingleClass { .. }));
    // Data to evaluate a trained classifier on may hold one class.
    let any = CsvOptions { task: Some(Task::Classification), class_count: ClassCount::Any, ..CsvOptions::default() };
    let t = read("a,y\n1,cat\n2,cat\n", &any).unwrap();
    match t.target {
        Some(Target::Classes { labels, classes, .. }) => {
            assert_eq!((labels.data(), classes), (&[0.0, 0.0][..], vec!["cat".to_string()]));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn long_cells_are_shortened_in_messages() {
    let long = "x".repeat(500);
    let e = err(&format!("a,y\n{long},0\n"), &CsvOptions::default());
    let DataError::NotANumber { value, .. } = &e else { panic!("{e:?}") };
    assert_eq!(value.chars().count(), 65);
    assert!(e.to_string().len() < 120);
}
