//! Random and mutated inputs: every reader returns `Ok` or a one-line `Err`, and never panics.

use proptest::prelude::*;
use wxb::Tensor;
use wxb::data::csv::{self, CsvOptions, TargetColumn, Task};
use wxb::data::mnist::Mnist;
use wxb::data::npz::{self, NpzOptions};
use wxb::data::{DataError, ElemType, idx, npy};

use super::idx::gzip;
use super::npz::{Raw, zip};

/// Byte edits `(position, value)` and an optional cut, applied to a valid file.
fn edits() -> impl Strategy<Value = (Vec<(usize, u8)>, Option<usize>)> {
    (proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6), proptest::option::of(any::<usize>()))
}

fn mutate(seed: &[u8], (edits, cut): &(Vec<(usize, u8)>, Option<usize>)) -> Vec<u8> {
    let mut b = seed.to_vec();
    for &(at, value) in edits {
        // Half the edits land in the first 64 bytes, where the headers are.
        let n = if at % 2 == 0 { b.len().min(64) } else { b.len() };
        if n > 0 {
            b[(at / 2) % n] = value;
        }
    }
    if let Some(cut) = cut {
        b.truncate(cut % (b.len() + 1));
    }
    b
}

/// A result is data or an error whose message is a single line.
fn one_line<T>(r: Result<T, DataError>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        let text = e.to_string();
        prop_assert!(!text.contains('\n') && !text.is_empty(), "{text:?}");
    }
    Ok(())
}

fn idx_seeds() -> Vec<Vec<u8>> {
    let t = Tensor::from_vec(&[3, 2, 2], (0..12).map(|v| v as f32).collect());
    let raw = [idx::encode(&t, ElemType::U8), idx::encode(&t, ElemType::F64)];
    let gz: Vec<Vec<u8>> = raw.iter().map(|r| gzip(r)).collect();
    raw.into_iter().chain(gz).collect()
}

fn npz_seeds() -> Vec<Vec<u8>> {
    let a = npy::encode(&Tensor::from_vec(&[2, 2], vec![1., 2., 3., 4.]));
    vec![
        npz::encode(&[("a", &Tensor::zeros(&[3])), ("b", &Tensor::zeros(&[1, 2]))]),
        zip(&[Raw::new("a.npy", &a, true), Raw::new("b.npy", &a, false)]),
        std::fs::read(super::numpy_fixture("dtypes_compressed.npz")).unwrap(),
    ]
}

const CSV_SEED: &str = "a,b,\"c d\",y\n1,2.5,-3,cat\n4,1e3,\" 6\",dog\n7,8,9,cat\n10,11,12,\"bird\nx\"\n";

fn csv_options() -> impl Strategy<Value = CsvOptions> {
    let target = prop_oneof![
        Just(TargetColumn::Last),
        Just(TargetColumn::Absent),
        (0usize..6).prop_map(TargetColumn::Index),
        Just(TargetColumn::Name("y".into())),
    ];
    let task = prop_oneof![Just(None), Just(Some(Task::Classification)), Just(Some(Task::Regression))];
    (target, task, prop_oneof![Just(None), Just(Some(b',')), Just(Some(b';'))])
        .prop_map(|(target, task, delimiter)| CsvOptions { target, task, delimiter, ..CsvOptions::default() })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn idx_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        one_line(idx::from_bytes(&bytes, "f.idx"))?;
        one_line(idx::from_bytes(&gzip(&bytes), "f.idx.gz"))?;
    }

    #[test]
    fn idx_mutated(seed in 0usize..4, e in edits()) {
        let seeds = idx_seeds();
        one_line(idx::from_bytes(&mutate(&seeds[seed], &e), "f.idx"))?;
    }

    #[test]
    fn mnist_mutated(e in edits(), which in 0usize..4) {
        let t = Tensor::zeros(&[2, 3, 3]);
        let mut files = [idx::encode(&t, ElemType::U8), idx::encode(&Tensor::zeros(&[2]), ElemType::U8)];
        files[which % 2] = mutate(&files[which % 2], &e);
        if which >= 2 {
            files[0] = gzip(&files[0]);
        }
        one_line(Mnist::from_bytes(&files[0], &files[1], &files[0], &files[1]))?;
    }

    #[test]
    fn csv_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300), o in csv_options()) {
        one_line(csv::from_reader(&bytes[..], "f.csv", &o))?;
    }

    #[test]
    fn csv_random_text(text in "[ab01y,;.\"\n\r e+-]{0,200}", o in csv_options()) {
        one_line(csv::from_reader(text.as_bytes(), "f.csv", &o))?;
    }

    #[test]
    fn csv_mutated(e in edits(), o in csv_options()) {
        one_line(csv::from_reader(&mutate(CSV_SEED.as_bytes(), &e)[..], "f.csv", &o))?;
    }

    #[test]
    fn npy_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        one_line(npy::from_bytes(&bytes, "f.npy"))?;
        let mut with_magic = b"\x93NUMPY\x01\x00".to_vec();
        with_magic.extend(&bytes);
        one_line(npy::from_bytes(&with_magic, "f.npy"))?;
    }

    #[test]
    fn npy_mutated(e in edits(), seed in 0usize..3) {
        let seeds = [
            npy::encode(&Tensor::from_vec(&[2, 3], vec![1., 2., 3., 4., 5., 6.])),
            std::fs::read(super::numpy_fixture("fortran.npy")).unwrap(),
            std::fs::read(super::numpy_fixture("v3.npy")).unwrap(),
        ];
        one_line(npy::from_bytes(&mutate(&seeds[seed], &e), "f.npy"))?;
    }

    #[test]
    fn npz_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        one_line(npz::from_bytes(&bytes, "f.npz", &NpzOptions::default()))?;
    }

    #[test]
    fn npz_mutated(e in edits(), seed in 0usize..3) {
        let seeds = npz_seeds();
        let bytes = mutate(&seeds[seed], &e);
        // Mutate the end too, where the directory is.
        let tail: Vec<(usize, u8)> = e.0.iter().map(|&(at, v)| (at % 64, v)).collect();
        let mut flipped = seeds[seed].clone();
        let n = flipped.len();
        for (at, v) in tail {
            flipped[n - 1 - at.min(n - 1)] = v;
        }
        one_line(npz::from_bytes(&bytes, "f.npz", &NpzOptions::default()))?;
        one_line(npz::from_bytes(&flipped, "f.npz", &NpzOptions::default()))?;
    }
}
