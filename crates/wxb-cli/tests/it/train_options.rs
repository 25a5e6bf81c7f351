//! Issue 12 item 5: the library's training options on `wxb train`'s command line, each checked by
//! what it changes (the saved optimizer, the learning rate of each step, the loss, the order of
//! the batches, the validation set, the learning rate after a plateau) and the early-stopping
//! report.

use crate::common;

use common::*;
use serde_json::json;

/// Two classes, `no` and `yes`, separable by `a + b > 0`, with `n_yes` of them `yes` first.
fn binary_csv(n: usize, seed: u64) -> String {
    let mut g = Gen::new(seed);
    let mut s = String::from("a,b,label\n");
    for _ in 0..n {
        let (a, b) = (g.signed(), g.signed());
        s.push_str(&format!("{a:.4},{b:.4},{}\n", if a + b > 0.3 { "yes" } else { "no" }));
    }
    s
}

fn train(p: &std::path::Path, out: &str, extra: &[&str]) -> Run {
    let base = ["train", "--data", "train.csv", "--epochs", "2", "--verbose", "0", "--layers", "4", "--out", out];
    ok(p, &[&base[..], extra].concat())
}

#[test]
fn optimizer_hyperparameters_reach_the_saved_optimizer_and_foreign_ones_are_refused() {
    let d = dir_with("train.csv", blobs_csv(60, 1));
    let p = d.path();
    train(p, "sgd", &["--optimizer", "sgd", "--momentum", "0.8", "--nesterov", "--weight-decay", "0.01"]);
    let o = &config(&p.join("sgd"))["compile"]["optimizer"];
    assert_eq!(o["rule"], json!({"class_name": "SGD", "config": {"momentum": 0.8, "nesterov": true}}));
    assert_eq!(o["weight_decay"], json!(0.01));
    train(
        p,
        "rms",
        &["--optimizer", "rmsprop", "--rho", "0.8", "--centered", "--epsilon", "1e-6", "--clipvalue", "0.5"],
    );
    let o = &config(&p.join("rms"))["compile"]["optimizer"];
    let c = &o["rule"]["config"];
    assert_eq!((&c["rho"], &c["centered"], &c["epsilon"]), (&json!(0.8), &json!(true), &json!(1e-6)), "{o}");
    assert_eq!(o["clipping"], json!({"value": 0.5}));
    train(p, "adam", &["--beta-1", "0.8", "--beta-2", "0.99", "--amsgrad", "--global-clipnorm", "1"]);
    let o = &config(&p.join("adam"))["compile"]["optimizer"];
    assert_eq!((&o["rule"]["config"]["beta_1"], &o["rule"]["config"]["amsgrad"]), (&json!(0.8), &json!(true)));
    assert_eq!(o["clipping"], json!({"global_norm": 1.0}));
    train(p, "adagrad", &["--optimizer", "adagrad", "--initial-accumulator-value", "0.5"]);
    let c = &config(&p.join("adagrad"))["compile"]["optimizer"]["rule"]["config"];
    assert_eq!(c["initial_accumulator_value"], json!(0.5));
    train(
        p,
        "ftrl",
        &[
            "--optimizer",
            "ftrl",
            "--learning-rate-power",
            "-0.25",
            "--l1-regularization-strength",
            "0.01",
            "--beta",
            "0.5",
        ],
    );
    let c = &config(&p.join("ftrl"))["compile"]["optimizer"]["rule"]["config"];
    assert_eq!(
        (&c["learning_rate_power"], &c["l1_regularization_strength"], &c["beta"]),
        (&json!(-0.25), &json!(0.01), &json!(0.5))
    );
    train(p, "lion", &["--optimizer", "lion", "--beta-2", "0.9"]);
    assert_eq!(config(&p.join("lion"))["compile"]["optimizer"]["rule"]["config"]["beta_2"], json!(0.9));
    let base = ["train", "--data", "train.csv", "--out", "x"];
    fails(
        p,
        &[&base[..], &["--momentum", "0.9"]].concat(),
        &[
            "--momentum: the Adam optimizer has no momentum; its hyperparameters are --amsgrad, --beta-1, --beta-2, --epsilon, --weight-decay",
        ],
    );
    fails(
        p,
        &[&base[..], &["--optimizer", "sgd", "--amsgrad"]].concat(),
        &["--amsgrad: the SGD optimizer has no amsgrad"],
    );
    fails(
        p,
        &[&base[..], &["--optimizer", "lion", "--epsilon", "1e-6"]].concat(),
        &["--epsilon: the Lion optimizer has no epsilon; its hyperparameters are --beta-1, --beta-2, --weight-decay"],
    );
    fails(
        p,
        &[&base[..], &["--optimizer", "ftrl", "--learning-rate-power", "0.5"]].concat(),
        &["--learning-rate-power 0.5: must be a number ≤ 0"],
    );
    fails(
        p,
        &[&base[..], &["--optimizer", "sgd", "--momentum", "1.5"]].concat(),
        &["--momentum 1.5: must be in [0, 1]"],
    );
    fails(p, &[&base[..], &["--clipvalue", "0"]].concat(), &["--clipvalue 0: the threshold must be a positive number"]);
    fails(
        p,
        &[&base[..], &["--resume", "sgd", "--momentum", "0.5", "--epochs", "4"]].concat(),
        &["--momentum: --resume continues"],
    );
}

#[test]
fn a_schedule_sets_the_learning_rate_of_every_step() {
    let d = dir_with("train.csv", blobs_csv(64, 2));
    let p = d.path();
    // 64 rows in batches of 16: 4 steps an epoch; ExponentialDecay(0.1, 2, 0.5) at the steps taken
    // before (the trace's step counts from 1): 0.1 · 0.5^((step − 1)/2).
    let schedule = "exponential:decay_steps=2,decay_rate=0.5";
    train(
        p,
        "m",
        &["--optimizer", "sgd", "--lr", "0.1", "--lr-schedule", schedule, "--batch-size", "16", "--trace", "0:0:0"],
    );
    let (_, rows) = read_csv(&p.join("m/trace.csv"));
    assert_eq!(rows.len(), 8);
    for row in &rows {
        let step: f64 = row[2].parse().unwrap();
        let lr: f64 = row[3].parse().unwrap();
        let want = 0.1f32 * 0.5f32.powf((step as f32 - 1.0) / 2.0);
        assert!(close(lr, f64::from(want), 1e-6), "step {step}: lr {lr}, Keras' formula {want}");
    }
    let lr = &config(&p.join("m"))["compile"]["optimizer"]["learning_rate"];
    assert_eq!(lr["class_name"], json!("ExponentialDecay"));
    // Piecewise: the values between the boundaries.
    train(
        p,
        "pw",
        &["--lr-schedule", "piecewise:boundaries=3,values=0.01/0.001", "--batch-size", "16", "--trace", "0:0:0"],
    );
    let (_, rows) = read_csv(&p.join("pw/trace.csv"));
    let lrs: Vec<f64> = rows.iter().map(|r| r[3].parse().unwrap()).collect();
    assert!(
        lrs[..4].iter().all(|&l| close(l, 0.01, 1e-6)) && lrs[4..].iter().all(|&l| close(l, 0.001, 1e-6)),
        "{lrs:?}"
    );
    let base = ["train", "--data", "train.csv", "--out", "x"];
    fails(
        p,
        &[&base[..], &["--lr-schedule", "exponential:decay_steps=2,decay_rate=0.5,power=2"]].concat(),
        &["ExponentialDecay has no power"],
    );
    fails(p, &[&base[..], &["--lr-schedule", "step:decay_steps=2"]].concat(), &["unknown schedule \"step\""]);
    fails(
        p,
        &[&base[..], &["--lr-schedule", "cosine:decay_steps=10", "--reduce-lr-on-plateau"]].concat(),
        &["--reduce-lr-on-plateau"],
    );
}

#[test]
fn class_weights_change_the_loss_and_balanced_is_sklearns() {
    let d = dir_with("train.csv", blobs_csv(90, 3));
    let p = d.path();
    train(p, "plain", &[]);
    // Equal class counts: balanced weights are all n / (3 · 30) = 1, the same run.
    train(p, "balanced", &["--class-weight", "balanced"]);
    assert_eq!(column(&p.join("plain/history.csv"), "loss"), column(&p.join("balanced/history.csv"), "loss"));
    train(p, "red", &["--class-weight", "red=5"]);
    assert_ne!(column(&p.join("plain/history.csv"), "loss"), column(&p.join("red/history.csv"), "loss"));
    // Unequal counts: no longer the plain run.
    let csv: String = blobs_csv(90, 3)
        .lines()
        .enumerate()
        .filter(|(i, l)| *i < 60 || !l.ends_with(",red"))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    write(p, "train.csv", csv);
    train(p, "plain2", &[]);
    train(p, "balanced2", &["--class-weight", "balanced"]);
    assert_ne!(column(&p.join("plain2/history.csv"), "loss"), column(&p.join("balanced2/history.csv"), "loss"));
    fails(
        p,
        &["train", "--data", "train.csv", "--class-weight", "pink=2", "--out", "x"],
        &["--class-weight: no class \"pink\"; the classes are \"blue\", \"green\", \"red\""],
    );
    fails(
        p,
        &["train", "--data", "train.csv", "--class-weight", "balance", "--out", "x"],
        &["--class-weight balance: expected balanced or NAME=WEIGHT,… (got \"balance\")"],
    );
}

#[test]
fn no_shuffle_trains_on_the_file_order() {
    let d = dir_with("train.csv", blobs_csv(60, 4));
    let p = d.path();
    // Batches of 20 in file order, traced on the output layer's first bias: the same run twice;
    // with shuffling, other batches.
    train(p, "a", &["--no-shuffle", "--batch-size", "20", "--trace", "1:bias:0"]);
    train(p, "b", &["--no-shuffle", "--batch-size", "20", "--trace", "1:bias:0"]);
    train(p, "c", &["--batch-size", "20", "--trace", "1:bias:0"]);
    let trace = |m: &str| std::fs::read_to_string(p.join(m).join("trace.csv")).unwrap();
    assert_eq!(trace("a"), trace("b"));
    assert_ne!(trace("a"), trace("c"), "shuffling changes the batches");
    // The file reversed in its last 20 rows (the last batch's content is the same set): with
    // --no-shuffle the first two steps are the same.
    let csv = blobs_csv(60, 4);
    let mut lines: Vec<&str> = csv.lines().collect();
    lines[41..].reverse();
    write(p, "train.csv", lines.join("\n") + "\n");
    train(p, "r", &["--no-shuffle", "--batch-size", "20", "--trace", "1:bias:0"]);
    let (_, a) = read_csv(&p.join("a/trace.csv"));
    let (_, r) = read_csv(&p.join("r/trace.csv"));
    assert_eq!(a[..2], r[..2], "the first two batches are the same rows");
}

#[test]
fn validation_data_is_read_like_the_training_data() {
    let d = dir_with("train.csv", blobs_csv(60, 5));
    let p = d.path();
    write(p, "val.csv", blobs_csv(30, 6));
    train(p, "m", &["--validation-data", "val.csv", "--standardize"]);
    let val_loss = *column(&p.join("m/history.csv"), "val_loss").last().unwrap();
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "val.csv", "--json"]).stdout);
    assert!(close(e["loss"].as_f64().unwrap(), val_loss, 1e-5), "{e} vs {val_loss}");
    write(p, "bad.csv", "a,b,c,species\n1,2,3,purple\n");
    let r = run(p, &["train", "--data", "train.csv", "--validation-data", "bad.csv", "--out", "x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: --validation-data bad.csv"), "{}", r.stderr);
    let r = run(p, &["train", "--data", "train.csv", "--validation-data", "val.csv", "--validation-split", "0.2"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn reduce_lr_on_plateau_lowers_the_rate_in_the_history() {
    let d = dir_with("train.csv", binary_csv(40, 7));
    let p = d.path();
    let base = ["train", "--data", "train.csv", "--verbose", "0", "--layers", "4", "--out", "m"];
    ok(
        p,
        &[
            &base[..],
            &[
                "--epochs",
                "12",
                "--lr",
                "0.5",
                "--optimizer",
                "sgd",
                "--reduce-lr-on-plateau",
                "--reduce-lr-patience",
                "1",
                "--reduce-lr-factor",
                "0.5",
                "--min-lr",
                "0.1",
            ],
        ]
        .concat(),
    );
    let lr = column(&p.join("m/history.csv"), "learning_rate");
    assert_eq!(lr.len(), 12);
    assert!(close(lr[0], 0.5, 1e-6), "{lr:?}");
    assert!(lr.windows(2).all(|w| w[1] <= w[0]) && lr.iter().all(|&l| l >= 0.1 - 1e-7), "{lr:?}");
    let base = ["train", "--data", "train.csv", "--out", "x"];
    fails(
        p,
        &[&base[..], &["--reduce-lr-on-plateau", "--reduce-lr-factor", "1.5"]].concat(),
        &["--reduce-lr-factor 1.5: the factor must be in (0, 1)"],
    );
    let r = run(p, &[&base[..], &["--reduce-lr-patience", "2"]].concat());
    assert_eq!(r.code, 2, "requires --reduce-lr-on-plateau: {}", r.stderr);
}

#[test]
fn early_stopping_says_when_it_stopped_and_the_last_line_is_the_saved_model() {
    let d = tempdir();
    let p = d.path();
    let mut g = Gen::new(9);
    let mut csv = String::from("a,b,y\n");
    for _ in 0..60 {
        csv.push_str(&format!(
            "{:.4},{:.4},{}\n",
            g.signed(),
            g.signed(),
            ["no", "yes"][usize::from(g.uniform() < 0.5)]
        ));
    }
    write(p, "noise.csv", &csv);
    let args = [
        "train",
        "--data",
        "noise.csv",
        "--early-stopping",
        "2",
        "--validation-split",
        "0.25",
        "--lr",
        "0.05",
        "--epochs",
        "200",
        "--out",
        "m",
        "--verbose",
        "2",
    ];
    let out = ok(p, &args).said();
    let val_loss = column(&p.join("m/history.csv"), "val_loss");
    let n = val_loss.len();
    assert!(n < 200, "stopped early");
    let best = (0..n).min_by(|&a, &b| val_loss[a].total_cmp(&val_loss[b])).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    let k = lines.len();
    assert_eq!(
        lines[k - 3],
        format!(
            "Early stopping: stopped after epoch {n}, val_loss not having improved for 2 epochs; kept the weights of epoch {} (the best, val_loss {:.4})",
            best + 1,
            val_loss[best]
        )
    );
    // `said()` is standard error, then standard output: the status line "Saved the model to …" ends
    // the first, the result ("Saved model: …", the saved model's figures) is the second.
    assert!(lines[k - 2].starts_with("Saved the model to m/"), "{}", lines[k - 2]);
    assert!(lines[k - 1].starts_with(&format!("Saved model: epoch {} - accuracy: ", best + 1)), "{}", lines[k - 1]);
    assert!(lines[k - 1].ends_with(&format!(" - val_loss: {:.4}", val_loss[best])), "{}", lines[k - 1]);
}
