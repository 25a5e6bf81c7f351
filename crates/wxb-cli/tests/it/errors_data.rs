//! Bad data files: one line on stderr naming the file and the place, exit status 2, and no file
//! changed — in particular the existing model in `--out` is left as it was.

use crate::common;

use common::*;

/// A folder holding a trained model in `model/` (its data in `train.csv`).
fn setup() -> TempDir {
    let d = tempdir();
    small_model(d.path());
    d
}

/// `wxb train --data FILE --out model` (over the existing model) must fail with `parts`.
fn train_fails(dir: &TempDir, file: &str, parts: &[&str]) -> String {
    fails(dir.path(), &["train", "--data", file, "--out", "model", "--epochs", "1"], parts)
}

#[test]
fn missing_file() {
    let d = setup();
    train_fails(&d, "nope.csv", &["nope.csv", "No such file"]);
    fails(d.path(), &["evaluate", "--model", "model", "--data", "nope.csv"], &["nope.csv", "No such file"]);
    fails(d.path(), &["predict", "--model", "model", "--data", "nope.csv", "--out", "p.csv"], &["nope.csv"]);
    write(d.path(), "x.npy", npy(&[3, 3], vec![0.0; 9]));
    train_fails(&d, "x.npy", &["x.npy", "training needs labels", "--labels"]);
    fails(
        d.path(),
        &["train", "--data", "x.npy", "--labels", "nope.npy", "--out", "model"],
        &["nope.npy", "No such file"],
    );
}

#[test]
fn empty_file_and_header_only() {
    let d = setup();
    write(d.path(), "empty.csv", "");
    write(d.path(), "header.csv", "a,b,c,species\n");
    train_fails(&d, "empty.csv", &["empty.csv: the file is empty"]);
    train_fails(&d, "header.csv", &["header.csv: the file has a header but no data rows"]);
    fails(d.path(), &["predict", "--model", "model", "--data", "header.csv"], &["header.csv", "no data rows"]);
    write(d.path(), "empty.npy", "");
    write(d.path(), "empty-idx1-ubyte", "");
    train_fails(&d, "empty.npy", &["empty.npy", "empty"]);
    train_fails(&d, "empty-idx1-ubyte", &["empty-idx1-ubyte: the file is empty"]);
    write(d.path(), "none.npy", npy(&[0, 3], vec![]));
    fails(d.path(), &["predict", "--model", "model", "--data", "none.npy"], &["none.npy: no samples", "[0, 3]"]);
}

#[test]
fn ragged_row_names_its_line() {
    let d = setup();
    write(d.path(), "ragged.csv", "a,b,c,species\n1,2,3,red\n4,5,blue\n7,8,9,green\n");
    train_fails(&d, "ragged.csv", &["ragged.csv:3: row has 3 fields, the header has 4"]);
    fails(d.path(), &["evaluate", "--model", "model", "--data", "ragged.csv"], &["ragged.csv:3: row has 3 fields"]);
}

#[test]
fn non_numeric_cell_names_line_column_and_value() {
    let d = setup();
    write(d.path(), "text.csv", "a,b,c,species\n1,2,3,red\n4,five,6,blue\n7,8,9,green\n");
    train_fails(&d, "text.csv", &["text.csv:3: column \"b\": \"five\" is not a number"]);
    fails(d.path(), &["predict", "--model", "model", "--data", "text.csv"], &["text.csv:3: column \"b\": \"five\""]);
    // A missing cell is no error: it is filled (with the training mean) and said.
    write(d.path(), "blank.csv", "a,b,c,species\n1,2,3,red\n4,,6,blue\n");
    let out = ok(d.path(), &["train", "--data", "blank.csv", "--out", "blank", "--epochs", "1"]).said();
    assert!(out.contains("\nb       numeric  1 missing\n"), "{out}");
}

#[test]
fn nan_inf_and_overflow_are_refused_unless_allowed() {
    let d = setup();
    let p = d.path();
    for (value, what) in [
        ("nan", "is not a finite number"),
        ("inf", "is not a finite number"),
        ("-inf", "is not a finite number"),
        ("1e39", "is too large for a 32-bit float"),
    ] {
        let name = format!("v{}.csv", value.replace('-', "m"));
        write(p, &name, format!("a,b,c,species\n1,2,3,red\n4,{value},6,blue\n7,8,9,red\n"));
        let m = train_fails(&d, &name, &[&format!("{name}:3: column \"b\": \"{value}\" {what}"), "--allow-nonfinite"]);
        assert!(!m.contains("NonFinite::"), "no library names in the CLI's messages: {m}");
        fails(
            p,
            &["predict", "--model", "model", "--data", &name, "--out", "p.csv"],
            &[&format!("{name}:3"), "--allow-nonfinite"],
        );
        // With --allow-nonfinite the file is read and every row predicted.
        let out = ok(p, &["predict", "--model", "model", "--data", &name, "--allow-nonfinite"]).stdout;
        assert_eq!(out.lines().count(), 4, "{out}");
    }
    write(p, "nan.npy", npy(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, f32::NAN, 6.0]));
    fails(
        p,
        &["predict", "--model", "model", "--data", "nan.npy"],
        &["nan.npy: sample 1, column 1: NaN is not a finite number", "--allow-nonfinite"],
    );
    write(p, "inf-labels.npy", npy(&[2], vec![0.0, f32::INFINITY]));
    write(p, "fine.npy", npy(&[2, 3], vec![1.0; 6]));
    fails(
        p,
        &["train", "--data", "fine.npy", "--labels", "inf-labels.npy", "--out", "model"],
        &["inf-labels.npy: label 1, column 0: inf is not a finite number"],
    );
}

#[test]
fn unknown_target_column_lists_the_columns() {
    let d = setup();
    let p = d.path();
    let columns = "the columns are \"a\", \"b\", \"c\", \"species\"";
    fails(
        p,
        &["train", "--data", "train.csv", "--target", "kind", "--out", "model"],
        &["train.csv: no column \"kind\"", columns],
    );
    fails(
        p,
        &["train", "--data", "train.csv", "--target", "7", "--out", "model"],
        &["no column at index 7 (0-based)", "\"species\""],
    );
    fails(p, &["train", "--data", "train.csv", "--features", "a,z", "--out", "model"], &["no column \"z\"", columns]);
    fails(
        p,
        &["evaluate", "--model", "model", "--data", "train.csv", "--target", "kind"],
        &["no column \"kind\"", columns],
    );
    fails(
        p,
        &["train", "--data", "train.csv", "--target", "a", "--features", "a,b", "--out", "model"],
        &["column \"a\" is the target, it cannot also be a feature"],
    );
}

#[test]
fn a_single_class_is_refused() {
    let d = setup();
    let p = d.path();
    write(p, "one.csv", "a,b,species\n1,2,red\n3,4,red\n5,6,red\n");
    train_fails(&d, "one.csv", &["one.csv: target column \"species\" holds the single class \"red\"", "at least 2"]);
    write(p, "x.npy", npy(&[4, 2], vec![0.0; 8]));
    write(p, "y.npy", npy(&[4], vec![1.0; 4]));
    fails(
        p,
        &["train", "--data", "x.npy", "--labels", "y.npy", "--task", "classification", "--out", "model"],
        &["y.npy: only one class (1)"],
    );
}

#[test]
fn idx_bad_magic_overflow_and_size_mismatch() {
    let d = setup();
    let p = d.path();
    let (px, labels) = images(6, 1);
    write(p, "labels-idx1-ubyte", idx_u8(&[6], &labels));
    let mut bad = idx_u8(&[6, 4, 4], &px);
    bad[2] = 0x07;
    write(p, "magic-idx3-ubyte", &bad);
    let mut overflow = vec![0, 0, 0x08, 4];
    (0..4).for_each(|_| overflow.extend_from_slice(&u32::MAX.to_be_bytes()));
    write(p, "overflow-idx3-ubyte", &overflow);
    write(p, "short-idx3-ubyte", &idx_u8(&[6, 4, 4], &px)[..100]);
    write(p, "long-idx3-ubyte", [idx_u8(&[6, 4, 4], &px), vec![0; 3]].concat());
    write(p, "short-idx3-ubyte.gz", gzip(&idx_u8(&[6, 4, 4], &px)[..100]));
    write(p, "cut-idx3-ubyte.gz", &gzip(&idx_u8(&[6, 4, 4], &px))[..40]);
    write(p, "header-idx3-ubyte", &idx_u8(&[6, 4, 4], &px)[..10]);
    let cases: [(&str, &[&str]); 7] = [
        ("magic-idx3-ubyte", &["magic-idx3-ubyte: bad magic number 0x00000703"]),
        (
            "overflow-idx3-ubyte",
            &[
                "overflow-idx3-ubyte: header declares shape (4294967295, 4294967295, 4294967295, 4294967295), whose size overflows",
            ],
        ),
        (
            "short-idx3-ubyte",
            &["short-idx3-ubyte: header declares shape (6, 4, 4) of uint8 = 96 bytes but the data holds 84 bytes"],
        ),
        (
            "long-idx3-ubyte",
            &["long-idx3-ubyte: header declares shape (6, 4, 4) of uint8 = 96 bytes but the data holds 99 bytes"],
        ),
        (
            "short-idx3-ubyte.gz",
            &["short-idx3-ubyte.gz: header declares shape (6, 4, 4) of uint8 = 96 bytes but the data holds 84 bytes"],
        ),
        ("cut-idx3-ubyte.gz", &["cut-idx3-ubyte.gz: corrupt compressed data"]),
        ("header-idx3-ubyte", &["header-idx3-ubyte: truncated IDX header: needs 16 bytes, the data holds 10"]),
    ];
    for (file, parts) in cases {
        fails(p, &["train", "--data", file, "--labels", "labels-idx1-ubyte", "--out", "model"], parts);
    }
    write(p, "images-idx3-ubyte", idx_u8(&[6, 4, 4], &px));
    write(p, "five-idx1-ubyte", idx_u8(&[5], &labels[..5]));
    fails(
        p,
        &["train", "--data", "images-idx3-ubyte", "--labels", "five-idx1-ubyte", "--out", "model"],
        &["five-idx1-ubyte: 5 labels for 6 samples in images-idx3-ubyte"],
    );
}

#[test]
fn npy_and_npz_damage() {
    let d = setup();
    let p = d.path();
    let good = npy(&[2, 3], vec![1.0; 6]);
    write(p, "magic.npy", [b"\x93NUMPX".as_slice(), &good[6..]].concat());
    write(p, "short.npy", &good[..good.len() - 4]);
    fails(p, &["predict", "--model", "model", "--data", "magic.npy"], &["magic.npy: not a .npy file"]);
    fails(p, &["predict", "--model", "model", "--data", "short.npy"], &["short.npy", "24 bytes", "20 bytes"]);
    let npz = wxb::data::npz::encode(&[("features", &wxb::Tensor::from_vec(&[2, 3], vec![1.0; 6]))]);
    write(p, "noxy.npz", npz);
    fails(
        p,
        &["predict", "--model", "model", "--data", "noxy.npz"],
        &["noxy.npz: no array named \"x\" (found: features)"],
    );
    write(p, "notzip.npz", "hello");
    fails(p, &["predict", "--model", "model", "--data", "notzip.npz"], &["notzip.npz: not a zip (.npz) archive"]);
}

/// Runs `wxb args…` in `dir` with `input` on standard input.
fn run_piped(dir: &std::path::Path, args: &[&str], input: &[u8]) -> (i32, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wxb"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the wxb binary runs");
    let mut stdin = child.stdin.take().expect("a pipe");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wxb ends");
    writer.join().expect("the writer ends");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn data_on_standard_input_is_read_once() {
    let d = setup();
    let csv = std::fs::read(d.path().join("train.csv")).unwrap();
    let args = ["train", "--data", "/dev/stdin", "--layers", "4", "--epochs", "1", "--out", "piped", "--verbose", "0"];
    let (code, stderr) = run_piped(d.path(), &args, &csv);
    assert_eq!(code, 0, "{stderr}");
    let header = String::from_utf8_lossy(&csv).lines().next().unwrap().to_string();
    let features = config(&d.path().join("piped"))["metadata"]["preprocessing"]["feature_names"].clone();
    let expected: Vec<&str> = header.split(',').collect();
    assert_eq!(features, serde_json::json!(expected[..expected.len() - 1]), "the header is the real header");
    let predict = ["predict", "--model", "piped", "--data", "/dev/stdin"];
    let (code, stderr) = run_piped(d.path(), &predict, &csv);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn unterminated_quote_names_where_it_opens() {
    let d = setup();
    let mut text = String::from("a,b,c,species\n1,2,3,red\n4,5,6,\"blue\n");
    for i in 0..139 {
        text.push_str(&format!("{i},1,2,red\n"));
    }
    write(d.path(), "quote.csv", text);
    train_fails(&d, "quote.csv", &["quote.csv:3: column 4 (\"species\")", "unterminated quote"]);
}

#[test]
fn latin1_bytes_are_refused_not_merged() {
    let d = setup();
    write(d.path(), "latin.csv", b"a,b,c,species\n1,2,3,caf\xe9\n4,5,6,caf\xe8\n7,8,9,tea\n1,1,1,tea\n");
    train_fails(&d, "latin.csv", &["latin.csv:2: column 4 (\"species\")", "byte 0xE9", "not UTF-8"]);
}

#[test]
fn duplicate_or_empty_header_names_are_refused_when_training() {
    let d = setup();
    write(d.path(), "dup.csv", "a,a,c,species\n1,2,3,red\n4,5,6,blue\n7,8,9,red\n1,1,1,blue\n");
    train_fails(&d, "dup.csv", &["dup.csv", "more than one column \"a\" (columns 1, 2)"]);
    write(d.path(), "blank.csv", "a,,c,species\n1,2,3,red\n4,5,6,blue\n7,8,9,red\n1,1,1,blue\n");
    train_fails(&d, "blank.csv", &["blank.csv: column 2 has no name"]);
    fails(
        d.path(),
        &["train", "--data", "train.csv", "--features", "a,a", "--out", "model", "--epochs", "1"],
        &["train.csv", "column \"a\" is selected more than once"],
    );
}

#[test]
fn tsv_and_gzip_files_are_read_as_what_they_are() {
    let d = setup();
    let tsv = std::fs::read_to_string(d.path().join("train.csv")).unwrap().replace(',', "\t");
    write(d.path(), "t.tsv", &tsv);
    write(d.path(), "t.tsv.gz", gzip(tsv.as_bytes()));
    let csv = std::fs::read(d.path().join("train.csv")).unwrap();
    write(d.path(), "t.csv.gz", gzip(&csv));
    for file in ["t.tsv", "t.tsv.gz", "t.csv.gz"] {
        ok(d.path(), &["evaluate", "--model", "model", "--data", file]);
    }
}

#[test]
fn crlf_files_name_the_right_line() {
    let d = setup();
    write(d.path(), "crlf.csv", "a,b,c,species\r\n1,2,3,red\r\n4,5,x,blue\r\n7,8,9,red\r\n");
    train_fails(&d, "crlf.csv", &["crlf.csv:3: column \"c\": \"x\" is not a number"]);
}

#[test]
fn labels_implying_a_million_classes_are_refused() {
    let d = setup();
    write(d.path(), "x.npy", npy(&[40, 2], vec![0.5; 80]));
    let y: Vec<f32> = (0..40).map(|i| if i % 2 == 0 { 0.0 } else { 999_999.0 }).collect();
    write(d.path(), "y.npy", npy(&[40], y));
    fails(
        d.path(),
        &["train", "--data", "x.npy", "--labels", "y.npy", "--out", "model", "--epochs", "1"],
        &["y.npy: labels 0..=999999 imply 1000000 classes", "40 samples hold 2 distinct labels", "--task regression"],
    );
}
