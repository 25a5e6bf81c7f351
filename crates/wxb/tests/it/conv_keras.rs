//! Conv2D and Conv1D against Keras 3.15.1 / TensorFlow 2.21: layer outputs from fixed weights (to
//! 1e-5) and one `fit` epoch of small convnets from fixed weights (loss and every weight after the
//! epoch, to 1e-4). Fixture: `fixtures/conv.json`, made by `fixtures/keras/conv.py`.

use serde_json::Value;
use wxb::layers::{LayerConfig, Mode, Scratch};
use wxb::prelude::*;
use wxb::train::Shuffle;

fn fixture() -> Value {
    let v: Value = serde_json::from_str(include_str!("../fixtures/conv.json")).unwrap();
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

#[test]
fn conv_layer_outputs_match_keras() {
    let f = fixture();
    for (k, case) in f["forward"].as_array().unwrap().iter().enumerate() {
        let x = tensor(&case["x"]);
        let mut layer = config(&case["class_name"], &case["config"]).build();
        layer.set_name(format!("case{k}"));
        layer.build(&x.shape()[1..], 0);
        let weights: Vec<Tensor> = case["weights"].as_array().unwrap().iter().map(tensor).collect();
        assert_eq!(layer.weights().len(), weights.len(), "case {k}: weights");
        for (p, w) in layer.weights_mut().iter_mut().zip(weights) {
            assert_eq!(p.value.shape(), w.shape(), "case {k}: {} has Keras' shape", p.name);
            p.value = w;
        }
        let want = tensor(&case["y"]);
        assert_eq!(layer.output_shape(), want.shape()[1..], "case {k}: output shape");
        let y = layer.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!(y.shape(), want.shape(), "case {k}");
        let diff = y.max_abs_diff(&want);
        assert!(diff < 1e-5, "case {k} ({} {}): max diff {diff}", case["class_name"], case["config"]);
    }
}

fn check_fit(name: &str) {
    let f = fixture();
    let case = f["fit"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    let (x, y) = (tensor(&case["x"]), tensor(&case["y"]));
    let configs: Vec<LayerConfig> =
        case["layers"].as_array().unwrap().iter().map(|l| config(&l["class_name"], &l["config"])).collect();
    let mut model = Sequential::from_configs(&x.shape()[1..], 0, &configs, u64::MAX).unwrap();
    let weights: Vec<Tensor> = case["weights"].as_array().unwrap().iter().map(tensor).collect();
    model.set_weights(&weights).unwrap();
    let (optimizer, loss) = match name {
        "conv2d_adam" => (Optimizer::adam().with_learning_rate(0.01), Loss::SPARSE_CATEGORICAL_CROSSENTROPY),
        "conv1d_sgd" => (Optimizer::sgd(0.05), Loss::MeanSquaredError),
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
fn one_epoch_of_a_conv2d_net_with_adam_matches_keras() {
    check_fit("conv2d_adam");
}

#[test]
fn one_epoch_of_a_conv1d_net_with_sgd_matches_keras() {
    check_fit("conv1d_sgd");
}

#[test]
fn strides_with_dilation_are_refused_as_in_keras() {
    let keras = fixture()["strides_with_dilation"].as_str().unwrap().to_string();
    assert!(keras.contains("not supported in conjunction with"), "{keras}");
    let c = config(
        &"Conv2D".into(),
        &serde_json::json!({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}),
    );
    let e = c.validate(&[9, 9, 1]).unwrap_err().to_string();
    assert!(e.contains("conv2d") && e.contains("strides") && e.contains("dilation_rate"), "{e}");
}

#[test]
fn automatic_names_are_keras_snake_case() {
    let mut model = Sequential::new(&[6, 6, 1]);
    model.add(Conv2D::new(2, [3, 3]));
    model.add(Conv2D::new(2, [3, 3]));
    model.add(Flatten::new());
    let names: Vec<&str> = model.layers().iter().map(|l| l.name()).collect();
    assert_eq!(names, ["conv2d", "conv2d_1", "flatten"]);
    assert_eq!(model.output_shape(), [8]);
}

/// Shapes that do not fit: one error naming the layer, the field and the shapes (Keras refuses them too).
#[test]
fn bad_shapes_name_the_layer_and_the_shapes() {
    let conv = |kwargs: serde_json::Value| config(&"Conv2D".into(), &kwargs);
    let cases = [
        (
            vec![conv(serde_json::json!({"filters": 2, "kernel_size": 5}))],
            vec![3, 3, 1],
            r#"layer "conv2d": invalid kernel_size = [5, 5] (dilated: [5, 5]) for samples of shape [3, 3, 1] with padding valid: the kernel is larger than the input"#,
        ),
        (
            vec![conv(serde_json::json!({"filters": 2, "kernel_size": 2, "dilation_rate": 3}))],
            vec![3, 8, 1],
            "[2, 2] (dilated: [4, 4]) for samples of shape [3, 8, 1]",
        ),
        (
            vec![conv(serde_json::json!({"filters": 2, "kernel_size": 3, "name": "c"}))],
            vec![28, 28],
            r#"layer "c": invalid input_shape = [28, 28]: Conv2D takes samples of shape [height, width, channels]"#,
        ),
        (
            vec![
                conv(serde_json::json!({"filters": 2, "kernel_size": 3})),
                conv(serde_json::json!({"filters": 2, "kernel_size": 3, "strides": [1, 0]})),
            ],
            vec![9, 9, 1],
            r#"layer "conv2d_1": invalid strides = [1, 0]: every value must be at least 1"#,
        ),
    ];
    for (configs, shape, want) in cases {
        let e = Sequential::from_configs(&shape, 0, &configs, u64::MAX).unwrap_err().to_string();
        assert!(e.contains(want), "{e}\nlacks {want}");
    }
    // `same` padding never runs out of input.
    let same = conv(serde_json::json!({"filters": 2, "kernel_size": 5, "padding": "same"}));
    assert_eq!(same.validate(&[3, 3, 1]).unwrap().output_shape, [3, 3, 2]);
}
