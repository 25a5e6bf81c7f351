//! The per-step work of losses and metrics does not allocate: `value_and_grad`,
//! `value_and_grad_logits`, `compute`, `compute_logits` and `MetricState::update`/`result` run on
//! every batch. A counting global allocator (this test binary only) counts the allocations of the
//! current thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wxb::activations::Activation;
use wxb::losses::{Loss, Predictions};
use wxb::metrics::{Average, Metric, MetricState};
use wxb::tensor::Tensor;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as for `dealloc`, and `new_size` is valid per the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn batch(rows: usize, cols: usize, f: impl Fn(usize) -> f32) -> Tensor {
    Tensor::from_vec(&[rows, cols], (0..rows * cols).map(f).collect())
}

#[test]
fn losses_do_not_allocate_per_step() {
    let (rows, cols) = (8, 5);
    let p = batch(rows, cols, |k| 0.1 + 0.8 * ((k * 7 % 11) as f32 / 11.0));
    let y = batch(rows, cols, |k| if k % cols == k / cols % cols { 1.0 } else { 0.0 });
    let labels = Tensor::from_vec(&[rows, 1], (0..rows).map(|i| (i % cols) as f32).collect());
    let sw: Vec<f32> = (0..rows).map(|i| 0.5 + i as f32 / 4.0).collect();
    let mut grad = Tensor::zeros(&[rows, cols]);
    let mut losses: Vec<Loss> = Loss::ALL.to_vec();
    losses.push(Loss::CategoricalCrossentropy { from: Predictions::Logits, label_smoothing: 0.1 });
    losses.push(Loss::SparseCategoricalCrossentropy { from: Predictions::Logits });
    losses.push(Loss::BinaryCrossentropy { from: Predictions::Logits, label_smoothing: 0.1 });
    for loss in losses {
        let targets = if loss.is_sparse() { &labels } else { &y };
        let n = allocations(|| {
            loss.value_and_grad(targets, &p, Some(&sw), &mut grad);
            loss.compute(targets, &p, None);
            for activation in [Activation::Softmax, Activation::Sigmoid] {
                if loss.fuses_with(activation) {
                    loss.value_and_grad_logits(activation, targets, &p, Some(&sw), &mut grad);
                    loss.compute_logits(activation, targets, &p, None);
                }
            }
        });
        assert_eq!(n, 0, "{loss:?} allocated {n} times");
    }
}

#[test]
fn metric_updates_do_not_allocate() {
    let (rows, cols) = (8, 3);
    let p = batch(rows, cols, |k| (k * 5 % 7) as f32 / 7.0);
    let y = batch(rows, cols, |k| if k % cols == k / cols % cols { 1.0 } else { 0.0 });
    let labels = Tensor::from_vec(&[rows, 1], (0..rows).map(|i| (i % cols) as f32).collect());
    let sw: Vec<f32> = (0..rows).map(|i| i as f32 / 4.0).collect();
    for metric in Metric::ALL {
        let metric = match metric {
            Metric::Accuracy => Metric::CategoricalAccuracy,
            // One value per class takes one output; of several, an average.
            Metric::F1Score { threshold, .. } => Metric::F1Score { average: Average::Macro, threshold },
            Metric::FBetaScore { beta, threshold, .. } => {
                Metric::FBetaScore { beta, average: Average::Weighted, threshold }
            }
            other => other,
        };
        let targets = if metric.takes_class_indices() { &labels } else { &y };
        let mut state = MetricState::new(metric.name(), metric);
        // R² and the F-scores size their sums on their first batch, as Keras builds its variables.
        state.update(targets, &p, None);
        let n = allocations(|| {
            state.update(targets, &p, Some(&sw));
            state.result();
            state.reset();
            state.update(targets, &p, None);
        });
        assert_eq!(n, 0, "{metric:?} allocated {n} times");
    }
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations(|| {
        std::hint::black_box(vec![0.0f32; 16]);
    });
    assert_eq!(n, 1);
}
