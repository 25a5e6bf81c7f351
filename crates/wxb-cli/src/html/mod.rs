//! `wxb explain --html`: one self-contained page to click through the calculation.
//!
//! The page is `page.html` with `page.css`, `page.js`, `detail.js` and the data inlined: no file beside it, no
//! network (its Content-Security-Policy forbids any request). The data is the library's
//! [`wxb::explain::Explanation`] of each embedded sample, the same serde value `--json` prints
//! (one source for both), with what drawing needs beside it ([`data`]): the kernel columns of the traced Dense neurons
//! (to draw the edges and the first layer's weights as an image), the sample's values, its true
//! label, the traces of every neuron of small layers, the feature maps of the traced filters, and
//! the model folder's `history.csv` and `trace.json` ([`extras`]).

mod data;
mod extras;

use std::path::Path;

use anyhow::{Context, Result, bail};
use wxb::Sequential;
use wxb::data::Schema;
use wxb::tensor::Tensor;

use crate::cli::ExplainArgs;

pub use data::Source;

const TEMPLATE: &str = include_str!("page.html");
const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");
const DETAIL_JS: &str = include_str!("detail.js");

/// Rows embedded by default.
const DEFAULT_ROWS: usize = 100;

/// Writes the page of `args.rows` (default: the first 100) to `out`, atomically.
///
/// # Errors
/// A `--rows` or `--row` outside the data, a malformed `--rows`, an unreadable model folder file,
/// or a failed write.
pub fn write(args: &ExplainArgs, source: &Source<'_>, per_layer: usize, out: &Path) -> Result<()> {
    let n = source.x.rows();
    let rows = match &args.rows {
        Some(list) => parse_rows(list, n)?,
        None => (0..n.min(DEFAULT_ROWS)).collect(),
    };
    if rows.is_empty() {
        bail!("--rows: {} has no rows", source.file);
    }
    let first = match args.row {
        Some(r) => rows.iter().position(|&x| x == r).with_context(|| match &args.rows {
            Some(list) => format!("--row {r}: not among the embedded rows (--rows {list})"),
            None => {
                format!("--row {r}: not among the embedded rows (the first {}; choose them with --rows)", rows.len())
            }
        })?,
        None => 0,
    };
    let page = data::build(source, &args.model, &rows, first, per_layer, args.top)?;
    let json = serde_json::to_string(&page)?;
    let html = fill(source.model, source.schema, &json);
    wxb::io::atomic::write_atomic(out, html.as_bytes()).with_context(|| format!("{}", out.display()))?;
    println!(
        "Wrote {} ({} samples, {:.1} MB): open it in a browser",
        out.display(),
        rows.len(),
        html.len() as f64 / 1e6
    );
    Ok(())
}

/// The template with the style, the script and the data inlined. The data is JSON inside a
/// `<script type="application/json">`, every `<` escaped (`\u003c`) so that no `</script>` in a
/// name can end it.
fn fill(model: &Sequential, schema: &Schema, json: &str) -> String {
    let title = format!("wxb explain: {} layers, {} inputs", model.layers().len(), schema.feature_names.len());
    TEMPLATE
        .replace("{{TITLE}}", &escape_html(&title))
        .replace("{{CSS}}", CSS)
        .replace("{{DATA}}", &json.replace('<', "\\u003c"))
        .replace("{{JS}}", &format!("{JS}\n{DETAIL_JS}"))
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `0-99`, `3,17,40-49` (inclusive ranges, counted from 0) into row indices, each below `n`.
fn parse_rows(list: &str, n: usize) -> Result<Vec<usize>> {
    let bad = |part: &str| anyhow::anyhow!("--rows {list}: {part:?} is not a row or a range like 0-99");
    let mut rows = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<usize>(), b.trim().parse::<usize>()),
            None => (part.parse::<usize>(), part.parse::<usize>()),
        };
        let (Ok(a), Ok(b)) = (a, b) else { return Err(bad(part)) };
        if a > b {
            return Err(bad(part));
        }
        if b >= n {
            bail!("--rows {list}: row {b} is past the data's {n} rows (0..={})", n.saturating_sub(1));
        }
        let new: Vec<usize> = (a..=b).filter(|r| !rows.contains(r)).collect();
        rows.extend(new);
    }
    Ok(rows)
}

/// The `f32` values little-endian, in base64: 5⅓ characters a value, exact; the page decodes them
/// into a `Float32Array`.
pub fn base64_f32(values: impl IntoIterator<Item = f32>) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes: Vec<u8> = values.into_iter().flat_map(f32::to_le_bytes).collect();
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let v =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                s.push(char::from(ABC[(v >> (18 - 6 * k)) as usize & 63]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The row of `y` as the page names it: the class name (or index), or the value(s).
pub fn label(y: &Tensor, row: usize, classes: Option<&[String]>) -> Option<String> {
    let v = y.row(row);
    let index = match v {
        [c] if classes.is_some() => *c as usize,
        [c] => return Some(wxb::explain::num(f64::from(*c))),
        _ if classes.is_some() => wxb::tensor::argmax(v),
        _ => return None,
    };
    Some(classes.and_then(|c| c.get(index).cloned()).unwrap_or_else(|| index.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_lists_and_ranges() {
        assert_eq!(parse_rows("0-3", 10).unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(parse_rows("7, 2,2-3", 10).unwrap(), vec![7, 2, 3]);
        let e = parse_rows("5-20", 10).unwrap_err().to_string();
        assert!(e.contains("row 20 is past the data's 10 rows"), "{e}");
        assert!(parse_rows("4-2", 10).is_err());
        assert!(parse_rows("a", 10).is_err());
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        // 1.0f32 = 00 00 80 3f: "AACAPw==" in standard base64 (Python: base64.b64encode(b"\0\0\x80?")).
        assert_eq!(base64_f32([1.0]), "AACAPw==");
        // Two values: 8 bytes, "AACAPwAAAMA=" (1.0, -2.0).
        assert_eq!(base64_f32([1.0, -2.0]), "AACAPwAAAMA=");
    }
}
