//! What the model folder holds besides the model: the training curves (`history.csv`) and a
//! recorded weight trace (`trace.json`, written by `wxb train --trace`).

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Full steps (with their formulas) embedded from a trace, spread evenly, the first and last
/// included.
const TRACE_STEPS: usize = 120;
/// Points of the weight's path embedded from a trace.
const TRACE_POINTS: usize = 2000;

/// `history.csv`: a column name per value, then a row per epoch (`None` for an empty cell).
#[derive(Serialize)]
pub struct History {
    columns: Vec<String>,
    rows: Vec<Vec<Option<f64>>>,
}

/// Reads `history.csv` from the model folder, when there is one.
///
/// # Errors
/// An unreadable file.
pub fn history(folder: &Path) -> Result<Option<History>> {
    let path = folder.join("history.csv");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    let mut lines = text.lines();
    let Some(header) = lines.next() else { return Ok(None) };
    let columns: Vec<String> = header.split(',').map(str::to_string).collect();
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|c| c.trim().parse::<f64>().ok().filter(|v| v.is_finite())).collect())
        .collect();
    Ok(Some(History { columns, rows }))
}

/// A recorded trace, as `wxb train --trace` writes it into `trace.json`.
#[derive(Deserialize)]
struct Recorded {
    weight: String,
    rule: String,
    steps: Vec<serde_json::Value>,
}

/// The trace on the page: the weight's path over every step (thinned to at most 2,000 points) and
/// some steps in full, with their formulas.
#[derive(Serialize)]
pub struct TraceData {
    weight: String,
    rule: String,
    count: usize,
    /// `(step, w_after)`.
    path: Vec<(f64, f64)>,
    steps: Vec<serde_json::Value>,
}

/// Reads `trace.json` from the model folder, when there is one.
///
/// # Errors
/// An unreadable or malformed file.
pub fn trace(folder: &Path) -> Result<Option<TraceData>> {
    let path = folder.join("trace.json");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    let r: Recorded = serde_json::from_str(&text).with_context(|| format!("{}: not a wxb trace", path.display()))?;
    let count = r.steps.len();
    let number = |s: &serde_json::Value, k: &str| s.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
    let path =
        spread(count, TRACE_POINTS).map(|i| (number(&r.steps[i], "step"), number(&r.steps[i], "w_after"))).collect();
    let steps = spread(count, TRACE_STEPS).map(|i| r.steps[i].clone()).collect();
    Ok(Some(TraceData { weight: r.weight, rule: r.rule, count, path, steps }))
}

/// At most `k` indices of `0..n`, evenly spread, the first and the last included.
fn spread(n: usize, k: usize) -> impl Iterator<Item = usize> {
    let k = k.min(n);
    let mut last = None;
    (0..k).filter_map(move |j| {
        let i = if k <= 1 { 0 } else { j * (n - 1) / (k - 1) };
        (last != Some(i)).then(|| {
            last = Some(i);
            i
        })
    })
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn spread_keeps_the_ends() {
        assert_eq!(spread(10, 4).collect::<Vec<_>>(), vec![0, 3, 6, 9]);
        assert_eq!(spread(3, 10).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(spread(0, 10).count(), 0);
    }
}
