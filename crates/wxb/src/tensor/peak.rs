//! The machine's f32 peak, measured: a loop of independent fused multiply-adds on the widest
//! vectors the CPU has (the instructions wxb's GEMM kernels use), run on `threads` threads at once.
//! Benchmarks report their GFLOP/s as a share of it.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use super::gemm::{Isa, isa};

/// Independent accumulators: enough to cover the FMA latency on every port.
const CHAINS: usize = 12;
/// FMAs per chain between two clock reads.
const ROUNDS: u64 = 1 << 14;
/// The length of one measuring window: all threads start it together (a barrier) and it counts
/// only while every thread is still running.
const WINDOW: Duration = Duration::from_millis(25);

/// The f32 throughput of an FMA loop on `threads` threads running together, in GFLOP/s (one FMA
/// counts as two floating-point operations): the best of short windows over about `duration`.
///
/// Why windows and their best: on a shared virtual machine a vCPU is now and then descheduled
/// (steal time) or slowed, and the longer one average runs, the more of it that holds; a thread
/// that starts late or ends early leaves the others alone for a while, too. The benchmarks that
/// report a share of this peak take their best run, so the peak is taken the same way: every
/// window starts on a barrier, runs the loop on every thread until the window's end, and counts
/// the operations of all threads over the time of the slowest; the best window is the peak.
pub fn fma_peak_gflops(threads: usize, duration: Duration) -> f64 {
    let threads = threads.max(1);
    let windows = (duration.as_secs_f64() / WINDOW.as_secs_f64()).ceil().max(1.0) as usize;
    let barrier = Barrier::new(threads);
    let per_thread: Vec<Vec<(f64, f64)>> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..threads).map(|_| s.spawn(|| windows_of_one_thread(&barrier, windows))).collect();
        runs.into_iter().map(|h| h.join().expect("the FMA loop does not panic")).collect()
    });
    (0..windows)
        .map(|w| {
            let flops: f64 = per_thread.iter().map(|t| t[w].0).sum();
            let seconds = per_thread.iter().map(|t| t[w].1).fold(0.0, f64::max);
            flops / seconds / 1e9
        })
        .fold(0.0, f64::max)
}

/// `(floating-point operations, seconds)` of each window, each started on `barrier`.
fn windows_of_one_thread(barrier: &Barrier, windows: usize) -> Vec<(f64, f64)> {
    let isa = isa();
    (0..windows)
        .map(|_| {
            barrier.wait();
            let (mut flops, start) = (0.0, Instant::now());
            while start.elapsed() < WINDOW {
                flops += match isa {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the CPU has AVX-512F.
                    Isa::Avx512 => unsafe { x86::avx512(ROUNDS) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the CPU has AVX2 and FMA.
                    Isa::Avx2 => unsafe { x86::avx2(ROUNDS) },
                    _ => portable(ROUNDS),
                };
            }
            (flops, start.elapsed().as_secs_f64())
        })
        .collect()
}

/// Multiply-adds on scalars that the compiler vectorizes for the baseline target.
fn portable(rounds: u64) -> f64 {
    let mut acc = [[0.0f32; 8]; CHAINS];
    let (a, b) = (black_box(0.999_999f32), black_box(1e-7f32));
    for _ in 0..rounds {
        for chain in acc.iter_mut() {
            for x in chain.iter_mut() {
                *x = *x * a + b;
            }
        }
    }
    black_box(acc);
    (rounds * CHAINS as u64 * 8 * 2) as f64
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::hint::black_box;

    use super::CHAINS;

    /// `$name(rounds)`: `rounds` times, `x ← x·a + b` on `CHAINS` independent vectors of `$lanes`
    /// floats (one fused multiply-add each); returns the floating-point operations done.
    macro_rules! fma_chains {
        ($name:ident, $feature:literal, $lanes:literal, $zero:ident, $splat:ident, $fmadd:ident) => {
            #[target_feature(enable = $feature)]
            pub(super) fn $name(rounds: u64) -> f64 {
                let mut acc = [$zero(); CHAINS];
                let (a, b) = ($splat(black_box(0.999_999)), $splat(black_box(1e-7)));
                for _ in 0..rounds {
                    for x in acc.iter_mut() {
                        *x = $fmadd(*x, a, b);
                    }
                }
                black_box(acc);
                (rounds * CHAINS as u64 * $lanes * 2) as f64
            }
        };
    }

    fma_chains!(avx512, "avx512f", 16, _mm512_setzero_ps, _mm512_set1_ps, _mm512_fmadd_ps);
    fma_chains!(avx2, "avx2,fma", 8, _mm256_setzero_ps, _mm256_set1_ps, _mm256_fmadd_ps);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_a_positive_rate_for_one_and_two_threads() {
        for threads in [1, 2] {
            let peak = fma_peak_gflops(threads, Duration::from_millis(60));
            assert!(peak.is_finite() && peak > 0.0, "{threads} threads: {peak}");
        }
        // Fewer than one window still measures one.
        assert!(fma_peak_gflops(1, Duration::ZERO) > 0.0);
    }
}
