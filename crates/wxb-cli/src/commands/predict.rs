//! `wxb predict`: a saved model's predictions for a data file, as CSV.
//!
//! CSV input is streamed: rows are read, predicted and written a chunk at a time, so memory stays
//! flat however long the file is. The output appears only once every row was read and predicted:
//! `--out` is replaced atomically, and standard output is spooled through a temporary file, so a
//! bad row anywhere leaves nothing written (one-line error, exit code 2).

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use wxb::data::csv::{CsvOptions, FeatureReader, NonFinite};
use wxb::io::{self, atomic::AtomicFile};
use wxb::tensor::argmax;

use crate::cli::PredictArgs;
use crate::dataset::{self, Targets};
use crate::output::csv_field;
use crate::preprocess::{Preprocessing, Task};

/// Rows read and predicted at a time from a CSV file.
pub const CHUNK_ROWS: usize = 8192;

/// Runs `wxb predict`.
pub fn run(args: &PredictArgs) -> Result<()> {
    let loaded = io::load(&args.model)?;
    let pre = Preprocessing::from_metadata(&loaded.metadata)?;
    let model = loaded.model;
    if args.batch_size == 0 {
        bail!("--batch-size 0: need at least one sample per batch");
    }
    let outputs: usize = model.output_shape().iter().product();
    if let (Task::Classification, Some(names)) = (pre.task, &pre.class_names)
        && names.len() != outputs
    {
        bail!(
            "{}: the model has {outputs} outputs but {} class names: the model directory is damaged",
            args.model.display(),
            names.len()
        );
    }
    let mut sink = Sink::new(args.out.as_deref())?;
    write_header(&pre, outputs, &mut sink)?;
    let data = args.data.data.as_ref().ok_or_else(|| anyhow::anyhow!("--data FILE is required"))?;
    if dataset::is_csv(data)? {
        let mut options = CsvOptions::for_prediction(&pre.feature_names);
        options.non_finite = if args.data.allow_nonfinite { NonFinite::Allow } else { NonFinite::Reject };
        let mut reader = FeatureReader::open(data, &options).map_err(|e| dataset::csv_error(e, &pre))?;
        let saved = Preprocessing { scale: 1.0, ..pre.clone() };
        let mut x = wxb::Tensor::default();
        while reader.next_batch_into(CHUNK_ROWS, &mut x).map_err(|e| dataset::csv_error(e, &pre))? > 0 {
            saved.apply(&mut x);
            let y = model.predict(&x, args.batch_size)?;
            write_rows(&pre, &y, &mut sink)?;
        }
    } else {
        let (x, _) = dataset::load_for_model(&args.data, &pre, Targets::Ignored)?;
        let y = model.predict(&x, args.batch_size)?;
        write_rows(&pre, &y, &mut sink)?;
    }
    sink.finish()
}

/// Where the predictions go: `--out` (replaced atomically) or standard output (spooled).
enum Sink {
    File(AtomicFile, PathBuf),
    Spool(Spool),
}

/// A temporary file, removed when dropped, that holds the output until it is complete.
struct Spool {
    writer: Option<BufWriter<File>>,
    path: PathBuf,
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Sink {
    fn new(out: Option<&Path>) -> Result<Self> {
        match out {
            Some(path) => {
                let file = AtomicFile::create(path).with_context(|| format!("{}", path.display()))?;
                Ok(Sink::File(file, path.into()))
            }
            None => {
                let path = std::env::temp_dir().join(format!("wxb-predict-{}.csv", std::process::id()));
                let file = File::options().read(true).write(true).create(true).truncate(true).open(&path);
                let file = file.with_context(|| format!("{}", path.display()))?;
                Ok(Sink::Spool(Spool { writer: Some(BufWriter::with_capacity(1 << 16, file)), path }))
            }
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::File(file, path) => file.commit().with_context(|| format!("{}", path.display())),
            Sink::Spool(mut spool) => {
                let writer = spool.writer.take().expect("written once");
                let mut file = writer.into_inner().map_err(std::io::IntoInnerError::into_error)?;
                file.rewind()?;
                let mut stdout = std::io::stdout().lock();
                std::io::copy(&mut file, &mut stdout)?;
                stdout.flush().context("writing the predictions")
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::File(f, _) => f.write(buf),
            Sink::Spool(s) => s.writer.as_mut().expect("open").write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::File(f, _) => f.flush(),
            Sink::Spool(s) => s.writer.as_mut().expect("open").flush(),
        }
    }
}

/// Classification: `prediction` (the class name) then `p_<class>` per class; regression:
/// `prediction` (or `prediction_<i>` for several outputs).
fn write_header(pre: &Preprocessing, outputs: usize, out: &mut impl Write) -> std::io::Result<()> {
    match (pre.task, &pre.class_names) {
        (Task::Classification, Some(names)) => {
            out.write_all(b"prediction")?;
            for n in names {
                write!(out, ",{}", csv_field(&format!("p_{n}")))?;
            }
        }
        _ if outputs == 1 => out.write_all(b"prediction")?,
        _ => {
            let header: Vec<String> = (0..outputs).map(|i| format!("prediction_{i}")).collect();
            out.write_all(header.join(",").as_bytes())?;
        }
    }
    out.write_all(b"\n")
}

fn write_rows(pre: &Preprocessing, y: &wxb::Tensor, out: &mut impl Write) -> std::io::Result<()> {
    for i in 0..y.rows() {
        let row = y.row(i);
        match (pre.task, &pre.class_names) {
            (Task::Classification, Some(names)) => {
                out.write_all(csv_field(&names[argmax(row)]).as_bytes())?;
                for p in row {
                    write!(out, ",{p}")?;
                }
            }
            _ => {
                for (j, v) in row.iter().enumerate() {
                    if j > 0 {
                        out.write_all(b",")?;
                    }
                    write!(out, "{v}")?;
                }
            }
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::InputFormat;

    fn csv(pre: &Preprocessing, y: &wxb::Tensor) -> String {
        let mut out = Vec::new();
        write_header(pre, y.cols(), &mut out).unwrap();
        write_rows(pre, y, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn classes_and_values_as_csv() {
        let mut pre = Preprocessing {
            format: InputFormat::Csv,
            feature_names: vec!["a".into()],
            image_shape: None,
            scale: 1.0,
            standardize: None,
            task: Task::Classification,
            target: None,
            class_names: Some(vec!["cat".into(), "d,og".into()]),
        };
        let y = wxb::Tensor::from_vec(&[2, 2], vec![0.25, 0.75, 1.0, 0.0]);
        assert_eq!(csv(&pre, &y), "prediction,p_cat,\"p_d,og\"\n\"d,og\",0.25,0.75\ncat,1,0\n");
        pre.task = Task::Regression;
        pre.class_names = None;
        assert_eq!(csv(&pre, &y), "prediction_0,prediction_1\n0.25,0.75\n1,0\n");
        assert_eq!(csv(&pre, &wxb::Tensor::from_vec(&[1, 1], vec![2.5])), "prediction\n2.5\n");
    }
}
