//! How errors write lists of names and shapes.

use std::fmt::Write as _;

/// `"a", "b", "c"`, at most 20 names, then `… (N more)`.
pub(super) fn quoted_list(names: &[String]) -> String {
    quoted_list_of(names, 20)
}

/// `"a", "b", "c"`, at most `shown` names, then `… (N more)`.
pub(super) fn quoted_list_of(names: &[String], shown: usize) -> String {
    let mut s = String::new();
    for (i, n) in names.iter().take(shown).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{n:?}");
    }
    if names.len() > shown {
        let _ = write!(s, ", … ({} more)", names.len() - shown);
    }
    if names.is_empty() {
        s.push_str("(none)");
    }
    s
}

/// ` ("name")` after a column number, when the column has a name.
pub(super) fn column_name(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!(" ({n:?})")).unwrap_or_default()
}

/// `(2, 3)`, the way NumPy writes shapes; `(5,)` for rank 1, `()` for a scalar.
pub(super) fn shape_text<T: std::fmt::Display>(shape: &[T]) -> String {
    let mut s = String::from("(");
    for (i, d) in shape.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{d}");
    }
    if shape.len() == 1 {
        s.push(',');
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_shapes_read_like_python() {
        assert_eq!(quoted_list(&["a".into(), "b c".into()]), r#""a", "b c""#);
        assert_eq!(quoted_list(&[]), "(none)");
        let many: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        assert!(quoted_list(&many).ends_with(r#""19", … (5 more)"#));
        assert_eq!(shape_text(&[2usize, 3]), "(2, 3)");
        assert_eq!(shape_text(&[5u64]), "(5,)");
        assert_eq!(shape_text::<usize>(&[]), "()");
    }
}
