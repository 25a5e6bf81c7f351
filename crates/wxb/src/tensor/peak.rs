//! The machine's f32 peak, measured: a loop of independent fused multiply-adds on the widest
//! vectors the CPU has (the instructions wxb's GEMM kernels use), run on `threads` threads at once.
//! Benchmarks report their GFLOP/s as a share of it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::gemm::{Isa, isa};

/// Independent accumulators: enough to cover the FMA latency on every port.
const CHAINS: usize = 12;
/// FMAs per chain between two clock reads.
const ROUNDS: u64 = 1 << 16;

/// The f32 throughput of an FMA loop on `threads` threads running together for about `duration`,
/// in GFLOP/s (one FMA counts as two floating-point operations).
pub fn fma_peak_gflops(threads: usize, duration: Duration) -> f64 {
    let threads = threads.max(1);
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..threads).map(|_| s.spawn(move || one_thread(duration))).collect();
        runs.into_iter().map(|h| h.join().expect("the FMA loop does not panic")).sum()
    })
}

fn one_thread(duration: Duration) -> f64 {
    let isa = isa();
    let (mut flops, start) = (0.0, Instant::now());
    while start.elapsed() < duration {
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
    flops / start.elapsed().as_secs_f64() / 1e9
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
