//! Rows that come in chunks from somewhere larger than memory ([`BatchSource`]: the data tier's
//! streamed files implement it), and the bounded shuffle buffer that
//! [`Sequential::fit_source`](crate::Sequential::fit_source) draws its batches from.

use crate::error::WxbError;
use crate::rng::WxbRng;
use crate::tensor::Tensor;

/// Which rows a pass over a [`BatchSource`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The rows trained on.
    Training,
    /// The rows held out for validation (none when the source has no validation rows).
    Validation,
}

/// Prepared rows read a chunk at a time, pass after pass (an epoch re-reads the data).
///
/// Features are flat: a chunk's `x` is `[rows, features]` (the model's input shape is applied by
/// `fit_source`), its `y` `[rows, targets]` (class indices `[rows, 1]` or values).
pub trait BatchSource {
    /// The rows of `part` (0: none).
    fn rows(&self, part: Part) -> usize;
    /// Features and targets per row.
    fn widths(&self) -> (usize, usize);
    /// The most bytes the source holds at once while reading (its chunk buffers), counted against
    /// the model's memory budget with the shuffle buffer and the training buffers.
    fn buffer_bytes(&self) -> u64;
    /// Starts a pass over the rows of `part`, from the first.
    ///
    /// # Errors
    /// [`WxbError::BatchSource`] when the data cannot be read again.
    fn start(&mut self, part: Part) -> Result<(), WxbError>;
    /// The pass's next rows into `x` `[rows, features]` and `y` `[rows, targets]` (reusing their
    /// allocations); returns the rows read, 0 at the end of the pass.
    ///
    /// # Errors
    /// [`WxbError::BatchSource`] naming the file and the place of a bad row.
    fn next_chunk(&mut self, x: &mut Tensor, y: &mut Tensor) -> Result<usize, WxbError>;
}

/// One chunk of a pass and the row of it read next.
#[derive(Default)]
pub(super) struct Cursor {
    pub(super) x: Tensor,
    pub(super) y: Tensor,
    rows: usize,
    pub(super) at: usize,
}

impl Cursor {
    pub(super) fn reset(&mut self) {
        (self.rows, self.at) = (0, 0);
    }

    /// Whether a row is at `at`, reading the next chunk when this one is used up.
    pub(super) fn ready(&mut self, source: &mut dyn BatchSource) -> Result<bool, WxbError> {
        while self.at == self.rows {
            self.rows = source.next_chunk(&mut self.x, &mut self.y)?;
            self.at = 0;
            if self.rows == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// tf.data's `shuffle(buffer_size)`: at most `capacity` rows; each row given out is one drawn
/// uniformly from those held, and the next streamed row takes its place (at the end of the pass
/// the rest go out in random draws too).
pub(super) struct ShuffleBuffer {
    capacity: usize,
    widths: (usize, usize),
    x: Vec<f32>,
    y: Vec<f32>,
    len: usize,
}

impl ShuffleBuffer {
    /// A buffer of `capacity` rows of `widths` (features, targets), allocated once.
    pub(super) fn new(capacity: usize, widths: (usize, usize)) -> Self {
        let capacity = capacity.max(1);
        Self { capacity, widths, x: vec![0.0; capacity * widths.0], y: vec![0.0; capacity * widths.1], len: 0 }
    }

    /// The bytes `capacity` rows of `widths` take.
    pub(super) fn bytes(capacity: usize, widths: (usize, usize)) -> u64 {
        4 * capacity.max(1) as u64 * (widths.0 + widths.1) as u64
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn clear(&mut self) {
        self.len = 0;
    }

    /// Fills the buffer from `cursor`; returns whether the pass ended before it was full (the
    /// buffer then holds every row of the pass).
    pub(super) fn fill(&mut self, cursor: &mut Cursor, source: &mut dyn BatchSource) -> Result<bool, WxbError> {
        while self.len < self.capacity {
            if !cursor.ready(source)? {
                return Ok(true);
            }
            self.put(self.len, cursor);
            self.len += 1;
        }
        Ok(!cursor.ready(source)?)
    }

    /// Copies the cursor's row into slot `i` and moves the cursor on.
    fn put(&mut self, i: usize, cursor: &mut Cursor) {
        let (a, b) = self.widths;
        self.x[i * a..(i + 1) * a].copy_from_slice(cursor.x.row(cursor.at));
        self.y[i * b..(i + 1) * b].copy_from_slice(cursor.y.row(cursor.at));
        cursor.at += 1;
    }

    /// Copies slot `i` into row `k` of the batch buffers.
    pub(super) fn copy_out(&self, i: usize, k: usize, x: &mut [f32], y: &mut [f32]) {
        let (a, b) = self.widths;
        x[k * a..(k + 1) * a].copy_from_slice(&self.x[i * a..(i + 1) * a]);
        y[k * b..(k + 1) * b].copy_from_slice(&self.y[i * b..(i + 1) * b]);
    }

    /// Gives out a uniformly drawn row into row `k` of the batch buffers; the cursor's next row
    /// takes its slot, or (the pass ended) the last slot's row does.
    pub(super) fn draw(
        &mut self,
        rng: &mut WxbRng,
        (k, x, y): (usize, &mut [f32], &mut [f32]),
        cursor: &mut Cursor,
        source: &mut dyn BatchSource,
    ) -> Result<(), WxbError> {
        let i = rng.below(self.len);
        self.copy_out(i, k, x, y);
        if cursor.ready(source)? {
            self.put(i, cursor);
        } else {
            self.len -= 1;
            let (a, b) = self.widths;
            let last = self.len;
            self.x.copy_within(last * a..(last + 1) * a, i * a);
            self.y.copy_within(last * b..(last + 1) * b, i * b);
        }
        Ok(())
    }
}
