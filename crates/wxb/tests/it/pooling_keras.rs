//! Pooling, Reshape, Rescaling, ZeroPadding2D and SpatialDropout2D against Keras 3.15.1 /
//! TensorFlow 2.21: layer outputs (to 1e-5), `d(Σ r ⊙ y)/dx` of max and average pooling on inputs
//! with ties (TensorFlow gives a max's gradient to the first largest cell), one `fit` epoch of
//! small models from fixed weights (loss and every weight after the epoch, to 1e-4) and each
//! layer's output shape and parameter count. Fixture: `fixtures/pooling.json`, made by
//! `fixtures/keras/pooling.py`.

use serde_json::Value;
use wxb::layers::{LayerConfig, Mode, Scratch};
use wxb::prelude::*;
use wxb::train::Shuffle;

fn fixture() -> Value {
    let v: Value = serde_json::from_str(include_str!("../fixtures/pooling.json")).unwrap();
    assert!(v["source"].as_str().unwrap().starts_with("Keras 3.15.1, TensorFlow 2.21"), "{}", v["source"]);
    v
}

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f32> = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap() as f32).collect();
    Tensor::from_vec(&shape, data)
}

/// A layer configuration from the fixture's Keras class name and keyword arguments.
fn config(class_name: &Value, kwargs: &Value) -> LayerConfig {
    let json = serde_json::json!({ "class_name": class_name, "config": kwargs });
    serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn built(case: &Value, k: usize, x: &Tensor) -> Box<dyn Layer> {
    let mut layer = config(&case["class_name"], &case["config"]).build();
    layer.set_name(format!("case{k}"));
    layer.build(&x.shape()[1..], 0);
    layer
}

#[test]
fn layer_outputs_match_keras() {
    let f = fixture();
    for (k, case) in f["forward"].as_array().unwrap().iter().enumerate() {
        let x = tensor(&case["x"]);
        let mut layer = built(case, k, &x);
        let want = tensor(&case["y"]);
        assert_eq!(layer.output_shape(), want.shape()[1..], "case {k} ({}): output shape", case["class_name"]);
        let y = layer.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!(y.shape(), want.shape(), "case {k}");
        let diff = y.max_abs_diff(&want);
        assert!(diff < 1e-5, "case {k} ({} {}): max diff {diff}", case["class_name"], case["config"]);
    }
}

#[test]
fn pooling_gradients_match_tensorflow_on_ties() {
    let f = fixture();
    for (k, case) in f["gradients"].as_array().unwrap().iter().enumerate() {
        let (x, r, want) = (tensor(&case["x"]), tensor(&case["r"]), tensor(&case["dx"]));
        let mut layer = built(case, k, &x);
        let mut scratch = Scratch::default();
        let mut y = Tensor::default();
        layer.forward(&x, &mut y, Mode::Train, &mut scratch);
        let mut dx = Tensor::default();
        layer.backward(&x, &y, &r, Some(&mut dx), &mut scratch);
        let diff = dx.max_abs_diff(&want);
        assert!(diff < 1e-5, "case {k} ({} {}): dx differs by {diff}", case["class_name"], case["config"]);
    }
}

fn check_fit(name: &str) {
    let f = fixture();
    let case = f["fit"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    let (x, y) = (tensor(&case["x"]), tensor(&case["y"]));
    let configs: Vec<LayerConfig> =
        case["layers"].as_array().unwrap().iter().map(|l| config(&l["class_name"], &l["config"])).collect();
    let mut model = Sequential::from_configs(&x.shape()[1..], 0, &configs, u64::MAX).unwrap();
    for (layer, want) in model.layers().iter().zip(case["summary"].as_array().unwrap()) {
        let shape: Vec<usize> =
            want["output_shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        assert_eq!(layer.output_shape(), shape, "{name}: {} output shape", want["name"]);
        let params: usize = layer.weights().iter().map(|p| p.len()).sum();
        assert_eq!(params as u64, want["params"].as_u64().unwrap(), "{name}: {} parameters", want["name"]);
    }
    let weights: Vec<Tensor> = case["weights"].as_array().unwrap().iter().map(tensor).collect();
    model.set_weights(&weights).unwrap();
    let (optimizer, loss) = match name {
        "pool2d_adam" => (Optimizer::adam().with_learning_rate(0.01), Loss::SPARSE_CATEGORICAL_CROSSENTROPY),
        "pool1d_sgd" => (Optimizer::sgd(0.05), Loss::MeanSquaredError),
        "maxpool_flatten_sgd" => (Optimizer::sgd(0.1), Loss::SPARSE_CATEGORICAL_CROSSENTROPY),
        other => panic!("{other} not in this test"),
    };
    model.compile(optimizer, loss, &[]);
    let options = FitOptions {
        epochs: 1,
        batch_size: case["batch_size"].as_u64().unwrap() as usize,
        shuffle: Shuffle::Never,
        ..FitOptions::default()
    };
    let history = model.fit(&x, &y, &options, &mut []).unwrap();
    let (got, want) = (history.get("loss").unwrap()[0], case["loss"].as_f64().unwrap());
    assert!((got - want).abs() < 1e-4 * want.abs().max(1.0), "{name}: loss wxb {got}, Keras {want}");
    let after: Vec<Tensor> = case["weights_after"].as_array().unwrap().iter().map(tensor).collect();
    let got = model.get_weights();
    assert_eq!(got.len(), after.len());
    for (i, (g, w)) in got.iter().zip(&after).enumerate() {
        assert_eq!(g.shape(), w.shape(), "{name}: weight {i}");
        assert!(g.max_abs_diff(w) < 1e-4, "{name}: weight {i} differs by {}", g.max_abs_diff(w));
    }
}

#[test]
fn one_epoch_through_rescaling_padding_and_2d_pooling_matches_keras() {
    check_fit("pool2d_adam");
}

#[test]
fn one_epoch_through_reshape_and_1d_pooling_matches_keras() {
    check_fit("pool1d_sgd");
}

#[test]
fn one_epoch_through_max_pooling_and_a_flattening_reshape_matches_keras() {
    check_fit("maxpool_flatten_sgd");
}

#[test]
fn automatic_names_are_keras_snake_case() {
    let mut model = Sequential::new(&[8, 8, 1]);
    model.add(ZeroPadding2D::new([[1, 1], [1, 1]]));
    model.add(MaxPooling2D::new([2, 2]));
    model.add(AveragePooling2D::new([2, 2]));
    model.add(SpatialDropout2D::new(0.1));
    model.add(GlobalAveragePooling2D::new());
    model.add(Rescaling::new(2.0, 0.0));
    model.add(Reshape::new(&[1, -1]));
    model.add(GlobalMaxPooling1D::new());
    let names: Vec<&str> = model.layers().iter().map(|l| l.name()).collect();
    assert_eq!(
        names,
        [
            "zero_padding2d",
            "max_pooling2d",
            "average_pooling2d",
            "spatial_dropout2d",
            "global_average_pooling2d",
            "rescaling",
            "reshape",
            "global_max_pooling1d"
        ]
    );
    assert_eq!(model.output_shape(), [1]);
}

/// Settings that do not fit: one error naming the layer, the field and the shapes.
#[test]
fn bad_configs_name_the_layer_and_the_shapes() {
    let cases = [
        (
            "MaxPooling2D",
            serde_json::json!({"pool_size": 5}),
            vec![3, 3, 1],
            r#"layer "max_pooling2d": invalid pool_size = [5, 5] for samples of shape [3, 3, 1] with padding valid: the pool window is larger than the input"#,
        ),
        ("MaxPooling2D", serde_json::json!({"strides": [1, 0]}), vec![4, 4, 1], "invalid strides = [1, 0]"),
        ("MaxPooling1D", serde_json::json!({"padding": "causal"}), vec![4, 1], "invalid padding = causal"),
        ("AveragePooling1D", serde_json::json!({"pool_size": 2}), vec![4, 4, 1], "[4, 4, 1] for AveragePooling1D"),
        ("GlobalMaxPooling2D", serde_json::json!({}), vec![16], "global_max_pooling2d"),
        (
            "Reshape",
            serde_json::json!({"target_shape": [5, -1]}),
            vec![28, 28],
            "[5, -1] for samples of shape [28, 28]",
        ),
        ("ZeroPadding2D", serde_json::json!({"padding": 1}), vec![28, 28], "invalid input_shape = [28, 28]"),
        ("SpatialDropout2D", serde_json::json!({"rate": 1.0}), vec![4, 4, 1], "invalid rate = 1"),
    ];
    for (class, kwargs, shape, want) in cases {
        let e = config(&class.into(), &kwargs).validate(&shape).unwrap_err().to_string();
        assert!(e.contains(want), "{class} {kwargs}: {e}");
        assert!(!e.contains('\n'), "{e}");
    }
    // Keras' average poolings have no default pool size.
    let json = serde_json::json!({"class_name": "AveragePooling2D", "config": {}});
    let e = serde_json::from_value::<LayerConfig>(json).unwrap_err().to_string();
    assert!(e.contains("pool_size"), "{e}");
}
