//! `im2col` and its adjoint `col2im`: a batch of channels-last samples to the matrix of patches
//! whose product with the kernel is the convolution, and back. Both split the batch across the
//! thread pool (disjoint rows of the patches, disjoint samples of `dx`) and allocate nothing.

use super::Geometry;
use super::geometry::Span;
use crate::parallel;

/// Below this many values, one thread copies them all.
const PARALLEL_MIN: usize = 1 << 14;

/// `cols[n·P + oy·ow + ox, (ky·kw + kx)·c + ch] = x[n, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, ch]`,
/// zero outside the input: one row per output position, one column per kernel weight (Keras'
/// kernel `[kh, kw, c, f]` read as a `[kh·kw·c, f]` matrix), for `batch` samples.
///
/// # Panics
/// If `x` does not hold `batch` samples or `cols` is not `batch·P × kh·kw·c`.
pub(crate) fn im2col(g: &Geometry, x: &[f32], batch: usize, cols: &mut [f32]) {
    assert_eq!(x.len(), batch * g.input_len(), "im2col: input of the wrong size");
    let rows = batch * g.positions();
    assert_eq!(cols.len(), rows * g.patch(), "im2col: patches of the wrong size");
    let parts = parts(cols.len(), rows);
    let dst = SharedMut(cols.as_mut_ptr());
    parallel::for_each_part(parts, &|p| {
        let r = parallel::range(rows, parts, 1, p);
        // SAFETY: `cols` holds `rows · patch` values (checked above) and is borrowed exclusively for
        // the whole call; parts write disjoint ranges of rows.
        let out = unsafe { std::slice::from_raw_parts_mut(dst.get().add(r.start * g.patch()), r.len() * g.patch()) };
        fill_rows(g, x, r.start, out);
    });
}

/// The patches of consecutive rows from row `start` (sample `start / P`, position `start % P`),
/// walking the positions without a division per row. When every tap of every patch lies inside
/// the input (no padding, undilated rows: each kernel row one contiguous run), each kernel row is
/// copied directly, by a loop made for its length when short (a first layer's 3 values: a
/// dispatch on the length per copy took most of conv1's im2col).
fn fill_rows(g: &Geometry, x: &[f32], start: usize, out: &mut [f32]) {
    let ([oh, ow], [sh, kh], kw) = (g.output, [g.strides[0], g.kernel[0]], g.kernel[1]);
    let inside = g.pad == [0, 0]
        && g.dilation[1] == 1
        && oh > 0
        && ow > 0
        && (oh - 1) * sh + (kh - 1) * g.dilation[0] < g.input[0]
        && (ow - 1) * g.strides[1] + kw <= g.input[1];
    if !inside {
        return fill_positions::<false, 0>(g, x, start, out);
    }
    match kw * g.input[2] {
        1 => fill_positions::<true, 1>(g, x, start, out),
        2 => fill_positions::<true, 2>(g, x, start, out),
        3 => fill_positions::<true, 3>(g, x, start, out),
        4 => fill_positions::<true, 4>(g, x, start, out),
        5 => fill_positions::<true, 5>(g, x, start, out),
        6 => fill_positions::<true, 6>(g, x, start, out),
        7 => fill_positions::<true, 7>(g, x, start, out),
        8 => fill_positions::<true, 8>(g, x, start, out),
        _ => fill_positions::<true, 0>(g, x, start, out),
    }
}

/// [`fill_rows`]'s walk: `INSIDE` when every tap lies inside the input, then `SPAN` the kernel
/// row's length (0: not known at compile time).
#[inline(always)]
fn fill_positions<const INSIDE: bool, const SPAN: usize>(g: &Geometry, x: &[f32], start: usize, out: &mut [f32]) {
    let ([oh, ow], [sh, sw]) = (g.output, g.strides);
    let (c, w, dh) = (g.input[2], g.input[1], g.dilation[0]);
    let span = if SPAN == 0 { g.kernel[1] * c } else { SPAN };
    let (mut n, pos) = (start / g.positions().max(1), start % g.positions().max(1));
    let (mut oy, mut ox) = (pos / ow.max(1), pos % ow.max(1));
    for patch in out.chunks_exact_mut(g.patch().max(1)) {
        let sample = &x[n * g.input_len()..(n + 1) * g.input_len()];
        if !INSIDE {
            fill_patch(g, sample, (oy, ox), patch);
        } else {
            for (ky, dst) in patch.chunks_exact_mut(span.max(1)).enumerate() {
                let at = ((oy * sh + ky * dh) * w + ox * sw) * c;
                if SPAN == 0 {
                    dst.copy_from_slice(&sample[at..at + span]);
                } else {
                    let d: &mut [f32; SPAN] = dst.try_into().expect("SPAN values");
                    *d = sample[at..at + SPAN].try_into().expect("SPAN values");
                }
            }
        }
        ox += 1;
        if ox == ow {
            ox = 0;
            oy += 1;
            if oy == oh {
                oy = 0;
                n += 1;
            }
        }
    }
}

/// The patch of output position `(oy, ox)` of one sample.
#[inline]
fn fill_patch(g: &Geometry, sample: &[f32], (oy, ox): (usize, usize), patch: &mut [f32]) {
    let c = g.input[2];
    let span = g.kernel[1] * c;
    for (ky, dst) in patch.chunks_exact_mut(span.max(1)).enumerate() {
        match g.row_span((oy, ox), ky) {
            Span::Outside => dst.fill(0.0),
            // A whole kernel row inside the input, taps adjacent: one copy.
            Span::Inside(start) => copy(dst, &sample[start * c..][..span]),
            Span::Partly(y) => {
                for (kx, d) in dst.chunks_exact_mut(c).enumerate() {
                    match g.column(ox, kx) {
                        Some(x) => copy(d, &sample[(y * g.input[1] + x) * c..][..c]),
                        None => d.fill(0.0),
                    }
                }
            }
        }
    }
}

/// `dst = src` (same lengths). The short rows of a first layer (a 3-wide kernel on one channel: 3
/// values) are copied inline: through `copy_from_slice` each was a call to `memmove`, which cost
/// more than the copy (conv1's im2col took 10 % of a training step).
#[inline(always)]
fn copy(dst: &mut [f32], src: &[f32]) {
    fn fixed<const N: usize>(dst: &mut [f32], src: &[f32]) {
        let (d, s): (&mut [f32; N], &[f32; N]) = (dst.try_into().expect("N values"), src.try_into().expect("N values"));
        *d = *s;
    }
    match dst.len() {
        1 => dst[0] = src[0],
        2 => fixed::<2>(dst, src),
        3 => fixed::<3>(dst, src),
        4 => fixed::<4>(dst, src),
        5 => fixed::<5>(dst, src),
        6 => fixed::<6>(dst, src),
        7 => fixed::<7>(dst, src),
        8 => fixed::<8>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// `dx = col2im(dcols)`: each patch value's gradient added back to the input value it was copied
/// from (the adjoint of [`im2col`]). `dx` is overwritten.
///
/// # Panics
/// If the sizes do not match `batch` samples.
pub(crate) fn col2im(g: &Geometry, dcols: &[f32], batch: usize, dx: &mut [f32]) {
    assert_eq!(dx.len(), batch * g.input_len(), "col2im: input gradient of the wrong size");
    assert_eq!(dcols.len(), batch * g.positions() * g.patch(), "col2im: patches of the wrong size");
    let parts = parts(dcols.len(), batch);
    let dst = SharedMut(dx.as_mut_ptr());
    parallel::for_each_part(parts, &|p| {
        let samples = parallel::range(batch, parts, 1, p);
        for n in samples {
            // SAFETY: `dx` holds `batch` samples (checked above) and is borrowed exclusively for the
            // whole call; parts write disjoint samples.
            let d = unsafe { std::slice::from_raw_parts_mut(dst.get().add(n * g.input_len()), g.input_len()) };
            add_patches(g, &dcols[n * g.positions() * g.patch()..][..g.positions() * g.patch()], d);
        }
    });
}

/// One sample's `dx` from its patches' gradients `[P, kh·kw·c]`.
fn add_patches(g: &Geometry, dcols: &[f32], dx: &mut [f32]) {
    dx.fill(0.0);
    let c = g.input[2];
    let span = g.kernel[1] * c;
    for (pos, patch) in dcols.chunks_exact(g.patch().max(1)).enumerate() {
        let (oy, ox) = (pos / g.output[1], pos % g.output[1]);
        for (ky, src) in patch.chunks_exact(span.max(1)).enumerate() {
            match g.row_span((oy, ox), ky) {
                Span::Outside => {}
                Span::Inside(start) => add(&mut dx[start * c..][..span], src),
                Span::Partly(y) => {
                    for (kx, s) in src.chunks_exact(c).enumerate() {
                        if let Some(x) = g.column(ox, kx) {
                            add(&mut dx[(y * g.input[1] + x) * c..][..c], s);
                        }
                    }
                }
            }
        }
    }
}

/// `d += s`, element by element.
#[inline]
fn add(d: &mut [f32], s: &[f32]) {
    d.iter_mut().zip(s).for_each(|(a, b)| *a += b);
}

/// How many parts a copy of `values` in `units` independent pieces takes.
fn parts(values: usize, units: usize) -> usize {
    if values < PARALLEL_MIN { 1 } else { parallel::threads().min(units).max(1) }
}

/// A buffer written by the parts of one call, each to its own range.
struct SharedMut(*mut f32);
// SAFETY: the parts of one call write disjoint ranges through it (see each use).
unsafe impl Sync for SharedMut {}
impl SharedMut {
    /// The pointer (a method, so that closures capture the `Sync` wrapper, not the field).
    fn get(&self) -> *mut f32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for stride 2, dilation 1, same padding on [5, 4, 2].
        let g = Geometry {
            input: [5, 4, 2],
            kernel: [3, 2],
            strides: [2, 1],
            dilation: [1, 1],
            pad: [1, 0],
            output: [3, 4],
            filters: 1,
        };
        let batch = 2;
        let x: Vec<f32> = (0..batch * g.input_len()).map(|i| (i as f32 * 0.37).sin()).collect();
        let c: Vec<f32> = (0..batch * g.positions() * g.patch()).map(|i| (i as f32 * 0.11).cos()).collect();
        let mut cols = vec![0.0; c.len()];
        im2col(&g, &x, batch, &mut cols);
        let mut dx = vec![0.0; x.len()];
        col2im(&g, &c, batch, &mut dx);
        let lhs: f64 = cols.iter().zip(&c).map(|(a, b)| f64::from(a * b)).sum();
        let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| f64::from(a * b)).sum();
        assert!((lhs - rhs).abs() < 1e-4, "{lhs} vs {rhs}");
        // Row 0 (output (0, 0)) reads rows −1..2: its first two taps are padding.
        assert_eq!(&cols[..4], &[0.0; 4]);
        assert_eq!(cols[4], x[0]);
    }
}
