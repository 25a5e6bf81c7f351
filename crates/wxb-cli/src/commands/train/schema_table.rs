//! What `wxb train` says about a table before training: the task chosen and why, then each
//! feature column's kind, missing cells and categories.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use wxb::data::table::{Cells, RawTable};
use wxb::data::{RawDataset, RawFeatures, Task};

/// Categories named per text column; more are counted.
const NAMED: usize = 6;

/// More categories than this, and more than half as many as rows, look like an identifier.
const IDENTIFIER: usize = 50;

/// The task line, then (for a table) the schema table; `given` is `--task` when not `auto`.
pub fn describe(raw: &RawDataset, given: Option<Task>) -> String {
    let mut s = task_line(raw, given);
    s.push('\n');
    if let RawFeatures::Table(t) = &raw.features {
        s.push_str(&table(t));
    }
    s
}

/// `classification: 3 classes from text column "species"`, `regression: column "price" has 412
/// distinct numbers`, …, with the `--task` that would override an inferred choice.
pub fn task_line(raw: &RawDataset, given: Option<Task>) -> String {
    let schema = &raw.schema;
    let source = match &schema.target {
        Some(name) => format!("column {name:?}"),
        None => "the labels".to_string(),
    };
    let integers = |v: &[f32]| v.iter().all(|x| x.fract() == 0.0);
    match (schema.task, schema.class_names.as_deref()) {
        (Task::Classification, Some(classes)) => {
            let numeric = classes.iter().all(|c| c.parse::<f64>().is_ok());
            let what = if numeric { "integer" } else { "text" };
            let from = match &schema.target {
                Some(name) => format!("{what} column {name:?}"),
                None => format!("{what} labels"),
            };
            let hint = match (given, numeric) {
                (Some(_), _) => " (--task classification)",
                (None, true) => " (--task regression to override)",
                (None, false) => "",
            };
            format!("classification: {} classes from {from}{hint}", classes.len())
        }
        _ => {
            let values = raw.targets.data();
            let mut distinct: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
            distinct.sort_unstable();
            distinct.dedup();
            let hint = match given {
                Some(_) => " (--task regression)",
                None if integers(values) => " (--task classification to override)",
                None => "",
            };
            if raw.targets.cols() > 1 {
                format!("regression: {} target columns{hint}", raw.targets.cols())
            } else {
                format!("regression: {source} has {} distinct numbers{hint}", distinct.len())
            }
        }
    }
}

/// One line per feature column: name, kind, missing cells, and a text column's categories.
pub fn table(t: &RawTable) -> String {
    let width = t.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(0).max(6);
    let mut s = String::new();
    let _ = writeln!(s, "{:<width$}  kind     missing  categories", "column");
    for c in &t.columns {
        let missing = format!("{} missing", c.missing());
        let _ = write!(s, "{:<width$}  {:<7}  {missing:<9}", c.name, c.kind().to_string());
        if let Cells::Text(cells) = &c.cells {
            let categories: BTreeSet<&str> = cells.iter().flatten().map(String::as_str).collect();
            let named: Vec<&str> = categories.iter().take(NAMED).copied().collect();
            let more = if categories.len() > NAMED { ", …" } else { "" };
            let _ = write!(s, "  {} categories ({}{more})", categories.len(), named.join(", "));
            if categories.len() > IDENTIFIER && 2 * categories.len() > c.len() {
                s.push_str(" — one input each, for nearly one per row: an identifier? leave it out with --features");
            }
        }
        s = s.trim_end().to_string();
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use wxb::data::table::RawColumn;

    #[test]
    fn text_and_numeric_columns_are_described() {
        let t = RawTable {
            columns: vec![
                RawColumn {
                    name: "island".into(),
                    cells: Cells::Text(vec![Some("Dream".into()), None, Some("Biscoe".into())]),
                },
                RawColumn { name: "mass".into(), cells: Cells::Numbers(vec![Some(1.0), None, None]) },
            ],
        };
        assert_eq!(
            table(&t),
            "column  kind     missing  categories\n\
             island  text     1 missing  2 categories (Biscoe, Dream)\n\
             mass    numeric  2 missing\n"
        );
        let names: Vec<Option<String>> = (0..60).map(|i| Some(format!("n{i}"))).collect();
        let t = RawTable { columns: vec![RawColumn { name: "name".into(), cells: Cells::Text(names) }] };
        assert!(table(&t).contains("60 categories (n0, n1, n10, n11, n12, n13, …) — one input each"), "{}", table(&t));
    }
}
