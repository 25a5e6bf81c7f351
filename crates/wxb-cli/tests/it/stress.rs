//! Stress: training on a generated 1,000,000-row CSV completes with memory proportional to the
//! data, and `wxb predict` streams rows, its memory flat as the file grows. Each child's peak
//! resident memory comes from `wait4` (an upper bound: it includes this test process's few MiB,
//! which the child shared until `exec`).
//!
//! `cargo test --release -p wxb-cli --test it stress:: -- --ignored --nocapture` (a few minutes; prints
//! the table recorded in `docs/reliability.md`).

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Runs `wxb args…` in `dir`; returns its peak resident memory in MiB and its duration in seconds.
// `wait4` reaps the child (std's `wait` cannot report its resource usage).
#[allow(clippy::zombie_processes)]
fn peak_rss(dir: &Path, args: &[&str]) -> (f64, f64) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxb"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into the two locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "wxb {args:?}: {err}");
    (usage.ru_maxrss as f64 / 1024.0, start.elapsed().as_secs_f64())
}

/// `rows` rows of 10 features and a 3-class label; returns the file's size in MiB.
fn write_csv(path: &Path, rows: usize) -> f64 {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,label").unwrap();
    let mut s: u32 = 12345;
    for _ in 0..rows {
        let mut sum = 0.0f32;
        for _ in 0..10 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let v = (s % 20_000) as f32 / 1000.0 - 10.0;
            sum += v;
            write!(f, "{v},").unwrap();
        }
        writeln!(
            f,
            "{}",
            if sum < -3.0 {
                "low"
            } else if sum > 3.0 {
                "high"
            } else {
                "mid"
            }
        )
        .unwrap();
    }
    f.flush().unwrap();
    std::fs::metadata(path).unwrap().len() as f64 / (1 << 20) as f64
}

#[test]
#[ignore = "minutes: writes CSVs of up to 1,000,000 rows; run with --release --ignored --nocapture"]
fn memory_is_proportional_for_train_and_flat_for_predict() {
    let dir = std::env::temp_dir().join(format!("wxb-stress-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut table = Vec::new();
    for rows in [100_000, 250_000, 500_000, 1_000_000] {
        let name = format!("d{rows}.csv");
        let size = write_csv(&dir.join(&name), rows);
        let args = ["train", "--data", &name, "--epochs", "1", "--batch-size", "256", "--out", "m", "--verbose", "0"];
        let (train, train_s) = peak_rss(&dir, &args);
        let (predict, predict_s) =
            peak_rss(&dir, &["predict", "--model", "m", "--data", &name, "--out", "p.csv", "--batch-size", "1024"]);
        // Counted without holding the file: this process's memory at spawn counts in the child's
        // peak (the peak of the address space `exec` replaced), so it must stay small.
        let lines =
            std::io::BufRead::lines(std::io::BufReader::new(std::fs::File::open(dir.join("p.csv")).unwrap())).count();
        assert_eq!(lines, rows + 1);
        println!(
            "rows {rows:>9} | file {size:7.1} MiB | train peak {train:7.1} MiB ({train_s:5.1} s) | \
             predict peak {predict:6.1} MiB ({predict_s:5.1} s)"
        );
        table.push((rows, size, train, predict));
        std::fs::remove_file(dir.join(&name)).unwrap();
    }
    let (_, _, _, predict_small) = table[0];
    for &(rows, size, train, predict) in &table {
        // Training holds the data as f32 (10 features + 1 label = 44 bytes a row, about half the
        // CSV text): allow the whole file twice over plus a fixed base.
        assert!(train < 2.0 * size + 64.0, "{rows} rows: train peaked at {train:.1} MiB for {size:.1} MiB of CSV");
        // Prediction reads 8,192 rows at a time: flat, whatever the file's length.
        assert!(predict < predict_small + 16.0, "{rows} rows: predict peaked at {predict:.1} MiB");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
