//! NumPy .npy files of float32/float64 values: reader for format versions
//! 1.0-3.0 and a float32 writer.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::limits::over_cap;
use crate::npy_header::parse_header;
use crate::regular::{open_regular, read_up_to};
use std::io::{BufReader, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The longest header accepted. A float array's header is under 200 bytes
/// unless its shape has thousands of axes; NumPy itself stops at 10 000.
const MAX_HEADER: usize = 1 << 20;

/// Raw bytes converted per read, so f8 data never sits in memory whole.
const CHUNK: usize = 1 << 16;

/// A parsed array: shape, values and where the header text began (for
/// errors about the array as a whole).
pub(crate) struct NpyArray<T = f32> {
    pub shape: Vec<usize>,
    pub data: Vec<T>,
    pub header_start: usize,
}

/// The element type values are read into: f32 (data sets, networks) or
/// f64 (statistics that must keep every bit, such as FID's covariances).
pub(crate) trait NpyElement: Copy {
    fn from_f4(v: f32) -> Self;
    fn from_f8(v: f64) -> Self;
}

impl NpyElement for f32 {
    fn from_f4(v: f32) -> Self {
        v
    }
    fn from_f8(v: f64) -> Self {
        v as f32
    }
}

impl NpyElement for f64 {
    fn from_f4(v: f32) -> Self {
        f64::from(v)
    }
    fn from_f8(v: f64) -> Self {
        v
    }
}

/// How a container words errors about its .npy bytes; offsets count from
/// the start of the .npy bytes.
pub(crate) trait NpyPlace {
    /// The bytes do not match the format.
    fn err(&self, offset: u64, expected: String) -> DataError;
    /// Reading failed after `offset` bytes (I/O, or a corrupt stream).
    fn read_err(&self, offset: u64, e: std::io::Error) -> DataError;
    /// The input ended after `offset` bytes, before its stated total.
    fn ended(&self, offset: u64) -> DataError;
}

/// A plain .npy file.
struct FilePlace<'a>(&'a Path);

impl NpyPlace for FilePlace<'_> {
    fn err(&self, offset: u64, expected: String) -> DataError {
        DataError::format(self.0, offset, expected)
    }

    fn read_err(&self, _offset: u64, e: std::io::Error) -> DataError {
        DataError::io(self.0, e)
    }

    fn ended(&self, offset: u64) -> DataError {
        DataError::io(
            self.0,
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended after {offset} bytes (did it change while being read?)"),
            ),
        )
    }
}

fn read_npy(path: &Path) -> Result<NpyArray, DataError> {
    let (file, len) = open_regular(path)?;
    decode_npy(&mut BufReader::new(file), len, true, &FilePlace(path))
}

/// Reads exactly `n` bytes (the caller checked they are within the total),
/// counting them in `pos`.
fn take(
    r: &mut dyn Read,
    pos: &mut u64,
    n: usize,
    place: &dyn NpyPlace,
) -> Result<Vec<u8>, DataError> {
    let got = read_up_to(r, n).map_err(|e| place.read_err(*pos, e))?;
    *pos += got.len() as u64;
    if got.len() < n {
        return Err(place.ended(*pos));
    }
    Ok(got)
}

/// Decodes the `total` bytes of an .npy array read from `r` (a file, or an
/// .npz member). The header is read and checked first: its shape must
/// account for exactly `total` bytes and fit the payload cap, so nothing
/// is allocated from a size the header alone asserts. `real` says whether
/// `total` is a real length (a file, a stored member), so the values can
/// be allocated up front; otherwise (a deflated member's declared size)
/// they grow as data arrives. The caller checks that `r` holds no more.
pub(crate) fn decode_npy<T: NpyElement>(
    r: &mut dyn Read,
    total: u64,
    real: bool,
    place: &dyn NpyPlace,
) -> Result<NpyArray<T>, DataError> {
    let err = |offset: usize, expected: String| place.err(offset as u64, expected);
    let mut pos = 0u64;
    let prefix = take(r, &mut pos, total.min(8) as usize, place)?;
    if prefix.len() < MAGIC.len() || &prefix[..MAGIC.len()] != MAGIC {
        return Err(err(
            0,
            "the .npy magic \\x93NUMPY (not a .npy file?)".into(),
        ));
    }
    let (Some(&major), Some(&minor)) = (prefix.get(6), prefix.get(7)) else {
        return Err(err(
            prefix.len(),
            ".npy version bytes, found end of file".into(),
        ));
    };
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(err(
                6,
                format!(".npy version 1.0, 2.0 or 3.0, found {major}.{minor}"),
            ));
        }
    };
    let header_start = 8 + len_bytes;
    if total < header_start as u64 {
        return Err(err(
            8,
            format!("a {len_bytes}-byte header length, found end of file"),
        ));
    }
    let header_len = take(r, &mut pos, len_bytes, place)?
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let data_start = header_start + header_len;
    if data_start as u64 > total {
        return Err(place.err(
            total,
            format!("a header of {header_len} bytes (length field at byte 8), found end of file"),
        ));
    }
    if header_len > MAX_HEADER {
        return Err(err(
            8,
            format!("a header of at most {MAX_HEADER} bytes, found a length of {header_len}"),
        ));
    }
    let text = take(r, &mut pos, header_len, place)?;
    let header = parse_header(&text).map_err(|e| err(header_start + e.at, e.expected))?;

    let itemsize = match header.descr.as_str() {
        "<f4" => 4,
        "<f8" => 8,
        other => {
            let why = if other.starts_with('>') {
                " (big-endian data is not supported)"
            } else {
                ""
            };
            return Err(err(
                header_start + header.descr_at,
                format!("dtype '<f4' or '<f8', found {other:?}{why}"),
            ));
        }
    };
    if header.fortran_order {
        return Err(err(
            header_start + header.fortran_at,
            "'fortran_order': False (C order), found True".into(),
        ));
    }
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &s| acc.checked_mul(s))
        .and_then(|c| c.checked_mul(itemsize).map(|b| (c, b)));
    let Some((count, nbytes)) = count else {
        return Err(err(
            header_start + header.shape_at,
            format!(
                "a shape whose size fits in memory, found {:?}",
                header.shape
            ),
        ));
    };
    let avail = total - data_start as u64;
    if avail < nbytes as u64 {
        return Err(place.err(
            total,
            format!(
                "{count} values of '{}' ({nbytes} bytes) for shape {:?} from byte {data_start}, found only {avail} bytes",
                header.descr, header.shape
            ),
        ));
    }
    if avail > nbytes as u64 {
        return Err(err(
            data_start + nbytes,
            format!(
                "end of file after {nbytes} data bytes for shape {:?}, found {} trailing bytes",
                header.shape,
                avail - nbytes as u64
            ),
        ));
    }
    if let Some(why) = over_cap(count as u64, &format!("shape {:?}", header.shape)) {
        return Err(err(header_start + header.shape_at, why));
    }
    let mut data = Vec::with_capacity(if real { count } else { 0 });
    let mut left = nbytes;
    while left > 0 {
        let raw = take(r, &mut pos, left.min(CHUNK), place)?;
        left -= raw.len();
        if itemsize == 4 {
            data.extend(
                raw.chunks_exact(4)
                    .map(|c| T::from_f4(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
            );
        } else {
            data.extend(raw.chunks_exact(8).map(|c| {
                T::from_f8(f64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]))
            }));
        }
    }
    Ok(NpyArray {
        shape: header.shape,
        data,
        header_start,
    })
}

/// Reads a little-endian float32 or float64 (converted) C-order array of any
/// rank; returns (shape, values).
pub fn read_npy_f32(path: &Path) -> Result<(Vec<usize>, Vec<f32>), DataError> {
    read_npy(path).map(|a| (a.shape, a.data))
}

/// Writes a version-1.0 .npy file of little-endian float32 in C order, its
/// header padded so the data starts on a 64-byte boundary as NumPy does.
pub fn encode_npy_f32(w: &mut impl Write, shape: &[usize], data: &[f32]) -> std::io::Result<()> {
    let invalid = |msg: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, msg);
    let count = shape.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s));
    if count != Some(data.len()) {
        return Err(invalid(format!(
            "shape {shape:?} does not hold {} values",
            data.len()
        )));
    }
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    // Python spells a one-element tuple with a trailing comma.
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}");
    // Magic (6) + version (2) + length (2) + text + '\n' rounded up to 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let header_len = u16::try_from(header.len()).map_err(|_| {
        invalid(format!(
            "header of {} bytes exceeds version 1.0's limit",
            header.len()
        ))
    })?;
    w.write_all(MAGIC)?;
    w.write_all(&[1, 0])?;
    w.write_all(&header_len.to_le_bytes())?;
    w.write_all(header.as_bytes())?;
    // Convert in blocks: one write per value would be slow on unbuffered writers.
    let mut buf = Vec::with_capacity(4 * 16_384);
    for block in data.chunks(16_384) {
        buf.clear();
        buf.extend(block.iter().flat_map(|v| v.to_le_bytes()));
        w.write_all(&buf)?;
    }
    Ok(())
}

/// Loads an .npy array as a data set: (n, d) gives item shape [d]; a
/// higher rank (n, item_shape...) keeps the item shape, e.g. (n, 1, 28, 28).
pub fn load_npy_dataset(path: &Path) -> Result<Dataset, DataError> {
    let a = read_npy(path)?;
    let header_start = a.header_start;
    dataset_from_array(a, format!("npy {}", path.display()), &|expected| {
        DataError::format(path, header_start as u64, expected)
    })
}

/// The shape rule shared by the .npy and .npz loaders: the first axis
/// counts items, the rest is the item shape; rank below 2 is refused
/// through `err` (which places the message in the caller's file).
pub(crate) fn dataset_from_array(
    a: NpyArray,
    source: String,
    err: &dyn Fn(String) -> DataError,
) -> Result<Dataset, DataError> {
    let Some((&n, item_shape)) = a.shape.split_first().filter(|(_, rest)| !rest.is_empty()) else {
        return Err(err(format!(
            "a 2-D array (n, d) or (n, item_shape...), found shape {:?}",
            a.shape
        )));
    };
    // With n = 0 the decoder's size check cannot vouch for the item size.
    let Some(d) = item_shape
        .iter()
        .try_fold(1usize, |acc, &s| acc.checked_mul(s))
    else {
        return Err(err(format!(
            "an item shape whose size fits in memory, found {item_shape:?}"
        )));
    };
    Dataset::new(a.data, n, d, item_shape.to_vec(), None, source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::with_test_cap;
    use crate::testutil::{fifo, temp_file, within_seconds};

    fn format_offset(e: &DataError) -> u64 {
        match e {
            DataError::Format { offset, .. } => *offset,
            other => panic!("expected a Format error, got {other}"),
        }
    }

    /// A .npy file with a hand-written header (no padding rules applied).
    fn raw_npy(version: u8, header: &str, data: &[u8]) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[version, 0]);
        if version == 1 {
            v.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            v.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        v.extend_from_slice(header.as_bytes());
        v.extend_from_slice(data);
        v
    }

    fn f4_bytes(vals: &[f32]) -> Vec<u8> {
        vals.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn round_trip_various_ranks() {
        for shape in [vec![3, 4], vec![5], vec![2, 3, 4], vec![1, 1]] {
            let count: usize = shape.iter().product();
            let data: Vec<f32> = (0..count).map(|i| i as f32 * 0.25 - 1.5).collect();
            let mut buf = Vec::new();
            encode_npy_f32(&mut buf, &shape, &data).unwrap();
            let header_len = u16::from_le_bytes([buf[8], buf[9]]) as usize;
            assert_eq!((10 + header_len) % 64, 0);
            assert_eq!(buf[10 + header_len - 1], b'\n');
            assert_eq!(buf.len(), 10 + header_len + 4 * count);
            let t = temp_file("rt.npy", &buf);
            let (s, d) = read_npy_f32(t.path()).unwrap();
            assert_eq!(s, shape);
            assert_eq!(d, data);
        }
    }

    #[test]
    fn encode_rejects_mismatched_shape() {
        let mut buf = Vec::new();
        assert!(encode_npy_f32(&mut buf, &[2, 3], &[0.0; 5]).is_err());
    }

    #[test]
    fn reads_f8_and_versions_2_and_3() {
        let vals = [1.5f64, -2.25, 1e-3, 7.0];
        let data: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let header = "{ 'shape':(2,2) , 'descr':'<f8','fortran_order' : False }\n";
        for version in [1, 2, 3] {
            let t = temp_file("f8.npy", &raw_npy(version, header, &data));
            let (s, d) = read_npy_f32(t.path()).unwrap();
            assert_eq!(s, vec![2, 2]);
            let expect: Vec<f32> = vals.iter().map(|&v| v as f32).collect();
            assert_eq!(d, expect);
        }
    }

    #[test]
    fn truncated_data_offset() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
        let t = temp_file("tr.npy", &raw_npy(1, header, &f4_bytes(&[0.0; 5])));
        let e = read_npy_f32(t.path()).unwrap_err();
        let file_len = 10 + header.len() + 20;
        assert_eq!(format_offset(&e), file_len as u64);
        let msg = e.to_string();
        assert!(
            msg.contains("24 bytes") && msg.contains("found only 20"),
            "{msg}"
        );
        assert!(msg.contains("tr.npy"), "{msg}");
    }

    #[test]
    fn trailing_data_rejected() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
        let t = temp_file("tl.npy", &raw_npy(1, header, &f4_bytes(&[0.0; 3])));
        let e = read_npy_f32(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), (10 + header.len() + 8) as u64);
    }

    #[test]
    fn bad_magic_version_and_length() {
        let t = temp_file("m.npy", b"\x93NUMPX\x01\x00");
        assert_eq!(format_offset(&read_npy_f32(t.path()).unwrap_err()), 0);
        let t = temp_file("v.npy", b"\x93NUMPY\x04\x00\x00\x00");
        let e = read_npy_f32(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 6);
        assert!(e.to_string().contains("found 4.0"), "{e}");
        let t = temp_file("l.npy", b"\x93NUMPY\x02\x00\x01");
        assert_eq!(format_offset(&read_npy_f32(t.path()).unwrap_err()), 8);
        let t = temp_file("h.npy", b"\x93NUMPY\x01\x00\x40\x00{'descr'");
        let e = read_npy_f32(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 18);
        assert!(e.to_string().contains("header of 64 bytes"), "{e}");
    }

    #[test]
    fn fortran_order_rejected() {
        let header = "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n";
        let t = temp_file("fo.npy", &raw_npy(1, header, &f4_bytes(&[1.0])));
        let e = read_npy_f32(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 10 + header.find("True").unwrap() as u64);
        assert!(e.to_string().contains("fortran_order"), "{e}");
    }

    #[test]
    fn big_endian_and_other_dtypes_rejected() {
        for (descr, word) in [(">f4", "big-endian"), ("<i4", "'<f4' or '<f8'")] {
            let header =
                format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}\n");
            let t = temp_file("be.npy", &raw_npy(2, &header, &[0; 4]));
            let e = read_npy_f32(t.path()).unwrap_err();
            // Version 2 header text starts at 12; the value at its position 10.
            assert_eq!(format_offset(&e), 12 + 10);
            assert!(e.to_string().contains(word), "{e}");
        }
    }

    #[test]
    fn header_syntax_error_offset() {
        let header = "{'descr': '<f4', 'fortran_order': Nope, 'shape': (1,), }\n";
        let t = temp_file("sx.npy", &raw_npy(1, header, &f4_bytes(&[1.0])));
        let e = read_npy_f32(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 10 + header.find("Nope").unwrap() as u64);
    }

    #[test]
    fn special_files_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_npy_f32(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file (a directory)"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = within_seconds("read /dev/zero", || {
                load_npy_dataset(Path::new("/dev/zero"))
            })
            .unwrap_err()
            .to_string();
            assert!(
                e.contains("/dev/zero") && e.contains("character device"),
                "{e}"
            );
        }
        if let Some(p) = fifo(dir.path(), "x.npy") {
            let e = within_seconds("read a FIFO", move || read_npy_f32(&p))
                .unwrap_err()
                .to_string();
            assert!(e.contains("x.npy") && e.contains("FIFO"), "{e}");
        }
    }

    #[test]
    fn hostile_sizes_refused_before_allocating() {
        // A 4 GiB header length in a 20-byte file.
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[2, 0]);
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(b"{'descr'");
        let t = temp_file("hl.npy", &bytes);
        let e = read_npy_f32(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 20);
        assert!(e.to_string().contains("header of 4294967295 bytes"), "{e}");

        // A shape whose product overflows, with items present.
        let header =
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }\n";
        let t = temp_file("ovf.npy", &raw_npy(1, header, &[0; 8]));
        let e = read_npy_f32(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 10 + header.find('(').unwrap() as u64);
        assert!(e.to_string().contains("fits in memory"), "{e}");

        // A consistent file above the cap: refused naming size and cap.
        let mut buf = Vec::new();
        encode_npy_f32(&mut buf, &[300, 2], &[0.5; 600]).unwrap();
        let t = temp_file("cap.npy", &buf);
        let e = with_test_cap(2048, || read_npy_f32(t.path())).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("cap.npy") && msg.contains("cap of 2.0 KiB"),
            "{msg}"
        );
        assert!(
            msg.contains("shape [300, 2]") && msg.contains("2.3 KiB as f32"),
            "{msg}"
        );
        assert_eq!(
            with_test_cap(2400, || read_npy_f32(t.path()))
                .unwrap()
                .1
                .len(),
            600
        );
    }

    #[test]
    fn f8_is_converted_in_chunks() {
        // More than one CHUNK of f8 data, so the block loop runs repeatedly.
        let n = CHUNK / 8 * 3 + 5;
        let vals: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        let data: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n},), }}\n");
        let t = temp_file("big8.npy", &raw_npy(1, &header, &data));
        let (s, d) = read_npy_f32(t.path()).unwrap();
        assert_eq!(s, vec![n]);
        assert!(d.iter().zip(&vals).all(|(&a, &b)| a == b as f32));
    }

    #[test]
    fn dataset_from_2d_and_higher_ranks() {
        let mut buf = Vec::new();
        encode_npy_f32(&mut buf, &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let t = temp_file("ds.npy", &buf);
        let ds = load_npy_dataset(t.path()).unwrap();
        assert_eq!((ds.n, ds.d), (3, 2));
        assert_eq!(ds.item_shape, vec![2]);
        assert_eq!(ds.row(2), &[5.0, 6.0]);
        assert!(ds.source.contains("ds.npy"));

        buf.clear();
        let vals: Vec<f32> = (0..8).map(|i| i as f32).collect();
        encode_npy_f32(&mut buf, &[2, 1, 2, 2], &vals).unwrap();
        let t = temp_file("ds4.npy", &buf);
        let ds = load_npy_dataset(t.path()).unwrap();
        assert_eq!((ds.n, ds.d), (2, 4));
        assert_eq!(ds.item_shape, vec![1, 2, 2]);
        assert_eq!(ds.row(1), &[4.0, 5.0, 6.0, 7.0]);

        buf.clear();
        encode_npy_f32(&mut buf, &[4], &[0.0; 4]).unwrap();
        let t = temp_file("ds1.npy", &buf);
        let e = load_npy_dataset(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 10);
        assert!(e.to_string().contains("2-D"), "{e}");

        // No items, so the decoder's size check passes, but the item shape
        // overflows.
        let header =
            "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }\n";
        let t = temp_file("huge.npy", &raw_npy(1, header, &[]));
        let e = load_npy_dataset(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 10);
        assert!(e.to_string().contains("fits in memory"), "{e}");

        buf.clear();
        encode_npy_f32(&mut buf, &[2, 2], &[0.0, 1.0, f32::NAN, 0.0]).unwrap();
        let t = temp_file("nan.npy", &buf);
        let e = load_npy_dataset(t.path()).unwrap_err();
        assert!(e.to_string().contains("row 1, column 0"), "{e}");
    }
}
