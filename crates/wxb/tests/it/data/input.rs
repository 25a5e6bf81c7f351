//! Issue 11's read side: one read through a buffer (pipes), quotes left open, bytes that are not
//! UTF-8, header names, delimiters and gzip, CRLF line numbers, unused `.npz` entries, and integer
//! labels that imply absurd class counts.

use std::io::Read;

use wxb::Tensor;
use wxb::data::csv::{self, CsvOptions, FeatureColumns, Target, TargetColumn};
use wxb::data::npz::{self, NpzOptions};
use wxb::data::{DataError, Format, Input, LoadOptions, MAX_CLASSES, load, load_input, npy};

use super::temp_file;

/// A reader that hands out one byte per read, like a slow pipe.
struct Trickle(Vec<u8>, usize);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.get(self.1), buf.first_mut()) {
            (Some(&b), Some(out)) => {
                *out = b;
                self.1 += 1;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn text_err(name: &str, text: &[u8]) -> DataError {
    csv::from_reader(text, name, &CsvOptions::default()).unwrap_err()
}

#[test]
fn a_pipe_is_read_once_and_its_header_is_the_real_header() {
    let text = b"a,b,y\n0.515274,1,cat\n2,3,dog\n4,5,cat\n6,7,dog\n".to_vec();
    let input = Input::from_reader(Trickle(text, 0), "/dev/stdin").unwrap();
    assert_eq!(input.format(), Format::Csv);
    let d = load_input(input, None, &LoadOptions::default()).unwrap();
    assert_eq!(d.schema.feature_names, ["a", "b"]);
    assert_eq!(d.features.data(), &[0.515274, 1., 2., 3., 4., 5., 6., 7.]);
    assert_eq!(d.schema.class_names.as_deref().unwrap(), ["cat", "dog"]);
    // A binary format through a pipe is told by its first bytes, which are read only once too.
    let x = Tensor::from_vec(&[4, 1], vec![0., 1., 2., 3.]);
    let archive = npz::encode(&[("x", &x), ("y", &Tensor::from_vec(&[4], vec![0., 1., 0., 1.]))]);
    let d = load_input(Input::from_reader(Trickle(archive, 0), "/dev/stdin").unwrap(), None, &LoadOptions::default())
        .unwrap();
    assert_eq!(d.features, x);
}

#[cfg(unix)]
#[test]
fn a_fifo_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("data");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    assert_eq!(wxb::data::detect(&fifo).unwrap(), Format::Csv, "detect must not read a FIFO");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, "p;q;y\n1;2;0\n3;4;1\n5;6;0\n7;8;1\n").unwrap())
    };
    let d = load(&fifo, &LoadOptions::default()).unwrap();
    writer.join().unwrap();
    assert_eq!(d.schema.feature_names, ["p", "q"], "the delimiter is told from the header");
    assert_eq!(d.features.rows(), 4);
}

#[test]
fn an_unterminated_quote_is_refused_where_it_opens() {
    let mut text = String::from("a,b,y\n1,2,cat\n3,4,\"dog\n");
    for i in 0..139 {
        text.push_str(&format!("{i},{i},cat\n"));
    }
    let e = text_err("q.csv", text.as_bytes());
    assert!(matches!(&e, DataError::UnterminatedQuote { line: 3, column: 3, name: Some(n), .. } if n == "y"), "{e}");
    assert_eq!(
        e.to_string(),
        r#"q.csv:3: column 3 ("y"): a quoted field runs past the end of the line (an unterminated quote?); fields may not span lines"#
    );
}

#[test]
fn bytes_that_are_not_utf8_are_refused_never_merged() {
    let e = text_err("l.csv", b"a,y\n1,caf\xe9\n2,caf\xe8\n3,tea\n");
    assert!(matches!(&e, DataError::NotUtf8 { line: 2, column: 2, byte: 0xE9, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        r#"l.csv:2: column 2 ("y"): byte 0xE9 in "caf\xe9" is not UTF-8; save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"#
    );
    // In the header too, and in a streamed file.
    let e = text_err("h.csv", b"a,\xff\n1,2\n");
    assert!(matches!(e, DataError::NotUtf8 { line: 1, column: 2, byte: 0xFF, name: None, .. }), "{e}");
    let mut r = csv::FeatureReader::from_reader(&b"a,y\n1,0\n\xe92,1\n"[..], "s.csv", &CsvOptions::default()).unwrap();
    let e = r.next_batch(10).unwrap_err();
    assert!(matches!(e, DataError::NotUtf8 { line: 3, column: 1, .. }), "{e}");
}

#[test]
fn header_names_must_be_present_and_distinct() {
    let e = text_err("d.csv", b"a,a,y\n1,2,0\n3,4,1\n");
    assert!(matches!(&e, DataError::DuplicateColumn { name, columns, .. } if name == "a" && columns == &[1, 2]), "{e}");
    let e = text_err("e.csv", b"a, ,y\n1,2,0\n3,4,1\n");
    assert!(matches!(e, DataError::EmptyColumnName { column: 2, .. }), "{e}");
    assert_eq!(e.to_string(), "e.csv: column 2 has no name in the header; give each column its own name");
    let twice = CsvOptions { features: FeatureColumns::Names(vec!["a".into(), "a".into()]), ..CsvOptions::default() };
    let e = csv::from_reader(&b"a,b,y\n1,2,0\n3,4,1\n"[..], "f.csv", &twice).unwrap_err();
    assert!(matches!(&e, DataError::RepeatedFeature { name, .. } if name == "a"), "{e}");
    // Columns not read may repeat names: prediction picks its features by name.
    let only_b = CsvOptions::for_prediction(&["b".into()]);
    assert_eq!(csv::from_reader(&b"a,a,b\n1,2,3\n"[..], "p.csv", &only_b).unwrap().features.data(), &[3.]);
}

#[test]
fn tabs_semicolons_and_gzip() {
    let tsv = "a\tb\ty\n1\t2\tx\n3\t4\tz\n";
    let (_d, p) = temp_file("t.tsv", tsv.as_bytes());
    let t = csv::read(&p, &CsvOptions::default()).unwrap();
    assert_eq!(t.feature_names, ["a", "b"]);
    let (_d, p) = temp_file("t.txt", b"a;b;y\n1;2;x\n3;4;z\n");
    assert_eq!(csv::read(&p, &CsvOptions::default()).unwrap().feature_names, ["a", "b"]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, tsv.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    for name in ["t.tsv.gz", "t.csv.gz"] {
        let (_d, p) = temp_file(name, &gz);
        // A .csv too is split on the delimiter its header line holds most.
        let t = csv::read(&p, &CsvOptions::default()).unwrap();
        assert_eq!((t.feature_names, t.features.data().to_vec()), (vec!["a".into(), "b".into()], vec![1., 2., 3., 4.]));
    }
    let (_d, p) = temp_file("bad.csv.gz", b"\x1f\x8b\x08\x00garbage");
    assert!(matches!(csv::read(&p, &CsvOptions::default()), Err(DataError::Decompress { .. } | DataError::Io { .. })));
}

#[test]
fn line_numbers_are_right_in_lf_and_crlf_files() {
    for eol in ["\n", "\r\n"] {
        let text = ["a,y", "1,0", "", "2,1", "x,0", ""].join(eol);
        let e = text_err("n.csv", text.as_bytes());
        assert!(matches!(e, DataError::NotANumber { line: 5, .. }), "{eol:?}: {e}");
        let ragged = ["a,y", "1,0", "2,1,3", ""].join(eol);
        assert!(matches!(text_err("r.csv", ragged.as_bytes()), DataError::RaggedRow { line: 3, .. }), "{eol:?}");
        let target = ["a,y", "1,0", "2,", ""].join(eol);
        assert!(matches!(text_err("t.csv", target.as_bytes()), DataError::MissingValue { line: 3, .. }), "{eol:?}");
    }
}

#[test]
fn an_unused_npz_entry_is_never_decompressed() {
    let x = Tensor::from_vec(&[4, 2], (0..8).map(|v| v as f32).collect());
    let y = Tensor::from_vec(&[4], vec![0., 1., 0., 1.]);
    let junk = Tensor::zeros(&[64]);
    let mut bytes = npz::encode(&[("x", &x), ("y", &y), ("junk", &junk)]);
    // Damage the unused entry's data: reading it would fail its CRC.
    let name = bytes.windows(8).position(|w| w == b"junk.npy").unwrap();
    bytes[name + 8 + 200] = 0xAA;
    let whole = npz::from_bytes(&bytes, "b.npz", &NpzOptions::default());
    assert!(matches!(whole, Err(DataError::Checksum { .. })), "{whole:?}");
    let some = npz::from_bytes_selected(&bytes, "b.npz", &["x", "y"], &NpzOptions::default()).unwrap();
    assert_eq!((some.names(), some.skipped()), (vec!["x", "y"], &["junk".to_string()][..]));
    let (_d, p) = temp_file("b.npz", &bytes);
    let d = load(&p, &LoadOptions::default()).unwrap();
    assert_eq!(d.features, x);
}

#[test]
fn labels_implying_absurd_class_counts_are_refused() {
    let (dir, x) = temp_file("x.npy", &npy::encode(&Tensor::zeros(&[40, 2])));
    let labels: Vec<f32> = (0..40).map(|i| if i % 2 == 0 { 0.0 } else { 999_999.0 }).collect();
    let y = dir.path().join("y.npy");
    std::fs::write(&y, npy::encode(&Tensor::from_vec(&[40], labels))).unwrap();
    let e = wxb::data::load_with_labels(&x, Some(&y), &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::TooManyClasses {
                max_label: 999_999,
                classes: 1_000_000,
                distinct: 2,
                samples: 40,
                limit: MAX_CLASSES,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("use text labels (each distinct one is a class) or regression"), "{e}");
    // Labels 0..=9 in 6 samples (a few digits missing) are fine: 10 ≤ 2 × 6 distinct.
    let few: Vec<f32> = vec![0., 9., 3., 5., 7., 1.];
    std::fs::write(&y, npy::encode(&Tensor::from_vec(&[6], few))).unwrap();
    std::fs::write(&x, npy::encode(&Tensor::zeros(&[6, 2]))).unwrap();
    let o = LoadOptions { task: Some(wxb::data::Task::Classification), ..LoadOptions::default() };
    assert_eq!(wxb::data::load_with_labels(&x, Some(&y), &o).unwrap().schema.classes(), 10);
    // Text labels in a CSV name their classes: no index is implied.
    let t = csv::from_reader(
        &b"a,y\n1,0\n2,999999\n"[..],
        "c.csv",
        &CsvOptions {
            target: TargetColumn::Last,
            task: Some(wxb::data::Task::Classification),
            ..CsvOptions::default()
        },
    )
    .unwrap();
    assert!(matches!(t.target, Some(Target::Classes { ref classes, .. }) if classes.len() == 2));
}
