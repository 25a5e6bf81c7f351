//! Peak memory of the default run (issue: "peak RSS of `wxb train` on MNIST-10k under 150 MB").
//! Alone in its test binary, so that the only child whose peak `getrusage` reports is this run.

use crate::common;

use common::*;

/// The largest resident set of any waited-for child process of this test binary, in MiB.
fn children_peak_rss_mib() -> f64 {
    // SAFETY: a zeroed rusage is a valid value for getrusage to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    usage.ru_maxrss as f64 / 1024.0 // kilobytes on Linux
}

#[test]
#[cfg(target_os = "linux")]
fn the_default_mnist_run_stays_under_150_mb() {
    let d = tempdir();
    // Two epochs: the steady state (every buffer allocated) plus the saving and the plot at the end.
    ok(d.path(), &["train", "--epochs", "2", "--verbose", "0"]);
    let peak = children_peak_rss_mib();
    assert!(peak > 20.0, "the data alone is 31 MB of f32: {peak:.1} MiB is not a real measurement");
    assert!(peak < 150.0, "peak RSS of `wxb train` on MNIST-10k: {peak:.1} MiB");
}
