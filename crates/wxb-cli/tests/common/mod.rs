//! Helpers of the end-to-end tests: run the `wxb` binary in a temporary folder, write small data
//! files, snapshot folders, read model files.
#![allow(dead_code)] // each test file uses a part

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use tempfile::TempDir;

pub mod doc_blocks;

/// What a run of `wxb` did.
#[derive(Debug)]
pub struct Run {
    /// The exit status (101 for a panic, -1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Everything the run printed: its progress and status (stderr), then its results (stdout),
    /// for the checks of what `wxb train` says.
    pub fn said(&self) -> String {
        format!("{}{}", self.stderr, self.stdout)
    }
}

/// Runs `wxb args…` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_wxb"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1") // a panic must still print one line, no backtrace
        .output()
        .expect("the wxb binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `wxb args…` in `dir` and asserts success.
pub fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = run(dir, args);
    assert_eq!(r.code, 0, "wxb {} failed:\n{}{}", args.join(" "), r.stdout, r.stderr);
    r
}

/// Every file and folder under `dir` with its contents (folders: empty).
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable folder") {
            let path = entry.expect("a folder entry").path();
            let rel = path.strip_prefix(dir).expect("under dir").to_path_buf();
            if path.is_dir() {
                files.insert(rel.join(""), Vec::new());
                stack.push(path);
            } else {
                files.insert(rel, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    files
}

/// Runs `wxb args…` in `dir`, which it must leave exactly as it was, and asserts the contract of
/// bad input: exit status 2, one line on stderr starting `error: ` and containing every one of
/// `parts`, nothing on stdout. Returns the message.
pub fn fails(dir: &Path, args: &[&str], parts: &[&str]) -> String {
    let before = snapshot(dir);
    let r = run(dir, args);
    let after = snapshot(dir);
    let cmd = format!("wxb {}", args.join(" "));
    assert_eq!(r.code, 2, "{cmd}: expected exit status 2, got {}\nstdout: {}\nstderr: {}", r.code, r.stdout, r.stderr);
    let message = r.stderr.strip_suffix('\n').unwrap_or(&r.stderr).to_string();
    assert!(!message.contains('\n'), "{cmd}: the error takes more than one line:\n{}", r.stderr);
    assert!(message.starts_with("error: "), "{cmd}: {message}");
    for p in parts {
        assert!(message.contains(p), "{cmd}: the message lacks {p:?}:\n{message}");
    }
    assert!(r.stdout.is_empty(), "{cmd}: printed on stdout:\n{}", r.stdout);
    let changed: Vec<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(changed.is_empty(), "{cmd}: files changed: {changed:?}");
    message
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writable temp folder");
    path
}

/// A fresh folder holding one file, `name` with `bytes` (removed with the folder).
pub fn dir_with(name: &str, bytes: impl AsRef<[u8]>) -> TempDir {
    let d = tempdir();
    write(d.path(), name, bytes);
    d
}

/// A fresh folder, removed when the returned guard drops.
pub fn tempdir() -> TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// A small deterministic generator (splitmix64) for test data.
pub struct Gen(u64);

impl Gen {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [-1, 1).
    pub fn signed(&mut self) -> f64 {
        2.0 * self.uniform() - 1.0
    }
}

/// Three well-separated clusters in features `a`, `b` (plus a noise column `c`), labelled
/// `red`, `green`, `blue` in turn: `(a, b, c, label)` rows.
pub fn blobs(n: usize, seed: u64) -> Vec<([f64; 3], &'static str)> {
    let mut g = Gen::new(seed);
    let centers = [(0.0, 0.0, "red"), (6.0, 1.0, "green"), (1.0, 7.0, "blue")];
    (0..n)
        .map(|i| {
            let (ca, cb, label) = centers[i % 3];
            ([ca + g.signed(), cb + g.signed(), 10.0 + 5.0 * g.signed()], label)
        })
        .collect()
}

/// `a,b,c,species` CSV of [`blobs`].
pub fn blobs_csv(n: usize, seed: u64) -> String {
    let mut s = String::from("a,b,c,species\n");
    for (x, label) in blobs(n, seed) {
        s.push_str(&format!("{:.4},{:.4},{:.4},{label}\n", x[0], x[1], x[2]));
    }
    s
}

/// `x1,x2,y` CSV with `y = 3·x1 − 2·x2 + 1 + noise`, features on different scales.
pub fn regression_csv(n: usize, seed: u64) -> String {
    let mut g = Gen::new(seed);
    let mut s = String::from("x1,x2,y\n");
    for _ in 0..n {
        let (x1, x2) = (g.signed(), 10.0 * g.signed());
        let y = 3.0 * x1 - 0.2 * x2 + 1.0 + 0.05 * g.signed();
        s.push_str(&format!("{x1:.4},{x2:.4},{y:.4}\n"));
    }
    s
}

/// An IDX file: type code `0x08` (u8) and `dims`, then `data`.
pub fn idx_u8(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

/// Gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("in-memory gzip");
    e.finish().expect("in-memory gzip")
}

/// `n` 4×4 byte images in three classes (bright top rows, bright left columns, dark) and their
/// labels 0, 1, 2.
pub fn images(n: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let mut g = Gen::new(seed);
    let mut px = Vec::with_capacity(n * 16);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = (i % 3) as u8;
        for r in 0..4 {
            for c in 0..4 {
                let bright = match class {
                    0 => r < 2,
                    1 => c < 2,
                    _ => false,
                };
                let base = if bright { 200.0 } else { 30.0 };
                px.push((base + 40.0 * g.signed()) as u8);
            }
        }
        labels.push(class);
    }
    (px, labels)
}

/// The first `n` bundled training digits and labels, as IDX files `digits` and `digit-labels`.
pub fn mnist_subset(p: &Path, n: usize) {
    let m = wxb::data::mnist::bundled().unwrap();
    let bytes: Vec<u8> = m.train_images.data()[..n * 784].iter().map(|v| (v * 255.0).round() as u8).collect();
    let labels: Vec<u8> = m.train_labels.data()[..n].iter().map(|&v| v as u8).collect();
    write(p, "digits", idx_u8(&[n as u32, 28, 28], &bytes));
    write(p, "digit-labels", idx_u8(&[n as u32], &labels));
}

/// A PNG file's width, height and RGB pixels (8 bits, as `wxb` draws them).
pub fn png_pixels(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", path.display());
    let pixels = buf[..info.buffer_size()].chunks_exact(channels).map(|p| [p[0], p[1], p[2]]).collect();
    (info.width, info.height, pixels)
}

/// A `.npy` file of `shape` and `data`.
pub fn npy(shape: &[usize], data: Vec<f32>) -> Vec<u8> {
    wxb::data::npy::encode(&wxb::Tensor::from_vec(shape, data))
}

/// The tensors of a `model.safetensors`: name → (shape, f32 values). Asserts every tensor is F32.
pub fn tensors(path: &Path) -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    let bytes = std::fs::read(path).expect("a weights file");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("a valid safetensors file");
    st.tensors()
        .into_iter()
        .map(|(name, view)| {
            assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name}");
            let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            (name, (view.shape().to_vec(), values))
        })
        .collect()
}

/// A JSON file or text.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `config.json` of a model folder.
pub fn config(dir: &Path) -> serde_json::Value {
    json(&std::fs::read_to_string(dir.join("config.json")).expect("a config.json"))
}

/// A CSV file's header and rows, split on commas.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("a CSV file");
    let mut lines = text.lines();
    let header = lines.next().expect("a header").split(',').map(String::from).collect();
    (header, lines.map(|l| l.split(',').map(String::from).collect()).collect())
}

/// The column `name` of a CSV file as numbers.
pub fn column(path: &Path, name: &str) -> Vec<f64> {
    let (header, rows) = read_csv(path);
    let i = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    rows.iter().map(|r| r[i].parse().expect("a number")).collect()
}

/// Trains a small classifier on [`blobs_csv`] into `dir/model` (the data in `dir/train.csv`).
pub fn small_model(dir: &Path) -> PathBuf {
    write(dir, "train.csv", blobs_csv(30, 1));
    ok(dir, &["train", "--data", "train.csv", "--layers", "4", "--epochs", "2", "--out", "model", "--verbose", "0"]);
    dir.join("model")
}

/// `|a − b| ≤ tol · max(1, |a|, |b|)`.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

/// The data a page of `wxb explain --html` embeds (its `<script id="wxb-data">`).
pub fn page_data(html: &str) -> serde_json::Value {
    let open = r#"<script id="wxb-data" type="application/json">"#;
    let start = html.find(open).expect("the page embeds its data") + open.len();
    let end = start + html[start..].find("</script>").expect("the data's script ends");
    json(&html[start..end])
}

/// A model trained on [`blobs_csv`] (30 rows in `dir/train.csv`, layers 6 and 5, its weight
/// `0:1:2` traced) into `dir/model`, for the pages of `wxb explain --html`.
pub fn traced_model(dir: &Path) -> PathBuf {
    write(dir, "train.csv", blobs_csv(30, 1));
    let args = ["train", "--data", "train.csv", "--layers", "6,5", "--epochs", "3", "--trace", "0:1:2"];
    ok(dir, &[&args[..], &["--out", "model", "--verbose", "0"]].concat());
    dir.join("model")
}
