//! Streamed data (`wxb::data::stream`): shards read disjoint parts whose union is the file, in
//! order; merged shard surveys adapt the preprocessing of the whole file; a pass reads the same
//! prepared rows as loading the file does.

use std::io::Write;
use std::path::Path;

use wxb::Tensor;
use wxb::data::stream::{Shard, StreamOptions, StreamedData, Survey};
use wxb::data::{AdaptOptions, LoadOptions, Standardize};
use wxb::train::{BatchSource, Part};

/// 1,000 rows of two numbers (one with missing cells), a text column and a 2-class label; lines
/// of varied lengths, so that byte ranges cut lines anywhere.
fn table(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("t.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "x,z,kind,y").unwrap();
    for i in 0..1000u32 {
        let x = if i % 13 == 5 { String::new() } else { format!("{}", (i * 7919) % 1009) };
        let kind = ["a", "bb", "ccc", "a"][(i % 4) as usize];
        writeln!(f, "{x},{}.{},{kind},{}", i % 37, i % 10, if (i * 31) % 7 < 3 { "yes" } else { "no" }).unwrap();
    }
    path
}

/// Every row of a pass over `part`.
fn read_all(d: &mut StreamedData, part: Part) -> (Vec<f32>, Vec<f32>) {
    let (mut x, mut y, mut xs, mut ys) = (Tensor::default(), Tensor::default(), Vec::new(), Vec::new());
    d.start(part).unwrap();
    while d.next_chunk(&mut x, &mut y).unwrap() > 0 {
        xs.extend_from_slice(x.data());
        ys.extend_from_slice(y.data());
    }
    (xs, ys)
}

fn options(shard: Shard) -> StreamOptions {
    StreamOptions { chunk_rows: 64, shard, ..StreamOptions::default() }
}

#[test]
fn shards_split_the_rows_and_merged_surveys_adapt_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = table(dir.path());
    let mut whole = StreamedData::open(&path, None, &options(Shard::default())).unwrap();
    assert_eq!(whole.rows(Part::Training), 1000);
    // The loaded file's preprocessing: the same vocabularies and imputation, the variance to
    // float rounding.
    let loaded = wxb::data::load_raw(&path, None, &LoadOptions::default())
        .unwrap()
        .adapt(&(0..1000).collect::<Vec<_>>(), &AdaptOptions::default());
    let (s, l) = (whole.schema(), &loaded.schema);
    assert_eq!(s.feature_names, l.feature_names);
    assert_eq!(s.class_names, l.class_names);
    assert_eq!(s.task, l.task);
    let (a, b) = (serde_json::to_value(&s.columns).unwrap(), serde_json::to_value(&l.columns).unwrap());
    for (ca, cb) in a.as_array().unwrap().iter().zip(b.as_array().unwrap()) {
        assert_eq!(ca["impute"], cb["impute"]);
        assert_eq!(ca["layer"]["config"], cb["layer"]["config"]);
        if let Some(v) = ca["layer"]["variables"]["variance"][0].as_f64() {
            let w = cb["layer"]["variables"]["variance"][0].as_f64().unwrap();
            assert!((v - w).abs() <= 1e-6 * w, "{v} vs {w}");
            assert_eq!(ca["layer"]["variables"]["mean"], cb["layer"]["variables"]["mean"]);
        }
    }
    // A pass prepares the rows as loading does.
    let (x, y) = read_all(&mut whole, Part::Training);
    assert_eq!(y, loaded.targets.data());
    let diff = x.iter().zip(loaded.features.data()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(x.len() == loaded.features.len() && diff < 1e-5, "{diff}");
    // Three shards: disjoint, in order, all the rows; their merged surveys give the same schema.
    let surveys: Vec<_> = (0..3).map(|r| StreamedData::survey(&path, &options(Shard::new(r, 3))).unwrap()).collect();
    let counts: Vec<usize> = surveys.iter().map(|s| s.rows()).collect();
    assert_eq!(counts.iter().sum::<usize>(), 1000, "{counts:?}");
    assert!(counts.iter().all(|&c| c > 250), "{counts:?}");
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (r, &count) in counts.iter().enumerate() {
        let mut merged = StreamedData::survey(&path, &options(Shard::new(r, 3))).unwrap();
        for (o, s) in (0..3).filter(|&o| o != r).map(|o| (o, StreamedData::survey(&path, &options(Shard::new(o, 3))))) {
            assert_ne!(o, r);
            // As an MPI rank receives it: bytes.
            merged.merge(Survey::from_bytes(&s.unwrap().to_bytes()).unwrap());
        }
        let mut d = StreamedData::from_survey(merged, &options(Shard::new(r, 3))).unwrap();
        assert_eq!(d.schema().feature_names, whole.schema().feature_names);
        assert_eq!(d.rows(Part::Training), count);
        let (x, y) = read_all(&mut d, Part::Training);
        xs.extend(x);
        ys.extend(y);
    }
    assert_eq!(ys, loaded.targets.data());
    let diff = xs.iter().zip(loaded.features.data()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(xs.len() == loaded.features.len() && diff < 1e-5, "{diff}");
}

#[test]
fn a_validation_split_holds_out_the_last_rows_and_adapts_on_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = table(dir.path());
    let o = StreamOptions {
        validation_split: 0.25,
        adapt: AdaptOptions { standardize: Standardize::Nothing, ..AdaptOptions::default() },
        ..options(Shard::default())
    };
    let mut d = StreamedData::open(&path, None, &o).unwrap();
    assert_eq!((d.rows(Part::Training), d.rows(Part::Validation)), (750, 250));
    let raw = wxb::data::load_raw(&path, None, &LoadOptions::default()).unwrap();
    let loaded = raw.adapt(&(0..750).collect::<Vec<_>>(), &o.adapt);
    assert_eq!(
        serde_json::to_value(&d.schema().columns).unwrap(),
        serde_json::to_value(&loaded.schema.columns).unwrap()
    );
    let (x, _) = read_all(&mut d, Part::Validation);
    assert_eq!(x, loaded.features.data()[750 * loaded.features.cols()..]);
}
