//! The rule's `update_step` over every variable, fast: compiled for AVX-512 when the CPU has it
//! (16 lanes instead of SSE's 4) and split across the thread pool.
//!
//! The arithmetic is unchanged: each element goes through the rule's operations in the rule's
//! order, and vector `+ − × ÷ √ max` round exactly as their scalar forms (no fused multiply-adds
//! are introduced), so the weights are bit-identical to an element-by-element loop, whatever the
//! split. Each variable is cut into one contiguous range of elements per part: part `p` updates the
//! rows of a kernel whose gradient thread `p` computed (weight gradients are split by rows), while
//! they are still in its cache. A [`RuleMath::whole_variable`] rule (Lamb) is given whole
//! variables instead, dealt round the parts.
//!
//! **Divergence guard.** [`grads_finite`] checks the gradients with the same split (each thread
//! reads the rows it computed), and [`update_all`] can check each block of updated weights while it
//! is still in cache, instead of separate serial passes over every array.

use std::sync::atomic::{AtomicBool, Ordering};

use super::{Rule, RuleMath, StepContext};
use crate::layers::Param;
use crate::parallel;
use crate::tensor::{Tensor, all_finite};

/// The most slots a rule keeps per variable (RMSprop with momentum, centered: 3).
const MAX_SLOTS: usize = 4;
/// Variables smaller than this in total are updated on one thread.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;
/// Parts cut the elements at multiples of this (whole cache lines of every array).
const ALIGN: usize = 16;
/// Elements updated between two finiteness checks of the new weights: the block's arrays
/// (weights, gradient, slots: 5 × 32 KiB for Adam) are still in L2 when its weights are checked.
const CHECK_BLOCK: usize = 8192;

/// Raw views of one variable, its gradient and its slots, for the parts of one update.
#[derive(Clone, Copy, Debug)]
struct Var {
    w: *mut f32,
    g: *const f32,
    len: usize,
    slots: [*mut f32; MAX_SLOTS],
    n_slots: usize,
    /// Whether the updated weights are checked for finiteness.
    check: bool,
}

/// Reusable storage for the views (empty between updates), so that an update allocates nothing.
#[derive(Clone, Debug, Default)]
pub(super) struct Views(Vec<Var>);

// SAFETY: `Views` holds pointers only inside `update_all`, which derives them from exclusive
// borrows and clears them before returning; there, parts use disjoint element ranges.
unsafe impl Send for Var {}
// SAFETY: as for `Send`: parts of one update touch disjoint element ranges.
unsafe impl Sync for Var {}

/// The number of parts an operation over variables of `total` elements is split into.
fn parts_for(total: usize) -> usize {
    if total < PARALLEL_MIN_ELEMENTS { 1 } else { parallel::threads() }
}

/// Whether every gradient is finite (no NaN, no ±∞), checked in parallel, each thread reading the
/// element ranges it will update.
pub(crate) fn grads_finite(params: &[&mut Param]) -> bool {
    let parts = parts_for(params.iter().map(|p| p.grad.len()).sum());
    let bad = AtomicBool::new(false);
    parallel::for_each_part(parts, &|part| {
        for p in params {
            let g = p.grad.data();
            let range = parallel::range(g.len(), parts, ALIGN, part);
            if bad.load(Ordering::Relaxed) {
                return;
            }
            if !all_finite(&g[range]) {
                bad.store(true, Ordering::Relaxed);
            }
        }
    });
    !bad.load(Ordering::Relaxed)
}

/// Runs `rule.update_step` on every `(param, slots)` pair. With `check_weights`, returns whether
/// every updated weight is finite, checking block by block as the update goes; the weights of
/// variables with a constraint are not checked here (the constraint changes them afterwards).
/// Without, returns true.
pub(super) fn update_all(
    rule: &Rule,
    step: StepContext,
    scalars: &[f32],
    params: &mut [&mut Param],
    slots: &mut [Vec<Tensor>],
    views: &mut Views,
    check_weights: bool,
) -> bool {
    let vars = &mut views.0;
    vars.clear();
    for (p, s) in params.iter_mut().zip(slots.iter_mut()) {
        assert!(s.len() <= MAX_SLOTS, "at most {MAX_SLOTS} slots per variable");
        let mut slot_ptrs = [std::ptr::null_mut(); MAX_SLOTS];
        for (ptr, t) in slot_ptrs.iter_mut().zip(s.iter_mut()) {
            *ptr = t.data_mut().as_mut_ptr();
        }
        let Param { value, grad, .. } = &mut **p;
        vars.push(Var {
            w: value.data_mut().as_mut_ptr(),
            g: grad.data().as_ptr(),
            len: value.len(),
            slots: slot_ptrs,
            n_slots: s.len(),
            check: check_weights && p.constraint.is_none(),
        });
    }
    let parts = parts_for(vars.iter().map(|v| v.len).sum());
    let vars: &[Var] = vars;
    let bad = AtomicBool::new(false);
    // A whole-variable rule (Lamb) gets each variable whole, the variables dealt round the parts.
    let whole = rule.math().whole_variable();
    parallel::for_each_part(parts, &|part| {
        for (i, v) in vars.iter().enumerate() {
            if whole {
                if i % parts == part {
                    // SAFETY: as below; this part alone owns variable `i`.
                    unsafe { update_range(rule, step, scalars, v, 0..v.len) };
                    // SAFETY: this part owns the variable and has just written it.
                    let w = unsafe { std::slice::from_raw_parts(v.w, v.len) };
                    if v.check && !all_finite(w) {
                        bad.store(true, Ordering::Relaxed);
                    }
                }
                continue;
            }
            let range = parallel::range(v.len, parts, ALIGN, part);
            if !v.check {
                // SAFETY: the pointers come from exclusive borrows held by the caller for the whole
                // update, and parts own disjoint element ranges of every array.
                unsafe { update_range(rule, step, scalars, v, range) };
                continue;
            }
            let mut start = range.start;
            while start < range.end {
                let block = start..(start + CHECK_BLOCK).min(range.end);
                // SAFETY: as above.
                unsafe { update_range(rule, step, scalars, v, block.clone()) };
                // SAFETY: this part owns `block` of the weights and has just written it.
                let w = unsafe { std::slice::from_raw_parts(v.w.add(block.start), block.len()) };
                if !all_finite(w) {
                    bad.store(true, Ordering::Relaxed);
                }
                start = block.end;
            }
        }
    });
    views.0.clear();
    !bad.load(Ordering::Relaxed)
}

/// `update_step` on elements `r` of one variable.
///
/// # Safety
/// `v` is valid for `v.len` elements in every array, and no one else touches elements `r`.
unsafe fn update_range(rule: &Rule, step: StepContext, scalars: &[f32], v: &Var, r: std::ops::Range<usize>) {
    let n = r.len();
    if n == 0 {
        return;
    }
    // SAFETY: as the caller promised.
    let (w, g) = unsafe {
        (std::slice::from_raw_parts_mut(v.w.add(r.start), n), std::slice::from_raw_parts(v.g.add(r.start), n))
    };
    let mut slots: [&mut [f32]; MAX_SLOTS] = [&mut [], &mut [], &mut [], &mut []];
    for (s, &ptr) in slots.iter_mut().zip(&v.slots).take(v.n_slots) {
        // SAFETY: as above.
        *s = unsafe { std::slice::from_raw_parts_mut(ptr.add(r.start), n) };
    }
    let slots = &mut slots[..v.n_slots];
    macro_rules! dispatch {
        ($($rule:ident($class:literal $(, $shortcut:ident)?)),* $(,)?) => {
            match rule {
                $(Rule::$rule(r) => vectorized(r, step, scalars, Chunk { w, g, slots }),)*
            }
        };
    }
    super::rule::with_rules!(dispatch);
}

/// One range of a variable as `update_step` takes it: the weights, their gradient and slots.
struct Chunk<'a, 's> {
    w: &'a mut [f32],
    g: &'a [f32],
    slots: &'a mut [&'s mut [f32]],
}

/// `rule.update_step`, compiled for AVX-512 when the CPU has it (every rule's `update_step` is
/// `#[inline(always)]`, so its loop is generated inside [`avx512`]).
#[inline(always)]
fn vectorized<R: RuleMath>(rule: &R, step: StepContext, scalars: &[f32], c: Chunk<'_, '_>) {
    #[cfg(target_arch = "x86_64")]
    if crate::tensor::has_avx512() {
        // SAFETY: the CPU has AVX-512F.
        unsafe { avx512(rule, step, scalars, c) };
        return;
    }
    rule.update_step(step, scalars, c.w, c.g, c.slots);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn avx512<R: RuleMath>(rule: &R, step: StepContext, scalars: &[f32], c: Chunk<'_, '_>) {
    rule.update_step(step, scalars, c.w, c.g, c.slots);
}

/// `f(w[i], g[i])` for every element `i` of `w`. With `each1` to `each3` (one to three slots), the
/// rules' loops: every array is cut to `w`'s length first, so the loop has no bounds checks and
/// vectorizes once `f` (a rule's element function, `#[inline(always)]`) is inlined.
///
/// # Panics
/// If `g` or a slot is shorter than `w`.
#[inline(always)]
pub(super) fn each0(w: &mut [f32], g: &[f32], mut f: impl FnMut(&mut f32, f32)) {
    let n = w.len();
    let g = &g[..n];
    for i in 0..n {
        f(&mut w[i], g[i]);
    }
}

/// [`each0`] with one slot: `f(w[i], g[i], a[i])`.
#[inline(always)]
pub(super) fn each1(w: &mut [f32], g: &[f32], a: &mut [f32], mut f: impl FnMut(&mut f32, f32, &mut f32)) {
    let n = w.len();
    let (g, a) = (&g[..n], &mut a[..n]);
    for i in 0..n {
        f(&mut w[i], g[i], &mut a[i]);
    }
}

/// [`each0`] with two slots: `f(w[i], g[i], a[i], b[i])`.
#[inline(always)]
pub(super) fn each2(
    w: &mut [f32],
    g: &[f32],
    a: &mut [f32],
    b: &mut [f32],
    mut f: impl FnMut(&mut f32, f32, &mut f32, &mut f32),
) {
    let n = w.len();
    let (g, a, b) = (&g[..n], &mut a[..n], &mut b[..n]);
    for i in 0..n {
        f(&mut w[i], g[i], &mut a[i], &mut b[i]);
    }
}

/// [`each0`] with three slots: `f(w[i], g[i], a[i], b[i], c[i])`.
#[inline(always)]
pub(super) fn each3(
    w: &mut [f32],
    g: &[f32],
    [a, b, c]: [&mut [f32]; 3],
    mut f: impl FnMut(&mut f32, f32, &mut f32, &mut f32, &mut f32),
) {
    let n = w.len();
    let (g, a, b, c) = (&g[..n], &mut a[..n], &mut b[..n], &mut c[..n]);
    for i in 0..n {
        f(&mut w[i], g[i], &mut a[i], &mut b[i], &mut c[i]);
    }
}

#[cfg(test)]
mod tests {
    use crate::layers::Param;
    use crate::optim::{Adam, Optimizer};
    use crate::tensor::{Tensor, python_complement};

    /// Keras' Adam step for one element, scalar.
    fn adam_reference(w: f32, g: f32, m: &mut f32, v: &mut f32, t: f32) -> f32 {
        let alpha = 0.001 * (1.0 - 0.999f32.powf(t)).sqrt() / (1.0 - 0.9f32.powf(t));
        *m += (g - *m) * python_complement(0.9);
        *v += (g * g - *v) * python_complement(0.999);
        w - (*m * alpha) / (v.sqrt() + 1e-7)
    }

    #[test]
    fn a_split_vectorised_update_is_bit_identical_to_the_scalar_formula() {
        let n = 100_003; // large enough to be split, not a multiple of the vector width
        let values =
            |seed: u32| -> Vec<f32> { (0..n as u32).map(|i| ((i * seed) % 1999) as f32 / 999.0 - 1.0).collect() };
        let (w0, g) = (values(7), values(13));
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut p = Param::trainable("kernel", Tensor::from_vec(&[n], w0.clone()));
        let mut small = Param::trainable("bias", Tensor::from_vec(&[3], vec![0.5, -0.5, 0.25]));
        let mut opt = Optimizer::new(Adam::default());
        let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
        let mut want = w0;
        for step in 1..=3 {
            p.grad = Tensor::from_vec(&[n], g.iter().map(|x| x * step as f32).collect());
            small.grad = Tensor::from_vec(&[3], vec![0.1, 0.2, 0.3]);
            two.install(|| opt.apply(&mut [&mut p, &mut small]));
            for i in 0..n {
                want[i] = adam_reference(want[i], p.grad.data()[i], &mut m[i], &mut v[i], step as f32);
            }
            assert_eq!(p.value.data(), want.as_slice(), "step {step}");
        }
    }

    #[test]
    fn a_whole_variable_rule_gives_the_same_bits_on_any_number_of_threads() {
        // Lamb's trust ratio sums over each whole variable: variables large enough to be split
        // are handed whole to one part, so the result cannot depend on the split.
        let n = 3 * super::PARALLEL_MIN_ELEMENTS + 7;
        let values = |seed: usize| -> Vec<f32> { (0..n).map(|i| ((i * seed) % 1999) as f32 / 999.0 - 1.0).collect() };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut big = Param::trainable("kernel", Tensor::from_vec(&[n], values(7)));
            let mut small = Param::trainable("bias", Tensor::from_vec(&[3], vec![0.5, -0.5, 0.25]));
            let mut opt = Optimizer::new(crate::optim::Lamb::default()).with_learning_rate(0.01);
            for step in 1..=3 {
                big.grad = Tensor::from_vec(&[n], values(13 + step));
                small.grad = Tensor::from_vec(&[3], vec![0.1, -0.2, 0.3 * step as f32]);
                pool.install(|| opt.apply(&mut [&mut big, &mut small]));
            }
            (big.value.data().to_vec(), small.value.data().to_vec())
        };
        let one = run(1);
        assert_ne!(one.0, values(7), "the weights moved");
        assert_eq!(run(2), one);
        assert_eq!(run(3), one);
    }

    #[test]
    fn checked_updates_see_a_non_finite_weight_or_gradient_anywhere() {
        let n = 3 * super::CHECK_BLOCK + 5; // split across parts, several blocks per part
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for at in [0, n / 2, n - 1] {
            let mut p = Param::trainable("kernel", Tensor::zeros(&[n]));
            p.grad = Tensor::full(&[n], 0.5);
            let mut opt = Optimizer::new(Adam::default());
            two.install(|| {
                assert!(super::grads_finite(&[&mut p]));
                assert!(opt.apply_checked(&mut [&mut p], true));
                p.grad.data_mut()[at] = f32::NAN;
                assert!(!super::grads_finite(&[&mut p]), "gradient at {at}");
                p.grad.data_mut()[at] = 0.5;
                p.value.data_mut()[at] = f32::INFINITY;
                assert!(!opt.apply_checked(&mut [&mut p], true), "weight at {at}");
                assert!(opt.apply_checked(&mut [&mut p], false), "unchecked");
            });
        }
    }
}
