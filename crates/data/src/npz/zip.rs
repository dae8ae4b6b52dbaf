//! The ZIP container of an .npz archive, read in place: the end record is
//! found in the file's last 64 KiB, then the central directory and one
//! member's local header are read by offset, so an archive is never read
//! whole and every size it states is checked against the file's real
//! length before anything is allocated from it.
//!
//! Sizes and offsets come from the central directory, which is
//! authoritative: NumPy writes its local headers ZIP64-style (sizes
//! 0xFFFFFFFF plus a ZIP64 extra field) even for small members, and those
//! fields are not needed. Archives whose central directory itself needs ZIP64
//! (over 4 GiB or 65535 members) are refused, as are encrypted members.

use crate::error::DataError;
use crate::regular::{open_regular, read_checked_len};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

pub(super) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(super) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(super) const END_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(super) const END_LEN: usize = 22;
pub(super) const CENTRAL_LEN: usize = 46;
pub(super) const LOCAL_LEN: usize = 30;
/// The end record may be followed by a comment of up to 65535 bytes.
const MAX_COMMENT: usize = 0xFFFF;
/// The largest central directory read. 65535 members with NumPy's short
/// names take under 5 MiB; a larger one is hostile or not an .npz.
const MAX_DIRECTORY: u64 = 16 << 20;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// One central-directory entry.
pub(super) struct Member {
    pub name: String,
    pub method: u16,
    pub crc: u32,
    pub compressed: u64,
    pub size: u64,
    pub local_at: u64,
    /// Where the entry sits in the central directory, for error offsets.
    pub central_at: u64,
}

impl Member {
    /// NumPy's key: the member name without its ".npy" suffix.
    pub fn key(&self) -> &str {
        self.name.strip_suffix(".npy").unwrap_or(&self.name)
    }
}

/// An open archive with its central directory parsed.
pub(super) struct Archive<'a> {
    pub path: &'a Path,
    pub file: File,
    /// The file's real length, which bounds every stated size.
    pub len: u64,
    pub members: Vec<Member>,
}

impl<'a> Archive<'a> {
    pub fn err(&self, offset: u64, expected: String) -> DataError {
        DataError::format(self.path, offset, expected)
    }

    /// `n` bytes at `at`; the caller checked `at + n <= len`.
    pub fn read_at(&mut self, at: u64, n: usize) -> Result<Vec<u8>, DataError> {
        self.file
            .seek(SeekFrom::Start(at))
            .map_err(|e| DataError::io(self.path, e))?;
        read_checked_len(&mut self.file, n, self.path)
    }

    pub fn open(path: &'a Path) -> Result<Self, DataError> {
        let (file, len) = open_regular(path)?;
        let mut a = Archive {
            path,
            file,
            len,
            members: Vec::new(),
        };
        let magic = a.read_at(0, len.min(4) as usize)?;
        if magic != LOCAL_SIG.to_le_bytes() && magic != END_SIG.to_le_bytes() {
            return Err(a.err(0, "the ZIP magic PK\\x03\\x04 (not an .npz file?)".into()));
        }
        let end = a.find_end()?;
        a.members = a.central_directory(end)?;
        Ok(a)
    }

    /// The end-of-central-directory record and its bytes: the last
    /// signature whose comment fits in the file.
    fn find_end(&mut self) -> Result<(u64, Vec<u8>), DataError> {
        let len = self.len;
        let base = len.saturating_sub((END_LEN + MAX_COMMENT + 20) as u64);
        let tail = self.read_at(base, (len - base) as usize)?;
        let n = tail.len();
        let lowest = n.saturating_sub(END_LEN + MAX_COMMENT);
        let found = (lowest..=n.saturating_sub(END_LEN)).rev().find(|&at| {
            at + END_LEN <= n
                && u32_at(&tail, at) == Some(END_SIG)
                && u16_at(&tail, at + 20).is_some_and(|c| at + END_LEN + usize::from(c) <= n)
        });
        let Some(at) = found else {
            return Err(self.err(
                len,
                "a ZIP end-of-central-directory record (PK\\x05\\x06) near the end of the \
                 file, found none (truncated archive?)"
                    .into(),
            ));
        };
        if at >= 20 && u32_at(&tail, at - 20) == Some(ZIP64_LOCATOR_SIG) {
            return Err(self.err(
                base + at as u64 - 20,
                "a ZIP archive without ZIP64 extensions, found a ZIP64 end-of-central-directory \
                 locator (archives over 4 GiB or with over 65535 members are not supported)"
                    .into(),
            ));
        }
        Ok((base + at as u64, tail[at..at + END_LEN].to_vec()))
    }

    fn central_directory(&mut self, (end, rec): (u64, Vec<u8>)) -> Result<Vec<Member>, DataError> {
        // Every field is present: find_end returned END_LEN bytes.
        let field16 = |off: usize| u16_at(&rec, off).unwrap_or(0);
        let field32 = |off: usize| u32_at(&rec, off).unwrap_or(0);
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
        let (cd_at, cd_size) = (u64::from(cd_at), u64::from(cd_size));
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
        if cd_size > MAX_DIRECTORY {
            return Err(self.err(
                end + 12,
                format!(
                    "a central directory of at most {MAX_DIRECTORY} bytes, found {cd_size} bytes"
                ),
            ));
        }
        let cd = self.read_at(cd_at, cd_size as usize)?;
        // Each entry takes at least CENTRAL_LEN bytes of the (bounded) directory.
        let mut members = Vec::with_capacity(usize::from(total).min(cd.len() / CENTRAL_LEN));
        let mut at = 0usize;
        for i in 0..usize::from(total) {
            let here = cd_at + at as u64;
            if at + CENTRAL_LEN > cd.len() {
                return Err(self.err(
                    here,
                    format!("central directory entry {i} of {total}, found the directory's end"),
                ));
            }
            if u32_at(&cd, at) != Some(CENTRAL_SIG) {
                return Err(self.err(
                    here,
                    format!("central directory entry {i} (signature PK\\x01\\x02)"),
                ));
            }
            let f16 = |off: usize| u16_at(&cd, at + off).unwrap_or(0);
            let f32_ = |off: usize| u32_at(&cd, at + off).unwrap_or(0);
            let (name_len, extra_len, comment_len) = (
                usize::from(f16(28)),
                usize::from(f16(30)),
                usize::from(f16(32)),
            );
            let name_end = at + CENTRAL_LEN + name_len;
            let next = name_end + extra_len + comment_len;
            if next > cd.len() {
                return Err(self.err(
                    here + 28,
                    format!(
                        "central directory entry {i} within the directory, found it running \
                         {} bytes past its end",
                        next - cd.len()
                    ),
                ));
            }
            let name = String::from_utf8_lossy(&cd[at + CENTRAL_LEN..name_end]).into_owned();
            let flags = f16(8);
            let m = Member {
                method: f16(10),
                crc: f32_(16),
                compressed: u64::from(f32_(20)),
                size: u64::from(f32_(24)),
                local_at: u64::from(f32_(42)),
                central_at: here,
                name,
            };
            if [f32_(20), f32_(24), f32_(42)].contains(&u32::MAX) {
                return Err(self.err(
                    here + 20,
                    format!(
                        "sizes and offset of member {:?} without ZIP64 extensions, found ZIP64 \
                         markers (members over 4 GiB are not supported)",
                        m.name
                    ),
                ));
            }
            // Bit 0: traditional encryption; bit 6: strong encryption.
            if flags & 0x41 != 0 {
                return Err(self.err(
                    here + 8,
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
    pub fn keys(&self) -> Vec<String> {
        self.members
            .iter()
            .filter(|m| !m.name.ends_with('/'))
            .map(|m| m.key().to_owned())
            .collect()
    }

    /// The index of the member holding array `key`, or of the only array
    /// when `key` is None.
    pub fn select(&self, key: Option<&str>) -> Result<usize, DataError> {
        let keys = self.keys();
        let mut arrays = self
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.name.ends_with('/'));
        match key {
            Some(k) => arrays
                .find(|(_, m)| m.key() == k)
                .map(|(i, _)| i)
                .ok_or_else(|| {
                    DataError::Invalid(format!(
                        "{}: no array {k:?} in the archive; its keys are {keys:?}",
                        self.path.display()
                    ))
                }),
            None => match (arrays.next(), arrays.next()) {
                (Some((i, _)), None) => Ok(i),
                _ => Err(DataError::Invalid(format!(
                    "{}: holds {} arrays, so a key must be given; its keys are {keys:?}",
                    self.path.display(),
                    keys.len()
                ))),
            },
        }
    }

    /// Where member `m`'s data starts, from its local header, checked to
    /// lie within the file with its compressed bytes.
    pub fn data_at(&mut self, m: &Member) -> Result<u64, DataError> {
        let at = m.local_at;
        let name = &m.name;
        let header = if at + LOCAL_LEN as u64 <= self.len {
            self.read_at(at, LOCAL_LEN)?
        } else {
            Vec::new()
        };
        if u32_at(&header, 0) != Some(LOCAL_SIG) {
            return Err(self.err(
                at,
                format!("the local header (PK\\x03\\x04) of member {name:?}"),
            ));
        }
        let name_len = u64::from(u16_at(&header, 26).unwrap_or(0));
        let extra_len = u64::from(u16_at(&header, 28).unwrap_or(0));
        let data_at = at + LOCAL_LEN as u64 + name_len + extra_len;
        let avail = self.len.saturating_sub(data_at);
        if avail < m.compressed {
            return Err(self.err(
                self.len,
                format!(
                    "{} compressed bytes of member {name:?} from byte {data_at}, found only \
                     {avail} (truncated archive?)",
                    m.compressed
                ),
            ));
        }
        Ok(data_at)
    }
}
