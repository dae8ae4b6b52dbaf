//! NumPy .npz archives: a ZIP file whose members are .npy arrays (written by
//! `np.savez`, or `np.savez_compressed` with deflate). The ZIP reader is
//! minimal and self-contained: end record, central directory, local headers,
//! stored or deflated members, CRC-32 checked. Members are decoded by the
//! .npy reader, so both formats accept exactly the same arrays.
//!
//! Sizes and offsets come from the central directory, which is
//! authoritative: NumPy writes its local headers ZIP64-style (sizes
//! 0xFFFFFFFF plus a ZIP64 extra field) even for small members, and those
//! fields are not needed. Archives whose central directory itself needs ZIP64
//! (over 4 GiB or 65535 members) are refused, as are encrypted members.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::npy::{NpyArray, dataset_from_array, decode_npy};
use flate2::read::DeflateDecoder;
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const END_LEN: usize = 22;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;
/// The end record may be followed by a comment of up to 65535 bytes.
const MAX_COMMENT: usize = 0xFFFF;

/// CRC-32 (IEEE 802.3), the checksum ZIP stores per member.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(bytes);
    c.sum()
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// One central-directory entry.
struct Member {
    name: String,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: usize,
    size: usize,
    local_at: usize,
    /// Where the entry sits in the central directory, for error offsets.
    central_at: usize,
}

impl Member {
    /// NumPy's key: the member name without its ".npy" suffix.
    fn key(&self) -> &str {
        self.name.strip_suffix(".npy").unwrap_or(&self.name)
    }
}

/// An archive read into memory with its central directory parsed.
struct Archive<'a> {
    path: &'a Path,
    bytes: Vec<u8>,
    members: Vec<Member>,
}

/// A member's uncompressed bytes and how to place offsets within them.
struct Contents<'a> {
    bytes: Cow<'a, [u8]>,
    name: &'a str,
    /// Archive offset of the member's data.
    data_at: usize,
    deflated: bool,
}

impl Contents<'_> {
    /// An error at `offset` within the member: a stored member's offset is
    /// translated to the archive; a deflated one can only be given within
    /// the decompressed bytes, and the message says so.
    fn err(&self, path: &Path, offset: usize, expected: String) -> DataError {
        if self.deflated {
            DataError::format(
                path,
                offset as u64,
                format!(
                    "{expected} (in member {:?}, offset in its decompressed bytes)",
                    self.name
                ),
            )
        } else {
            DataError::format(
                path,
                (self.data_at + offset) as u64,
                format!("{expected} (in member {:?})", self.name),
            )
        }
    }
}

impl<'a> Archive<'a> {
    fn err(&self, offset: usize, expected: String) -> DataError {
        DataError::format(self.path, offset as u64, expected)
    }

    fn open(path: &'a Path) -> Result<Self, DataError> {
        let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
        let mut a = Archive {
            path,
            bytes,
            members: Vec::new(),
        };
        let magic = a.bytes.get(..4);
        if magic != Some(&LOCAL_SIG.to_le_bytes()[..]) && magic != Some(&END_SIG.to_le_bytes()[..])
        {
            return Err(a.err(0, "the ZIP magic PK\\x03\\x04 (not an .npz file?)".into()));
        }
        let end = a.find_end()?;
        a.members = a.central_directory(end)?;
        Ok(a)
    }

    /// The end-of-central-directory record: the last signature whose
    /// comment fits in the file.
    fn find_end(&self) -> Result<usize, DataError> {
        let b = &self.bytes;
        let len = b.len();
        let found = (len.saturating_sub(END_LEN + MAX_COMMENT)..=len.saturating_sub(END_LEN))
            .rev()
            .filter(|&at| at + END_LEN <= len)
            .find(|&at| {
                u32_at(b, at) == Some(END_SIG)
                    && u16_at(b, at + 20).is_some_and(|c| at + END_LEN + usize::from(c) <= len)
            });
        let Some(at) = found else {
            return Err(self.err(
                len,
                "a ZIP end-of-central-directory record (PK\\x05\\x06) near the end of the \
                 file, found none (truncated archive?)"
                    .into(),
            ));
        };
        if at >= 20 && u32_at(b, at - 20) == Some(ZIP64_LOCATOR_SIG) {
            return Err(self.err(
                at - 20,
                "a ZIP archive without ZIP64 extensions, found a ZIP64 end-of-central-directory \
                 locator (archives over 4 GiB or with over 65535 members are not supported)"
                    .into(),
            ));
        }
        Ok(at)
    }

    fn central_directory(&self, end: usize) -> Result<Vec<Member>, DataError> {
        let b = &self.bytes;
        // Every field is present: find_end checked END_LEN bytes from `end`.
        let field16 = |off: usize| u16_at(b, end + off).unwrap_or(0);
        let field32 = |off: usize| u32_at(b, end + off).unwrap_or(0);
        let (this_disk, cd_disk) = (field16(4), field16(6));
        let (on_disk, total) = (field16(8), field16(10));
        let (cd_size, cd_at) = (field32(12), field32(16));
        if on_disk == 0xFFFF || total == 0xFFFF || cd_size == u32::MAX || cd_at == u32::MAX {
            return Err(self.err(
                end + 8,
                "a ZIP archive without ZIP64 extensions, found ZIP64 markers (0xFFFF...) in the \
                 end-of-central-directory record"
                    .into(),
            ));
        }
        if this_disk != 0 || cd_disk != 0 || on_disk != total {
            return Err(self.err(
                end + 4,
                format!(
                    "a single-disk ZIP archive, found disk {this_disk} (directory on disk \
                     {cd_disk}, {on_disk} of {total} entries here)"
                ),
            ));
        }
        let (cd_at, cd_size) = (cd_at as usize, cd_size as usize);
        let cd_end = cd_at + cd_size;
        if cd_end > end {
            return Err(self.err(
                end + 12,
                format!(
                    "a central directory ({cd_size} bytes at byte {cd_at}) ending before the \
                     end record at byte {end}, found it overlapping (truncated archive?)"
                ),
            ));
        }
        let mut members = Vec::with_capacity(usize::from(total));
        let mut at = cd_at;
        for i in 0..usize::from(total) {
            if at + CENTRAL_LEN > cd_end {
                return Err(self.err(
                    at,
                    format!("central directory entry {i} of {total}, found the directory's end"),
                ));
            }
            if u32_at(b, at) != Some(CENTRAL_SIG) {
                return Err(self.err(
                    at,
                    format!("central directory entry {i} (signature PK\\x01\\x02)"),
                ));
            }
            let f16 = |off: usize| u16_at(b, at + off).unwrap_or(0);
            let f32_ = |off: usize| u32_at(b, at + off).unwrap_or(0);
            let (name_len, extra_len, comment_len) = (
                usize::from(f16(28)),
                usize::from(f16(30)),
                usize::from(f16(32)),
            );
            let name_end = at + CENTRAL_LEN + name_len;
            let next = name_end + extra_len + comment_len;
            if next > cd_end {
                return Err(self.err(
                    at + 28,
                    format!(
                        "central directory entry {i} within the directory, found it running \
                         {} bytes past its end",
                        next - cd_end
                    ),
                ));
            }
            let name = String::from_utf8_lossy(&b[at + CENTRAL_LEN..name_end]).into_owned();
            let m = Member {
                flags: f16(8),
                method: f16(10),
                crc: f32_(16),
                compressed: f32_(20) as usize,
                size: f32_(24) as usize,
                local_at: f32_(42) as usize,
                central_at: at,
                name,
            };
            if [f32_(20), f32_(24), f32_(42)].contains(&u32::MAX) {
                return Err(self.err(
                    at + 20,
                    format!(
                        "sizes and offset of member {:?} without ZIP64 extensions, found ZIP64 \
                         markers (members over 4 GiB are not supported)",
                        m.name
                    ),
                ));
            }
            // Bit 0: traditional encryption; bit 6: strong encryption.
            if m.flags & 0x41 != 0 {
                return Err(self.err(
                    at + 8,
                    format!(
                        "an unencrypted member {:?}, found the encryption flag (encrypted \
                         archives are not supported)",
                        m.name
                    ),
                ));
            }
            members.push(m);
            at = next;
        }
        Ok(members)
    }

    /// Array keys, in directory order; directory entries are skipped.
    fn keys(&self) -> Vec<String> {
        self.members
            .iter()
            .filter(|m| !m.name.ends_with('/'))
            .map(|m| m.key().to_owned())
            .collect()
    }

    /// The member holding array `key`, or the only array when `key` is None.
    fn select(&self, key: Option<&str>) -> Result<&Member, DataError> {
        let keys = self.keys();
        let arrays = || self.members.iter().filter(|m| !m.name.ends_with('/'));
        match key {
            Some(k) => arrays().find(|m| m.key() == k).ok_or_else(|| {
                DataError::Invalid(format!(
                    "{}: no array {k:?} in the archive; its keys are {keys:?}",
                    self.path.display()
                ))
            }),
            None => {
                let mut it = arrays();
                match (it.next(), it.next()) {
                    (Some(m), None) => Ok(m),
                    _ => Err(DataError::Invalid(format!(
                        "{}: holds {} arrays, so a key must be given; its keys are {keys:?}",
                        self.path.display(),
                        keys.len()
                    ))),
                }
            }
        }
    }

    /// A member's uncompressed bytes, CRC-checked.
    fn contents<'m>(&'m self, m: &'m Member) -> Result<Contents<'m>, DataError> {
        let b = &self.bytes;
        let name = m.name.as_str();
        let at = m.local_at;
        if u32_at(b, at) != Some(LOCAL_SIG) || at + LOCAL_LEN > b.len() {
            return Err(self.err(
                at,
                format!("the local header (PK\\x03\\x04) of member {name:?}"),
            ));
        }
        let name_len = usize::from(u16_at(b, at + 26).unwrap_or(0));
        let extra_len = usize::from(u16_at(b, at + 28).unwrap_or(0));
        let data_at = at + LOCAL_LEN + name_len + extra_len;
        let avail = b.len().saturating_sub(data_at);
        if avail < m.compressed {
            return Err(self.err(
                b.len(),
                format!(
                    "{} compressed bytes of member {name:?} from byte {data_at}, found only \
                     {avail} (truncated archive?)",
                    m.compressed
                ),
            ));
        }
        let raw = &b[data_at..data_at + m.compressed];
        let bytes: Cow<'_, [u8]> = match m.method {
            0 => {
                if m.compressed != m.size {
                    return Err(self.err(
                        m.central_at + 20,
                        format!(
                            "equal sizes for stored member {name:?}, found {} compressed and \
                             {} uncompressed",
                            m.compressed, m.size
                        ),
                    ));
                }
                Cow::Borrowed(raw)
            }
            8 => {
                let mut out = Vec::with_capacity(m.size);
                // One byte past the declared size reveals a longer stream.
                DeflateDecoder::new(raw)
                    .take(m.size as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| {
                        self.err(
                            data_at,
                            format!(
                                "a valid deflate stream for member {name:?}, failed after {} \
                                 decompressed bytes: {e}",
                                out.len()
                            ),
                        )
                    })?;
                if out.len() != m.size {
                    let found = if out.len() > m.size {
                        "more".to_string()
                    } else {
                        format!("only {}", out.len())
                    };
                    return Err(self.err(
                        data_at,
                        format!(
                            "{} decompressed bytes of member {name:?} (its directory size), \
                             found {found}",
                            m.size
                        ),
                    ));
                }
                Cow::Owned(out)
            }
            other => {
                let what = match other {
                    99 => " (AES encryption)",
                    12 => " (bzip2)",
                    14 => " (LZMA)",
                    93 => " (zstd)",
                    _ => "",
                };
                return Err(self.err(
                    m.central_at + 10,
                    format!(
                        "compression method 0 (stored) or 8 (deflate) for member {name:?}, \
                         found {other}{what}"
                    ),
                ));
            }
        };
        let crc = crc32(&bytes);
        if crc != m.crc {
            return Err(self.err(
                data_at,
                format!(
                    "CRC-32 {:08x} of member {name:?}, found {crc:08x} (corrupt archive)",
                    m.crc
                ),
            ));
        }
        Ok(Contents {
            bytes,
            name,
            data_at,
            deflated: m.method == 8,
        })
    }
}

/// Reads and decodes one array of the archive; also returns the member's
/// contents for placing later errors.
fn read_array<'a>(
    archive: &'a Archive<'_>,
    key: Option<&str>,
) -> Result<(NpyArray, Contents<'a>), DataError> {
    let m = archive.select(key)?;
    let c = archive.contents(m)?;
    let a = decode_npy(&c.bytes, &|off, expected| {
        c.err(archive.path, off, expected)
    })?;
    Ok((a, c))
}

/// The array keys of an .npz archive (member names without ".npy"), in
/// archive order.
pub fn npz_keys(path: &Path) -> Result<Vec<String>, DataError> {
    Archive::open(path).map(|a| a.keys())
}

/// Reads one float32/float64 array of an .npz archive as (shape, values).
/// With `key` None the archive must hold exactly one array.
pub fn read_npz_f32(path: &Path, key: Option<&str>) -> Result<(Vec<usize>, Vec<f32>), DataError> {
    let archive = Archive::open(path)?;
    let (a, _) = read_array(&archive, key)?;
    Ok((a.shape, a.data))
}

/// Loads one array of an .npz archive as a data set, with the shape rules
/// of `load_npy_dataset`: (n, d) or (n, item_shape...).
pub fn load_npz_dataset(path: &Path, key: Option<&str>) -> Result<Dataset, DataError> {
    let archive = Archive::open(path)?;
    let (a, c) = read_array(&archive, key)?;
    let header_start = a.header_start;
    let key = c.name.strip_suffix(".npy").unwrap_or(c.name);
    let source = format!("npz {} [{key}]", path.display());
    dataset_from_array(a, source, &|expected| c.err(path, header_start, expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::encode_npy_f32;
    use crate::testutil::temp_file;
    use std::io::Write;

    /// How the test writer stores a member.
    #[derive(Clone, Copy, PartialEq)]
    enum Store {
        Stored,
        Deflated,
        /// Stored, with NumPy's ZIP64-style local header (sizes 0xFFFFFFFF
        /// plus a ZIP64 extra field holding the real ones).
        NumpyStyle,
    }

    /// A minimal ZIP writer for the tests: local headers, central
    /// directory, end record; no data descriptors.
    fn zip(members: &[(&str, Vec<u8>, Store)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, store) in members {
            let crc = crc32(data);
            let body = if *store == Store::Deflated {
                let mut enc =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(data).unwrap();
                enc.finish().unwrap()
            } else {
                data.clone()
            };
            let method: u16 = if *store == Store::Deflated { 8 } else { 0 };
            let (csize, size) = (body.len() as u32, data.len() as u32);
            let local_at = out.len() as u32;
            let mut extra = Vec::new();
            let (local_csize, local_size) = if *store == Store::NumpyStyle {
                extra.extend_from_slice(&1u16.to_le_bytes());
                extra.extend_from_slice(&16u16.to_le_bytes());
                extra.extend_from_slice(&u64::from(size).to_le_bytes());
                extra.extend_from_slice(&u64::from(csize).to_le_bytes());
                (u32::MAX, u32::MAX)
            } else {
                (csize, size)
            };
            out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0]); // version needed, flags
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 4]); // time, date
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&local_csize.to_le_bytes());
            out.extend_from_slice(&local_size.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&extra);
            out.extend_from_slice(&body);

            central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            central.extend_from_slice(&[20, 3, 20, 0, 0, 0]); // made by, needed, flags
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 4]);
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&csize.to_le_bytes());
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attrs
            central.extend_from_slice(&[0; 4]); // external attrs
            central.extend_from_slice(&local_at.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&END_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // disk numbers
        let count = (members.len() as u16).to_le_bytes();
        out.extend_from_slice(&count);
        out.extend_from_slice(&count);
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_at.to_le_bytes());
        out.extend_from_slice(&[0, 0]); // comment length
        out
    }

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
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
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
}
