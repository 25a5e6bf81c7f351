//! Cells as numbers: how a CSV cell reads as an `f32`, and the error naming its place when it
//! does not.

use std::path::Path;

use super::DataError;

/// What to do with `nan`, `inf` and numbers that overflow `f32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonFinite {
    /// Refuse them with [`DataError::NonFinite`] or [`DataError::OutOfRange`].
    #[default]
    Reject,
    /// Keep them as NaN or ±infinity.
    Allow,
}

/// How one cell reads as a number.
#[derive(Debug, Clone, Copy)]
pub(super) enum Number {
    /// A finite number.
    Finite(f32),
    /// `nan`, `inf` or `-inf` written as such.
    NonFinite(f32),
    /// A finite number beyond `f32` (it parses as an infinity).
    Overflow(f32),
    /// Empty (after trimming blanks).
    Empty,
    /// Not a number.
    Text,
}

/// Parses a cell, trimmed of ASCII blanks, as an `f32`.
pub(super) fn number(cell: &[u8]) -> Number {
    let s = cell.trim_ascii();
    if s.is_empty() {
        return Number::Empty;
    }
    let Some(v) = std::str::from_utf8(s).ok().and_then(|t| t.parse::<f32>().ok()) else { return Number::Text };
    if v.is_finite() {
        Number::Finite(v)
    } else if s.iter().any(|&b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') {
        Number::NonFinite(v)
    } else {
        Number::Overflow(v)
    }
}

/// The cell as a number, or the error naming its place.
pub(super) fn checked_number(
    cell: &[u8],
    non_finite: NonFinite,
    place: impl FnOnce() -> (u64, String),
    path: &Path,
) -> Result<f32, DataError> {
    match (number(cell), non_finite) {
        (Number::Finite(v), _) | (Number::NonFinite(v) | Number::Overflow(v), NonFinite::Allow) => Ok(v),
        (n, _) => Err(number_error(n, cell, place, path)),
    }
}

pub(super) fn number_error(n: Number, cell: &[u8], place: impl FnOnce() -> (u64, String), path: &Path) -> DataError {
    let (line, column) = place();
    let path = path.to_path_buf();
    let value = super::cell_text(cell.trim_ascii());
    match n {
        Number::Empty => DataError::MissingValue { path, line, column },
        Number::NonFinite(_) => DataError::NonFinite { path, line, column, value },
        Number::Overflow(_) => DataError::OutOfRange { path, line, column, value },
        Number::Finite(_) | Number::Text => DataError::NotANumber { path, line, column, value },
    }
}

/// `[+-]?[0-9]+`.
pub(super) fn is_integer(s: &[u8]) -> bool {
    let digits = s.strip_prefix(b"-").or_else(|| s.strip_prefix(b"+")).unwrap_or(s);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_classified() {
        assert!(matches!(number(b" 1.5 "), Number::Finite(1.5)));
        assert!(matches!(number(b"1e39"), Number::Overflow(_)));
        assert!(matches!(number(b"-inf"), Number::NonFinite(_)));
        assert!(matches!(number(b"NaN"), Number::NonFinite(_)));
        assert!(matches!(number(b"  "), Number::Empty));
        assert!(matches!(number(b"1,5"), Number::Text));
        assert!(is_integer(b"-12") && !is_integer(b"1.0") && !is_integer(b"-"));
    }
}
