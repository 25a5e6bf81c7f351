//! The one entry point: a file and options in, features, targets and a schema out; the same data
//! read again for a saved model's schema.

use wxb::Tensor;
use wxb::data::csv::TargetColumn;
use wxb::data::{
    self, DataError, Format, InputFormat, LoadOptions, Schema, SchemaError, Targets, Task, idx, load, load_for_model,
    load_with_labels, npy, npz,
};

use super::temp_file;

#[test]
fn csv_text_labels_become_classes_and_the_schema_names_them() {
    let (_d, path) = temp_file("iris.csv", b"a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n");
    let set = load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(set.features.shape(), [4, 2]);
    assert_eq!(set.targets.data(), [0.0, 1.0, 0.0, 1.0]);
    let s = &set.schema;
    assert_eq!(
        (s.format, s.task, s.feature_names.as_slice()),
        (InputFormat::Csv, Task::Classification, &["a".to_string(), "b".to_string()][..])
    );
    assert_eq!(s.class_names.as_deref().unwrap(), ["cat", "dog"]);
    assert_eq!(s.target.as_deref(), Some("kind"));
    let reg =
        LoadOptions { target: TargetColumn::Name("b".into()), task: Some(Task::Regression), ..LoadOptions::default() };
    // The text column is then a feature, one-hot encoded (Keras' StringLookup: OOV slot first,
    // then by count, ties by the value, largest first).
    let set = load(&path, &reg).unwrap();
    assert_eq!(set.schema.feature_names, ["a", "kind=[UNK]", "kind=dog", "kind=cat"]);
    assert_eq!(set.features.row(0), [1.0, 0.0, 0.0, 1.0]);
}

#[test]
fn standardization_uses_the_training_rows_and_the_schema_reapplies_it() {
    let (_d, path) = temp_file("r.csv", b"x,y\n1,0.5\n2,0.1\n3,0.7\n100,0.2\n");
    let raw = data::load_raw(&path, None, &LoadOptions::default()).unwrap();
    assert_eq!(raw.schema.task, Task::Regression);
    let set = raw.adapt(&[0, 1, 2], &data::AdaptOptions::default());
    let columns = set.schema.columns.clone().unwrap();
    let Some(data::table::PrepLayer::Normalization { variables, .. }) = &columns[0].layer else { panic!("normalized") };
    assert_eq!(variables.mean, [2.0]);
    assert_eq!(set.features.at(&[1, 0]), 0.0);
    // Reading the file again for the schema prepares it the same way.
    let (x, y) = load_for_model(&path, None, &set.schema, &LoadOptions::default(), Targets::Required).unwrap();
    assert_eq!(x, set.features);
    assert_eq!(y.unwrap(), set.targets);
    // So does preparing raw features.
    let mut raw = Tensor::from_vec(&[4, 1], vec![1.0, 2.0, 3.0, 100.0]);
    set.schema.prepare(&mut raw);
    assert_eq!(raw, set.features);
}

#[test]
fn arrays_with_labels_in_a_second_file_or_in_an_archive() {
    let images = Tensor::from_vec(&[4, 2, 2], (0..16).map(|v| (v * 10) as f32).collect());
    let (_d1, x) = temp_file("images-idx3-ubyte", &idx::encode(&images, data::ElemType::U8));
    let labels = Tensor::from_vec(&[4], vec![0.0, 1.0, 1.0, 0.0]);
    let (_d2, y) = temp_file("labels-idx1-ubyte", &idx::encode(&labels, data::ElemType::U8));
    assert_eq!(data::detect(&x).unwrap(), Format::Idx);
    let set = load_with_labels(&x, Some(&y), &LoadOptions::default()).unwrap();
    assert_eq!(set.features.shape(), [4, 4]);
    assert!((set.features.at(&[3, 3]) - 150.0 / 255.0).abs() < 1e-7);
    assert_eq!((set.schema.task, set.schema.image_shape.as_deref()), (Task::Classification, Some(&[2, 2][..])));
    assert_eq!(set.schema.feature_names[3], "pixel[1,1]");
    // Flat through the data path; one channel, channels last, for the model.
    assert_eq!(set.schema.input_shape(), [2, 2, 1]);
    let images = set.features.clone().with_sample_shape(&set.schema.input_shape());
    assert_eq!((images.shape(), images.data()), (&[4, 2, 2, 1][..], set.features.data()));
    assert_eq!(images.clone().with_sample_shape(&[4]).shape(), [4, 4], "and back");
    assert_eq!(
        images.clone().with_sample_shape(&[5]).shape(),
        [4, 2, 2, 1],
        "another size: left to the model to refuse"
    );
    let e = load(&x, &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::NoLabels { .. }), "{e}");

    let flat = Tensor::from_vec(&[4, 1], vec![0.5, 1.5, 2.5, 3.5]);
    let (_d3, z) = temp_file("xy.npz", &npz::encode(&[("x", &flat), ("y", &flat)]));
    let set = load(&z, &LoadOptions::default()).unwrap();
    assert_eq!((set.schema.format, set.schema.task), (InputFormat::Npy, Task::Regression));
    assert_eq!((set.schema.sample_shape.as_deref(), set.schema.input_shape()), (None, vec![1]));
    let cube = Tensor::from_vec(&[4, 2, 1, 3], (0..24).map(|v| v as f32).collect());
    let (_d6, c) = temp_file("cube.npz", &npz::encode(&[("x", &cube), ("y", &flat)]));
    let set = load(&c, &LoadOptions::default()).unwrap();
    assert_eq!((set.features.shape(), set.schema.input_shape()), (&[4, 6][..], vec![2, 1, 3]), "the trailing shape");
    let (_d4, short) = temp_file("y.npy", &npy::encode(&Tensor::from_vec(&[3], vec![0.0, 1.0, 0.0])));
    let (_d5, xs) = temp_file("x.npy", &npy::encode(&flat));
    let e = load_with_labels(&xs, Some(&short), &LoadOptions::default()).unwrap_err();
    assert_eq!(e.to_string(), format!("{}: 3 labels for 4 samples in {}", short.display(), xs.display()));
}

#[test]
fn data_for_a_saved_schema_must_fit_it() {
    let (_d, train) = temp_file("t.csv", b"a,b,kind\n1,2,cat\n3,4,dog\n");
    let schema: Schema = load(&train, &LoadOptions::default()).unwrap().schema;
    let (_d2, other) = temp_file("o.csv", b"b,kind\n1,cat\n");
    let e = load_for_model(&other, None, &schema, &LoadOptions::default(), Targets::Ignored).unwrap_err();
    assert!(matches!(e, DataError::Schema(SchemaError::MissingFeature { .. })), "{e}");
    let (_d3, bird) = temp_file("bird.csv", b"b,a,kind\n1,2,bird\n");
    let e = load_for_model(&bird, None, &schema, &LoadOptions::default(), Targets::Required).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: label \"bird\" is not one of the model's classes (cat, dog)", bird.display())
    );
    // Columns are picked by name, in the schema's order; one class is enough to evaluate on.
    let (_d4, dogs) = temp_file("dogs.csv", b"kind,b,a\ndog,4,3\n");
    let (x, y) = load_for_model(&dogs, None, &schema, &LoadOptions::default(), Targets::Required).unwrap();
    assert_eq!((x.data(), y.unwrap().data()), (&[3.0, 4.0][..], &[1.0][..]));
}
