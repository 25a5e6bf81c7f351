//! Python's view of a hyperparameter. Keras computes constants such as `1 − β` or `1 / (1 − rate)`
//! in Python's double precision on the decimal the user wrote, and rounds to `float32` only when the
//! result meets a tensor; wxb's optimizers and layers do the same to stay bit-identical.

/// `1 − x` as Keras computes `1 - self.beta_1` (or `1 - rho`): in Python's double precision on
/// the hyperparameter the user wrote, rounded to `float32` only when it meets a tensor.
///
/// wxb stores hyperparameters as `f32`; the shortest decimal that reads back as that `f32` is the
/// literal the user wrote (`0.999`), so `1 − 0.999` is taken in `f64` exactly as Python does. In
/// `f32`, `1 − 0.999f32` would be off by 5·10⁻⁵ relative.
pub(crate) fn python_complement(x: f32) -> f32 {
    (1.0 - python_float(x)) as f32
}

/// The Python float (`f64`) a user most likely wrote for the `f32` value `x`: its shortest
/// round-tripping decimal.
///
/// Formatted on the stack: optimizers call it on every step, which must not allocate.
pub(crate) fn python_float(x: f32) -> f64 {
    use std::fmt::Write;
    /// Room for any `f32`'s shortest decimal (`Display` never uses exponents: at most 48 bytes).
    struct Digits {
        bytes: [u8; 64],
        len: usize,
    }
    impl Write for Digits {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut d = Digits { bytes: [0; 64], len: 0 };
    if write!(d, "{x}").is_err() {
        return f64::from(x);
    }
    std::str::from_utf8(&d.bytes[..d.len]).ok().and_then(|s| s.parse().ok()).unwrap_or(f64::from(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_complement_matches_double_precision() {
        // Python: float32(1 - 0.999) == 0.001 exactly as float32(0.001).
        assert_eq!(python_complement(0.999), 0.001f32);
        assert_eq!(python_complement(0.9), 0.1f32);
        // The naive f32 difference is measurably different.
        assert_ne!(1.0f32 - 0.999f32, 0.001f32);
        assert_eq!(python_float(0.95), 0.95f64);
        for x in [f32::MAX, f32::MIN_POSITIVE, 1e-45, -0.0, 1.0 / 3.0, 123_456_790.0] {
            assert_eq!(python_float(x), x.to_string().parse::<f64>().unwrap(), "{x}");
        }
    }
}
