//! f32 GEMM throughput of `gemm` (x86-v4), `matrixmultiply`, `faer` and wxb's own kernels, at the
//! MNIST MLP's shapes and 1024³, on 1 and 2 threads, as GFLOP/s and % of the peak of an FMA loop
//! measured in the same run. `C = A·B` (overwrite), all matrices row-major as wxb stores them;
//! `Aᵀ` and `Bᵀ` are strided views of row-major storage, as in a dense layer's backward pass.
//!
//! Run: `cargo run --release -- [THREADS]` (default: 1 then 2, each in a child process, because
//! matrixmultiply reads its thread count once per process).

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::Instant;

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

#[derive(Clone, Copy, PartialEq)]
enum Op {
    /// `A[m,k]·B[k,n]`.
    Nn,
    /// `Aᵀ·B` with `A` stored `[k,m]` (a weight gradient `xᵀ·dz`).
    Tn,
    /// `A·Bᵀ` with `B` stored `[n,k]` (an input gradient `dz·Wᵀ`).
    Nt,
}

struct Shape {
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    op: Op,
}

const SHAPES: &[Shape] = &[
    Shape { name: "1024³ x·W", m: 1024, k: 1024, n: 1024, op: Op::Nn },
    Shape { name: "1024³ xᵀ·dz", m: 1024, k: 1024, n: 1024, op: Op::Tn },
    Shape { name: "1024³ dz·Wᵀ", m: 1024, k: 1024, n: 1024, op: Op::Nt },
    Shape { name: "B128 x·W 784→256", m: 128, k: 784, n: 256, op: Op::Nn },
    Shape { name: "B128 x·W 256→128", m: 128, k: 256, n: 128, op: Op::Nn },
    Shape { name: "B128 x·W 128→10", m: 128, k: 128, n: 10, op: Op::Nn },
    Shape { name: "B128 xᵀ·dz 784×256", m: 784, k: 128, n: 256, op: Op::Tn },
    Shape { name: "B128 dz·Wᵀ 128→256", m: 128, k: 128, n: 256, op: Op::Nt },
    Shape { name: "B32 x·W 784→256", m: 32, k: 784, n: 256, op: Op::Nn },
    Shape { name: "B32 xᵀ·dz 784×256", m: 784, k: 32, n: 256, op: Op::Tn },
    Shape { name: "B32 dz·Wᵀ 128→256", m: 32, k: 128, n: 256, op: Op::Nt },
];

/// Row and column strides of `op(X)` for X stored row-major `[rows, cols]`.
fn strides(transposed: bool, stored_cols: usize) -> (isize, isize) {
    if transposed { (1, stored_cols as isize) } else { (stored_cols as isize, 1) }
}

struct Operands {
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    a_rs: isize,
    a_cs: isize,
    b_rs: isize,
    b_cs: isize,
}

fn operands(s: &Shape) -> Operands {
    let fill = |n: usize, seed: u32| (0..n).map(|i| ((i as u32).wrapping_mul(seed) % 1000) as f32 / 1000.0 - 0.5).collect();
    let (a_rs, a_cs) = strides(s.op == Op::Tn, if s.op == Op::Tn { s.m } else { s.k });
    let (b_rs, b_cs) = strides(s.op == Op::Nt, if s.op == Op::Nt { s.k } else { s.n });
    Operands { a: fill(s.m * s.k, 7919), b: fill(s.k * s.n, 104_729), c: vec![0.0; s.m * s.n], a_rs, a_cs, b_rs, b_cs }
}

type Kernel = fn(&Shape, &mut Operands, usize);

fn run_gemm(s: &Shape, o: &mut Operands, threads: usize) {
    let par = if threads == 1 { gemm::Parallelism::None } else { gemm::Parallelism::Rayon(threads) };
    // SAFETY: strides describe the vectors' row-major storage.
    unsafe {
        gemm::gemm(
            s.m, s.n, s.k, o.c.as_mut_ptr(), 1, s.n as isize, false, o.a.as_ptr(), o.a_cs, o.a_rs,
            o.b.as_ptr(), o.b_cs, o.b_rs, 0.0, 1.0, false, false, false, par,
        );
    }
}

fn run_matrixmultiply(s: &Shape, o: &mut Operands, _threads: usize) {
    // SAFETY: as above.
    unsafe {
        matrixmultiply::sgemm(
            s.m, s.k, s.n, 1.0, o.a.as_ptr(), o.a_rs, o.a_cs, o.b.as_ptr(), o.b_rs, o.b_cs, 0.0,
            o.c.as_mut_ptr(), s.n as isize, 1,
        );
    }
}

fn run_faer(s: &Shape, o: &mut Operands, threads: usize) {
    use faer::{Accum, MatMut, MatRef, Par};
    let par = if threads == 1 { Par::Seq } else { Par::rayon(threads) };
    // SAFETY: as above.
    unsafe {
        let a = MatRef::<f32>::from_raw_parts(o.a.as_ptr(), s.m, s.k, o.a_rs, o.a_cs);
        let b = MatRef::<f32>::from_raw_parts(o.b.as_ptr(), s.k, s.n, o.b_rs, o.b_cs);
        let c = MatMut::<f32>::from_raw_parts_mut(o.c.as_mut_ptr(), s.m, s.n, s.n as isize, 1);
        faer::linalg::matmul::matmul(c, Accum::Replace, a, b, 1.0, par);
    }
}

fn run_wxb(s: &Shape, o: &mut Operands, _threads: usize) {
    // The pool's thread count is rayon's (set per pass with `install`, see `main`).
    let a_t = s.op == Op::Tn;
    let b_t = s.op == Op::Nt;
    let ta = if a_t { wxb::tensor::Transpose::Yes } else { wxb::tensor::Transpose::No };
    let tb = if b_t { wxb::tensor::Transpose::Yes } else { wxb::tensor::Transpose::No };
    thread_local! {
        static T: std::cell::RefCell<(wxb::Tensor, wxb::Tensor, wxb::Tensor)> = Default::default();
    }
    T.with(|t| {
        let (a, b, c) = &mut *t.borrow_mut();
        let a_shape = if a_t { [s.k, s.m] } else { [s.m, s.k] };
        let b_shape = if b_t { [s.n, s.k] } else { [s.k, s.n] };
        if a.shape() != a_shape || b.shape() != b_shape {
            *a = wxb::Tensor::from_vec(&a_shape, o.a.clone());
            *b = wxb::Tensor::from_vec(&b_shape, o.b.clone());
        }
        wxb::tensor::matmul_into(c, a, ta, b, tb, 0.0);
        black_box(c.data());
    });
}

/// Seconds of this thread's CPU time: with `GEMM_BENCH_CPU_TIME=1` (one thread only) the rates
/// are per CPU-second, which tunes kernels on a machine busy with other work.
fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// GFLOP/s of `f`: the median of 5 passes of at least 50 ms each.
fn measure(s: &Shape, o: &mut Operands, threads: usize, f: Kernel) -> f64 {
    let flop = 2.0 * (s.m * s.k * s.n) as f64;
    let cpu_time = threads == 1 && std::env::var("GEMM_BENCH_CPU_TIME").is_ok_and(|v| v == "1");
    let clock = || if cpu_time { thread_cpu_seconds() } else { EPOCH.elapsed().as_secs_f64() };
    for _ in 0..3 {
        f(s, o, threads);
    }
    let mut rates = Vec::new();
    for _ in 0..5 {
        let (mut reps, start) = (0u64, clock());
        while clock() - start < 0.05 {
            f(s, o, threads);
            black_box(&o.c);
            reps += 1;
        }
        rates.push(flop * reps as f64 / (clock() - start) / 1e9);
    }
    rates.sort_by(f64::total_cmp);
    rates[2]
}

fn pass(threads: usize) {
    let peak = wxb_peak(threads);
    println!("## {threads} thread(s): FMA-loop peak {peak:.0} GFLOP/s");
    println!("| shape (M×K·K×N) | gemm 0.19 + x86-v4 | matrixmultiply 0.3 | faer 0.24 | wxb |");
    println!("|---|---|---|---|---|");
    let kernels: [Kernel; 4] = [run_gemm, run_matrixmultiply, run_faer, run_wxb];
    for s in SHAPES {
        let mut o = operands(s);
        let cells: Vec<String> = kernels
            .iter()
            .map(|&k| {
                let g = measure(s, &mut o, threads, k);
                format!("{g:.0} ({:.0}%)", 100.0 * g / peak)
            })
            .collect();
        println!("| {} {}×{}·{}×{} | {} |", s.name, s.m, s.k, s.k, s.n, cells.join(" | "));
    }
}

/// The FMA-loop peak on `threads` threads, in GFLOP/s.
fn wxb_peak(threads: usize) -> f64 {
    let process_cpu = || {
        let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: a valid timespec to write into.
        unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
        t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
    };
    let (wall, cpu) = (Instant::now(), process_cpu());
    let rate = wxb::tensor::fma_peak_gflops(threads, std::time::Duration::from_millis(300));
    if threads == 1 && std::env::var("GEMM_BENCH_CPU_TIME").is_ok_and(|v| v == "1") {
        // Per CPU-second, like the kernels.
        return rate * wall.elapsed().as_secs_f64() / (process_cpu() - cpu);
    }
    rate
}

fn main() {
    match std::env::args().nth(1) {
        Some(t) => {
            let threads: usize = t.parse().expect("THREADS is a number");
            // SAFETY: set before any thread starts.
            unsafe { std::env::set_var("MATMUL_NUM_THREADS", t.as_str()) };
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a rayon pool");
            pool.install(|| pass(threads));
        }
        None => {
            let exe = std::env::current_exe().expect("own path");
            for t in ["1", "2"] {
                let status = std::process::Command::new(&exe).arg(t).status().expect("child runs");
                assert!(status.success());
            }
        }
    }
}
