//! [`all_finite`]: whether a slice holds only finite numbers, the divergence guard's check on the
//! hot path of training (gradients before the update, weights after it).

/// Whether every value is finite, in one vectorizable pass (`v·0` is NaN exactly for NaN and ±∞):
/// `Σ v·0` over eight 16-lane accumulators (independent chains, so the adds' latency is hidden),
/// compiled for AVX-512 when the CPU has it.
pub(crate) fn all_finite(values: &[f32]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if super::has_avx512() {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { all_finite_avx512(values) };
    }
    all_finite_sum(values)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn all_finite_avx512(values: &[f32]) -> bool {
    all_finite_sum(values)
}

/// Accumulated lanes of [`all_finite`]: eight vectors of sixteen.
const FINITE_LANES: usize = 128;

#[inline(always)]
fn all_finite_sum(values: &[f32]) -> bool {
    let mut acc = [0.0f32; FINITE_LANES];
    let chunks = values.chunks_exact(FINITE_LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v * 0.0;
        }
    }
    acc.iter().chain(rest).all(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_finite_sees_every_position() {
        for len in [0, 1, 15, 16, 17, 40, 127, 128, 129, 300] {
            let v = vec![1.5f32; len];
            assert!(all_finite(&v));
            for at in 0..len {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut w = v.clone();
                    w[at] = bad;
                    assert!(!all_finite(&w), "len {len}, {bad} at {at}");
                }
            }
        }
        assert!(all_finite(&[f32::MAX, f32::MIN, f32::MIN_POSITIVE]));
    }
}
