//! Issue 12 item 6 (optimizers and metrics) and item 4 (the binary head's metrics) on `wxb train`'s
//! command line: the new optimizers by name, the new metrics by name, the F-score of a binary
//! classifier's positive class, and the one-line refusal of a per-class F-score on several outputs.

use crate::common;

use common::*;

/// Two classes, `no` and `yes`, by `a + b > 0.2`, with some noise.
fn binary_csv(n: usize, seed: u64) -> String {
    let mut g = Gen::new(seed);
    let mut s = String::from("a,b,label\n");
    for _ in 0..n {
        let (a, b) = (g.signed(), g.signed());
        s.push_str(&format!("{a:.4},{b:.4},{}\n", if a + b + 0.3 * g.signed() > 0.2 { "yes" } else { "no" }));
    }
    s
}

#[test]
fn ftrl_lion_and_lamb_train_by_name_and_are_saved_with_keras_class_names() {
    let d = dir_with("train.csv", blobs_csv(60, 2));
    let p = d.path();
    for (name, class) in [("ftrl", "Ftrl"), ("lion", "Lion"), ("Lamb", "Lamb")] {
        let args = ["train", "--data", "train.csv", "--epochs", "2", "--verbose", "0", "--optimizer", name];
        ok(p, &[&args[..], &["--out", name]].concat());
        let rule = &config(&p.join(name))["compile"]["optimizer"]["rule"];
        assert_eq!(rule["class_name"], class, "{rule}");
        let history = column(&p.join(name).join("history.csv"), "loss");
        assert!(history.iter().all(|l| l.is_finite()), "{name}: {history:?}");
        // Training goes on from the saved optimizer state.
        ok(p, &["train", "--data", "train.csv", "--epochs", "3", "--verbose", "0", "--resume", name, "--out", name]);
    }
    // Lamb's trace: the trust ratio's norms over the whole kernel, then the weight's step.
    let args = ["train", "--data", "train.csv", "--epochs", "1", "--verbose", "1", "--optimizer", "lamb"];
    let r = ok(p, &[&args[..], &["--trace", "0:1:2", "--out", "t"]].concat());
    assert!(r.stdout.contains("‖w‖") && r.stdout.contains("r = ‖w‖/‖u‖"), "{}", r.stdout);
    let steps = column(&p.join("t/trace.csv"), "w_after");
    assert!(!steps.is_empty() && steps.iter().all(|w| w.is_finite()), "{steps:?}");
    let ftrl = &config(&p.join("ftrl"))["compile"]["optimizer"]["rule"]["config"];
    assert_eq!(ftrl["learning_rate_power"], -0.5);
    let args = ["train", "--data", "train.csv", "--optimizer", "lamb2"];
    fails(p, &args, &["--optimizer", "lamb2", "ftrl", "lion", "lamb"]);
}

#[test]
fn a_binary_classifier_logs_the_positive_class_f1_and_both_aucs() {
    let d = dir_with("train.csv", binary_csv(120, 4));
    let p = d.path();
    let metrics = "precision,recall,f1_score,auc,pr_auc,true_positives,false_negatives";
    ok(p, &["train", "--data", "train.csv", "--epochs", "4", "--verbose", "0", "--metrics", metrics, "--out", "m"]);
    let (header, _) = read_csv(&p.join("m/history.csv"));
    for name in metrics.split(',') {
        assert!(header.iter().any(|h| h == name), "{name} in {header:?}");
    }
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "train.csv", "--json"]).stdout);
    let v = |k: &str| e[k].as_f64().unwrap_or_else(|| panic!("{k} in {e}"));
    let (precision, recall) = (v("precision"), v("recall"));
    // F1 of the positive class at 0.5: the harmonic mean of its precision and recall.
    assert!(close(v("f1_score"), 2.0 * precision * recall / (precision + recall), 1e-5), "{e}");
    // TP and FN of the positive class count its rows: the `yes` rows of the file.
    let yes = std::fs::read_to_string(p.join("train.csv")).unwrap().lines().filter(|l| l.ends_with(",yes")).count();
    assert_eq!(v("true_positives") + v("false_negatives"), yes as f64, "{e}");
    assert!(close(recall, v("true_positives") / yes as f64, 1e-6), "{e}");
    assert!(v("auc") > 0.8 && v("pr_auc") > 0.8, "{e}");
}

#[test]
fn new_metrics_parse_and_a_per_class_f_score_of_several_outputs_is_refused() {
    let d = dir_with("train.csv", blobs_csv(60, 5));
    let p = d.path();
    let base = ["train", "--data", "train.csv", "--epochs", "1", "--verbose", "0"];
    ok(p, &[&base[..], &["--metrics", "accuracy,sparse_top_k_categorical_accuracy", "--out", "s"]].concat());
    let metrics = "f1_score_macro,fbeta_score_weighted,true_negatives,false_positives";
    let args = [&base[..], &["--loss", "categorical_crossentropy", "--metrics", metrics, "--out", "c"]].concat();
    ok(p, &args);
    let (header, _) = read_csv(&p.join("c/history.csv"));
    assert!(metrics.split(',').all(|m| header.iter().any(|h| h == m)), "{header:?}");
    let args = [&base[..], &["--loss", "categorical_crossentropy", "--metrics", "f1_score", "--out", "f"]].concat();
    fails(p, &args, &["f1_score", "f1_score_macro"]);
    let r = dir_with("r.csv", regression_csv(40, 1));
    let rp = r.path();
    ok(rp, &["train", "--data", "r.csv", "--epochs", "1", "--verbose", "0", "--metrics", "mape,msle", "--out", "m"]);
    let (header, _) = read_csv(&rp.join("m/history.csv"));
    assert!(header.iter().any(|h| h == "mape") && header.iter().any(|h| h == "msle"), "{header:?}");
}
