use wxb::Tensor;
use wxb::data::{DataError, npy};

use super::numpy_fixture;

/// The values `make.py` derives from `[[0, 1, 2], [3, 4, 5]]` for a dtype code like `<i2`.
pub fn expected(code: &str) -> Tensor {
    let base = [0., 1., 2., 3., 4., 5.];
    let f: fn(f32) -> f32 = match code.as_bytes()[1] {
        b'i' => |v| v - 2.0,
        b'u' => |v| v * 50.0,
        b'f' => |v| v * 0.25 - 0.5,
        _ => |v| if v % 2.0 == 0.0 { 1.0 } else { 0.0 },
    };
    Tensor::from_vec(&[2, 3], base.iter().map(|&v| f(v)).collect())
}

fn header(text: &str) -> Vec<u8> {
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((text.len() as u16).to_le_bytes());
    b.extend(text.as_bytes());
    b
}

#[test]
fn numpy_files_of_every_version_read_back() {
    for v in ["v1.npy", "v2.npy", "v3.npy"] {
        let path = numpy_fixture(v);
        assert_eq!(std::fs::read(&path).unwrap()[6], v.as_bytes()[1] - b'0', "{v} has its version");
        assert_eq!(npy::read(&path).unwrap(), expected("<f4"), "{v}");
    }
    assert_eq!(npy::read(&numpy_fixture("be_f8.npy")).unwrap(), expected(">f8"));
    assert_eq!(npy::read(&numpy_fixture("scalar.npy")).unwrap(), Tensor::from_vec(&[], vec![2.5]));
    assert_eq!(npy::read(&numpy_fixture("empty.npy")).unwrap().shape(), &[0, 3]);
}

#[test]
fn fortran_order_arrays_keep_numpys_logical_order() {
    let t = npy::read(&numpy_fixture("fortran.npy")).unwrap();
    assert_eq!(t, Tensor::from_vec(&[2, 3, 4], (0..24).map(|v| v as f32).collect()));
}

#[test]
fn unsupported_dtypes_are_named() {
    let e = npy::read(&numpy_fixture("unicode.npy")).unwrap_err();
    assert!(matches!(&e, DataError::UnsupportedDtype { dtype, .. } if dtype == "<U1"), "{e:?}");
    assert!(e.to_string().ends_with(r#"unicode.npy: unsupported dtype "<U1" (supported: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, with byte order < or > (or | for one-byte types))"#), "{e}");
    for descr in ["<f2", "<c8", "|O", ">b2", "=f4"] {
        let h = header(&format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}\n"));
        assert!(matches!(npy::from_bytes(&h, "x.npy").unwrap_err(), DataError::UnsupportedDtype { .. }), "{descr}");
    }
}

#[test]
fn declared_sizes_must_match_the_data() {
    let mut b = header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }\n");
    b.extend([0u8; 800]);
    let e = npy::from_bytes(&b, "x.npy").unwrap_err();
    assert!(matches!(e, DataError::SizeMismatch { expected: 8_000_000_000_000, got: 800, .. }));
    assert_eq!(
        e.to_string(),
        "x.npy: header declares shape (1000000, 1000000) of float64 = 8000000000000 bytes but the data holds 800 bytes"
    );
    let b = header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }");
    let e = npy::from_bytes(&b, "x.npy").unwrap_err();
    assert!(matches!(e, DataError::ShapeOverflow { .. }));
    let mut b = header("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }");
    b.extend([1, 0, 2, 0, 3, 0, 4]);
    assert!(matches!(npy::from_bytes(&b, "x").unwrap_err(), DataError::SizeMismatch { expected: 6, got: 7, .. }));
}

#[test]
fn bad_magic_versions_and_headers() {
    let e = npy::from_bytes(b"PK\x03\x04", "x.npy").unwrap_err();
    assert_eq!(e.to_string(), r"x.npy: not a .npy file (it does not start with \x93NUMPY)");
    assert!(matches!(npy::from_bytes(b"", "x").unwrap_err(), DataError::EmptyFile { .. }));
    let e = npy::from_bytes(b"\x93NUMPY\x04\x00\x00\x00", "x.npy").unwrap_err();
    assert!(matches!(e, DataError::NpyVersion { major: 4, minor: 0, .. }));
    assert_eq!(e.to_string(), "x.npy: unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
    let e = npy::from_bytes(b"\x93NUMPY\x01\x00\x50\x00{'descr'", "x.npy").unwrap_err();
    assert!(matches!(e, DataError::Truncated { expected: 90, got: 18, .. }), "{e:?}");
    assert!(matches!(npy::from_bytes(b"\x93NUMPY\x02", "x").unwrap_err(), DataError::Truncated { expected: 8, .. }));
    let e = npy::from_bytes(b"\x93NUMPY\x02\x00\xff\xff\xff\xff{", "x.npy").unwrap_err();
    assert!(matches!(e, DataError::NpyHeader { reason: "longer than the 65536 bytes accepted", .. }));
    let e = npy::from_bytes(&header("{'descr': '<f4', 'shape': (2,)}"), "x.npy").unwrap_err();
    assert_eq!(e.to_string(), r#"x.npy: bad .npy header: missing 'fortran_order': "{'descr': '<f4', 'shape': (2,)}""#);
    let e = npy::from_bytes(&header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}"), "x").unwrap_err();
    assert!(matches!(e, DataError::NpyHeader { reason: "'fortran_order' must be True or False", .. }));
}

#[test]
fn doubles_beyond_f32_are_refused() {
    let mut b = header("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }");
    b.extend(1.0f64.to_be_bytes());
    b.extend((-1e40f64).to_be_bytes());
    let e = npy::from_bytes(&b, "x.npy").unwrap_err();
    assert!(matches!(e, DataError::ValueOverflow { index: 1, value: -1e40, .. }));
    assert_eq!(e.to_string(), "x.npy: element 1 = -1e40 does not fit a 32-bit float");
}

#[test]
fn files_on_disk_and_missing_files() {
    let t = Tensor::from_vec(&[3, 1], vec![1., 2., 3.]);
    let (_dir, path) = super::temp_file("y.npy", &npy::encode(&t));
    assert_eq!(npy::read(&path).unwrap(), t);
    let missing = path.with_file_name("none.npy");
    let e = npy::read(&missing).unwrap_err();
    assert!(matches!(&e, DataError::Io { path, .. } if path == &missing));
}
