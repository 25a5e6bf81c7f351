//! `wxb train` on data streamed from disk (issue 16 item 5): a file several times larger than the
//! memory budget trains with its peak memory within the budget; streaming with a seed is
//! reproducible; a file the shuffle buffer covers gives the model that loading it gives.

use crate::common;

use std::io::Write;
use std::path::Path;

use common::*;

/// `rows` rows: 8 numbers (one with missing cells), a text column, a 3-class label (from the
/// numbers, so that there is something to learn). A fixed pseudo-random sequence: no RNG crate.
fn write_table(path: &Path, rows: usize) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "a,b,c,d,e,f,g,h,colour,label").unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..rows {
        let v: Vec<f64> = (0..8).map(|_| next() * 4.0 - 2.0).collect();
        let colour = ["red", "green", "blue", "red"][i % 4];
        let label = if v[0] + v[1] > 0.5 {
            "hi"
        } else if v[0] + v[1] < -0.5 {
            "lo"
        } else {
            "mid"
        };
        let a = if i % 17 == 3 { String::new() } else { format!("{:.4}", v[0]) };
        writeln!(
            f,
            "{a},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{colour},{label}",
            v[1], v[2], v[3], v[4], v[5], v[6], v[7]
        )
        .unwrap();
    }
    f.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// Runs `wxb args…` in `dir`; returns its peak resident memory in bytes (`wait4`'s `ru_maxrss`)
/// and its standard output.
// `wait4` reaps the child (std's `wait` cannot report its resource usage).
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)]
fn peak_rss(dir: &Path, args: &[&str]) -> (u64, String) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxb"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain stdout before waiting, so that a full pipe cannot block the child.
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into the two locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "wxb {args:?}: {out}{err}");
    (usage.ru_maxrss as u64 * 1024, out)
}

/// A 40 MB table with a budget of 8 MiB: streamed without being asked (the file is more than a
/// quarter of the budget), its peak resident memory within the budget.
///
/// How the binary's own memory is accounted for: the same command on a 2,000-row file of the same
/// columns (streamed, `--stream`) is the baseline — the program's code, allocator, thread stack,
/// model, plot and the read buffers of one chunk. The large run may add at most the budget to it:
/// everything else it holds (chunks, the shuffle buffer of a quarter of the budget, the training
/// buffers) is what the budget covers. Loading the file instead would take more than its size.
#[test]
#[cfg(target_os = "linux")]
fn a_file_five_times_the_budget_trains_within_the_budget() {
    const BUDGET: u64 = 8 << 20;
    let d = tempdir();
    let big = write_table(&d.path().join("big.csv"), 660_000);
    write_table(&d.path().join("small.csv"), 2_000);
    assert!(big > 5 * BUDGET, "the file is {big} bytes");
    let args = |data: &'static str, out: &'static str| {
        ["train", "--data", data, "--layers", "16", "--batch-size", "256", "--epochs", "1", "--memory-budget", "8MiB"]
            .into_iter()
            .chain(["--threads", "1", "--verbose", "0", "--out", out, "--validation-split", "0.1"])
            .collect::<Vec<_>>()
    };
    let (base, _) = peak_rss(d.path(), &[&args("small.csv", "s")[..], &["--stream"]].concat());
    let (peak, _) = peak_rss(d.path(), &args("big.csv", "b"));
    println!("peak RSS {peak} bytes, baseline {base} bytes, file {big} bytes, budget {BUDGET} bytes");
    assert!(
        peak <= base + BUDGET,
        "peak RSS {:.1} MiB, baseline {:.1} MiB: {:.1} MiB above it, budget 8 MiB",
        peak as f64 / 1048576.0,
        base as f64 / 1048576.0,
        (peak as f64 - base as f64) / 1048576.0
    );
    // It trained on the rows, and validated on the last tenth.
    let history = std::fs::read_to_string(d.path().join("b/history.csv")).unwrap();
    assert!(history.lines().next().unwrap().contains("val_accuracy"), "{history}");
    let column = history.lines().next().unwrap().split(',').position(|k| k == "accuracy").unwrap();
    let accuracy: f64 = history.lines().nth(1).unwrap().split(',').nth(column).unwrap().parse().unwrap();
    assert!(accuracy > 0.6, "{history}");
}

/// The model's weights and config of a run, as bytes.
fn model(dir: &Path) -> (Vec<u8>, serde_json::Value) {
    let weights = std::fs::read(dir.join("model.safetensors")).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    (weights, config)
}

/// The f32 weights of a model folder, by tensor name.
fn weights(dir: &Path) -> Vec<(String, Vec<f32>)> {
    let bytes = std::fs::read(dir.join("model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut out: Vec<(String, Vec<f32>)> = st
        .tensors()
        .into_iter()
        .filter(|(name, _)| !name.starts_with("optimizer"))
        .map(|(name, t)| {
            (name, t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn streaming_is_reproducible_and_equals_loading_when_the_buffer_covers_the_file() {
    let d = tempdir();
    write_table(&d.path().join("t.csv"), 600);
    // A budget of 1 MiB: chunks of about 90 rows (the survey and every epoch read several), a
    // shuffle buffer that holds all 600 rows.
    let base = ["train", "--data", "t.csv", "--layers", "8", "--epochs", "3", "--seed", "7"];
    let streamed = |out: &'static str| {
        [&base[..], &["--stream", "--memory-budget", "1MiB", "--out", out, "--verbose", "0"]].concat()
    };
    let r =
        ok(d.path(), &[&base[..], &["--stream", "--memory-budget", "1MiB", "--out", "s1", "--verbose", "2"]].concat());
    assert!(r.stdout.contains("Streaming t.csv from disk: 600 training rows"), "{}", r.stdout);
    ok(d.path(), &streamed("s2"));
    ok(d.path(), &[&base[..], &["--out", "loaded", "--verbose", "0"]].concat());
    // The same seed, the same model, to the bit.
    let (s1, c1) = model(&d.path().join("s1"));
    let (s2, _) = model(&d.path().join("s2"));
    assert_eq!(s1, s2, "two streamed runs with one seed");
    // Loaded: the same preprocessing (the variance to float rounding: chunks are combined by
    // Chan's rule) and the same batches (the buffer covers the file: fit's own permutation).
    let (_, c3) = model(&d.path().join("loaded"));
    let columns = |c: &serde_json::Value| c["metadata"]["preprocessing"]["columns"].as_array().unwrap().clone();
    let (a, b) = (columns(&c1), columns(&c3));
    assert_eq!(a.len(), 9);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["name"], y["name"]);
        assert_eq!(x["impute"], y["impute"], "{}", x["name"]);
        assert_eq!(x["missing"], y["missing"]);
        let (lx, ly) = (&x["layer"], &y["layer"]);
        assert_eq!(lx["config"]["vocabulary"], ly["config"]["vocabulary"], "{}", x["name"]);
        if let Some(mean) = lx["variables"]["mean"].as_array() {
            let v = |l: &serde_json::Value, k: &str| l["variables"][k][0].as_f64().unwrap();
            assert!((mean[0].as_f64().unwrap() - v(ly, "mean")).abs() <= 1e-6 * v(ly, "mean").abs().max(1.0));
            assert!((v(lx, "variance") - v(ly, "variance")).abs() <= 1e-6 * v(ly, "variance"), "{}", x["name"]);
        }
    }
    for ((name, w), (_, v)) in weights(&d.path().join("s1")).iter().zip(&weights(&d.path().join("loaded"))) {
        let diff = w.iter().zip(v).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(diff <= 1e-5, "{name}: streamed and loaded differ by {diff}");
    }
}

#[test]
fn a_smaller_shuffle_buffer_changes_the_order_and_a_streamed_npy_trains() {
    let d = tempdir();
    write_table(&d.path().join("t.csv"), 600);
    let base = ["train", "--data", "t.csv", "--layers", "8", "--epochs", "2", "--verbose", "0", "--stream"];
    ok(d.path(), &[&base[..], &["--out", "all"]].concat());
    ok(d.path(), &[&base[..], &["--out", "small", "--shuffle-buffer", "50"]].concat());
    assert_ne!(model(&d.path().join("all")).0, model(&d.path().join("small")).0);
    // Arrays: features and labels as .npy, streamed by row ranges, validated on the last rows.
    let x = wxb::Tensor::from_vec(&[300, 3], (0..900).map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0).collect());
    let y = wxb::Tensor::from_vec(&[300], (0..300).map(|i| f32::from(x.row(i)[0] > 0.0)).collect());
    write(d.path(), "x.npy", wxb::data::npy::encode(&x));
    write(d.path(), "y.npy", wxb::data::npy::encode(&y));
    let r = ok(
        d.path(),
        &["train", "--data", "x.npy", "--labels", "y.npy", "--stream", "--validation-split", "0.2", "--out", "n"],
    );
    assert!(r.stdout.contains("240 training rows, 60 validation rows"), "{}", r.stdout);
    let history = std::fs::read_to_string(d.path().join("n/history.csv")).unwrap();
    assert!(history.contains("val_loss"), "{history}");
}

#[test]
fn streamed_flags_it_cannot_honour_are_refused_in_one_line() {
    let d = tempdir();
    write_table(&d.path().join("t.csv"), 50);
    let r = run(d.path(), &["train", "--data", "t.csv", "--stream", "--class-weight", "balanced"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("--class-weight balanced is not available with streamed data"), "{}", r.stderr);
    let r =
        run(d.path(), &["train", "--data", "t.csv", "--stream", "--validation-split", "0.2", "--split", "shuffled"]);
    assert!(r.stderr.contains("holds out the last rows"), "{}", r.stderr);
    assert!(!d.path().join("wxb-model").exists());
}

#[test]
fn class_weights_by_name_weigh_streamed_rows_as_loaded_ones() {
    let d = tempdir();
    write_table(&d.path().join("t.csv"), 300);
    // The shuffle buffer covers the file: the batches of a loaded run, so the same model.
    let base = [
        "train",
        "--data",
        "t.csv",
        "--layers",
        "8",
        "--epochs",
        "2",
        "--seed",
        "3",
        "--verbose",
        "0",
        "--class-weight",
        "hi=3,lo=0.5",
    ];
    ok(d.path(), &[&base[..], &["--stream", "--out", "s"]].concat());
    ok(d.path(), &[&base[..], &["--out", "loaded"]].concat());
    ok(
        d.path(),
        &["train", "--data", "t.csv", "--layers", "8", "--epochs", "2", "--seed", "3", "--stream", "--out", "u"],
    );
    let (s, l, u) = (weights(&d.path().join("s")), weights(&d.path().join("loaded")), weights(&d.path().join("u")));
    let most = |a: &[(String, Vec<f32>)], b: &[(String, Vec<f32>)]| {
        a.iter().zip(b).flat_map(|((_, w), (_, v))| w.iter().zip(v).map(|(x, y)| (x - y).abs())).fold(0.0f32, f32::max)
    };
    assert!(most(&s, &l) <= 1e-5, "streamed and loaded differ by {}", most(&s, &l));
    // And the weights change the model.
    assert!(most(&s, &u) > 1e-3, "class weights changed nothing");
}

#[test]
fn a_streamed_run_resumes_from_its_checkpoint_at_an_epoch_boundary() {
    let d = tempdir();
    write_table(&d.path().join("t.csv"), 300);
    let base = [
        "train",
        "--data",
        "t.csv",
        "--stream",
        "--layers",
        "8",
        "--seed",
        "4",
        "--validation-split",
        "0.2",
        "--verbose",
        "0",
    ];
    ok(d.path(), &[&base[..], &["--epochs", "4", "--out", "straight"]].concat());
    ok(d.path(), &[&base[..], &["--epochs", "2", "--out", "first", "--checkpoint"]].concat());
    let r = ok(
        d.path(),
        &[
            "train",
            "--data",
            "t.csv",
            "--stream",
            "--resume",
            "first/checkpoints/last",
            "--epochs",
            "4",
            "--out",
            "more",
        ],
    );
    assert!(r.stdout.contains("240 training rows, 60 validation rows"), "{}", r.stdout);
    // The same shuffles (seeded by epoch), the saved optimizer state: the straight run's model.
    let (straight, more) = (weights(&d.path().join("straight")), weights(&d.path().join("more")));
    assert_eq!(straight, more);
    let history = std::fs::read_to_string(d.path().join("more/history.csv")).unwrap();
    assert_eq!(history.lines().count(), 5, "{history}");
}
