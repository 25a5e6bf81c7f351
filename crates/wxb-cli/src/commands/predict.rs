//! `wxb predict`: a saved model's predictions for a data file, as CSV.
//!
//! CSV input is streamed: rows are read, predicted and written a chunk at a time, so memory stays
//! flat however long the file is. The output appears only once every row was read and predicted:
//! `--out` is replaced atomically (a FIFO or a device is written into), and standard output is
//! spooled through an anonymous temporary file, so a bad row anywhere leaves nothing written
//! (one-line error, exit code 2). `--out` naming the data or a file of the model folder is refused.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use wxb::data::{Schema, Targets, Task, open_prepared};
use wxb::io::{Prediction, atomic::AtomicFile};

use crate::cli::PredictArgs;
use crate::dataset;
use crate::output::{csv_field, refuse_overwriting};

/// Rows read and predicted at a time from a CSV file.
pub const CHUNK_ROWS: usize = 8192;

/// Runs `wxb predict`.
pub fn run(args: &PredictArgs) -> Result<()> {
    let data = args.data.data.as_deref();
    if let Some(out) = &args.out {
        refuse_model_or_data(out, &args.model, data)?;
    }
    let trained = super::load_trained(&args.model)?;
    if args.batch_size == 0 {
        bail!("--batch-size 0: need at least one sample per batch");
    }
    let outputs: usize = trained.model.output_shape().iter().product();
    let pre = dataset::bind(&args.data, trained.schema.clone(), &args.model, Targets::Ignored)?;
    let mut sink = Sink::new(args.out.as_deref())?;
    let format = if args.json { Format::JsonLines } else { Format::Csv };
    if !args.json {
        write_header(&pre, outputs, &mut sink).with_context(|| sink.what())?;
    }
    let data_name = data.unwrap_or_else(|| Path::new(dataset::BUNDLED_TEST));
    if let Some(data) = data.filter(|d| dataset::is_csv(d).unwrap_or(false)) {
        // Streamed: rows read and prepared by the library, and predicted, a chunk at a time.
        let options = dataset::options(&args.data, None);
        let mut reader = open_prepared(data, &pre, &options).map_err(dataset::error)?;
        let mut x = wxb::Tensor::default();
        while reader.next_batch_into(CHUNK_ROWS, &mut x).map_err(dataset::error)? > 0 {
            let p = trained.predict_prepared(&x, args.batch_size).with_context(|| on(args, data))?;
            write_rows(&p, &pre, format, &mut sink).with_context(|| sink.what())?;
        }
    } else {
        if let Some(data) = data {
            dataset::is_csv(data)?; // the error of an unreadable file, named
        }
        let (x, _) = dataset::load_for_model(&args.data, &pre, Targets::Ignored)?;
        let p = trained.predict_prepared(&x, args.batch_size).with_context(|| on(args, data_name))?;
        write_rows(&p, &pre, format, &mut sink).with_context(|| sink.what())?;
    }
    sink.finish()
}

/// Names the model and the data, for errors between the two.
fn on(args: &PredictArgs, data: &Path) -> String {
    format!("predicting with the model {} on {}", args.model.display(), data.display())
}

/// `--out` must not be the data read nor a file of the model folder (compared as files, so links
/// and other spellings of the same path are caught).
fn refuse_model_or_data(out: &Path, model: &Path, data: Option<&Path>) -> Result<()> {
    let mut inputs: Vec<(PathBuf, &str)> = data.map(|d| (d.to_path_buf(), "the input data")).into_iter().collect();
    if let Ok(entries) = std::fs::read_dir(model) {
        inputs.extend(entries.flatten().map(|e| (e.path(), "a file of the model folder")));
    }
    let inputs: Vec<(&Path, &str)> = inputs.iter().map(|(p, w)| (p.as_path(), *w)).collect();
    refuse_overwriting(out, &inputs)
}

/// Where the predictions go: `--out` (replaced atomically) or standard output, spooled through an
/// anonymous temporary file (`O_TMPFILE` on Linux, else created and unlinked at once): it has no
/// name, so nothing is left behind whatever ends the process (Ctrl-C, `SIGTERM`, `SIGPIPE`).
enum Sink {
    File(AtomicFile, PathBuf),
    Spool(BufWriter<File>),
}

impl Sink {
    fn new(out: Option<&Path>) -> Result<Self> {
        match out {
            Some(path) => {
                let file = AtomicFile::create(path).with_context(|| format!("--out {}", path.display()))?;
                Ok(Sink::File(file, path.into()))
            }
            None => {
                let file = tempfile::tempfile().with_context(|| {
                    format!("creating a temporary file for the predictions in {}", std::env::temp_dir().display())
                })?;
                Ok(Sink::Spool(BufWriter::with_capacity(1 << 16, file)))
            }
        }
    }

    /// What a write error was writing.
    fn what(&self) -> String {
        match self {
            Sink::File(_, path) => format!("writing the predictions to {}", path.display()),
            Sink::Spool(_) => format!(
                "writing the predictions to a temporary file in {} (set TMPDIR to another folder, or use --out)",
                std::env::temp_dir().display()
            ),
        }
    }

    fn finish(self) -> Result<()> {
        let what = self.what();
        match self {
            Sink::File(file, _) => file.commit().context(what),
            Sink::Spool(writer) => {
                let mut file =
                    writer.into_inner().map_err(std::io::IntoInnerError::into_error).context(what.clone())?;
                file.rewind().context(what)?;
                let mut stdout = std::io::stdout().lock();
                std::io::copy(&mut file, &mut stdout).context("writing the predictions to standard output")?;
                stdout.flush().context("writing the predictions to standard output")
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::File(f, _) => f.write(buf),
            Sink::Spool(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::File(f, _) => f.flush(),
            Sink::Spool(s) => s.flush(),
        }
    }
}

/// How the predictions are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// A header, then one CSV row per sample.
    Csv,
    /// One JSON object per line and sample, keyed by the CSV header's names.
    JsonLines,
}

/// The columns: classification: `prediction` (the class name) then `p_<class>` per class, or only
/// `p_<second class>` for a one-unit sigmoid head on two classes; regression: `prediction` (or
/// `prediction_<i>` for several outputs).
fn columns(pre: &Schema, outputs: usize) -> Vec<String> {
    match (pre.task, &pre.class_names) {
        (Task::Classification, Some(names)) if names.len() == 2 && outputs == 1 => {
            vec!["prediction".into(), format!("p_{}", names[1])]
        }
        (Task::Classification, Some(names)) => {
            std::iter::once("prediction".to_string()).chain(names.iter().map(|n| format!("p_{n}"))).collect()
        }
        _ if outputs == 1 => vec!["prediction".into()],
        _ => (0..outputs).map(|i| format!("prediction_{i}")).collect(),
    }
}

/// The CSV header line.
fn write_header(pre: &Schema, outputs: usize, out: &mut impl Write) -> std::io::Result<()> {
    let header: Vec<String> = columns(pre, outputs).iter().map(|c| csv_field(c)).collect();
    writeln!(out, "{}", header.join(","))
}

/// Classification: the class name, then the probabilities; regression: the values.
fn write_rows(p: &Prediction, pre: &Schema, format: Format, out: &mut impl Write) -> std::io::Result<()> {
    let names = columns(pre, p.outputs.cols());
    for i in 0..p.outputs.rows() {
        let row = p.outputs.row(i);
        let class = p.classes.as_ref().map(|c| c[i].as_str());
        match format {
            Format::Csv => {
                let mut cells: Vec<String> = class.map(csv_field).into_iter().collect();
                cells.extend(row.iter().map(ToString::to_string));
                writeln!(out, "{}", cells.join(","))?;
            }
            Format::JsonLines => {
                let mut object = serde_json::Map::new();
                let mut keys = names.iter();
                if let Some(class) = class {
                    object.insert(keys.next().cloned().unwrap_or_default(), class.into());
                }
                for (key, &v) in keys.zip(row) {
                    // The f32's shortest digits (0.35462597, not the f64 widening's 0.35462597012519836).
                    let shortest = v.to_string().parse::<f64>().ok();
                    let v = shortest.and_then(serde_json::Number::from_f64).map_or(serde_json::Value::Null, Into::into);
                    object.insert(key.clone(), v);
                }
                writeln!(out, "{}", serde_json::Value::Object(object))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(pre: &Schema, p: &Prediction) -> String {
        let mut out = Vec::new();
        write_header(pre, p.outputs.cols(), &mut out).unwrap();
        write_rows(p, pre, Format::Csv, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn classes_and_values_as_csv() {
        let mut pre = Schema::csv(vec!["a".into()], Some(vec!["cat".into(), "d,og".into()]));
        let y = wxb::Tensor::from_vec(&[2, 2], vec![0.25, 0.75, 1.0, 0.0]);
        let classes = Some(vec!["d,og".to_string(), "cat".to_string()]);
        let p = Prediction { outputs: y.clone(), classes };
        assert_eq!(csv(&pre, &p), "prediction,p_cat,\"p_d,og\"\n\"d,og\",0.25,0.75\ncat,1,0\n");
        // A sigmoid head: one output, the probability of the second class.
        let binary = Prediction {
            outputs: wxb::Tensor::from_vec(&[2, 1], vec![0.75, 0.25]),
            classes: Some(vec!["d,og".to_string(), "cat".to_string()]),
        };
        assert_eq!(csv(&pre, &binary), "prediction,\"p_d,og\"\n\"d,og\",0.75\ncat,0.25\n");
        let mut lines = Vec::new();
        write_rows(&binary, &pre, Format::JsonLines, &mut lines).unwrap();
        let lines = String::from_utf8(lines).unwrap();
        assert_eq!(lines, "{\"p_d,og\":0.75,\"prediction\":\"d,og\"}\n{\"p_d,og\":0.25,\"prediction\":\"cat\"}\n");
        pre.task = Task::Regression;
        pre.class_names = None;
        let p = Prediction { outputs: y, classes: None };
        assert_eq!(csv(&pre, &p), "prediction_0,prediction_1\n0.25,0.75\n1,0\n");
        let p = Prediction { outputs: wxb::Tensor::from_vec(&[1, 1], vec![2.5]), classes: None };
        assert_eq!(csv(&pre, &p), "prediction\n2.5\n");
    }
}
