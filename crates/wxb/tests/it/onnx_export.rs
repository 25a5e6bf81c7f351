//! ONNX export: a model written by `io::onnx::write` and read back by `io::onnx::read` predicts
//! exactly as before (the same f32 operations), its preprocessing included; what has no ONNX form
//! is refused naming the layer, and nothing is written. (That onnxruntime runs the files the same
//! is checked by `interop/check_onnx.sh`, whose output `docs/interop.md` records.)

use std::collections::BTreeMap;

use prost::Message;
use wxb::data::{Schema, Standardization};
use wxb::io::{LoadedModel, TrainedModel, onnx};
use wxb::prelude::*;

/// Every weight moved off its initial value (BatchNormalization's variances kept positive), so
/// that a weight lost or transposed on the way shows.
fn perturbed(mut model: Sequential) -> Sequential {
    let weights: Vec<Tensor> = model
        .params()
        .enumerate()
        .map(|(k, (_, _, p))| {
            let positive = p.name == "moving_variance";
            let data = (p.value.data().iter().enumerate())
                .map(|(i, v)| {
                    let d = (((i * 37 + k * 11) % 17) as f32 - 8.0) / 20.0;
                    if positive { 0.5 + d.abs() } else { v + d }
                })
                .collect();
            Tensor::from_vec(p.value.shape(), data)
        })
        .collect();
    model.set_weights(&weights).unwrap();
    model
}

fn sample(n: usize, shape: &[usize]) -> Tensor {
    let per: usize = shape.iter().product();
    let data = (0..n * per).map(|i| (((i * 7919) % 101) as f32 - 50.0) / 25.0).collect();
    let mut full = vec![n];
    full.extend_from_slice(shape);
    Tensor::from_vec(&full, data)
}

fn round_trip(model: Sequential, metadata: BTreeMap<String, serde_json::Value>) -> (LoadedModel, LoadedModel) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.onnx");
    let original = LoadedModel { model, metadata };
    onnx::write(&original, &path).unwrap_or_else(|e| panic!("{e}"));
    let back = onnx::read(&path).unwrap_or_else(|e| panic!("{e}"));
    (original, back)
}

fn assert_same_predictions(a: &Sequential, b: &Sequential, x: &Tensor) {
    let (ya, yb) = (a.predict(x, 4).unwrap(), b.predict(x, 4).unwrap());
    assert_eq!(ya.shape(), yb.shape());
    for (i, (p, q)) in ya.data().iter().zip(yb.data()).enumerate() {
        assert!((p - q).abs() <= 1e-6 * p.abs().max(1.0), "value {i}: {p} before, {q} after");
    }
}

#[test]
fn a_dense_model_round_trips_with_its_layer_names() {
    let mut m = Sequential::new(&[5]).seed(1);
    m.add(Dense::new(16).activation(Activation::Relu).named("hidden"));
    m.add(BatchNormalization::new().named("norm"));
    m.add(Dropout::new(0.3));
    m.add(Dense::new(8).activation(Activation::Gelu));
    m.add(Dense::new(6).activation(Activation::LeakyRelu { negative_slope: 0.1 }));
    m.add(Dense::new(3).activation(Activation::Softmax).named("probabilities"));
    let (before, after) = round_trip(perturbed(m), BTreeMap::new());
    assert_same_predictions(&before.model, &after.model, &sample(7, &[5]));
    let names: Vec<&str> = after.model.layers().iter().map(|l| l.name()).collect();
    assert_eq!(names[..3], ["hidden", "hidden/relu", "norm"]);
    assert_eq!(names.last(), Some(&"probabilities/softmax"));
}

#[test]
fn a_convnet_round_trips_through_nchw_and_back() {
    let mut m = Sequential::new(&[8, 8, 2]).seed(2);
    m.add(Conv2D::new(4, [3, 3]).padding(Padding::Same).activation(Activation::Relu));
    m.add(BatchNormalization::new());
    m.add(MaxPooling2D::new([2, 2]));
    m.add(ZeroPadding2D::new([[1, 0], [0, 1]]));
    m.add(Conv2D::new(3, [3, 3]).strides([2, 1]).activation(Activation::Tanh));
    m.add(AveragePooling2D::new([2, 2]).strides([1, 1]).padding(Padding::Same));
    m.add(Flatten::new());
    m.add(Dense::new(4).activation(Activation::Softmax));
    let (before, after) = round_trip(perturbed(m), BTreeMap::new());
    assert_eq!(after.model.input_shape(), [8, 8, 2]);
    assert_same_predictions(&before.model, &after.model, &sample(3, &[8, 8, 2]));
}

#[test]
fn global_pooling_and_sigmoid_round_trip() {
    let mut m = Sequential::new(&[6, 6, 3]).seed(3);
    m.add(Conv2D::new(5, [3, 3]).dilation_rate([2, 2]).activation(Activation::Elu { alpha: 0.5 }));
    m.add(GlobalAveragePooling2D::new());
    m.add(Dense::new(1).activation(Activation::Sigmoid));
    let (before, after) = round_trip(perturbed(m), BTreeMap::new());
    assert_same_predictions(&before.model, &after.model, &sample(4, &[6, 6, 3]));
}

#[test]
fn the_preprocessing_goes_into_the_file_and_comes_back() {
    let mut m = Sequential::new(&[3]).seed(4);
    m.add(Dense::new(2).activation(Activation::Softmax));
    let mut schema = Schema::csv(vec!["a".into(), "b".into(), "c".into()], Some(vec!["no".into(), "yes".into()]));
    schema.scale = 0.5;
    schema.standardize = Some(Standardization { mean: vec![1.0, -2.0, 0.5], std: vec![2.0, 0.5, 1.5] });
    let mut metadata = BTreeMap::new();
    schema.insert_into(&mut metadata);
    let (before, after) = round_trip(perturbed(m), metadata);
    let before = TrainedModel::new(before).unwrap();
    let after = TrainedModel::new(after).unwrap();
    assert_eq!(after.schema, before.schema);
    let raw = sample(5, &[3]);
    let (p, q) = (before.predict(&raw, 2).unwrap(), after.predict(&raw, 2).unwrap());
    assert_eq!(p.classes, q.classes);
    assert_eq!(p.outputs, q.outputs);
}

#[test]
fn the_file_has_a_dynamic_batch_axis_and_the_export_opset() {
    let mut m = Sequential::new(&[4]).seed(5);
    m.add(Dense::new(2));
    let bytes = onnx::encode(&LoadedModel { model: m, metadata: BTreeMap::new() }).unwrap();
    let file = onnx::proto::ModelProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(file.opset_import[0].version, onnx::EXPORT_OPSET);
    let graph = file.graph.unwrap();
    for value in [&graph.input[0], &graph.output[0]] {
        let dims = &value.r#type.as_ref().unwrap().tensor_type.as_ref().unwrap().shape.as_ref().unwrap().dim;
        assert_eq!(dims[0].dim_param.as_deref(), Some("batch"), "{}", value.name);
    }
}

#[test]
fn a_layer_without_an_onnx_form_is_refused_and_nothing_is_written() {
    let mut m = Sequential::new(&[4]).seed(6);
    m.add(Dense::new(3).activation(Activation::TanhShrink).named("shrink"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no.onnx");
    let e = onnx::write(&LoadedModel { model: m, metadata: BTreeMap::new() }, &path).unwrap_err().to_string();
    assert!(e.contains("no.onnx") && e.contains("layer \"shrink\" (Dense)"), "{e}");
    assert!(!path.exists());
}

#[test]
fn conv1d_layer_normalization_and_1d_pooling_round_trip() {
    let mut m = Sequential::new(&[10, 3]).seed(7);
    m.add(Conv1D::new(4, [3]).padding(Padding::Causal).activation(Activation::Relu).named("causal"));
    m.add(LayerNormalization::new().named("ln"));
    m.add(MaxPooling1D::new([2]));
    m.add(Conv1D::new(5, [2]).padding(Padding::Same).dilation_rate([2]).strides([1]));
    m.add(AveragePooling1D::new([2]).padding(Padding::Same));
    m.add(Conv1D::new(2, [2]).strides([2]));
    m.add(GlobalMaxPooling1D::new());
    m.add(LayerNormalization::new());
    m.add(Dense::new(3).activation(Activation::Softmax));
    let (before, after) = round_trip(perturbed(m), BTreeMap::new());
    assert_eq!(after.model.input_shape(), [10, 3]);
    assert_same_predictions(&before.model, &after.model, &sample(4, &[10, 3]));
    let classes: Vec<&str> = after.model.layers().iter().map(|l| l.class_name()).collect();
    // The Transposes around each 1-D operator are layout changes only: no Permute comes back.
    assert!(!classes.contains(&"Permute"), "{classes:?}");
    assert_eq!(classes.iter().filter(|c| **c == "Conv1D").count(), 3, "{classes:?}");
    assert_eq!(classes.iter().filter(|c| **c == "LayerNormalization").count(), 2, "{classes:?}");
    let names: Vec<&str> = after.model.layers().iter().map(|l| l.name()).collect();
    assert!(names.contains(&"causal") && names.contains(&"ln"), "{names:?}");
}

#[test]
fn a_table_with_text_and_categorical_columns_round_trips_with_its_lookups() {
    use wxb::data::{AdaptOptions, LoadOptions, Targets, load_raw};
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.csv");
    std::fs::write(&train, "a,city,rooms,label\n1.5,paris,3,x\n2.5,oslo,2,y\n,paris,3,x\n0.5,,1,y\n3,rome,,x\n")
        .unwrap();
    let options = LoadOptions { categorical: vec!["rooms".into()], ..LoadOptions::default() };
    let raw = load_raw(&train, None, &options).unwrap();
    let data = raw.adapt(&[0, 1, 2, 3, 4], &AdaptOptions { missing_indicator: true, ..AdaptOptions::default() });
    let mut m = Sequential::new(&[data.schema.feature_names.len()]).seed(8);
    m.add(Dense::new(4).activation(Activation::Tanh));
    m.add(Dense::new(2).activation(Activation::Softmax));
    let mut metadata = BTreeMap::new();
    data.schema.insert_into(&mut metadata);
    let (before, after) = round_trip(perturbed(m), metadata);
    let file = onnx::proto::ModelProto::decode(onnx::encode(&before).unwrap().as_slice()).unwrap();
    let graph = file.graph.as_ref().unwrap();
    let inputs: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(inputs, ["a", "city", "rooms"]);
    assert!(graph.node.iter().any(|n| n.op_type == "LabelEncoder" && n.domain == "ai.onnx.ml"));
    assert!(file.opset_import.iter().any(|o| o.domain == "ai.onnx.ml"));
    let (before, after) = (TrainedModel::new(before).unwrap(), TrainedModel::new(after).unwrap());
    assert_eq!(after.schema, before.schema);
    let test = dir.path().join("test.csv");
    std::fs::write(&test, "a,city,rooms,label\n1,paris,3,x\n,lima,2,y\n0.5,,7,x\n2,rome,,y\n").unwrap();
    let read = |t: &TrainedModel| t.read_data(&test, None, &LoadOptions::default(), Targets::Ignored).unwrap().0;
    let (p, q) =
        (before.predict_prepared(&read(&before), 2).unwrap(), after.predict_prepared(&read(&after), 2).unwrap());
    assert_eq!(p.outputs, q.outputs);
}
