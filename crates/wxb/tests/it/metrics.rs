//! Streaming metrics: golden values and log names from Keras, name parsing, `accuracy` resolution.

use crate::fixture_json;

use fixture_json::{Mismatches, floats, load, tensor};
use wxb::metrics::{Average, Curve, Metric, MetricState};
use wxb::prelude::*;

/// Golden values: `tests/fixtures/keras/metrics.py` (Keras 3.15.1, TensorFlow 2.21) →
/// `tests/fixtures/metrics.json`. Each metric is updated batch after batch and its result compared
/// after each, to 1e-6; then it is reset and replayed, which must give the same results. R² is
/// compared to 1e-6 with Keras run in float64, and to 1e-5 with its float32 default, whose sums
/// lose digits to cancellation.
fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn metrics_match_keras() {
    let fixture = load("metrics.json");
    let mut mismatches = Mismatches::default();
    let cases = fixture["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let metric: Metric = serde_json::from_value(case["metric"].clone()).unwrap();
        let batches: Vec<(Tensor, Tensor, Option<Vec<f32>>)> = case["batches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (tensor(&b["y_true"]), tensor(&b["y_pred"]), b.get("sample_weight").map(floats)))
            .collect();
        let (y0, p0, _) = &batches[0];
        let resolved = metric.resolve(y0.cols(), p0.cols());
        let mut state = MetricState::new(metric.name(), resolved);
        let keras_f32 = numbers(&case["results"]);
        let keras_f64 = case.get("results_float64").map(numbers);
        for round in ["first pass", "after reset"] {
            state.reset();
            for (b, (y, p, sw)) in batches.iter().enumerate() {
                state.update(y, p, sw.as_deref());
                let (what, result) = (format!("{name} ({resolved:?}), {round}, batch {b}"), state.result());
                match &keras_f64 {
                    // wxb accumulates in f64: to 1e-6 of Keras in float64, and within Keras' own
                    // float32 rounding of its default result.
                    Some(f64_results) => {
                        mismatches.check(&format!("{what} vs float64"), result, f64_results[b], 1e-6);
                        mismatches.check(&what, result, keras_f32[b], 1e-5);
                    }
                    None => mismatches.check(&what, result, keras_f32[b], 1e-6),
                }
            }
        }
    }
    mismatches.assert_none(cases.len());
}

/// Keras logs a metric given as a string under that string; each `Metric::name` is such a string
/// and is logged unchanged. Given as objects, Keras logs the class' default name: the same as
/// `name` except for the mean errors usually given as `"mse"`, `"mae"`, `"mape"`, `"msle"`.
#[test]
fn log_names_match_keras() {
    let fixture = load("metrics.json");
    let entries = fixture["log_names"].as_array().unwrap();
    for entry in entries {
        let (given, logged) = (entry["given"].as_str().unwrap(), entry["logged"].as_str().unwrap());
        let metric: Metric = given.parse().unwrap_or_else(|e| panic!("{e}"));
        match entry["as"].as_str().unwrap() {
            "string" => assert_eq!(metric.name(), logged, "compile(metrics=[{given:?}])"),
            _ => {
                let expected = match metric {
                    Metric::MeanSquaredError => "mean_squared_error",
                    Metric::MeanAbsoluteError => "mean_absolute_error",
                    Metric::MeanAbsolutePercentageError => "mean_absolute_percentage_error",
                    Metric::MeanSquaredLogarithmicError => "mean_squared_logarithmic_error",
                    other => other.name(),
                };
                assert_eq!(expected, logged, "compile(metrics=[{given}()])");
            }
        }
    }
    let strings = entries.iter().filter(|e| e["as"] == "string").count();
    // Keras takes no string for these two; they log as `auc` and `fbeta_score` (checked above as
    // objects: FBetaScore) and wxb names AUC(curve="PR") `pr_auc`.
    let wxb_only = [Metric::PR_AUC, Metric::FBETA_SCORE];
    assert_eq!(strings, Metric::ALL.len() - wxb_only.len(), "every metric's name is checked against Keras");
}

#[test]
fn names_and_aliases_parse() {
    for metric in Metric::ALL {
        assert_eq!(metric.name().parse::<Metric>().unwrap(), metric);
    }
    for (alias, metric) in [
        ("acc", Metric::Accuracy),
        ("Accuracy", Metric::Accuracy),
        ("mean_squared_error", Metric::MeanSquaredError),
        ("MSE", Metric::MeanSquaredError),
        ("MeanAbsoluteError", Metric::MeanAbsoluteError),
        ("rmse", Metric::RootMeanSquaredError),
        ("RootMeanSquaredError", Metric::RootMeanSquaredError),
        ("AUC", Metric::AUC),
        ("R2Score", Metric::R2Score),
        ("TopKCategoricalAccuracy", Metric::TOP_K_CATEGORICAL_ACCURACY),
        (" precision ", Metric::PRECISION),
        ("mean_absolute_percentage_error", Metric::MeanAbsolutePercentageError),
        ("MSLE", Metric::MeanSquaredLogarithmicError),
        ("SparseTopKCategoricalAccuracy", Metric::SPARSE_TOP_K_CATEGORICAL_ACCURACY),
        ("TruePositives", Metric::TRUE_POSITIVES),
        ("false_negatives", Metric::FALSE_NEGATIVES),
        ("pr_auc", Metric::Auc { num_thresholds: 200, curve: Curve::Pr }),
        ("F1Score", Metric::F1Score { average: Average::PerClass, threshold: None }),
        ("f1_score_macro", Metric::F1Score { average: Average::Macro, threshold: None }),
        ("FBetaScore", Metric::FBETA_SCORE),
        ("fbeta_score_weighted", Metric::FBetaScore { beta: 1.0, average: Average::Weighted, threshold: None }),
    ] {
        assert_eq!(alias.parse::<Metric>().unwrap(), metric, "{alias}");
    }
    for bad in ["f1", "f1_score_mean", "fbeta"] {
        assert!(bad.parse::<Metric>().is_err(), "{bad}");
    }
    let err = "f1".parse::<Metric>().unwrap_err().to_string();
    assert!(err.contains("\"f1\"") && err.contains("r2_score"), "{err}");
    // The CLI's comma-separated list.
    let parsed: Vec<Metric> = "accuracy,mae,auc".split(',').map(|s| s.parse().unwrap()).collect();
    assert_eq!(parsed, [Metric::Accuracy, Metric::MeanAbsoluteError, Metric::AUC]);
}

#[test]
fn accuracy_resolves_from_shapes_as_keras() {
    assert_eq!(Metric::Accuracy.resolve(1, 1), Metric::BINARY_ACCURACY);
    assert_eq!(Metric::Accuracy.resolve(1, 10), Metric::SparseCategoricalAccuracy);
    assert_eq!(Metric::Accuracy.resolve(10, 10), Metric::CategoricalAccuracy);
    assert_eq!(Metric::AUC.resolve(1, 10), Metric::AUC);
    // An F-score of one sigmoid output scores the positive class at 0.5; of several, as given.
    assert_eq!(Metric::F1_SCORE.resolve(1, 1), Metric::F1Score { average: Average::PerClass, threshold: Some(0.5) });
    let macro_f1 = Metric::F1Score { average: Average::Macro, threshold: None };
    assert_eq!(macro_f1.resolve(3, 3), macro_f1);
    assert!(Metric::SPARSE_TOP_K_CATEGORICAL_ACCURACY.takes_class_indices());
    assert!(!Metric::TOP_K_CATEGORICAL_ACCURACY.takes_class_indices());
}

/// Binary classification as Keras does it (`binary_model` in `fixtures/metrics.json`, from
/// `tests/fixtures/keras/metrics.py`): one sigmoid unit with fixed weights, binary crossentropy,
/// 0/1 targets in one column; `evaluate` in batches of 8 gives the positive class' precision,
/// recall, F1, ROC and PR AUC and counts, to 1e-6 of Keras' (F1 of `"f1_score"`, resolved to
/// threshold 0.5, against Keras' `F1Score(threshold=0.5)`).
#[test]
fn a_binary_classifier_reports_the_positive_class_as_keras() {
    let fixture = load("metrics.json");
    let b = &fixture["binary_model"];
    let (x, y) = (tensor(&b["x"]), tensor(&b["y"]));
    assert_eq!((y.cols(), y.data().iter().all(|&v| v == 0.0 || v == 1.0)), (1, true));
    let metrics: Vec<Metric> =
        b["metrics"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().parse().unwrap()).collect();
    let mut model = Sequential::new(&[3]);
    model.add(Dense::new(1).activation(Activation::Sigmoid));
    model.compile(Optimizer::sgd(0.01), Loss::BINARY_CROSSENTROPY, &metrics);
    model.set_weights(&[tensor(&b["kernel"]), tensor(&b["bias"])]).unwrap();
    let logs = model.evaluate(&x, &y, b["batch_size"].as_u64().unwrap() as usize).unwrap();
    let want = b["results"].as_object().unwrap();
    assert_eq!(logs.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "the logged names are Keras'");
    let mut mismatches = Mismatches::default();
    for (name, keras) in want {
        mismatches.check(name, logs[name], keras.as_f64().unwrap(), 1e-6);
    }
    mismatches.assert_none(want.len());
}

#[test]
fn an_f_score_without_average_needs_one_output() {
    let mut model = Sequential::new(&[2]);
    model.add(Dense::new(3).activation(Activation::Softmax));
    model.compile(Optimizer::sgd(0.01), Loss::CATEGORICAL_CROSSENTROPY, &[Metric::F1_SCORE]);
    let (x, y) = (
        Tensor::zeros(&[4, 2]),
        Tensor::from_vec(&[4, 3], vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]),
    );
    let err = model.evaluate(&x, &y, 2).unwrap_err().to_string();
    assert!(err.contains("f1_score") && err.contains("f1_score_macro"), "{err}");
}

#[test]
fn results_before_any_update() {
    for metric in Metric::ALL.into_iter().filter(|&m| m != Metric::Accuracy) {
        let state = MetricState::new(metric.name(), metric);
        let result = state.result();
        if metric == Metric::R2Score {
            assert!(result.is_nan(), "r2_score without data: {result}");
        } else {
            assert_eq!(result, 0.0, "{metric}");
        }
    }
}

#[test]
#[should_panic(expected = "resolve `accuracy`")]
fn unresolved_accuracy_panics() {
    MetricState::new("accuracy", Metric::Accuracy);
}

#[test]
#[should_panic(expected = "mse: y_true [2, 3] does not fit y_pred [2, 2]")]
fn mismatched_shapes_panic_naming_both() {
    let mut state = MetricState::new("mse", Metric::MeanSquaredError);
    state.update(&Tensor::zeros(&[2, 3]), &Tensor::zeros(&[2, 2]), None);
}

#[test]
#[should_panic(expected = "num_thresholds must be > 1")]
fn auc_needs_two_thresholds() {
    MetricState::new("auc", Metric::Auc { num_thresholds: 1, curve: Curve::Roc });
}

/// `config.json` keeps metrics as serde writes them: every metric, with Keras' defaults and with
/// other settings, reads back the same; a file from before PR AUC (no `curve`) reads as ROC.
#[test]
fn metrics_survive_a_json_round_trip() {
    let mut all = Metric::ALL.to_vec();
    all.extend([
        Metric::F1Score { average: Average::Weighted, threshold: Some(0.3) },
        Metric::FBetaScore { beta: 2.0, average: Average::Micro, threshold: None },
        Metric::Auc { num_thresholds: 17, curve: Curve::Pr },
        Metric::SparseTopKCategoricalAccuracy { k: 2 },
    ]);
    for metric in all {
        let json = serde_json::to_string(&metric).unwrap();
        assert_eq!(serde_json::from_str::<Metric>(&json).unwrap(), metric, "{json}");
    }
    let old: Metric = serde_json::from_str(r#"{"auc": {"num_thresholds": 200}}"#).unwrap();
    assert_eq!(old, Metric::AUC);
    let f1: Metric = serde_json::from_str(r#"{"f1_score": {}}"#).unwrap();
    assert_eq!(f1, Metric::F1_SCORE);
}
