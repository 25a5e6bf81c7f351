//! Issue 12 items 3 and 4, run as a user runs them: `--validation-split` draws a stratified,
//! seeded split by default (Keras' last rows with `--split last`, warned about when it misses
//! classes), and two classes train Keras' binary head (Dense(1, sigmoid) + binary crossentropy)
//! that `predict`, `evaluate` and `explain` read as `p_<positive class>`.

use crate::common;

use common::*;
use serde_json::json;

/// [`blobs_csv`] sorted by class, as many real files are.
fn sorted_blobs(n: usize, seed: u64) -> String {
    let csv = blobs_csv(n, seed);
    let mut lines: Vec<&str> = csv.lines().collect();
    let header = lines.remove(0);
    lines.sort_by_key(|l| l.rsplit_once(',').unwrap().1.to_string());
    format!("{header}\n{}\n", lines.join("\n"))
}

/// Two classes, `no` and `yes`, separable by `a + b > 0`.
fn binary_csv(n: usize, seed: u64) -> String {
    let mut g = Gen::new(seed);
    let mut s = String::from("a,b,label\n");
    for _ in 0..n {
        let (a, b) = (g.signed(), g.signed());
        s.push_str(&format!("{a:.4},{b:.4},{}\n", if a + b > 0.0 { "yes" } else { "no" }));
    }
    s
}

/// The saved loss's name: Keras' identifier (`"binary_crossentropy"`), or the one key of a loss
/// saved with its options.
fn loss_name(config: &serde_json::Value) -> String {
    let loss = &config["compile"]["loss"];
    loss.as_str().map_or_else(|| loss.as_object().unwrap().keys().next().unwrap().clone(), str::to_string)
}

#[test]
fn the_default_split_is_stratified_and_remembered_and_the_last_rows_rule_is_warned_about() {
    let d = dir_with("sorted.csv", sorted_blobs(90, 4));
    let p = d.path();
    let common = ["train", "--data", "sorted.csv", "--validation-split", "0.2", "--epochs", "2", "--verbose", "0"];
    // Keras' rule on a file sorted by class: the last 18 rows are all "red".
    let last = ok(p, &[&common[..], &["--split", "last", "--out", "last"]].concat());
    // Standard error: the warning, then the status line "Saved the model to …".
    let warning: Vec<&str> = last.stderr.lines().filter(|l| !l.starts_with("Saved the model to ")).collect();
    assert_eq!(warning.len(), 1, "one line: {}", last.stderr);
    assert!(
        warning[0].starts_with("warning: the validation set (18 rows) has no rows of classes \"blue\", \"green\""),
        "{}",
        warning[0]
    );
    // The default: 6 rows of each class held out, no warning; the rule and seed are saved.
    let shuffled = ok(p, &[&common[..], &["--seed", "3", "--out", "shuffled"]].concat());
    assert!(!shuffled.stderr.contains("warning"), "every class is in the validation set: {}", shuffled.stderr);
    let training = &config(&p.join("shuffled"))["metadata"]["training"];
    assert_eq!(training["split_rule"], json!({"rule": "shuffled", "seed": 3, "stratified": true}));
    assert_eq!(config(&p.join("last"))["metadata"]["training"]["split_rule"], json!({"rule": "last"}));
    // A split that leaves a class out of the validation set whatever the rule: one "b" row.
    let mut csv = blobs_csv(30, 5);
    csv.push_str("0.5,0.5,10.0,black\n");
    write(p, "rare.csv", csv);
    let rare = ok(p, &["train", "--data", "rare.csv", "--validation-split", "0.2", "--epochs", "1", "--verbose", "0"]);
    assert!(rare.stderr.contains("no rows of class \"black\""), "{}", rare.stderr);
    fails(
        p,
        &["train", "--data", "sorted.csv", "--split", "last"],
        &["--split: it chooses the rows of --validation-split F"],
    );
    // --resume keeps the rule: asking for another one is refused.
    fails(
        p,
        &["train", "--resume", "shuffled", "--data", "sorted.csv", "--epochs", "4", "--split", "last", "--out", "r"],
        &["--split last: shuffled was trained holding out shuffled rows"],
    );
}

#[test]
fn a_shuffled_split_validates_on_the_rows_the_library_chooses() {
    // The rows `wxb::train::ValidationSplit` draws (seed 5, stratified) moved to the end of the
    // file and held out with --split last give the very same run as the default split: the CLI
    // trains on exactly the other rows, in file order, and validates on those.
    let csv = sorted_blobs(60, 8);
    let lines: Vec<&str> = csv.lines().collect();
    let names = ["blue", "green", "red"];
    let ids: Vec<usize> =
        lines[1..].iter().map(|l| names.iter().position(|n| l.ends_with(&format!(",{n}"))).unwrap()).collect();
    let split = wxb::train::ValidationSplit {
        fraction: 0.25,
        rule: wxb::train::SplitRule::Shuffled { seed: 5, stratified: true },
    };
    let (training, validation) = split.split(60, Some(&ids)).unwrap();
    assert_eq!(validation.len(), 15);
    let reordered: Vec<&str> =
        std::iter::once(lines[0]).chain(training.iter().chain(&validation).map(|&i| lines[i + 1])).collect();
    let d = dir_with("sorted.csv", &csv);
    let p = d.path();
    write(p, "reordered.csv", reordered.join("\n") + "\n");
    let args = [
        "--validation-split",
        "0.25",
        "--epochs",
        "3",
        "--no-shuffle",
        "--verbose",
        "0",
        "--layers",
        "4",
        "--seed",
        "5",
    ];
    ok(p, &[&["train", "--data", "sorted.csv", "--out", "a"][..], &args].concat());
    let last = ok(p, &[&["train", "--data", "reordered.csv", "--out", "b", "--split", "last"][..], &args].concat());
    assert!(!last.stderr.contains("warning"), "the drawn validation rows hold every class: {}", last.stderr);
    for key in ["loss", "val_loss", "val_accuracy"] {
        assert_eq!(column(&p.join("a/history.csv"), key), column(&p.join("b/history.csv"), key), "{key}");
    }
    // Without --no-shuffle the seed decides the order of the batches too, and still both agree.
    let args = &args[..4].iter().chain(&args[5..]).copied().collect::<Vec<_>>();
    ok(p, &[&["train", "--data", "sorted.csv", "--out", "c"][..], args].concat());
    ok(p, &[&["train", "--data", "reordered.csv", "--out", "e", "--split", "last"][..], args].concat());
    assert_eq!(column(&p.join("c/history.csv"), "val_loss"), column(&p.join("e/history.csv"), "val_loss"));
}

#[test]
fn two_classes_train_a_sigmoid_head_read_as_the_positive_class() {
    let d = dir_with("train.csv", binary_csv(120, 2));
    let p = d.path();
    let out =
        ok(p, &["train", "--data", "train.csv", "--epochs", "30", "--lr", "0.01", "--verbose", "0", "--out", "q"]);
    assert!(!out.said().contains("Epoch"), "--verbose 0: no progress");
    let said = ok(p, &["train", "--data", "train.csv", "--epochs", "30", "--lr", "0.01", "--out", "m"]).said();
    let line = "Binary classification: Dense(1, sigmoid) + binary_crossentropy; the output is the probability of \
                class \"yes\" (1, the second class in sorted order) against \"no\" (0)";
    assert!(said.lines().any(|l| l == line), "{said}");
    let c = config(&p.join("m"));
    assert_eq!(loss_name(&c), "binary_crossentropy");
    let layers = c["model"]["config"]["layers"].as_array().unwrap();
    let last = &layers.last().unwrap()["config"];
    assert_eq!((&last["units"], &last["activation"]), (&json!(1), &json!("sigmoid")), "{last}");
    // evaluate: accuracy is binary accuracy at 0.5.
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "train.csv", "--json"]).stdout);
    assert_eq!(e.as_object().unwrap().keys().collect::<Vec<_>>(), ["accuracy", "loss"]);
    assert!(e["accuracy"].as_f64().unwrap() >= 0.9, "{e}");
    // predict: prediction,p_yes; "yes" exactly when p_yes > 0.5.
    ok(p, &["predict", "--model", "m", "--data", "train.csv", "--out", "p.csv"]);
    let (header, rows) = read_csv(&p.join("p.csv"));
    assert_eq!(header, ["prediction", "p_yes"]);
    let mut right = 0;
    for (row, truth) in rows.iter().zip(binary_csv(120, 2).lines().skip(1)) {
        let py: f64 = row[1].parse().unwrap();
        assert_eq!(row[0], if py > 0.5 { "yes" } else { "no" }, "{row:?}");
        right += usize::from(truth.ends_with(&format!(",{}", row[0])));
    }
    let accuracy = right as f64 / 120.0;
    assert!(close(accuracy, e["accuracy"].as_f64().unwrap(), 1e-9), "predict agrees with evaluate: {accuracy}");
    // explain names the predicted class with its probability.
    let text = ok(p, &["explain", "--model", "m", "--data", "train.csv", "--row", "0"]).stdout;
    let p_yes: f64 = rows[0][1].parse().unwrap();
    let (class, prob) = if p_yes > 0.5 { ("yes", p_yes) } else { ("no", 1.0 - p_yes) };
    let line = text.lines().find(|l| l.starts_with("Prediction: ")).unwrap();
    assert!(line.starts_with(&format!("Prediction: class {class:?} (its output ")), "{line}");
    let shown: f64 = line.split("its output ").nth(1).unwrap().trim_end_matches(").").parse().unwrap();
    assert!(close(shown, prob, 1e-5), "{line} vs {prob}");
}

#[test]
fn binary_metrics_by_name_and_the_softmax_head_on_request() {
    let d = dir_with("train.csv", binary_csv(80, 3));
    let p = d.path();
    let args = [
        "train",
        "--data",
        "train.csv",
        "--epochs",
        "3",
        "--verbose",
        "0",
        "--metrics",
        "accuracy,precision,recall,auc",
    ];
    ok(p, &[&args[..], &["--out", "m"]].concat());
    let (header, _) = read_csv(&p.join("m/history.csv"));
    assert_eq!(header, ["epoch", "accuracy", "auc", "loss", "precision", "recall"]);
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "train.csv", "--json"]).stdout);
    assert_eq!(e.as_object().unwrap().keys().collect::<Vec<_>>(), ["accuracy", "auc", "loss", "precision", "recall"]);
    // Another loss asked for: a softmax unit per class, as before.
    ok(
        p,
        &[
            "train",
            "--data",
            "train.csv",
            "--epochs",
            "1",
            "--verbose",
            "0",
            "--loss",
            "categorical_crossentropy",
            "--out",
            "s",
        ],
    );
    let layers = config(&p.join("s"))["model"]["config"]["layers"].as_array().unwrap().clone();
    assert_eq!(layers.last().unwrap()["config"]["units"], json!(2));
    let (header, _) = {
        ok(p, &["predict", "--model", "s", "--data", "train.csv", "--out", "s.csv"]);
        read_csv(&p.join("s.csv"))
    };
    assert_eq!(header, ["prediction", "p_no", "p_yes"]);
}

#[test]
fn a_spec_may_end_in_one_sigmoid_unit_or_two_softmax_units() {
    let d = dir_with("train.csv", binary_csv(60, 4));
    let p = d.path();
    let spec = |units: usize, activation: &str| {
        json!([{"class_name": "Dense", "config": {"units": 4, "activation": "relu"}},
               {"class_name": "Dense", "config": {"units": units, "activation": activation}}])
        .to_string()
    };
    write(p, "one.json", spec(1, "sigmoid"));
    write(p, "two.json", spec(2, "softmax"));
    write(p, "three.json", spec(3, "softmax"));
    let base = ["train", "--data", "train.csv", "--epochs", "1", "--verbose", "0"];
    ok(p, &[&base[..], &["--spec", "one.json", "--out", "one"]].concat());
    assert_eq!(loss_name(&config(&p.join("one"))), "binary_crossentropy");
    ok(p, &[&base[..], &["--spec", "two.json", "--out", "two"]].concat());
    assert_eq!(loss_name(&config(&p.join("two"))), "sparse_categorical_crossentropy");
    let (header, _) = {
        ok(p, &["predict", "--model", "one", "--data", "train.csv", "--out", "one.csv"]);
        read_csv(&p.join("one.csv"))
    };
    assert_eq!(header, ["prediction", "p_yes"]);
    fails(
        p,
        &[&base[..], &["--spec", "three.json", "--out", "three"]].concat(),
        &[
            "three.json: the last layer has 3 outputs, the data needs 1 (one sigmoid unit for two classes (or two softmax units))",
        ],
    );
}
