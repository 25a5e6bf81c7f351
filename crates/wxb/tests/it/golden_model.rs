//! The forward pass and `fit` histories of small models agree with Keras 3.15.1 / TF 2.21, from the
//! same initial weights. Fixture: `fixtures/model.json`, made by `fixtures/keras/model.py`.

use std::collections::BTreeMap;

use serde_json::Value;
use wxb::prelude::*;
use wxb::train::Shuffle;

fn fixture() -> Value {
    serde_json::from_str(include_str!("../fixtures/model.json")).unwrap()
}

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f32> = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap() as f32).collect();
    Tensor::from_vec(&shape, data)
}

/// A Sequential model from the fixture's `[units, activation, l2]` triples and weights.
fn model(case: &Value, input_dim: usize) -> Sequential {
    let mut model = Sequential::new(&[input_dim]);
    for layer in case["layers"].as_array().unwrap() {
        let units = layer[0].as_u64().unwrap() as usize;
        let activation: Activation = layer[1].as_str().unwrap_or("linear").parse().unwrap();
        let mut dense = Dense::new(units).activation(activation);
        if let Some(l2) = layer[2].as_f64() {
            dense = dense.kernel_regularizer(Regularizer::L2 { l2: l2 as f32 });
        }
        model.add(dense);
    }
    let weights: Vec<Tensor> = case["weights"].as_array().unwrap().iter().map(tensor).collect();
    model.set_weights(&weights).unwrap();
    model
}

#[test]
fn forward_pass_matches_keras() {
    let f = fixture();
    let case = &f["forward"];
    let x = tensor(&case["x"]);
    let model = model(case, x.cols());
    let y = model.predict(&x, 32).unwrap();
    let want = tensor(&case["y"]);
    assert!(y.max_abs_diff(&want) < 1e-5, "max diff {}", y.max_abs_diff(&want));
}

fn optimizer(case: &Value) -> Optimizer {
    let o = &case["optimizer"];
    let lr = o["learning_rate"].as_f64().unwrap() as f32;
    match o["name"].as_str().unwrap() {
        n if n.starts_with("sgd") => {
            let momentum = o["momentum"].as_f64().unwrap() as f32;
            let nesterov = o["nesterov"].as_bool().unwrap();
            Optimizer::new(wxb::optim::Sgd { momentum, nesterov }).with_learning_rate(lr)
        }
        n if n.starts_with("adam") => Optimizer::adam().with_learning_rate(lr),
        other => panic!("optimizer {other} not in this test"),
    }
}

fn check_fit_case(name: &str) {
    let f = fixture();
    let case = f["fit"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    let x = tensor(&case["x"]);
    let y = tensor(&case["y"]);
    let mut model = model(case, x.cols());
    let loss: Loss = case["loss"].as_str().unwrap().parse().unwrap();
    let metrics: Vec<Metric> =
        case["metrics"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().parse().unwrap()).collect();
    model.compile(optimizer(case), loss, &metrics);
    let fit = &case["fit"];
    let options = FitOptions {
        epochs: 5,
        batch_size: fit["batch_size"].as_u64().unwrap() as usize,
        shuffle: Shuffle::Never,
        validation_split: fit["validation_split"].as_f64().unwrap_or(0.0),
        sample_weight: fit["sample_weight"].as_array().map(|w| w.iter().map(|v| v.as_f64().unwrap() as f32).collect()),
        validation_data: fit["validation_data"].as_array().map(|v| (tensor(&v[0]), tensor(&v[1]))),
        class_weight: fit["class_weight"].as_object().map(|m| {
            m.iter().map(|(k, v)| (k.parse().unwrap(), v.as_f64().unwrap() as f32)).collect::<BTreeMap<usize, f32>>()
        }),
        ..FitOptions::default()
    };
    let history = model.fit(&x, &y, &options, &mut []).unwrap();
    let want = case["history"].as_object().unwrap();
    assert_eq!(history.keys().collect::<Vec<_>>(), want.keys().map(String::as_str).collect::<Vec<_>>());
    for (key, values) in want {
        let got = history.get(key).unwrap();
        for (epoch, (g, w)) in got.iter().zip(values.as_array().unwrap()).enumerate() {
            let w = w.as_f64().unwrap();
            assert!((g - w).abs() < 1e-4 * w.abs().max(1.0), "{name}: {key} at epoch {epoch}: wxb {g}, Keras {w}");
        }
    }
    let final_weights: Vec<Tensor> = case["final_weights"].as_array().unwrap().iter().map(tensor).collect();
    for (i, (got, want)) in model.get_weights().iter().zip(&final_weights).enumerate() {
        assert!(got.max_abs_diff(want) < 1e-4, "{name}: weight {i} differs by {}", got.max_abs_diff(want));
    }
}

#[test]
fn fit_history_sparse_crossentropy_sgd_momentum_with_validation_split_matches_keras() {
    check_fit_case("sparse_ce_sgd_momentum_validation_split");
}

#[test]
fn fit_history_mse_l2_with_a_partial_last_batch_matches_keras() {
    check_fit_case("mse_sgd_l2_partial_batch");
}

#[test]
fn fit_history_adam_with_class_weights_matches_keras() {
    check_fit_case("sparse_ce_adam_class_weight");
}

#[test]
fn fit_history_sample_weights_and_validation_data_match_keras() {
    check_fit_case("mse_sgd_nesterov_sample_weight_validation_data");
}

/// The head `wxb train` builds for two classes: Dense(1, sigmoid) + binary crossentropy on 0/1
/// targets, "accuracy" as binary accuracy at 0.5 (model.py, case
/// `binary_ce_adam_sigmoid_head_validation_split`).
#[test]
fn fit_history_binary_sigmoid_head_with_binary_crossentropy_matches_keras() {
    check_fit_case("binary_ce_adam_sigmoid_head_validation_split");
}

/// A model whose Dense layers carry the fixture's activity regularizers (serde: Keras'
/// `{"class_name", "config"}`), with its initial weights, compiled as in the fixture.
fn activity_model(case: &Value, input_dim: usize) -> Sequential {
    let mut model = Sequential::new(&[input_dim]);
    for layer in case["layers"].as_array().unwrap() {
        let units = layer[0].as_u64().unwrap() as usize;
        let activation: Activation = layer[1].as_str().unwrap_or("linear").parse().unwrap();
        let mut dense = Dense::new(units).activation(activation);
        if !layer[2].is_null() {
            let r: Regularizer = serde_json::from_value(layer[2].clone()).unwrap();
            dense = dense.activity_regularizer(r);
        }
        model.add(dense);
    }
    let weights: Vec<Tensor> = case["weights"].as_array().unwrap().iter().map(tensor).collect();
    model.set_weights(&weights).unwrap();
    let loss: Loss = case["loss"].as_str().unwrap().parse().unwrap();
    model.compile(optimizer(case), loss, &[]);
    model
}

fn close(what: &str, got: f64, want: &Value) {
    let want = want.as_f64().unwrap();
    assert!((got - want).abs() < 1e-5 * want.abs().max(1.0), "{what}: wxb {got}, Keras {want}");
}

/// Keras' `activity_regularizer`: the penalty `r(y)/batch` of each Dense output is in the loss
/// `evaluate` and `train_on_batch` report, its gradient moves the weights (one step, then a fit
/// with a partial last batch), for a softmax head fused with its crossentropy and a linear one.
#[test]
fn activity_regularizers_match_keras() {
    let f = fixture();
    let cases = f["activity"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (x, y) = (tensor(&case["x"]), tensor(&case["y"]));
        let mut model = activity_model(case, x.cols());
        let logs = model.evaluate(&x, &y, x.rows()).unwrap();
        close(&format!("{name}: evaluate"), logs["loss"], &case["evaluate_loss"]);
        let logs = model.train_on_batch(&x, &y, None).unwrap();
        close(&format!("{name}: train_on_batch"), logs["loss"], &case["train_on_batch_loss"]);
        let after: Vec<Tensor> = case["weights_after_step"].as_array().unwrap().iter().map(tensor).collect();
        for (i, (got, want)) in model.get_weights().iter().zip(&after).enumerate() {
            assert!(
                got.max_abs_diff(want) < 1e-6,
                "{name}: weight {i} after one step differs by {}",
                got.max_abs_diff(want)
            );
        }
        let options = FitOptions {
            epochs: 3,
            batch_size: case["batch_size"].as_u64().unwrap() as usize,
            shuffle: Shuffle::Never,
            ..FitOptions::default()
        };
        let history = model.fit(&x, &y, &options, &mut []).unwrap();
        for (epoch, (g, w)) in
            history.get("loss").unwrap().iter().zip(case["history"]["loss"].as_array().unwrap()).enumerate()
        {
            close(&format!("{name}: fit loss at epoch {epoch}"), *g, w);
        }
        let last: Vec<Tensor> = case["final_weights"].as_array().unwrap().iter().map(tensor).collect();
        for (i, (got, want)) in model.get_weights().iter().zip(&last).enumerate() {
            assert!(got.max_abs_diff(want) < 1e-5, "{name}: final weight {i} differs by {}", got.max_abs_diff(want));
        }
    }
}

/// Without its activity regularizer, the same model reports a smaller loss: the penalty is there.
#[test]
fn the_activity_penalty_is_in_the_loss() {
    let f = fixture();
    let case = &f["activity"][1];
    let (x, y) = (tensor(&case["x"]), tensor(&case["y"]));
    let with = activity_model(case, x.cols()).evaluate(&x, &y, x.rows()).unwrap()["loss"];
    let mut plain = case.clone();
    for layer in plain["layers"].as_array_mut().unwrap() {
        layer[2] = Value::Null;
    }
    let without = activity_model(&plain, x.cols()).evaluate(&x, &y, x.rows()).unwrap()["loss"];
    assert!(with > without + 1e-3, "with the penalty {with}, without {without}");
}
