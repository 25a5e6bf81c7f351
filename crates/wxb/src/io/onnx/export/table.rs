//! A table's preprocessing as ONNX nodes: one graph input per raw column, `[batch, 1]` each, in
//! the schema's column order — FLOAT for a numeric column (NaN where a cell is missing), STRING
//! for a text or categorical column (the cell's text, `""` where it is missing) — prepared as
//! `table::transform` does, then concatenated in wxb's feature order:
//! - numeric: the training mean fills a missing cell (`IsNaN`, `Where`), Keras Normalization
//!   (`Sub` the mean, `Div` by `max(√variance, 1e-7)`), the missing indicator `Cast(IsNaN)`;
//! - text (StringLookup) and categorical (IntegerLookup): the most frequent training value fills a
//!   missing cell (`Equal ""`, `Where`), `ai.onnx.ml` `LabelEncoder` gives its one-hot slot
//!   (`1 +` its vocabulary index, 0 the OOV slot; an IntegerLookup's keys are its values written
//!   in decimal), `OneHot` + `Squeeze` the one-hot inputs, the missing indicator `Cast(Equal "")`.

use super::graph::{Attr, Graph};
use crate::data::table::{ColumnKind, ColumnPrep, Impute, NormalizationVariables, PrepLayer};
use crate::io::onnx::proto;
use crate::tensor::Tensor;

/// The `ai.onnx.ml` domain (LabelEncoder).
pub const ML_DOMAIN: &str = "ai.onnx.ml";

/// The `ai.onnx.ml` opset the files use (LabelEncoder's `keys_strings`/`values_int64s`).
pub const ML_OPSET: i64 = 3;

/// The element type of the graph input for `column`.
pub fn input_type(column: &ColumnPrep) -> i32 {
    match column.kind {
        ColumnKind::Numeric => proto::FLOAT,
        ColumnKind::Text => proto::STRING,
    }
}

/// Appends the nodes preparing every column (reading the graph inputs named after the columns)
/// and their `Concat`; the graph's current value becomes `[batch, features]`.
///
/// # Errors
/// A column whose preprocessing has no ONNX form (a kind and imputation that disagree).
pub fn table(g: &mut Graph, columns: &[ColumnPrep]) -> Result<(), String> {
    let mut parts = Vec::new();
    for c in columns {
        let x = c.name.clone();
        let p = format!("preprocessing/{}", c.name);
        let (value, missing) = match (&c.impute, &c.layer) {
            (Impute::Mean { value }, None | Some(PrepLayer::Normalization { .. })) => {
                let is_nan = g.node_reading("IsNaN", &format!("{p}/is_missing"), vec![x.clone()], Vec::new());
                let fill = g.constant(&format!("{p}/fill"), &Tensor::from_vec(&[1], vec![*value]));
                let mut v = g.node_reading("Where", &format!("{p}/impute"), vec![is_nan.clone(), fill, x], Vec::new());
                if let Some(PrepLayer::Normalization { variables, .. }) = &c.layer {
                    let d = variables.variance[0].sqrt().max(NormalizationVariables::EPSILON);
                    let mean = g.constant(&format!("{p}/mean"), &Tensor::from_vec(&[1], vec![variables.mean[0]]));
                    let dev = g.constant(&format!("{p}/deviation"), &Tensor::from_vec(&[1], vec![d]));
                    v = g.node_reading("Sub", &format!("{p}/center"), vec![v, mean], Vec::new());
                    v = g.node_reading("Div", &format!("{p}/normalize"), vec![v, dev], Vec::new());
                }
                (v, is_nan)
            }
            (
                Impute::MostFrequent { value },
                Some(PrepLayer::StringLookup { .. } | PrepLayer::IntegerLookup { .. }),
            ) => lookup(g, c, &p, x, value.as_deref()),
            _ => return Err(format!("column {:?}: its imputation and preprocessing disagree", c.name)),
        };
        parts.push(value);
        if c.missing_indicator {
            let flag = vec![("to", Attr::Int(i64::from(proto::FLOAT)))];
            parts.push(g.node_reading("Cast", &format!("{p}/missing_indicator"), vec![missing], flag));
        }
    }
    g.current = g.node_reading("Concat", "preprocessing/concat", parts, vec![("axis", Attr::Int(1))]);
    Ok(())
}

/// A text or categorical column `x` as its one-hot inputs: `(the one-hot value, missing flag)`.
fn lookup(g: &mut Graph, c: &ColumnPrep, p: &str, x: String, fill: Option<&str>) -> (String, String) {
    let (keys, width): (Vec<String>, usize) = match &c.layer {
        Some(PrepLayer::StringLookup { config }) => (config.vocabulary.clone(), config.width()),
        Some(PrepLayer::IntegerLookup { config }) => {
            (config.vocabulary.iter().map(i64::to_string).collect(), config.width())
        }
        _ => unreachable!("called for lookups"),
    };
    let empty = g.string(&format!("{p}/empty"), "");
    let missing = g.node_reading("Equal", &format!("{p}/is_missing"), vec![x.clone(), empty], Vec::new());
    let filled = match fill {
        Some(v) => {
            let name = g.string(&format!("{p}/fill"), v);
            g.node_reading("Where", &format!("{p}/impute"), vec![missing.clone(), name, x], Vec::new())
        }
        // No training value: a missing cell ("") is in no vocabulary, so it gets the OOV slot.
        None => x,
    };
    let slots: Vec<i64> = (1..=keys.len() as i64).collect();
    let attrs = vec![
        ("keys_strings", Attr::Strings(keys)),
        ("values_int64s", Attr::Ints(slots)),
        ("default_int64", Attr::Int(0)),
    ];
    let slot = g.node_reading("LabelEncoder", &format!("{p}/lookup"), vec![filled], attrs);
    g.nodes.last_mut().expect("the LabelEncoder").domain = ML_DOMAIN.into();
    let depth = g.ints(&format!("{p}/depth"), &[width as i64]);
    let values = g.constant(&format!("{p}/off_on"), &Tensor::from_vec(&[2], vec![0.0, 1.0]));
    let hot =
        g.node_reading("OneHot", &format!("{p}/one_hot"), vec![slot, depth, values], vec![("axis", Attr::Int(-1))]);
    let axes = g.ints(&format!("{p}/axes"), &[1]);
    (g.node_reading("Squeeze", &format!("{p}/squeeze"), vec![hot, axes], Vec::new()), missing)
}
