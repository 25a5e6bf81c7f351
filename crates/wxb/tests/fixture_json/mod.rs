//! Reading the golden JSON fixtures written by the scripts in `tests/fixtures/keras/`.
#![allow(dead_code)] // Each test binary uses a part.

use serde_json::Value;
use wxb::Tensor;

/// `tests/fixtures/<name>`, parsed.
pub fn load(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A flat list of numbers.
pub fn floats(v: &Value) -> Vec<f32> {
    v.as_array().expect("a list").iter().map(|x| x.as_f64().expect("a number") as f32).collect()
}

/// A list of numbers as a `[n]` tensor, or a list of lists as a `[rows, cols]` tensor.
pub fn tensor(v: &Value) -> Tensor {
    let rows = v.as_array().expect("a list");
    match rows.first() {
        Some(Value::Array(first)) => {
            let data = rows.iter().flat_map(floats).collect();
            Tensor::from_vec(&[rows.len(), first.len()], data)
        }
        _ => Tensor::from_vec(&[rows.len()], floats(v)),
    }
}

/// Collects mismatches against golden values, to report them all at once.
#[derive(Default)]
pub struct Mismatches(Vec<String>);

impl Mismatches {
    /// Records `what` unless `|actual − expected| ≤ tol·max(1, |expected|)`.
    pub fn check(&mut self, what: &str, actual: f64, expected: f64, tol: f64) {
        let ok = (actual - expected).abs() <= tol * expected.abs().max(1.0) || (actual.is_nan() && expected.is_nan());
        if !ok {
            self.0.push(format!("{what}: wxb {actual}, Keras {expected}"));
        }
    }

    /// Checks every element of two equally long slices.
    pub fn check_all(&mut self, what: &str, actual: &[f32], expected: &[f32], tol: f64) {
        if actual.len() != expected.len() {
            self.0.push(format!("{what}: {} values, Keras {}", actual.len(), expected.len()));
            return;
        }
        for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
            self.check(&format!("{what}[{i}]"), f64::from(a), f64::from(e), tol);
        }
    }

    /// Panics listing every mismatch, if any; `checked` says how many cases were compared.
    pub fn assert_none(self, checked: usize) {
        assert!(checked > 0, "no golden case was checked");
        assert!(self.0.is_empty(), "{} mismatches with Keras:\n{}", self.0.len(), self.0.join("\n"));
    }
}
