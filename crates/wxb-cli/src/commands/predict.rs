//! `wxb predict`: a saved model's predictions for a data file, as CSV.

use anyhow::{Context, Result};
use wxb::io;
use wxb::tensor::argmax;

use crate::cli::PredictArgs;
use crate::dataset::{self, Targets};
use crate::output::csv_field;
use crate::preprocess::{Preprocessing, Task};

/// Runs `wxb predict`.
pub fn run(args: &PredictArgs) -> Result<()> {
    let loaded = io::load(&args.model)?;
    let pre = Preprocessing::from_metadata(&loaded.metadata)?;
    let mut model = loaded.model;
    let (x, _) = dataset::load_for_model(&args.data, &pre, Targets::Ignored)?;
    let y = model.predict(&x, args.batch_size)?;
    let csv = predictions_csv(&pre, &y);
    match &args.out {
        Some(path) => {
            wxb::io::atomic::write_atomic(path, csv.as_bytes()).with_context(|| format!("{}", path.display()))?
        }
        None => print!("{csv}"),
    }
    Ok(())
}

/// Classification: `prediction` (the class name) then `p_<class>` per class; regression:
/// `prediction` (or `prediction_<i>` for several outputs).
pub fn predictions_csv(pre: &Preprocessing, y: &wxb::Tensor) -> String {
    let mut s = String::new();
    match (pre.task, &pre.class_names) {
        (Task::Classification, Some(names)) => {
            s.push_str("prediction");
            for n in names {
                s.push(',');
                s.push_str(&csv_field(&format!("p_{n}")));
            }
            s.push('\n');
            for i in 0..y.rows() {
                let row = y.row(i);
                s.push_str(&csv_field(&names[argmax(row)]));
                for p in row {
                    s.push_str(&format!(",{p}"));
                }
                s.push('\n');
            }
        }
        _ => {
            let k = y.cols();
            let header: Vec<String> =
                if k == 1 { vec!["prediction".into()] } else { (0..k).map(|i| format!("prediction_{i}")).collect() };
            s.push_str(&header.join(","));
            s.push('\n');
            for i in 0..y.rows() {
                let row: Vec<String> = y.row(i).iter().map(|v| v.to_string()).collect();
                s.push_str(&row.join(","));
                s.push('\n');
            }
        }
    }
    s
}
