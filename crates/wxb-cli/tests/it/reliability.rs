//! `wxb` under bad conditions: diverging training (exit code 3, the last good model saved),
//! model specs and flags asking for invalid or huge layers (exit code 2, nothing written), and
//! `predict` streaming a CSV file in chunks with nothing written when a row is bad.

use std::path::Path;
use std::process::{Command, Output};

/// A fresh scratch folder for one test, removed when the guard drops.
fn scratch(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("wxb-reliability-{tag}-")).tempdir().unwrap()
}

fn wxb(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wxb")).current_dir(dir).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Regression data: `y = x0 − 2·x1 + x2/2`, `rows` rows.
fn regression_csv(rows: usize) -> String {
    let mut s = String::from("x0,x1,x2,y\n");
    for i in 0..rows {
        let (a, b, c) = ((i % 7) as f32 / 3.0, (i % 5) as f32 / 2.0 - 1.0, (i % 11) as f32 / 5.0);
        s.push_str(&format!("{a},{b},{c},{}\n", a - 2.0 * b + c / 2.0));
    }
    s
}

/// The error is one line, `error: …`, and nothing else is on standard error but the status line
/// `Saved the model to …` when the model was saved before the error.
fn one_line_error(o: &Output) -> String {
    let e: String =
        stderr(o).lines().filter(|l| !l.starts_with("Saved the model to ")).map(|l| format!("{l}\n")).collect();
    assert!(e.starts_with("error: ") && e.ends_with('\n') && e.matches('\n').count() == 1, "{e:?}");
    e
}

#[test]
fn divergence_exits_with_3_names_the_place_and_saves_the_last_good_model() {
    let guard = scratch("diverge");
    let dir = guard.path();
    std::fs::write(dir.join("d.csv"), regression_csv(64)).unwrap();
    let args = ["train", "--data", "d.csv", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "5", "--out", "m"];
    let o = wxb(dir, &[&args[..], &["--verbose", "0"]].concat());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = one_line_error(&o);
    assert!(e.starts_with("error: training diverged at epoch 1, batch "), "{e}");
    assert!(e.contains("learning rate 1e30") && e.contains("the first NaN/infinite value appeared in"), "{e}");
    assert!(e.contains("--lr 1e29") && e.contains("--clipnorm 1.0"), "{e}");
    assert!(e.contains("saved the last good model (before this batch) to m/"), "{e}");
    let loaded = wxb::io::load(&dir.join("m")).unwrap();
    assert!(loaded.model.get_weights().iter().all(|w| w.data().iter().all(|v| v.is_finite())));
    assert!(dir.join("m/history.csv").is_file() && dir.join("m/training.png").is_file());
    // With clipping and a sane rate the same data trains.
    let o =
        wxb(dir, &["train", "--data", "d.csv", "--epochs", "2", "--out", "ok", "--clipnorm", "1", "--verbose", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn invalid_or_huge_layers_are_refused_before_anything_is_allocated_or_written() {
    let guard = scratch("spec");
    let dir = guard.path();
    std::fs::write(dir.join("d.csv"), regression_csv(16)).unwrap();
    let cases = [
        (
            r#"[{"class_name": "Dense", "config": {"units": 1000000000000}}]"#,
            "spec.json: the model would have 4000000000000 weights, more than the 1073741824 allowed",
        ),
        (
            r#"[{"class_name": "Dropout", "config": {"rate": 1.5}}, {"class_name": "Dense", "config": {"units": 1}}]"#,
            r#"spec.json: layer "dropout": invalid rate = 1.5: must be in [0, 1)"#,
        ),
        (r#"[{"class_name": "Dense", "config": {"units": 0}}]"#, r#"layer "dense": invalid units = 0"#),
        (
            r#"[{"class_name": "Dense", "config": {"units": 4, "name": "a"}}, {"class_name": "Dense", "config": {"units": 1, "name": "a"}}]"#,
            r#"two layers are named "a""#,
        ),
        (
            r#"[{"class_name": "Dense", "config": {"units": 1, "bias_initializer": "identity"}}]"#,
            "invalid bias_initializer = identity: needs a 2-D weight",
        ),
        (
            r#"[{"class_name": "Dense", "config": {"units": 1, "kernel_constraint": {"class_name": "MinMaxNorm", "config": {"min_value": 2, "max_value": 1, "rate": 1, "axis": 0}}}}]"#,
            "invalid kernel_constraint",
        ),
    ];
    for (spec, message) in cases {
        std::fs::write(dir.join("spec.json"), spec).unwrap();
        let o = wxb(dir, &["train", "--data", "d.csv", "--spec", "spec.json", "--out", "m", "--verbose", "0"]);
        assert_eq!(o.status.code(), Some(2), "{spec}: {}", stderr(&o));
        let e = one_line_error(&o);
        assert!(e.contains(message), "{spec}: {e}");
        assert!(!dir.join("m").exists(), "{spec}: nothing written");
    }
    let o = wxb(dir, &["train", "--data", "d.csv", "--layers", "100000,100000", "--out", "m", "--verbose", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(one_line_error(&o).contains("more than the 1073741824 allowed"));
    assert!(!dir.join("m").exists());
}

#[test]
fn predict_streams_chunks_and_writes_nothing_when_a_row_is_bad() {
    let guard = scratch("predict");
    let dir = guard.path();
    std::fs::write(dir.join("d.csv"), regression_csv(64)).unwrap();
    // Unstandardized, so that the bare model's predictions on raw features are the reference.
    let o =
        wxb(dir, &["train", "--data", "d.csv", "--epochs", "1", "--out", "m", "--verbose", "0", "--no-standardize"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // More rows than one chunk (8192), features in another order, no target column.
    let rows = 20_000;
    let mut text = String::from("x2,x0,x1\n");
    for i in 0..rows {
        text.push_str(&format!("{},{},{}\n", (i % 13) as f32 / 4.0, (i % 3) as f32, (i % 17) as f32 / 8.0 - 1.0));
    }
    std::fs::write(dir.join("big.csv"), &text).unwrap();
    let o = wxb(dir, &["predict", "--model", "m", "--data", "big.csv", "--out", "p.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written = std::fs::read_to_string(dir.join("p.csv")).unwrap();
    let stdout = wxb(dir, &["predict", "--model", "m", "--data", "big.csv"]);
    assert_eq!(String::from_utf8(stdout.stdout).unwrap(), written, "--out and stdout agree");
    // The same numbers as the library on the whole file at once.
    let model = wxb::io::load(&dir.join("m")).unwrap().model;
    let names: Vec<String> = ["x0", "x1", "x2"].map(String::from).to_vec();
    let table =
        wxb::data::csv::read(&dir.join("big.csv"), &wxb::data::csv::CsvOptions::for_prediction(&names)).unwrap();
    let y = model.predict(&table.features, 32).unwrap();
    let want: String = std::iter::once("prediction".to_string())
        .chain(y.data().iter().map(|v| v.to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(written, want + "\n");
    // A bad row near the end: nothing on stdout, no output file, the old one untouched.
    text.push_str("1,abc,2\n");
    std::fs::write(dir.join("big.csv"), &text).unwrap();
    for args in [&["--out", "p.csv"][..], &[]] {
        let o = wxb(dir, &[&["predict", "--model", "m", "--data", "big.csv"][..], args].concat());
        assert_eq!(o.status.code(), Some(2));
        let e = one_line_error(&o);
        assert!(e.contains(&format!("big.csv:{}: column \"x0\": \"abc\" is not a number", rows + 2)), "{e}");
        assert!(o.stdout.is_empty());
    }
    assert_eq!(std::fs::read_to_string(dir.join("p.csv")).unwrap(), written);
    let leftovers: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 4, "no temporary files left: {leftovers:?}");
}

#[test]
fn a_checkpoint_that_cannot_be_written_is_reported() {
    let guard = scratch("ckpt-error");
    let dir = guard.path();
    std::fs::write(dir.join("d.csv"), regression_csv(32)).unwrap();
    std::fs::create_dir_all(dir.join("m")).unwrap();
    std::fs::write(dir.join("m/checkpoints"), "a file where the checkpoints folder goes").unwrap();
    let o = wxb(dir, &["train", "--data", "d.csv", "--epochs", "2", "--out", "m", "--checkpoint", "--verbose", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = one_line_error(&o);
    assert!(e.contains("the model is saved, but a checkpoint under m could not be"), "{e}");
    assert!(e.contains("checkpoints/last"), "{e}");
    assert!(wxb::io::load(&dir.join("m")).is_ok(), "the final model is there");
}

/// A folder with `d.csv` (64 rows) and a model `m` trained on it.
fn trained(tag: &str) -> tempfile::TempDir {
    let guard = scratch(tag);
    let dir = guard.path();
    std::fs::write(dir.join("d.csv"), regression_csv(64)).unwrap();
    let o = wxb(dir, &["train", "--data", "d.csv", "--epochs", "1", "--out", "m", "--verbose", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    guard
}

#[test]
#[cfg(unix)]
fn predict_writes_into_dev_null_and_fifos_and_keeps_a_files_mode() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let guard = trained("out-kinds");
    let dir = guard.path();
    let predict = |out: &str| wxb(dir, &["predict", "--model", "m", "--data", "d.csv", "--out", out]);
    let o = predict("p.csv");
    assert!(o.status.success(), "{}", stderr(&o));
    let want = std::fs::read_to_string(dir.join("p.csv")).unwrap();
    // /dev/null stays the device (as root too: the tests run as whoever runs cargo test).
    let o = predict("/dev/null");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    // A FIFO's reader gets the predictions; the FIFO stays a FIFO.
    let fifo = dir.join("fifo.csv");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = predict("fifo.csv");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(reader.join().unwrap(), want);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    // A 0600 file is replaced and stays 0600.
    std::fs::write(dir.join("private.csv"), "old").unwrap();
    std::fs::set_permissions(dir.join("private.csv"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = predict("private.csv");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.join("private.csv")).unwrap(), want);
    assert_eq!(std::fs::metadata(dir.join("private.csv")).unwrap().permissions().mode() & 0o7777, 0o600);
    // A full device: the message names what was written where.
    let o = predict("/dev/full");
    assert_eq!(o.status.code(), Some(2));
    let e = one_line_error(&o);
    assert!(e.contains("writing the predictions to /dev/full: No space left on device"), "{e}");
}

#[test]
#[cfg(unix)]
fn the_predict_spool_leaves_nothing_behind_after_head_or_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let guard = trained("spool");
    let dir = guard.path();
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut text = String::from("x0,x1,x2\n");
    for i in 0..300_000 {
        text.push_str(&format!("{},{},{}\n", (i % 13) as f32 / 4.0, (i % 3) as f32, (i % 17) as f32 / 8.0));
    }
    std::fs::write(dir.join("big.csv"), text).unwrap();
    let spawn = |stdout: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_wxb"))
            .current_dir(dir)
            .env("TMPDIR", &tmp)
            .args(["predict", "--model", "m", "--data", "big.csv"])
            .stdout(stdout)
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // `wxb predict … | head -1`: the reader goes away after one line (SIGPIPE).
    let mut child = spawn(Stdio::piped());
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert_eq!(first, "prediction\n");
    child.wait().unwrap();
    // SIGTERM in the middle of predicting.
    let child = spawn(Stdio::null());
    std::thread::sleep(std::time::Duration::from_millis(150));
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let mut child = child;
    child.wait().unwrap();
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

#[test]
#[cfg(unix)]
fn a_picture_that_cannot_be_drawn_says_the_model_was_saved() {
    let guard = trained("png-enospc");
    let dir = guard.path();
    std::fs::remove_file(dir.join("m/training.png")).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.join("m/training.png")).unwrap();
    let o = wxb(dir, &["train", "--data", "d.csv", "--epochs", "2", "--out", "m", "--verbose", "0"]);
    assert_eq!(o.status.code(), Some(2));
    let e = one_line_error(&o);
    let want = "the model is saved in m/, but m/training.png could not be drawn: No space left on device";
    assert!(e.contains(want) && !e.contains("Error("), "{e}");
    let loaded = wxb::io::load(&dir.join("m")).unwrap();
    assert_eq!(loaded.metadata["training"]["epochs_completed"], 2);
    assert_eq!(std::fs::read_to_string(dir.join("m/history.csv")).unwrap().lines().count(), 3);
}
