//! A persistent, low-latency thread pool that runs one operation split into a fixed number of parts.
//!
//! A training step is a chain of small operations (a GEMM of a 128-row batch takes 100–500 µs), so
//! waking threads must cost well under a microsecond: rayon's `join`/`scope` costs a few. Here the
//! workers spin for a short while after each job and only then sleep, and a job is published with
//! one atomic store. The caller claims parts too, so a worker that the operating system has not
//! scheduled never delays a job: the caller then simply runs every part itself.
//!
//! **Determinism.** The split of an operation into parts depends only on its shape and
//! [`threads`], never on which thread runs a part or when, so results are bit-identical from run to
//! run for a given thread count.
//!
//! **Busy machines.** A worker that loses its core to another process in the middle of a part holds
//! the caller up for a whole scheduler time slice (milliseconds, against microseconds of work). When
//! that happens, operations run on the caller alone for a while (`Backoff`), then the pool is
//! tried again. Parts are the same either way, so results are too.
//!
//! **Cache affinity.** Thread `t` (the caller is thread 0) first claims part `t`, so that an
//! operation repeated with the same split (a layer's product, batch after batch) finds its share of
//! the weights in the same core's cache.
//!
//! **Thread count.** wxb uses as many threads as rayon's current pool has: set it with
//! `RAYON_NUM_THREADS`, `rayon::ThreadPoolBuilder::build_global` (the CLI's `--threads`), or run
//! code inside `ThreadPool::install`.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock, TryLockError};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps: longer than the gaps between the operations of a
/// training step, short enough not to burn a core between `fit` calls.
const SPIN: Duration = Duration::from_micros(300);

/// Spins of a caller waiting for a worker's part before it starts yielding its core (about 10 µs).
const YIELD_AFTER_SPINS: u32 = 1 << 12;

/// The number of threads wxb's operations are split across: rayon's current thread count (at most
/// [`MAX_PARTS`]).
pub fn threads() -> usize {
    rayon::current_num_threads().clamp(1, MAX_PARTS)
}

/// Runs `f(0)`, …, `f(parts − 1)`, in parallel on the pool when it is free and `parts > 1`, and
/// returns when all have finished. A panic in any part is resumed on the caller.
///
/// Parts must be independent: they may run in any order, on any thread, or all on the caller.
///
/// # Panics
/// With more than [`MAX_PARTS`] parts.
pub fn for_each_part(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    assert!(parts <= MAX_PARTS, "at most {MAX_PARTS} parts, got {parts}");
    if parts <= 1 {
        if parts == 1 {
            f(0);
        }
        return;
    }
    let pool = pool();
    // One job at a time: a nested call (from inside a part) or a concurrent caller runs its parts
    // itself, which gives the same results.
    let mut guard = match pool.busy.try_lock() {
        Ok(g) => g,
        Err(TryLockError::WouldBlock) => return (0..parts).for_each(f),
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
    };
    let start = Instant::now();
    if guard.serial(start) {
        drop(guard);
        return (0..parts).for_each(f);
    }
    pool.ensure_workers(parts.min(threads()) - 1);
    let shared = &pool.shared;
    // SAFETY: workers read the job only after claiming a part of the epoch published below, and
    // this function returns only when every part of that epoch has finished, so the erased borrow
    // of `f` outlives every use.
    unsafe {
        *shared.job.get() = Some(std::mem::transmute::<&(dyn Fn(usize) + Sync), Job>(f));
    }
    shared.remaining.store(parts, Ordering::Relaxed);
    let epoch = (shared.state.load(Ordering::Relaxed) >> EPOCH_SHIFT) + 1;
    shared.state.store((epoch << EPOCH_SHIFT) | ((parts as u64) << PARTS_SHIFT), Ordering::SeqCst);
    if shared.sleeping.load(Ordering::SeqCst) > 0 {
        let _lock = shared.sleep_lock.lock().unwrap_or_else(|p| p.into_inner());
        shared.wake.notify_all();
    }
    shared.work(0);
    let own = start.elapsed();
    // A worker still runs a part. On a machine busy with other processes it may have lost its core:
    // after a while, yield ours (it may be the one the worker waits for).
    let mut spins = 0u32;
    while shared.remaining.load(Ordering::Acquire) != 0 {
        std::hint::spin_loop();
        spins += 1;
        if spins >= YIELD_AFTER_SPINS {
            std::thread::yield_now();
        }
    }
    guard.record(start, own);
    let payload = shared.panic.lock().unwrap_or_else(|p| p.into_inner()).take();
    drop(guard);
    if let Some(payload) = payload {
        resume_unwind(payload);
    }
}

type Job = &'static (dyn Fn(usize) + Sync);

/// The most parts of one operation (one bit each in the claim mask).
pub const MAX_PARTS: usize = 32;

/// `state` packs the job's epoch (bits 40–63), its number of parts (32–39) and the mask of claimed
/// parts (0–31).
const EPOCH_SHIFT: u32 = 40;
const PARTS_SHIFT: u32 = 32;
const CLAIMED: u64 = 0xFFFF_FFFF;

fn parts_of(state: u64) -> usize {
    ((state >> PARTS_SHIFT) & 0xFF) as usize
}

/// The first unclaimed part of `state`, looking from `preferred` on (wrapping around).
fn unclaimed(state: u64, preferred: usize) -> Option<usize> {
    let parts = parts_of(state);
    let free = !state & CLAIMED & ((1u64 << parts) - 1);
    if free == 0 {
        return None;
    }
    let start = preferred % parts;
    let rotated = (free >> start) | (free << (parts - start));
    Some((start + rotated.trailing_zeros() as usize) % parts)
}

struct Shared {
    state: AtomicU64,
    job: UnsafeCell<Option<Job>>,
    remaining: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    sleeping: AtomicUsize,
    sleep_lock: Mutex<()>,
    wake: Condvar,
}

// SAFETY: `job` is written only by the caller holding `Pool::busy` while no part is claimable, and
// read by claimers of the current epoch (see `for_each_part`).
unsafe impl Sync for Shared {}

impl Shared {
    /// Claims and runs parts of the current job until none is left, part `me` first; true if it
    /// ran any.
    fn work(&self, me: usize) -> bool {
        let mut ran = false;
        loop {
            let s = self.state.load(Ordering::Acquire);
            let Some(next) = unclaimed(s, me) else {
                return ran;
            };
            let claimed = s | (1 << next);
            if self.state.compare_exchange_weak(s, claimed, Ordering::AcqRel, Ordering::Relaxed).is_err() {
                continue;
            }
            // SAFETY: the claimed part belongs to the published job, which stays alive until
            // `remaining` reaches zero, which needs this part to finish.
            let job = unsafe { (*self.job.get()).expect("a published job") };
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job(next))) {
                *self.panic.lock().unwrap_or_else(|p| p.into_inner()) = Some(payload);
            }
            self.remaining.fetch_sub(1, Ordering::Release);
            ran = true;
        }
    }

    fn has_work(&self) -> bool {
        unclaimed(self.state.load(Ordering::SeqCst), 0).is_some()
    }

    /// The loop of worker `me` (1, 2, …).
    /// Spins while jobs keep coming (even when the caller took all their parts) and sleeps once
    /// none has been published for [`SPIN`].
    fn worker_loop(&self, me: usize) {
        let mut idle_since = Instant::now();
        let mut epoch = 0;
        let mut spins = 0u32;
        loop {
            if self.work(me) {
                idle_since = Instant::now();
                spins = 0;
                continue;
            }
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(256) {
                continue;
            }
            let latest = self.state.load(Ordering::Relaxed) >> EPOCH_SHIFT;
            if latest != epoch {
                epoch = latest;
                idle_since = Instant::now();
            }
            if idle_since.elapsed() < SPIN {
                continue;
            }
            let mut lock = self.sleep_lock.lock().unwrap_or_else(|p| p.into_inner());
            self.sleeping.fetch_add(1, Ordering::SeqCst);
            while !self.has_work() {
                lock = self.wake.wait(lock).unwrap_or_else(|p| p.into_inner());
            }
            self.sleeping.fetch_sub(1, Ordering::SeqCst);
            drop(lock);
            idle_since = Instant::now();
        }
    }
}

/// When the caller runs operations alone because workers were held up.
///
/// Hold-ups are counted over windows of [`Backoff::WINDOW`]: when they cost more than a quarter of
/// a window, the next [`Backoff::period`] runs serially (doubling while it keeps happening). A rare
/// hold-up (another process taking a time slice now and then) costs less than giving up the
/// second core would.
#[derive(Debug)]
struct Backoff {
    /// Operations run on the caller alone until then.
    serial_until: Option<Instant>,
    /// The length of the next serial period.
    period: Duration,
    window_start: Instant,
    /// Time the caller spent held up in the current window.
    held_up: Duration,
}

impl Backoff {
    /// A wait for workers longer than this (and than the caller's own share) is a hold-up.
    const STALL: Duration = Duration::from_micros(200);
    const WINDOW: Duration = Duration::from_millis(100);
    const MIN: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(2);

    fn new() -> Self {
        Self { serial_until: None, period: Self::MIN, window_start: Instant::now(), held_up: Duration::ZERO }
    }

    /// Whether operations run on the caller alone at `now`.
    fn serial(&mut self, now: Instant) -> bool {
        match self.serial_until {
            Some(until) if now < until => true,
            Some(_) => {
                self.serial_until = None;
                self.window_start = now;
                self.held_up = Duration::ZERO;
                false
            }
            None => false,
        }
    }

    /// Notes how an operation that started at `start` went, the caller's own parts taking `own`.
    fn record(&mut self, start: Instant, own: Duration) {
        let now = Instant::now();
        let waited = now - start - own;
        if waited >= Self::STALL && waited >= own {
            self.held_up += waited;
        }
        if now - self.window_start < Self::WINDOW {
            return;
        }
        if self.held_up * 4 > now - self.window_start {
            self.serial_until = Some(now + self.period);
            self.period = (self.period * 2).min(Self::MAX);
        } else {
            self.period = Self::MIN;
        }
        self.window_start = now;
        self.held_up = Duration::ZERO;
    }
}

struct Pool {
    busy: Mutex<Backoff>,
    workers: AtomicUsize,
    shared: &'static Shared,
}

impl Pool {
    /// Starts workers until there are `n` (they live as long as the process). Called only by the
    /// holder of `busy`.
    fn ensure_workers(&self, n: usize) {
        while self.workers.load(Ordering::Acquire) < n {
            let shared = self.shared;
            let id = self.workers.load(Ordering::Acquire);
            let spawn = std::thread::Builder::new().name(format!("wxb-{id}")).spawn(move || shared.worker_loop(id + 1));
            if spawn.is_err() {
                // Without more threads the caller runs the remaining parts itself.
                return;
            }
            self.workers.fetch_add(1, Ordering::AcqRel);
        }
    }
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        busy: Mutex::new(Backoff::new()),
        workers: AtomicUsize::new(0),
        shared: Box::leak(Box::new(Shared {
            state: AtomicU64::new(0),
            job: UnsafeCell::new(None),
            remaining: AtomicUsize::new(0),
            panic: Mutex::new(None),
            sleeping: AtomicUsize::new(0),
            sleep_lock: Mutex::new(()),
            wake: Condvar::new(),
        })),
    })
}

/// A part's work on its range of a split slice: `f(part, range, &mut data[range])`.
pub type RangeJob<'a> = dyn Fn(usize, std::ops::Range<usize>, &mut [f32]) + Sync + 'a;

/// Runs `f(p, r, &mut data[r])` for each part `p` and its range `r = range(data.len(), parts,
/// align, p)` of `data`, in parallel as [`for_each_part`] does.
///
/// # Panics
/// With more than [`MAX_PARTS`] parts.
pub fn for_each_range_mut(data: &mut [f32], parts: usize, align: usize, f: &RangeJob<'_>) {
    /// The data's pointer, shared by the parts (each uses its own range).
    struct Data(*mut f32);
    // SAFETY: the parts of one call reach disjoint ranges through it.
    unsafe impl Sync for Data {}
    let (n, ptr) = (data.len(), Data(data.as_mut_ptr()));
    let ptr = &ptr;
    for_each_part(parts, &|p| {
        let r = range(n, parts, align, p);
        // SAFETY: `data` holds `n` values and is borrowed exclusively for the whole call; the
        // ranges of different parts are disjoint and inside `0..n`.
        let part = unsafe { std::slice::from_raw_parts_mut(ptr.0.add(r.start), r.len()) };
        f(p, r, part);
    });
}

/// Splits `0..n` into `parts` contiguous ranges whose bounds are multiples of `align` (the last
/// range takes the remainder); part `p` gets `range(n, parts, align, p)`.
pub fn range(n: usize, parts: usize, align: usize, p: usize) -> std::ops::Range<usize> {
    let units = n.div_ceil(align);
    let bound = |q: usize| (units * q / parts * align).min(n);
    bound(p)..bound(p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn every_part_runs_once() {
        for parts in [0, 1, 2, 3, 7] {
            let hits: Vec<AtomicU32> = (0..parts).map(|_| AtomicU32::new(0)).collect();
            for _ in 0..100 {
                for_each_part(parts, &|p| {
                    hits[p].fetch_add(1, Ordering::Relaxed);
                });
            }
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 100), "{parts} parts");
        }
    }

    #[test]
    fn nested_calls_run_on_the_caller() {
        let total = AtomicU32::new(0);
        for_each_part(2, &|_| {
            for_each_part(3, &|p| {
                total.fetch_add(p as u32 + 1, Ordering::Relaxed);
            })
        });
        assert_eq!(total.load(Ordering::Relaxed), 12);
    }

    #[test]
    fn a_panicking_part_panics_the_caller_and_the_pool_survives() {
        let r = catch_unwind(|| for_each_part(2, &|p| assert!(p != 1, "part one fails")));
        assert!(r.is_err());
        let n = AtomicU32::new(0);
        for_each_part(2, &|_| {
            n.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(n.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn each_thread_looks_first_at_its_own_part() {
        let state = 4u64 << PARTS_SHIFT;
        assert_eq!(unclaimed(state, 0), Some(0));
        assert_eq!(unclaimed(state, 2), Some(2));
        assert_eq!(unclaimed(state, 5), Some(1));
        assert_eq!(unclaimed(state | 0b0100, 2), Some(3));
        assert_eq!(unclaimed(state | 0b1100, 2), Some(0));
        assert_eq!(unclaimed(state | 0b1111, 1), None);
        let all = (32u64 << PARTS_SHIFT) | (CLAIMED ^ (1 << 31));
        assert_eq!(unclaimed(all, 3), Some(31));
    }

    #[test]
    fn ranges_cover_without_overlap_and_respect_alignment() {
        for (n, parts, align) in [(128, 2, 8), (10, 2, 8), (784, 2, 8), (5, 3, 1), (0, 2, 4), (33, 2, 16)] {
            let mut next = 0;
            for p in 0..parts {
                let r = range(n, parts, align, p);
                assert_eq!(r.start, next, "{n} {parts} {align}");
                assert!(r.start.is_multiple_of(align) || r.start == n);
                next = r.end;
            }
            assert_eq!(next, n);
        }
    }
}
