//! Data-parallel training over MPI (issue 16): `mpirun -np 2 wxb train …` against one process.
//!
//! Compiled only with the `mpi` feature (`cargo test -p wxb-cli --features mpi --test mpi`); needs
//! OpenMPI's `mpirun` (Debian: `openmpi-bin`). Each test runs in a few seconds.
#![cfg(feature = "mpi")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Runs `mpirun -np N wxb args…` in `dir` (as root and with more processes than cores allowed,
/// one thread per process).
fn mpirun(dir: &Path, np: usize, args: &[&str]) -> Output {
    mpirun_command(dir, np, args).output().expect("mpirun runs (install openmpi-bin)")
}

fn mpirun_command(dir: &Path, np: usize, args: &[&str]) -> Command {
    let mut c = Command::new("mpirun");
    c.args(["-np", &np.to_string(), "--oversubscribe", "--allow-run-as-root", "--bind-to", "none"])
        .arg(env!("CARGO_BIN_EXE_wxb"))
        .args(["--threads", "1"])
        .args(args)
        .current_dir(dir)
        // OpenMPI as root in a container: no shared-memory segment checks, no vader's CMA.
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The weights of a model folder, by name.
fn weights(dir: &Path) -> std::collections::BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    tensors(&dir.join("model.safetensors")).into_iter().filter(|(k, _)| k.starts_with("layers.")).collect()
}

/// Asserts two model folders hold the same weights to `tol` (absolute), naming the first
/// difference.
fn assert_same_weights(a: &Path, b: &Path, tol: f32) {
    let (wa, wb) = (weights(a), weights(b));
    assert_eq!(wa.keys().collect::<Vec<_>>(), wb.keys().collect::<Vec<_>>());
    assert!(!wa.is_empty(), "no weights in {}", a.display());
    for (name, (shape, va)) in &wa {
        let (shape_b, vb) = &wb[name];
        assert_eq!(shape, shape_b, "{name}");
        for (i, (x, y)) in va.iter().zip(vb).enumerate() {
            assert!((x - y).abs() <= tol, "{name}[{i}]: {x} (in {}) vs {y} (in {})", a.display(), b.display());
        }
    }
}

const TRAIN: [&str; 14] = [
    "train",
    "--data",
    "d.csv",
    "--target",
    "species",
    "--layers",
    "16,8",
    "--batch-size",
    "32",
    "--seed",
    "7",
    "--validation-split",
    "0.2",
    "--standardize",
];

#[test]
fn two_processes_give_the_weights_of_one_and_agree_bit_for_bit() {
    let dir = dir_with("d.csv", blobs_csv(300, 3));
    let p = dir.path();
    ok(p, &[&TRAIN[..], &["--epochs", "4", "--out", "one", "--optimizer", "adam"]].concat());
    let two = mpirun(p, 2, &[&TRAIN[..], &["--epochs", "4", "--out", "two", "--optimizer", "adam"]].concat());
    let (stdout, stderr) = (text(&two.stdout), text(&two.stderr));
    assert!(two.status.success(), "mpirun failed: {stdout}\n{stderr}");
    // Status lines are on standard error, the result on standard output.
    assert!(
        stderr.contains(
            "Trained on 2 processes (global batch 32); every process ended with rank 0's weights, bit for bit"
        ),
        "{stderr}"
    );
    // Only rank 0 prints: the schema line once, not twice; the result once.
    assert_eq!(stderr.matches("classification: 3 classes").count(), 1, "{stderr}");
    assert_eq!(stdout.matches("Saved model: epoch 4").count(), 1, "{stdout}");
    assert_same_weights(&p.join("one"), &p.join("two"), 1e-5);
    // Metrics and validation reduced over the processes: the same history.
    let (h1, h2) = (p.join("one/history.csv"), p.join("two/history.csv"));
    for key in ["loss", "accuracy", "val_loss", "val_accuracy"] {
        let (c1, c2) = (column(&h1, key), column(&h2, key));
        assert_eq!(c1.len(), 4, "{key}");
        for (a, b) in c1.iter().zip(&c2) {
            assert!(close(*a, *b, 1e-5), "{key}: {c1:?} vs {c2:?}");
        }
    }
}

#[test]
fn an_uneven_global_batch_is_split_unevenly_and_still_gives_one_process_weights() {
    // 101 training rows in batches of 25 on 3 processes: parts of 8 and 9 rows, a last batch of 1
    // (two processes without rows in it).
    let dir = dir_with("d.csv", regression_csv(101, 5));
    let p = dir.path();
    let args = ["train", "--data", "d.csv", "--target", "y", "--layers", "8", "--batch-size", "25", "--epochs", "3"];
    ok(p, &[&args[..], &["--out", "one"]].concat());
    let three = mpirun(p, 3, &[&args[..], &["--out", "three"]].concat());
    assert!(three.status.success(), "{}\n{}", text(&three.stdout), text(&three.stderr));
    assert_same_weights(&p.join("one"), &p.join("three"), 1e-5);
}

#[test]
fn a_run_resumes_on_another_number_of_processes() {
    let dir = dir_with("d.csv", blobs_csv(240, 4));
    let p = dir.path();
    ok(p, &[&TRAIN[..], &["--epochs", "4", "--out", "straight"]].concat());
    ok(p, &[&TRAIN[..], &["--epochs", "2", "--out", "first", "--checkpoint"]].concat());
    let resumed = mpirun(
        p,
        2,
        &["train", "--data", "d.csv", "--resume", "first/checkpoints/last", "--epochs", "4", "--out", "more"],
    );
    assert!(resumed.status.success(), "{}\n{}", text(&resumed.stdout), text(&resumed.stderr));
    assert_same_weights(&p.join("straight"), &p.join("more"), 1e-5);
    // And back from two processes to one.
    let two = mpirun(p, 2, &[&TRAIN[..], &["--epochs", "2", "--out", "two", "--checkpoint"]].concat());
    assert!(two.status.success(), "{}", text(&two.stderr));
    ok(p, &["train", "--data", "d.csv", "--resume", "two/checkpoints/last", "--epochs", "4", "--out", "back"]);
    assert_same_weights(&p.join("straight"), &p.join("back"), 1e-5);
}

#[test]
fn only_rank_0_writes_and_a_bad_flag_is_said_once() {
    let dir = dir_with("d.csv", blobs_csv(60, 2));
    let p = dir.path();
    let bad = mpirun(p, 2, &["train", "--data", "d.csv", "--target", "nope", "--out", "m"]);
    assert!(!bad.status.success());
    let stderr = text(&bad.stderr);
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    assert!(stderr.contains("nope"), "{stderr}");
    assert!(!p.join("m").exists());
    let small = mpirun(p, 2, &["train", "--data", "d.csv", "--target", "species", "--batch-size", "1", "--out", "m"]);
    assert!(!small.status.success());
    let stderr = text(&small.stderr);
    assert!(stderr.contains("invalid batch_size = 1 with 2 processes"), "{stderr}");
}

/// The processes `mpirun` (pid `parent`) started, with their `OMPI_COMM_WORLD_RANK`.
fn ranks_of(parent: u32) -> Vec<(u32, usize)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let ppid = stat.rsplit(')').next().and_then(|s| s.split_whitespace().nth(1)).and_then(|s| s.parse().ok());
        if ppid != Some(parent) {
            continue;
        }
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        let rank = environ
            .split(|&b| b == 0)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .find_map(|v| v.strip_prefix("OMPI_COMM_WORLD_RANK="))
            .and_then(|r| r.parse().ok());
        if let Some(rank) = rank {
            found.push((pid, rank));
        }
    }
    found
}

#[test]
fn a_killed_rank_ends_the_job_with_a_message_and_the_checkpoint_intact() {
    let dir = dir_with("d.csv", blobs_csv(3000, 6));
    let p = dir.path();
    let args = [&TRAIN[..], &["--epochs", "100000", "--out", "m", "--checkpoint"]].concat();
    let mut child = mpirun_command(p, 2, &args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("mpirun");
    let last = p.join("m/checkpoints/last/model.safetensors");
    let start = Instant::now();
    while !last.exists() {
        if let Some(status) = child.try_wait().expect("mpirun's status") {
            let stderr = child.stderr.take().map(std::io::read_to_string).and_then(Result::ok).unwrap_or_default();
            panic!("mpirun ended before the first checkpoint ({status}): {stderr}");
        }
        if start.elapsed() > Duration::from_secs(120) {
            child.kill().expect("mpirun stops");
            panic!("no checkpoint after 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let ranks = ranks_of(child.id());
    let victim = ranks.iter().find(|(_, r)| *r == 1).unwrap_or_else(|| panic!("rank 1 among {ranks:?}")).0;
    // SIGKILL: the process ends at once, as on a crash or a lost machine.
    let killed = Command::new("kill").args(["-9", &victim.to_string()]).status().expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("mpirun ends");
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("error: rank 0 of 2 was stopped by mpirun"), "{stderr}");
    assert!(stderr.contains("m/checkpoints/last holds the last completed epoch"), "{stderr}");
    // The checkpoint is whole: it evaluates, and training resumes from it on one process.
    ok(p, &["evaluate", "--model", "m/checkpoints/last", "--data", "d.csv"]);
    let loaded = wxb::io::load(&p.join("m/checkpoints/last")).expect("the last checkpoint loads");
    let epochs = loaded.metadata["training"]["epochs_completed"].as_u64().expect("epochs_completed") as usize;
    let more = (epochs + 1).to_string();
    ok(p, &["train", "--data", "d.csv", "--resume", "m/checkpoints/last", "--epochs", &more, "--out", "resumed"]);
}

/// The `mpirun` commands of the README and docs/distributed.md (their ```` ```console mpi ````
/// blocks) print what the docs show.
#[test]
fn the_documented_mpi_commands_print_what_the_docs_show() {
    use common::doc_blocks::{check, root, steps};
    let files = [root().join("README.md"), root().join("docs/distributed.md")];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!steps(&text, Some("mpi")).is_empty(), "{} shows an mpirun command", f.display());
    }
    let envs = [("OMPI_MCA_btl_vader_single_copy_mechanism", "none"), ("OMPI_MCA_rmaps_base_oversubscribe", "1")];
    let failures: Vec<String> = files.iter().flat_map(|f| check(f, Some("mpi"), &envs)).collect();
    assert!(failures.is_empty(), "{} documented command(s) drifted:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// `rows` rows of [`blobs`]: numbers (`a` with missing cells), a text column `size`, the label.
fn table_csv(rows: usize) -> String {
    let mut s = String::from("a,b,c,size,species\n");
    for (i, (x, label)) in blobs(rows, 11).into_iter().enumerate() {
        let a = if i % 11 == 4 { String::new() } else { format!("{:.4}", x[0]) };
        let size = ["small", "large", "medium", "small", "large"][i % 5];
        s.push_str(&format!("{a},{:.4},{:.4},{size},{label}\n", x[1], x[2]));
    }
    s
}

#[test]
fn a_streamed_csv_trains_on_two_processes_each_reading_its_shard() {
    // 603 rows: the first ⌊603·0.8⌋ = 482 trained on, the last 121 held out (Keras' rule on the
    // whole file, though they all fall in rank 1's shard).
    let dir = dir_with("d.csv", table_csv(603));
    let p = dir.path();
    let epochs = 6;
    let e = epochs.to_string();
    let args = [
        "train",
        "--data",
        "d.csv",
        "--target",
        "species",
        "--stream",
        "--layers",
        "16",
        "--batch-size",
        "32",
        "--seed",
        "5",
        "--validation-split",
        "0.2",
        "--standardize",
        "--epochs",
        &e,
    ];
    ok(p, &[&args[..], &["--out", "one"]].concat());
    let two = mpirun(p, 2, &[&args[..], &["--out", "two"]].concat());
    let (stdout, stderr) = (text(&two.stdout), text(&two.stderr));
    assert!(two.status.success(), "mpirun failed: {stdout}\n{stderr}");
    assert!(
        stdout.contains("on 2 processes, each reading its shard: 482 training rows, 121 validation rows"),
        "{stdout}"
    );
    // Every process checked that it ended with rank 0's weights, bit for bit.
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Trained on 2 processes (global batch 32), each streaming its shard of d.csv"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.ends_with("every process ended with rank 0's weights, bit for bit (checked)"), "{line}");
    // The preprocessing adapted on both shards' surveys is the one-process preprocessing, exactly.
    let (c1, c2) = (config(&p.join("one")), config(&p.join("two")));
    let pre = |c: &serde_json::Value| c["metadata"]["preprocessing"].clone();
    assert!(pre(&c1)["columns"].as_array().is_some_and(|c| c.len() == 4), "{}", pre(&c1));
    assert_eq!(pre(&c1), pre(&c2));
    // Each process read only its shard: the survey of its training rows, then every epoch its
    // training and validation rows; together, what one process reads.
    let read: Vec<usize> = line
        .split("rows read per process ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .map(|r| r.split(", ").map(|n| n.parse().expect("a count")).collect())
        .unwrap_or_else(|| panic!("{line}"));
    let total = 482 + epochs * 603;
    assert_eq!(read.iter().sum::<usize>(), total, "{read:?}");
    assert!(read.iter().all(|&r| r * 10 > total * 4 && r * 10 < total * 6), "{read:?} of {total}");
    // Both learn alike (other shuffles: not the same weights; 6 epochs of 15 steps reach ≈0.85).
    let (h1, h2) = (p.join("one/history.csv"), p.join("two/history.csv"));
    for key in ["accuracy", "val_accuracy"] {
        let (a1, a2) = (column(&h1, key), column(&h2, key));
        assert_eq!(a2.len(), epochs, "{key}");
        let (l1, l2) = (a1[epochs - 1], a2[epochs - 1]);
        assert!(l1 > 0.75 && l2 > 0.75 && (l1 - l2).abs() < 0.05, "{key}: {a1:?} vs {a2:?}");
    }
}

#[test]
fn a_streamed_run_resumes_on_another_number_of_processes() {
    let dir = dir_with("d.csv", table_csv(300));
    let p = dir.path();
    let base =
        ["train", "--data", "d.csv", "--target", "species", "--stream", "--layers", "8", "--validation-split", "0.2"];
    ok(p, &[&base[..], &["--epochs", "2", "--out", "first", "--checkpoint"]].concat());
    let more = mpirun(
        p,
        2,
        &[
            "train",
            "--data",
            "d.csv",
            "--stream",
            "--resume",
            "first/checkpoints/last",
            "--epochs",
            "4",
            "--out",
            "more",
            "--checkpoint",
        ],
    );
    let (stdout, stderr) = (text(&more.stdout), text(&more.stderr));
    assert!(more.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("on 2 processes, each reading its shard: 240 training rows, 60 validation rows"),
        "{stdout}"
    );
    assert!(stderr.contains("every process ended with rank 0's weights, bit for bit (checked)"), "{stderr}");
    assert_eq!(column(&p.join("more/history.csv"), "val_loss").len(), 4);
    // And back to one process.
    ok(
        p,
        &[
            "train",
            "--data",
            "d.csv",
            "--stream",
            "--resume",
            "more/checkpoints/last",
            "--epochs",
            "5",
            "--out",
            "back",
        ],
    );
    assert_eq!(column(&p.join("back/history.csv"), "val_accuracy").len(), 5);
}
