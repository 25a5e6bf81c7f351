//! Layer outputs against Keras 3.15.1 / TensorFlow 2.21 (`tests/fixtures/layers.json`, written by
//! `tests/fixtures/keras/layers.py`), to 1e-5.

use serde_json::Value;
use wxb::layers::{ActivationLayer, BatchNormalization, Dense, Layer, LayerNormalization, Mode, Scratch};
use wxb::prelude::{Activation, Initializer, Tensor};

const TOL: f32 = 1e-5;

fn fixture() -> Value {
    let text = include_str!("../fixtures/layers.json");
    let v: Value = serde_json::from_str(text).expect("layers.json parses");
    assert!(v["source"].as_str().unwrap().starts_with("Keras 3.15.1, TensorFlow 2.21"), "{}", v["source"]);
    v
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

fn tensor(shape: &[usize], v: &Value) -> Tensor {
    Tensor::from_vec(shape, floats(v))
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        // Relative for large values (normalized outputs reach ~10).
        assert!((g - w).abs() <= TOL * w.abs().max(1.0), "{what}[{i}]: wxb {g} vs Keras {w}");
    }
}

fn set(p: &mut wxb::layers::Param, v: &Value) {
    let shape = p.value.shape().to_vec();
    p.value = Tensor::from_vec(&shape, floats(v));
}

#[test]
fn batch_normalization_matches_keras() {
    let fx = fixture();
    for (k, case) in fx["batch_normalization"].as_array().unwrap().iter().enumerate() {
        let kw = &case["kwargs"];
        let mut bn = BatchNormalization::new().named("bn");
        if let Some(m) = kw.get("momentum") {
            bn = bn.momentum(m.as_f64().unwrap() as f32);
        }
        if let Some(e) = kw.get("epsilon") {
            bn = bn.epsilon(e.as_f64().unwrap() as f32);
        }
        if kw.get("center") == Some(&Value::Bool(false)) {
            bn = bn.without_center();
        }
        if kw.get("scale") == Some(&Value::Bool(false)) {
            bn = bn.without_scale();
        }
        let xs = shape(&case["x_shape"]);
        bn.build(&xs[1..], 0);
        let values: Vec<&Value> = ["gamma", "beta", "moving_mean", "moving_variance"]
            .iter()
            .map(|n| &case[*n])
            .filter(|v| !v.is_null())
            .collect();
        assert_eq!(bn.params().len(), values.len(), "case {k}: weights");
        for (p, v) in bn.params_mut().into_iter().zip(values) {
            set(p, v);
        }
        let x = tensor(&xs, &case["x"]);
        let y_infer = bn.call(&x, Mode::Infer, &mut Scratch::default());
        assert_close(&format!("case {k} y_infer"), y_infer.data(), &floats(&case["y_infer"]));
        let y_train = bn.call(&x, Mode::Train, &mut Scratch::default());
        assert_close(&format!("case {k} y_train"), y_train.data(), &floats(&case["y_train"]));
        assert_close(&format!("case {k} moving_mean"), bn.moving_mean().data(), &floats(&case["moving_mean_after"]));
        assert_close(
            &format!("case {k} moving_variance"),
            bn.moving_variance().data(),
            &floats(&case["moving_variance_after"]),
        );
    }
}

#[test]
fn layer_normalization_matches_keras() {
    let fx = fixture();
    for (k, case) in fx["layer_normalization"].as_array().unwrap().iter().enumerate() {
        let kw = &case["kwargs"];
        let mut ln = LayerNormalization::new().named("ln");
        if let Some(e) = kw.get("epsilon") {
            ln = ln.epsilon(e.as_f64().unwrap() as f32);
        }
        if kw.get("scale") == Some(&Value::Bool(false)) {
            ln = ln.without_scale();
        }
        let xs = shape(&case["x_shape"]);
        ln.build(&xs[1..], 0);
        let values: Vec<&Value> = ["gamma", "beta"].iter().map(|n| &case[*n]).filter(|v| !v.is_null()).collect();
        assert_eq!(ln.params().len(), values.len(), "case {k}: weights");
        for (p, v) in ln.params_mut().into_iter().zip(values) {
            set(p, v);
        }
        let x = tensor(&xs, &case["x"]);
        assert_close(
            &format!("case {k} train"),
            ln.call(&x, Mode::Train, &mut Scratch::default()).data(),
            &floats(&case["y"]),
        );
        assert_close(
            &format!("case {k} infer"),
            ln.call(&x, Mode::Infer, &mut Scratch::default()).data(),
            &floats(&case["y_infer"]),
        );
    }
}

#[test]
fn dense_with_every_activation_matches_keras() {
    let fx = fixture();
    let d = &fx["dense"];
    let x = tensor(&[3, 4], &d["x"]);
    let outputs = d["outputs"].as_object().unwrap();
    // Every activation but glu, which needs an even number of units (below).
    assert_eq!(outputs.len(), Activation::ALL.len() - 1);
    for a in Activation::ALL.into_iter().filter(|&a| a != Activation::Glu) {
        let mut dense = Dense::new(5).activation(a).named("d");
        dense.build(&[4], 0);
        let mut ps = dense.params_mut();
        set(ps[0], &d["kernel"]);
        set(ps[1], &d["bias"]);
        let y = dense.call(&x, Mode::Infer, &mut Scratch::default());
        assert_close(a.name(), y.data(), &floats(&outputs[a.name()]));
    }
    for case in d["parametric"].as_array().unwrap() {
        let a: Activation = serde_json::from_value(case["activation"].clone()).unwrap();
        let mut dense = Dense::new(5).activation(a).named("d");
        dense.build(&[4], 0);
        let mut ps = dense.params_mut();
        set(ps[0], &d["kernel"]);
        set(ps[1], &d["bias"]);
        let y = dense.call(&x, Mode::Infer, &mut Scratch::default());
        assert_close(&format!("{:?}", a), y.data(), &floats(&case["output"]));
    }
    let glu = &d["glu"];
    let mut dense = Dense::new(6).activation(Activation::Glu).named("d");
    dense.build(&[4], 0);
    assert_eq!(dense.output_shape(), [3]);
    let mut ps = dense.params_mut();
    set(ps[0], &glu["kernel"]);
    set(ps[1], &glu["bias"]);
    let y = dense.call(&x, Mode::Infer, &mut Scratch::default());
    assert_eq!(y.shape(), [3, 3]);
    assert_close("glu", y.data(), &floats(&glu["output"]));
    let mut dense = Dense::new(5).activation(Activation::Relu).without_bias().named("d");
    dense.build(&[4], 0);
    set(dense.params_mut()[0], &d["kernel"]);
    assert_close(
        "relu without bias",
        dense.call(&x, Mode::Infer, &mut Scratch::default()).data(),
        &floats(&d["relu_without_bias"]),
    );
}

#[test]
fn activation_layer_on_rank_3_matches_keras() {
    let fx = fixture();
    let a = &fx["activation"];
    let xs = shape(&a["x_shape"]);
    let x = tensor(&xs, &a["x"]);
    for (name, want) in a["outputs"].as_object().unwrap() {
        let mut layer = ActivationLayer::new(name.parse().unwrap());
        layer.build(&xs[1..], 0);
        let y = layer.call(&x, Mode::Train, &mut Scratch::default());
        assert_eq!(y.shape(), xs.as_slice());
        assert_close(name, y.data(), &floats(want));
    }
    let glu = &a["glu"];
    let xs = shape(&glu["x_shape"]);
    let mut layer = ActivationLayer::new(Activation::Glu);
    layer.build(&xs[1..], 0);
    let y = layer.call(&tensor(&xs, &glu["x"]), Mode::Train, &mut Scratch::default());
    assert_eq!(y.shape(), [xs[0], xs[1], xs[2] / 2]);
    assert_close("glu", y.data(), &floats(&glu["output"]));
}

#[test]
fn initializers_build_keras_defaults() {
    // BatchNormalization's weights start as Keras': gamma 1, beta 0, moving mean 0, variance 1.
    let mut bn = BatchNormalization::new().gamma_initializer(Initializer::Constant { value: 2.0 });
    bn.build(&[3], 0);
    let values: Vec<Vec<f32>> = bn.params().iter().map(|p| p.value.data().to_vec()).collect();
    assert_eq!(values, [vec![2.0; 3], vec![0.0; 3], vec![0.0; 3], vec![1.0; 3]]);
}
