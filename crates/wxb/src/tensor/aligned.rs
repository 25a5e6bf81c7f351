//! The storage of a [`Tensor`](super::Tensor): `f32`s aligned to 64 bytes, a cache line and one
//! AVX-512 vector.
//!
//! A `Vec<f32>` is only 16-byte aligned by the system allocator, and where in a cache line each
//! buffer starts depends on what was allocated before. The element-wise passes of a training step
//! (the optimizer reads and writes four arrays at once: weights, gradients and two moments) then
//! split a varying share of their vector loads across two lines: measured on the MNIST MLP, the same
//! binary trained 25 % slower at batch 32 after a batch-128 run had moved the heap. Aligned storage
//! makes every buffer start on a line, whatever ran before.

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// Bytes of alignment of every buffer.
const ALIGN: usize = 64;

/// A growable buffer of `f32`, 64-byte aligned. Like `Vec<f32>`, it keeps its capacity when it
/// shrinks, so that resizing within it does not allocate.
pub(crate) struct AlignedVec {
    ptr: NonNull<f32>,
    len: usize,
    cap: usize,
}

// SAFETY: `AlignedVec` owns its buffer exclusively, like a `Vec<f32>`.
unsafe impl Send for AlignedVec {}
// SAFETY: shared access only reads, like `&Vec<f32>`.
unsafe impl Sync for AlignedVec {}

impl AlignedVec {
    /// An empty buffer (no allocation).
    pub(crate) const fn new() -> Self {
        Self { ptr: NonNull::dangling(), len: 0, cap: 0 }
    }

    /// `n` copies of `value`.
    pub(crate) fn filled(n: usize, value: f32) -> Self {
        let mut v = Self::new();
        v.resize(n, value);
        v
    }

    /// A copy of `values`.
    pub(crate) fn from_slice(values: &[f32]) -> Self {
        let mut v = Self::new();
        v.reserve_exact(values.len());
        // SAFETY: the buffer has room for `values.len()` elements and does not overlap `values`.
        unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), v.ptr.as_ptr(), values.len()) };
        v.len = values.len();
        v
    }

    /// Sets the length to `n`; new elements (beyond the old length) are `value`. Allocates only
    /// when `n` exceeds the capacity.
    pub(crate) fn resize(&mut self, n: usize, value: f32) {
        if n > self.len {
            self.reserve_exact(n);
            // SAFETY: the capacity is at least `n`; elements `len..n` are written before use.
            let fresh = unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(self.len), n - self.len) };
            fresh.fill(value);
        }
        self.len = n;
    }

    /// The number of elements it can hold without allocating.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.cap
    }

    /// Makes the capacity at least `n`, keeping the elements.
    fn reserve_exact(&mut self, n: usize) {
        if n <= self.cap {
            return;
        }
        let new_layout = layout(n);
        // SAFETY: `new_layout` has a non-zero size (n > cap ≥ 0 and f32 is 4 bytes); when a buffer
        // exists it was allocated with `layout(self.cap)`, whose alignment `realloc` keeps.
        let raw = unsafe {
            if self.cap == 0 {
                alloc::alloc(new_layout)
            } else {
                alloc::realloc(self.ptr.as_ptr().cast(), layout(self.cap), new_layout.size())
            }
        };
        self.ptr = NonNull::new(raw.cast()).unwrap_or_else(|| alloc::handle_alloc_error(new_layout));
        self.cap = n;
    }
}

/// The layout of a buffer of `n > 0` floats.
fn layout(n: usize) -> Layout {
    n.checked_mul(4)
        .and_then(|bytes| Layout::from_size_align(bytes, ALIGN).ok())
        .unwrap_or_else(|| panic!("a tensor of {n} f32 elements exceeds the address space"))
}

impl Drop for AlignedVec {
    fn drop(&mut self) {
        if self.cap > 0 {
            // SAFETY: allocated with exactly this layout.
            unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout(self.cap)) };
        }
    }
}

impl Deref for AlignedVec {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        // SAFETY: `len` elements are initialized; a dangling pointer is aligned and fine for 0.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for AlignedVec {
    fn deref_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in `deref`, with exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Default for AlignedVec {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for AlignedVec {
    fn clone(&self) -> Self {
        Self::from_slice(self)
    }
}

impl PartialEq for AlignedVec {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl From<Vec<f32>> for AlignedVec {
    fn from(v: Vec<f32>) -> Self {
        Self::from_slice(&v)
    }
}

impl FromIterator<f32> for AlignedVec {
    fn from_iter<I: IntoIterator<Item = f32>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut v = Self::new();
        v.reserve_exact(iter.size_hint().0);
        for x in iter {
            if v.len == v.cap {
                v.reserve_exact((2 * v.cap).max(16));
            }
            // SAFETY: `len < cap`.
            unsafe { v.ptr.as_ptr().add(v.len).write(x) };
            v.len += 1;
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_start_on_a_cache_line_and_keep_their_capacity() {
        let mut v = AlignedVec::filled(3, 1.5);
        assert_eq!(&*v, &[1.5, 1.5, 1.5]);
        assert_eq!(v.as_ptr() as usize % ALIGN, 0);
        v.resize(1000, 2.0);
        assert_eq!(v.as_ptr() as usize % ALIGN, 0);
        assert_eq!((&v[..3], v[3], v[999], v.len()), (&[1.5, 1.5, 1.5][..], 2.0, 2.0, 1000));
        let (ptr, cap) = (v.as_ptr(), v.capacity());
        v.resize(10, 0.0);
        v.resize(1000, 7.0);
        assert_eq!((v.as_ptr(), v.capacity()), (ptr, cap), "shrinking and growing back reuses the buffer");
        assert_eq!((v[9], v[10]), (2.0, 7.0));
        let c = v.clone();
        assert!(c == v && (c.as_ptr() as usize).is_multiple_of(ALIGN));
        let collected: AlignedVec = (0..100).map(|i| i as f32).collect();
        assert_eq!((collected.len(), collected[99], collected.as_ptr() as usize % ALIGN), (100, 99.0, 0));
        let empty = AlignedVec::from(Vec::new());
        assert!(empty.is_empty() && empty == AlignedVec::default());
    }
}
