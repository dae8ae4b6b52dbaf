//! NumPy .npz archives: a ZIP file whose members are .npy arrays (written by
//! `np.savez`, or `np.savez_compressed` with deflate). The ZIP reader
//! (crate::zip) is minimal and self-contained; members are stored or deflated,
//! CRC-32 checked, and decoded by the .npy reader, so both formats accept
//! exactly the same arrays.
//!
//! A member is streamed, never held whole: its .npy header is read first
//! and checked against the directory's size and the payload cap, then the
//! values are read. A deflated member is inflated only up to its directory
//! size (one byte more reveals a longer stream), and that size must be
//! within deflate's 1032:1 limit of its compressed bytes.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::limits::DEFLATE_MAX_RATIO;
use crate::npy::{NpyArray, NpyElement, NpyPlace, dataset_from_array, decode_npy};
use crate::zip::Archive;
use flate2::CrcReader;
use flate2::read::DeflateDecoder;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Where a member's bytes are, for placing errors within them.
struct MemberPlace<'a> {
    path: &'a Path,
    name: String,
    /// Archive offset of the member's data.
    data_at: u64,
    deflated: bool,
    /// The directory's uncompressed size.
    size: u64,
}

impl MemberPlace<'_> {
    fn key(&self) -> &str {
        self.name.strip_suffix(".npy").unwrap_or(&self.name)
    }

    /// A format error at an offset the archive can show: its own position
    /// in the file, a stored member's data translated into the archive; a
    /// deflated one can only be given within the decompressed bytes, and the
    /// message says so.
    fn at_data(&self, expected: String) -> DataError {
        DataError::format(self.path, self.data_at, expected)
    }
}

impl NpyPlace for MemberPlace<'_> {
    fn err(&self, offset: u64, expected: String) -> DataError {
        if self.deflated {
            DataError::format(
                self.path,
                offset,
                format!(
                    "{expected} (in member {:?}, offset in its decompressed bytes)",
                    self.name
                ),
            )
        } else {
            DataError::format(
                self.path,
                self.data_at + offset,
                format!("{expected} (in member {:?})", self.name),
            )
        }
    }

    fn read_err(&self, offset: u64, e: std::io::Error) -> DataError {
        if !self.deflated {
            return DataError::io(self.path, e);
        }
        self.at_data(format!(
            "a valid deflate stream for member {:?}, failed after {offset} decompressed bytes: {e}",
            self.name
        ))
    }

    fn ended(&self, offset: u64) -> DataError {
        if !self.deflated {
            return DataError::io(
                self.path,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "member {:?} ended after {offset} of its {} bytes (did the archive \
                         change while being read?)",
                        self.name, self.size
                    ),
                ),
            );
        }
        self.at_data(format!(
            "{} decompressed bytes of member {:?} (its directory size), found only {offset}",
            self.size, self.name
        ))
    }
}

/// Reads and decodes one array of the archive; also returns where its
/// member lies, for placing later errors.
fn read_array<'p, T: NpyElement>(
    archive: &mut Archive<'p>,
    key: Option<&str>,
) -> Result<(NpyArray<T>, MemberPlace<'p>), DataError> {
    let i = archive.select(key)?;
    let m = archive.members.swap_remove(i);
    let data_at = archive.data_at(&m)?;
    let place = MemberPlace {
        path: archive.path,
        name: m.name.clone(),
        data_at,
        deflated: m.method == 8,
        size: m.size,
    };
    let name = &m.name;
    match m.method {
        0 if m.compressed != m.size => {
            return Err(archive.err(
                m.central_at + 20,
                format!(
                    "equal sizes for stored member {name:?}, found {} compressed and {} \
                     uncompressed",
                    m.compressed, m.size
                ),
            ));
        }
        0 => {}
        8 if m.size > m.compressed.saturating_mul(DEFLATE_MAX_RATIO) => {
            return Err(archive.err(
                m.central_at + 24,
                format!(
                    "an uncompressed size for member {name:?} within {DEFLATE_MAX_RATIO} times \
                     its {} compressed bytes (deflate's limit), found {}",
                    m.compressed, m.size
                ),
            ));
        }
        8 => {}
        other => {
            let what = match other {
                99 => " (AES encryption)",
                12 => " (bzip2)",
                14 => " (LZMA)",
                93 => " (zstd)",
                _ => "",
            };
            return Err(archive.err(
                m.central_at + 10,
                format!(
                    "compression method 0 (stored) or 8 (deflate) for member {name:?}, found \
                     {other}{what}"
                ),
            ));
        }
    }
    archive
        .file
        .seek(SeekFrom::Start(data_at))
        .map_err(|e| DataError::io(archive.path, e))?;
    let raw = BufReader::new((&archive.file).take(m.compressed));
    let (array, crc) = if place.deflated {
        let mut r = CrcReader::new(DeflateDecoder::new(raw));
        let array = decode_npy(&mut r, m.size, false, &place)?;
        // One byte past the directory size reveals a longer stream.
        match r.read(&mut [0u8]) {
            Ok(0) => {}
            Ok(_) => {
                return Err(place.at_data(format!(
                    "{} decompressed bytes of member {name:?} (its directory size), found more",
                    m.size
                )));
            }
            Err(e) => return Err(place.read_err(m.size, e)),
        }
        (array, r.crc().sum())
    } else {
        let mut r = CrcReader::new(raw);
        let array = decode_npy(&mut r, m.size, true, &place)?;
        (array, r.crc().sum())
    };
    if crc != m.crc {
        return Err(place.at_data(format!(
            "CRC-32 {:08x} of member {name:?}, found {crc:08x} (corrupt archive)",
            m.crc
        )));
    }
    Ok((array, place))
}

/// The array keys of an .npz archive (member names without ".npy"), in
/// archive order.
pub fn npz_keys(path: &Path) -> Result<Vec<String>, DataError> {
    Archive::open(path).map(|a| a.keys())
}

/// Reads one float32/float64 array of an .npz archive as (shape, values).
/// With `key` None the archive must hold exactly one array.
pub fn read_npz_f32(path: &Path, key: Option<&str>) -> Result<(Vec<usize>, Vec<f32>), DataError> {
    let mut archive = Archive::open(path)?;
    let (a, _) = read_array(&mut archive, key)?;
    Ok((a.shape, a.data))
}

/// Reads one float32/float64 array of an .npz archive as f64 (every bit of
/// a float64 array kept), e.g. pytorch-fid's statistics (`mu`, `sigma`).
pub fn read_npz_f64(path: &Path, key: Option<&str>) -> Result<(Vec<usize>, Vec<f64>), DataError> {
    let mut archive = Archive::open(path)?;
    let (a, _) = read_array(&mut archive, key)?;
    Ok((a.shape, a.data))
}

/// Loads one array of an .npz archive as a data set, with the shape rules
/// of `load_npy_dataset`: (n, d) or (n, item_shape...).
pub fn load_npz_dataset(path: &Path, key: Option<&str>) -> Result<Dataset, DataError> {
    let mut archive = Archive::open(path)?;
    let (a, place) = read_array(&mut archive, key)?;
    let header_start = a.header_start as u64;
    let source = format!("npz {} [{}]", path.display(), place.key());
    dataset_from_array(a, source, &|expected| place.err(header_start, expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::with_test_cap;
    use crate::npy::encode_npy_f32;
    use crate::test_zip::{Store, zip};
    use crate::testutil::{fifo, temp_file, within_seconds};
    use crate::zip::{CENTRAL_LEN, END_LEN, LOCAL_LEN};

    fn npy(shape: &[usize], data: &[f32]) -> Vec<u8> {
        let mut v = Vec::new();
        encode_npy_f32(&mut v, shape, data).unwrap();
        v
    }

    fn ramp(n: usize) -> Vec<f32> {
        (0..n).map(|i| i as f32 * 0.5 - 1.0).collect()
    }

    fn format_offset(e: &DataError) -> u64 {
        match e {
            DataError::Format { offset, .. } => *offset,
            other => panic!("expected a Format error, got {other}"),
        }
    }

    #[test]
    fn stored_deflated_and_numpy_style_members() {
        let bytes = zip(&[
            ("x.npy", npy(&[3, 2], &ramp(6)), Store::Stored),
            ("y.npy", npy(&[2, 1, 2, 2], &ramp(8)), Store::Deflated),
            ("z.npy", npy(&[4], &ramp(4)), Store::NumpyStyle),
        ]);
        let t = temp_file("a.npz", &bytes);
        assert_eq!(npz_keys(t.path()).unwrap(), vec!["x", "y", "z"]);
        assert_eq!(
            read_npz_f32(t.path(), Some("x")).unwrap(),
            (vec![3, 2], ramp(6))
        );
        assert_eq!(
            read_npz_f32(t.path(), Some("y")).unwrap(),
            (vec![2, 1, 2, 2], ramp(8))
        );
        assert_eq!(
            read_npz_f32(t.path(), Some("z")).unwrap(),
            (vec![4], ramp(4))
        );

        let ds = load_npz_dataset(t.path(), Some("x")).unwrap();
        assert_eq!((ds.n, ds.d, ds.item_shape.clone()), (3, 2, vec![2]));
        assert_eq!(ds.row(1), &ramp(6)[2..4]);
        assert!(ds.source.contains("a.npz") && ds.source.contains("[x]"));
        let ds = load_npz_dataset(t.path(), Some("y")).unwrap();
        assert_eq!((ds.n, ds.d, ds.item_shape.clone()), (2, 4, vec![1, 2, 2]));
        let e = load_npz_dataset(t.path(), Some("z"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("2-D") && e.contains("\"z.npy\""), "{e}");
    }

    #[test]
    fn key_selection_and_listing() {
        let one = temp_file(
            "one.npz",
            &zip(&[("arr_0.npy", npy(&[2, 2], &ramp(4)), Store::Deflated)]),
        );
        assert_eq!(read_npz_f32(one.path(), None).unwrap().1, ramp(4));
        assert_eq!(load_npz_dataset(one.path(), None).unwrap().n, 2);

        let two = temp_file(
            "two.npz",
            &zip(&[
                ("a.npy", npy(&[1, 1], &[1.0]), Store::Stored),
                ("b.npy", npy(&[1, 1], &[2.0]), Store::Stored),
            ]),
        );
        let e = read_npz_f32(two.path(), None).unwrap_err().to_string();
        assert!(e.contains("two.npz") && e.contains(r#"["a", "b"]"#), "{e}");
        let e = load_npz_dataset(two.path(), Some("c"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"c\"") && e.contains(r#"["a", "b"]"#), "{e}");
        assert_eq!(read_npz_f32(two.path(), Some("b")).unwrap().1, vec![2.0]);

        let empty = temp_file("empty.npz", &zip(&[]));
        assert!(npz_keys(empty.path()).unwrap().is_empty());
        let e = read_npz_f32(empty.path(), None).unwrap_err().to_string();
        assert!(e.contains("holds 0 arrays"), "{e}");
    }

    #[test]
    fn bad_magic_and_truncation() {
        let t = temp_file("m.npz", b"\x93NUMPY not a zip");
        let e = read_npz_f32(t.path(), None).unwrap_err();
        assert_eq!(format_offset(&e), 0);
        assert!(e.to_string().contains("m.npz"), "{e}");

        let full = zip(&[("x.npy", npy(&[2, 2], &ramp(4)), Store::Stored)]);
        let cut = &full[..full.len() - 10];
        let t = temp_file("cut.npz", cut);
        let e = npz_keys(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), cut.len() as u64);
        assert!(e.to_string().contains("cut.npz") && e.to_string().contains("truncated"));

        // A directory promising more member bytes than the file holds.
        let mut bytes = zip(&[("x.npy", npy(&[2, 2], &ramp(4)), Store::Stored)]);
        let cd_at = bytes.len() - END_LEN - CENTRAL_LEN - "x.npy".len();
        for off in [20, 24] {
            bytes[cd_at + off..cd_at + off + 4].copy_from_slice(&10_000u32.to_le_bytes());
        }
        let t = temp_file("short.npz", &bytes);
        assert_eq!(npz_keys(t.path()).unwrap(), vec!["x"]);
        let e = read_npz_f32(t.path(), Some("x")).unwrap_err();
        assert_eq!(format_offset(&e), bytes.len() as u64);
        let msg = e.to_string();
        assert!(
            msg.contains("short.npz") && msg.contains("10000 compressed bytes"),
            "{msg}"
        );
    }

    #[test]
    fn crc_mismatch_names_file_member_and_offset() {
        let member = npy(&[2, 2], &ramp(4));
        let mut bytes = zip(&[("x.npy", member.clone(), Store::Stored)]);
        let data_at = LOCAL_LEN + "x.npy".len();
        let last_value = data_at + member.len() - 1;
        bytes[last_value] ^= 0x01;
        let t = temp_file("crc.npz", &bytes);
        let e = read_npz_f32(t.path(), None).unwrap_err();
        assert_eq!(format_offset(&e), data_at as u64);
        let msg = e.to_string();
        assert!(
            msg.contains("crc.npz") && msg.contains("CRC-32") && msg.contains("\"x.npy\""),
            "{msg}"
        );
    }

    #[test]
    fn member_errors_carry_member_and_offset() {
        // A stored member whose .npy header is malformed: the offset is
        // translated into the archive.
        let mut member = npy(&[2, 2], &ramp(4));
        member[6] = 9; // version 9.0
        let bytes = zip(&[("bad.npy", member.clone(), Store::Stored)]);
        let t = temp_file("v.npz", &bytes);
        let e = read_npz_f32(t.path(), None).unwrap_err();
        let data_at = LOCAL_LEN + "bad.npy".len();
        assert_eq!(format_offset(&e), (data_at + 6) as u64);
        let msg = e.to_string();
        assert!(
            msg.contains("v.npz") && msg.contains("\"bad.npy\""),
            "{msg}"
        );
        assert!(!msg.contains("decompressed"), "{msg}");

        // Deflated: the offset is within the decompressed member.
        let bytes = zip(&[("bad.npy", member, Store::Deflated)]);
        let t = temp_file("vd.npz", &bytes);
        let e = read_npz_f32(t.path(), None).unwrap_err();
        assert_eq!(format_offset(&e), 6);
        assert!(e.to_string().contains("decompressed"), "{e}");
    }

    #[test]
    fn zip64_encryption_and_methods_refused() {
        let base = zip(&[("x.npy", npy(&[1, 1], &[1.0]), Store::Stored)]);
        let cd_at = base.len() - END_LEN - CENTRAL_LEN - "x.npy".len();

        let mut enc = base.clone();
        enc[cd_at + 8] |= 1;
        let t = temp_file("enc.npz", &enc);
        let e = npz_keys(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), (cd_at + 8) as u64);
        assert!(e.to_string().contains("encrypt"), "{e}");

        let mut z64 = base.clone();
        z64[cd_at + 20..cd_at + 24].copy_from_slice(&u32::MAX.to_le_bytes());
        let t = temp_file("z64.npz", &z64);
        let e = npz_keys(t.path()).unwrap_err();
        assert!(e.to_string().contains("ZIP64"), "{e}");

        let mut m = base;
        m[cd_at + 10] = 12;
        let t = temp_file("bz.npz", &m);
        let e = read_npz_f32(t.path(), None).unwrap_err();
        assert_eq!(format_offset(&e), (cd_at + 10) as u64);
        assert!(e.to_string().contains("found 12 (bzip2)"), "{e}");
    }

    #[test]
    fn corrupt_deflate_stream() {
        let mut bytes = zip(&[("x.npy", npy(&[4, 4], &ramp(16)), Store::Deflated)]);
        let data_at = LOCAL_LEN + "x.npy".len();
        for b in &mut bytes[data_at..data_at + 8] {
            *b = 0xFF;
        }
        let t = temp_file("def.npz", &bytes);
        let e = read_npz_f32(t.path(), None).unwrap_err();
        assert_eq!(format_offset(&e), data_at as u64);
        assert!(e.to_string().contains("def.npz"), "{e}");
    }

    #[test]
    fn special_files_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let e = npz_keys(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file (a directory)"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = within_seconds("read /dev/zero", || {
                read_npz_f32(Path::new("/dev/zero"), None)
            })
            .unwrap_err()
            .to_string();
            assert!(e.contains("character device"), "{e}");
        }
        if let Some(p) = fifo(dir.path(), "x.npz") {
            let e = within_seconds("read a FIFO", move || load_npz_dataset(&p, None))
                .unwrap_err()
                .to_string();
            assert!(e.contains("x.npz") && e.contains("FIFO"), "{e}");
        }
    }

    /// Deflates `data` as the test writer does.
    fn deflate(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// Offset of the only member's uncompressed-size field in the directory.
    fn size_field(bytes: &[u8], name: &str) -> usize {
        bytes.len() - END_LEN - CENTRAL_LEN - name.len() + 24
    }

    #[test]
    fn deflated_member_declaring_more_than_it_holds() {
        // The .npy header promises 1000 values, the stream holds 10; the
        // directory size agrees with the header, so the shortfall shows
        // only while inflating, which stops there.
        let mut member = npy(&[1000], &[0.0; 1000]);
        member.truncate(member.len() - 990 * 4);
        let mut bytes = zip(&[("x.npy", member.clone(), Store::Deflated)]);
        let at = size_field(&bytes, "x.npy");
        let declared = member.len() + 990 * 4;
        bytes[at..at + 4].copy_from_slice(&(declared as u32).to_le_bytes());
        let t = temp_file("short-d.npz", &bytes);
        let e = read_npz_f32(t.path(), None).unwrap_err();
        assert_eq!(format_offset(&e), (LOCAL_LEN + "x.npy".len()) as u64);
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("{declared} decompressed bytes"))
                && msg.contains(&format!("found only {}", member.len())),
            "{msg}"
        );
    }

    #[test]
    fn deflate_bomb_and_lying_sizes_stop_early() {
        // 16 MiB of zeros behind a member whose directory says 80 bytes:
        // inflating stops one byte past the size (the .npy header check
        // sees the shape and directory disagree first).
        let member = npy(&[4], &[0.0; 4]);
        let mut bomb = member.clone();
        bomb.resize(16 << 20, 0);
        let mut bytes = zip(&[("x.npy", bomb, Store::Deflated)]);
        let at = size_field(&bytes, "x.npy");
        bytes[at..at + 4].copy_from_slice(&(member.len() as u32).to_le_bytes());
        let t = temp_file("bomb.npz", &bytes);
        let e = read_npz_f32(t.path(), None).unwrap_err().to_string();
        assert!(e.contains("found more"), "{e}");

        // A directory size beyond deflate's 1032:1 limit of the compressed
        // bytes (1 GiB from a few hundred bytes) is refused unread.
        let mut bytes = zip(&[("y.npy", npy(&[2, 2], &ramp(4)), Store::Deflated)]);
        let at = size_field(&bytes, "y.npy");
        bytes[at..at + 4].copy_from_slice(&(1u32 << 30).to_le_bytes());
        let t = temp_file("lie.npz", &bytes);
        let e = read_npz_f32(t.path(), None).unwrap_err();
        assert_eq!(format_offset(&e), at as u64);
        assert!(e.to_string().contains("deflate's limit"), "{e}");

        // Within that limit but over the cap: refused before inflating the
        // values, naming the cap. 4 Mi zeros deflate well below 1/1032.
        let big = npy(&[1 << 20], &vec![0.0; 1 << 20]);
        let comp = deflate(&big).len();
        assert!(big.len() as u64 <= comp as u64 * DEFLATE_MAX_RATIO);
        let bytes = zip(&[("z.npy", big, Store::Deflated)]);
        let t = temp_file("cap.npz", &bytes);
        let e = with_test_cap(1 << 20, || read_npz_f32(t.path(), None)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("cap of 1.0 MiB") && msg.contains("\"z.npy\""),
            "{msg}"
        );
        assert!(msg.contains("4.0 MiB as f32"), "{msg}");
    }

    #[test]
    fn hostile_directory_counts_and_shapes() {
        // The end record claims 65534 entries in a one-entry directory.
        let mut bytes = zip(&[("x.npy", npy(&[1, 1], &[1.0]), Store::Stored)]);
        let end = bytes.len() - END_LEN;
        for off in [8, 10] {
            bytes[end + off..end + off + 2].copy_from_slice(&0xFFFEu16.to_le_bytes());
        }
        let t = temp_file("count.npz", &bytes);
        let e = npz_keys(t.path()).unwrap_err().to_string();
        assert!(e.contains("entry 1 of 65534"), "{e}");

        // A stored member whose .npy shape overflows.
        let header =
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }\n";
        let mut member = b"\x93NUMPY\x01\x00".to_vec();
        member.extend_from_slice(&(header.len() as u16).to_le_bytes());
        member.extend_from_slice(header.as_bytes());
        let t = temp_file("ovf.npz", &zip(&[("o.npy", member, Store::Stored)]));
        let e = read_npz_f32(t.path(), None).unwrap_err().to_string();
        assert!(
            e.contains("fits in memory") && e.contains("\"o.npy\""),
            "{e}"
        );
    }
}
