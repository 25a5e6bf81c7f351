use std::io::Write;

use wxb::Tensor;
use wxb::data::npz::{self, NpzOptions};
use wxb::data::{DataError, npy};

use super::npy::expected;
use super::numpy_fixture;

/// One entry of a hand-made archive: what the directory declares may differ from the payload.
pub struct Raw<'a> {
    pub name: &'a str,
    pub flags: u16,
    pub method: u16,
    pub crc: u32,
    pub size: u32,
    pub payload: Vec<u8>,
}

impl<'a> Raw<'a> {
    /// A correct stored or deflated (`deflate`) entry holding `data`.
    pub fn new(name: &'a str, data: &[u8], deflate: bool) -> Self {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let payload = if deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        Raw { name, flags: 0, method: if deflate { 8 } else { 0 }, crc: crc.sum(), size: data.len() as u32, payload }
    }
}

/// A zip archive of `entries`, written the way `zipfile` does (without zip64).
pub fn zip(entries: &[Raw]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for e in entries {
        let offset = out.len() as u32;
        let mut common = vec![20, 0];
        common.extend(e.flags.to_le_bytes());
        common.extend(e.method.to_le_bytes());
        common.extend([0, 0, 0x21, 0]);
        common.extend(e.crc.to_le_bytes());
        common.extend((e.payload.len() as u32).to_le_bytes());
        common.extend(e.size.to_le_bytes());
        common.extend((e.name.len() as u16).to_le_bytes());
        common.extend([0, 0]);
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(&common);
        out.extend(e.name.as_bytes());
        out.extend(&e.payload);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20, 0]);
        central.extend(&common);
        central.extend([0; 10]);
        central.extend(offset.to_le_bytes());
        central.extend(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0, 0, 0, 0]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend([0, 0]);
    out
}

fn read(bytes: &[u8]) -> Result<npz::Npz, DataError> {
    npz::from_bytes(bytes, "a.npz", &NpzOptions::default())
}

#[test]
fn numpy_archives_stored_and_compressed_read_back() {
    let codes = [
        "<f4", "<f8", "<i1", "<i2", "<i4", "<i8", "<u1", "<u2", "<u4", "<u8", "|b1", ">f4", ">f8", ">i2", ">i4", ">i8",
        ">u2", ">u4", ">u8",
    ];
    for file in ["dtypes.npz", "dtypes_compressed.npz"] {
        let archive = npz::read(&numpy_fixture(file), &NpzOptions::default()).unwrap();
        assert_eq!(archive.len(), codes.len(), "{file}");
        for code in codes {
            let name = code.replace('<', "le_").replace('>', "be_").replace('|', "");
            assert_eq!(archive.get(&name), Some(&expected(code)), "{file}: {name}");
        }
    }
}

#[test]
fn archives_written_here_read_back_from_disk() {
    let t = Tensor::from_vec(&[1, 2], vec![3., 4.]);
    let (_dir, path) = super::temp_file("w.npz", &npz::encode(&[("w", &t)]));
    assert_eq!(npz::read(&path, &NpzOptions::default()).unwrap().into_arrays(), vec![("w".to_string(), t)]);
    let e = npz::read(&path.with_file_name("none.npz"), &NpzOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }));
}

#[test]
fn other_entries_are_skipped_and_names_must_be_unique() {
    let data = npy::encode(&Tensor::zeros(&[2]));
    let a = read(&zip(&[Raw::new("notes.txt", b"hi", false), Raw::new("x.npy", &data, true)])).unwrap();
    assert_eq!(a.names(), ["x"]);
    let e = read(&zip(&[Raw::new("x.npy", &data, false), Raw::new("x.npy", &data, true)])).unwrap_err();
    assert_eq!(e.to_string(), r#"a.npz: more than one array named "x""#);
}

#[test]
fn not_a_zip_and_corrupt_directories() {
    let e = read(b"not a zip at all, just some text").unwrap_err();
    assert_eq!(e.to_string(), "a.npz: not a zip (.npz) archive: no end-of-central-directory record");
    assert!(matches!(read(b"").unwrap_err(), DataError::EmptyFile { .. }));
    let good = zip(&[Raw::new("x.npy", &npy::encode(&Tensor::zeros(&[2])), false)]);
    // The directory's offset points past the end.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = read(&bad).unwrap_err();
    assert!(matches!(e, DataError::CorruptZip { reason: "the central directory lies outside the archive", .. }));
    // An entry count the directory cannot hold.
    let mut bad = good.clone();
    bad[n - 12..n - 10].copy_from_slice(&500u16.to_le_bytes());
    assert!(matches!(read(&bad).unwrap_err(), DataError::CorruptZip { .. }));
    // A local header offset that points at the wrong place.
    let mut bad = good;
    let cd = bad.windows(4).position(|w| w == [0x50, 0x4b, 0x01, 0x02]).unwrap();
    bad[cd + 42] = 7;
    let e = read(&bad).unwrap_err();
    assert_eq!(e.to_string(), "a.npz[x.npy]: corrupt zip archive: bad local header signature");
}

#[test]
fn zip_bombs_and_lies_about_sizes_are_refused() {
    let data = npy::encode(&Tensor::zeros(&[100_000]));
    // Declares 1,000 bytes, inflates to 400 KB: decompression stops at 1,001.
    let mut bomb = Raw::new("x.npy", &data, true);
    bomb.size = 1000;
    let e = read(&zip(&[bomb])).unwrap_err();
    assert!(matches!(e, DataError::EntrySize { declared: 1000, got: 1001, .. }), "{e:?}");
    assert_eq!(e.to_string(), "a.npz[x.npy]: entry declares 1000 bytes but decompresses to 1001");
    // Declares more than the compressed bytes can hold.
    let mut liar = Raw::new("x.npy", &data, true);
    liar.size = u32::MAX - 1;
    let e = read(&zip(&[liar])).unwrap_err();
    assert!(matches!(e, DataError::ImplausibleSize { declared: 4_294_967_294, .. }), "{e:?}");
    // Declares less than the stored data.
    let mut short = Raw::new("x.npy", &data, false);
    short.size = 10;
    assert!(matches!(read(&zip(&[short])).unwrap_err(), DataError::CorruptZip { .. }));
    // A configured limit.
    let small = NpzOptions { max_entry_bytes: 1 << 10 };
    let e = npz::from_bytes(&zip(&[Raw::new("x.npy", &data, true)]), "a.npz", &small).unwrap_err();
    assert!(matches!(e, DataError::EntryTooLarge { size: 400_128, limit: 1024, .. }), "{e:?}");
    // Too little data in the stream.
    let mut long = Raw::new("x.npy", &data, true);
    long.size += 5;
    assert!(matches!(read(&zip(&[long])).unwrap_err(), DataError::EntrySize { got: 400_128, .. }));
}

#[test]
fn checksums_methods_and_encryption() {
    let data = npy::encode(&Tensor::zeros(&[4]));
    let mut flipped = Raw::new("x.npy", &data, false);
    *flipped.payload.last_mut().unwrap() ^= 1;
    let e = read(&zip(&[flipped])).unwrap_err();
    assert!(matches!(e, DataError::Checksum { .. }));
    assert!(e.to_string().starts_with("a.npz[x.npy]: CRC-32 mismatch: the archive says "), "{e}");
    let mut bzip = Raw::new("x.npy", &data, false);
    bzip.method = 12;
    let e = read(&zip(&[bzip])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a.npz[x.npy]: unsupported zip entry: compression method 12 (only 0, stored, and 8, deflate, are supported)"
    );
    let mut locked = Raw::new("x.npy", &data, false);
    locked.flags = 1;
    assert_eq!(read(&zip(&[locked])).unwrap_err().to_string(), "a.npz[x.npy]: unsupported zip entry: encrypted");
    // An entry that is not a valid .npy is reported under its archive name.
    let e = read(&zip(&[Raw::new("y.npy", b"hello", true)])).unwrap_err();
    assert_eq!(e.to_string(), r"a.npz[y.npy]: not a .npy file (it does not start with \x93NUMPY)");
}
