use std::io::Write;

use wxb::Tensor;
use wxb::data::mnist::Mnist;
use wxb::data::{DataError, ElemType, idx};

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn images(n: usize, value: f32) -> Vec<u8> {
    idx::encode(&Tensor::full(&[n, 2, 3], value), ElemType::U8)
}

fn labels(values: &[f32]) -> Vec<u8> {
    idx::encode(&Tensor::from_vec(&[values.len()], values.to_vec()), ElemType::U8)
}

#[test]
fn mnist_loads_from_the_repository() {
    let m = Mnist::load_dir(&super::repo_data()).unwrap();
    assert_eq!(m.train_images.shape(), &[8000, 784]);
    assert_eq!(m.train_labels.shape(), &[8000, 1]);
    assert_eq!(m.test_images.shape(), &[2000, 784]);
    assert_eq!(m.test_labels.shape(), &[2000, 1]);
    for labels in [&m.train_labels, &m.test_labels] {
        let mut seen = [false; 10];
        for &l in labels.data() {
            assert!(l.fract() == 0.0 && (0.0..10.0).contains(&l), "label {l}");
            seen[l as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "every digit occurs");
    }
    for images in [&m.train_images, &m.test_images] {
        assert!(images.data().iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert_eq!(images.data().iter().copied().fold(0.0, f32::max), 1.0);
    }
    // The same files embedded in a binary.
    let embedded = Mnist::from_bytes(
        include_bytes!("../../../../../data/mnist-10k-train-images-idx3-ubyte.gz"),
        include_bytes!("../../../../../data/mnist-10k-train-labels-idx1-ubyte.gz"),
        include_bytes!("../../../../../data/mnist-10k-test-images-idx3-ubyte.gz"),
        include_bytes!("../../../../../data/mnist-10k-test-labels-idx1-ubyte.gz"),
    )
    .unwrap();
    assert_eq!(embedded, m);
}

#[test]
fn mnist_layout_errors() {
    let ok_images = images(3, 255.0);
    let e = Mnist::from_bytes(&ok_images, &labels(&[1., 2.]), &ok_images, &labels(&[1., 2., 3.])).unwrap_err();
    assert!(matches!(e, DataError::CountMismatch { images: 3, labels: 2, .. }));
    assert_eq!(e.to_string(), "train-images: 3 images but 2 labels in train-labels");
    let e = Mnist::from_bytes(&ok_images, &labels(&[1., 2., 3.]), &ok_images, &labels(&[0., 10., 3.])).unwrap_err();
    assert!(matches!(e, DataError::LabelOutOfRange { index: 1, classes: 10, .. }));
    assert_eq!(e.to_string(), "test-labels: label 10 at index 1 is outside 0..10");
    let three = labels(&[1., 2., 3.]);
    let e = Mnist::from_bytes(&three, &three, &ok_images, &three).unwrap_err();
    assert_eq!(e.to_string(), "train-images: expected images of shape (n, rows, cols), got shape (3,)");
    let f32_images = idx::encode(&Tensor::zeros(&[3, 2, 3]), ElemType::F32);
    let e = Mnist::from_bytes(&ok_images, &three, &f32_images, &three).unwrap_err();
    assert!(matches!(e, DataError::UnexpectedDtype { expected: "uint8", got: "float32", .. }));
    let m = Mnist::from_bytes(&gzip(&ok_images), &three, &ok_images, &gzip(&three)).unwrap();
    assert_eq!(m.train_images, Tensor::full(&[3, 6], 1.0));
    assert_eq!(m.test_labels.data(), &[1., 2., 3.]);
}

#[test]
fn mnist_dir_names_the_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = Mnist::load_dir(dir.path()).unwrap_err();
    assert!(matches!(&e, DataError::MissingFile { expected, .. } if expected[0] == "train-images-idx3-ubyte"));
    assert!(e.to_string().contains(r#"no file named "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz""#), "{e}");
    for (name, bytes) in [
        ("train-images-idx3-ubyte", images(2, 0.0)),
        ("train-labels-idx1-ubyte.gz", gzip(&labels(&[0., 9.]))),
        ("t10k-images-idx3-ubyte", images(1, 51.0)),
        ("t10k-labels-idx1-ubyte", labels(&[4.])),
    ] {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let m = Mnist::load_dir(dir.path()).unwrap();
    assert_eq!((m.train_labels.data(), m.test_images.data()), (&[0., 9.][..], &[0.2f32; 6][..]));
}

#[test]
fn reads_files_from_disk_and_names_them() {
    let (_dir, path) = super::temp_file("x.idx", &idx::encode(&Tensor::from_vec(&[2], vec![-1., 7.]), ElemType::I32));
    let a = idx::read(&path).unwrap();
    assert_eq!((a.dtype, a.tensor.data()), (ElemType::I32, &[-1., 7.][..]));
    let missing = path.with_file_name("none.idx");
    assert!(matches!(idx::read(&missing), Err(DataError::Io { path, .. }) if path == missing));
}

#[test]
fn header_errors() {
    let e = idx::from_bytes(&[0, 0, 0, 0, 1, 2], "images.idx").unwrap_err();
    assert!(matches!(e, DataError::BadMagic { magic: 0, .. }));
    assert_eq!(
        e.to_string(),
        "images.idx: bad magic number 0x00000000 (expected 0x0000TTRR, type TT one of 08 09 0B 0C 0D 0E and \
         rank RR, e.g. 0x00000801 or 0x00000803 for unsigned bytes)"
    );
    assert!(matches!(idx::from_bytes(&[0, 0, 0x0A, 1], "x").unwrap_err(), DataError::BadMagic { magic: 0x0A01, .. }));
    assert!(matches!(idx::from_bytes(&[], "x").unwrap_err(), DataError::EmptyFile { .. }));
    let e = idx::from_bytes(&[0, 0, 8], "x").unwrap_err();
    assert_eq!(e.to_string(), "x: truncated IDX header: needs 4 bytes, the data holds 3");
    let e = idx::from_bytes(&[0, 0, 8, 3, 0, 0, 0, 1], "x").unwrap_err();
    assert!(matches!(e, DataError::Truncated { expected: 16, got: 8, .. }));
    let e =
        idx::from_bytes(&[0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255], "x").unwrap_err();
    assert!(matches!(e, DataError::ShapeOverflow { .. }));
    assert_eq!(e.to_string(), "x: header declares shape (4294967295, 4294967295, 4294967295), whose size overflows");
}

#[test]
fn data_must_match_the_header_exactly() {
    let good = idx::encode(&Tensor::zeros(&[2, 3]), ElemType::I16);
    let e = idx::from_bytes(&good[..good.len() - 1], "x.idx").unwrap_err();
    assert!(matches!(e, DataError::SizeMismatch { expected: 12, got: 11, dtype: "int16", .. }));
    assert_eq!(e.to_string(), "x.idx: header declares shape (2, 3) of int16 = 12 bytes but the data holds 11 bytes");
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(idx::from_bytes(&long, "x").unwrap_err(), DataError::SizeMismatch { got: 13, .. }));
    // A header claiming far more than the file: refused without allocating it.
    let huge = [0, 0, 0x0E, 2, 0, 0x0F, 0x42, 0x40, 0, 0x0F, 0x42, 0x40, 1, 2, 3];
    let e = idx::from_bytes(&huge, "x").unwrap_err();
    assert!(matches!(e, DataError::SizeMismatch { expected: 8_000_000_000_000, got: 3, .. }));
}

#[test]
fn gzip_streams_are_capped_and_verified() {
    let good = idx::encode(&Tensor::zeros(&[4, 5]), ElemType::U8);
    let gz = gzip(&good);
    assert_eq!(idx::from_bytes(&gz, "x.gz").unwrap().tensor, Tensor::zeros(&[4, 5]));
    // Several gzip members (bgzip) form one stream; bytes after the last member are refused.
    let mut multi = gzip(&good[..10]);
    multi.extend(gzip(&good[10..]));
    assert_eq!(idx::from_bytes(&multi, "m.gz").unwrap().tensor, Tensor::zeros(&[4, 5]));
    multi.extend(b"junk!junk!junk!");
    assert!(matches!(idx::from_bytes(&multi, "m.gz").unwrap_err(), DataError::Decompress { .. }));
    // Too little data inside a valid stream.
    let e = idx::from_bytes(&gzip(&good[..good.len() - 2]), "x.gz").unwrap_err();
    assert!(matches!(e, DataError::SizeMismatch { expected: 20, got: 18, .. }), "{e:?}");
    // Trailing data: reading stops one byte past the declared size.
    let mut long = good.clone();
    long.extend([0; 1000]);
    assert!(matches!(idx::from_bytes(&gzip(&long), "x.gz").unwrap_err(), DataError::SizeMismatch { got: 21, .. }));
    // A truncated stream, and one whose CRC is wrong.
    let e = idx::from_bytes(&gz[..gz.len() - 6], "x.gz").unwrap_err();
    assert!(matches!(e, DataError::Decompress { .. }), "{e:?}");
    assert!(e.to_string().starts_with("x.gz: corrupt compressed data: "), "{e}");
    let mut bad_crc = gz.clone();
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 0xFF;
    assert!(matches!(idx::from_bytes(&bad_crc, "x.gz").unwrap_err(), DataError::Decompress { .. }));
    // A small stream claiming a huge array is refused before decompressing it.
    let bomb = gzip(&[0, 0, 0x0D, 2, 0, 1, 0, 0, 0, 1, 0, 0]);
    let e = idx::from_bytes(&bomb, "bomb.gz").unwrap_err();
    assert!(matches!(e, DataError::ImplausibleSize { declared: 17_179_869_184, .. }), "{e:?}");
    assert!(e.to_string().starts_with("bomb.gz: declares 17179869184 bytes of data, more than "), "{e}");
}
