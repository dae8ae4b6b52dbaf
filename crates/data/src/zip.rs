//! The ZIP container of an .npz archive, read in place: the end record is
//! found in the file's last 64 KiB, then the central directory and one
//! member's local header are read by offset, so an archive is never read
//! whole and every size it states is checked against the file's real
//! length before anything is allocated from it.
//!
//! Sizes and offsets come from the central directory, which is
//! authoritative: NumPy writes its local headers ZIP64-style (sizes
//! 0xFFFFFFFF plus a ZIP64 extra field) even for small members, and those
//! fields are not needed. A ZIP64 end record (torch.save writes one always)
//! and ZIP64 sizes in the directory are read; multi-disk archives and
//! encrypted members are refused.
//!
//! `crc32` is the checksum members carry, for writers of archives too.

use crate::error::DataError;
use crate::regular::{open_regular, read_checked_len};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const END_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_END_SIG: u32 = 0x0606_4b50;
const ZIP64_END_LEN: usize = 56;
pub(crate) const END_LEN: usize = 22;
pub(crate) const CENTRAL_LEN: usize = 46;
pub(crate) const LOCAL_LEN: usize = 30;
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

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(8)?)
        .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// The 8-byte values of the ZIP64 extended-information extra field (id 1).
fn zip64_extra(extra: &[u8]) -> Option<Vec<u64>> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = u16_at(extra, at)?;
        let len = usize::from(u16_at(extra, at + 2)?);
        let body = extra.get(at + 4..at + 4 + len)?;
        if id == 1 {
            return Some(
                body.chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect(),
            );
        }
        at += 4 + len;
    }
    None
}

/// Where the end record says the central directory is.
struct End {
    /// The record's offset (the ZIP64 one's, when there is one).
    at: u64,
    /// (this disk, the directory's disk).
    disks: (u64, u64),
    /// (entries on this disk, entries in all).
    entries: (u64, u64),
    cd_size: u64,
    cd_at: u64,
    /// Where the record's disk and directory fields are, for error offsets.
    disk_field: u64,
    cd_field: u64,
}

/// One central-directory entry.
#[derive(Clone)]
pub(crate) struct Member {
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
pub(crate) struct Archive<'a> {
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

    /// The end-of-central-directory record (the last signature whose
    /// comment fits in the file), replaced by the ZIP64 end record when a
    /// locator points at one, as torch.save always writes.
    fn find_end(&mut self) -> Result<End, DataError> {
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
        let rec = &tail[at..at + END_LEN];
        let field16 = |off: usize| u16_at(rec, off).unwrap_or(0);
        let field32 = |off: usize| u32_at(rec, off).unwrap_or(0);
        let end_at = base + at as u64;
        let mut end = End {
            at: end_at,
            disks: (field16(4).into(), field16(6).into()),
            entries: (field16(8).into(), field16(10).into()),
            cd_size: field32(12).into(),
            cd_at: field32(16).into(),
            disk_field: end_at + 4,
            cd_field: end_at + 12,
        };
        if at >= 20 && u32_at(&tail, at - 20) == Some(ZIP64_LOCATOR_SIG) {
            let locator_at = end_at - 20;
            let z_at = u64_at(&tail, at - 12).unwrap_or(u64::MAX);
            if z_at
                .checked_add(ZIP64_END_LEN as u64)
                .is_none_or(|e| e > locator_at)
            {
                return Err(self.err(
                    locator_at + 8,
                    format!("a ZIP64 end record before its locator, found offset {z_at}"),
                ));
            }
            let z = self.read_at(z_at, ZIP64_END_LEN)?;
            if u32_at(&z, 0) != Some(ZIP64_END_SIG) {
                return Err(self.err(z_at, "a ZIP64 end record (PK\\x06\\x06)".into()));
            }
            let f32_ = |off: usize| u64::from(u32_at(&z, off).unwrap_or(0));
            let f64_ = |off: usize| u64_at(&z, off).unwrap_or(0);
            end = End {
                at: z_at,
                disks: (f32_(16), f32_(20)),
                entries: (f64_(24), f64_(32)),
                cd_size: f64_(40),
                cd_at: f64_(48),
                disk_field: z_at + 16,
                cd_field: z_at + 40,
            };
        } else if end.entries.0 == 0xFFFF
            || end.entries.1 == 0xFFFF
            || end.cd_size == u64::from(u32::MAX)
            || end.cd_at == u64::from(u32::MAX)
        {
            return Err(self.err(
                end_at + 8,
                "a ZIP64 end record for the ZIP64 markers (0xFFFF...) in the \
                 end-of-central-directory record, found no locator"
                    .into(),
            ));
        }
        Ok(end)
    }

    fn central_directory(&mut self, end: End) -> Result<Vec<Member>, DataError> {
        let ((this_disk, cd_disk), (on_disk, total)) = (end.disks, end.entries);
        if this_disk != 0 || cd_disk != 0 || on_disk != total {
            return Err(self.err(
                end.disk_field,
                format!(
                    "a single-disk ZIP archive, found disk {this_disk} (directory on disk \
                     {cd_disk}, {on_disk} of {total} entries here)"
                ),
            ));
        }
        let (cd_at, cd_size) = (end.cd_at, end.cd_size);
        let cd_end = cd_at.saturating_add(cd_size);
        if cd_end > end.at {
            return Err(self.err(
                end.cd_field,
                format!(
                    "a central directory ({cd_size} bytes at byte {cd_at}) ending before the \
                     end record at byte {}, found it overlapping (truncated archive?)",
                    end.at
                ),
            ));
        }
        if cd_size > MAX_DIRECTORY {
            return Err(self.err(
                end.cd_field,
                format!(
                    "a central directory of at most {MAX_DIRECTORY} bytes, found {cd_size} bytes"
                ),
            ));
        }
        let cd = self.read_at(cd_at, cd_size as usize)?;
        // Each entry takes at least CENTRAL_LEN bytes of the (bounded) directory.
        let mut members = Vec::with_capacity((total as usize).min(cd.len() / CENTRAL_LEN));
        let mut at = 0usize;
        for i in 0..total {
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
            let mut m = Member {
                method: f16(10),
                crc: f32_(16),
                compressed: u64::from(f32_(20)),
                size: u64::from(f32_(24)),
                local_at: u64::from(f32_(42)),
                central_at: here,
                name,
            };
            // 0xFFFFFFFF marks a value held in the ZIP64 extra field (id 1),
            // which lists the marked ones in this order: size, compressed, offset.
            let marked = [f32_(24), f32_(20), f32_(42)].map(|v| v == u32::MAX);
            if marked.contains(&true) {
                let extra = &cd[name_end..name_end + extra_len];
                let Some(values) = zip64_extra(extra) else {
                    return Err(self.err(
                        here + 20,
                        format!(
                            "the ZIP64 extra field that member {:?}'s 0xFFFFFFFF sizes call for, \
                             found none",
                            m.name
                        ),
                    ));
                };
                let mut v = values.into_iter();
                for (field, is_marked) in [&mut m.size, &mut m.compressed, &mut m.local_at]
                    .into_iter()
                    .zip(marked)
                {
                    if is_marked {
                        let Some(x) = v.next() else {
                            return Err(self.err(
                                here + 30,
                                format!(
                                    "a ZIP64 extra field with every marked size of {:?}",
                                    m.name
                                ),
                            ));
                        };
                        *field = x;
                    }
                }
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

/// CRC-32 (IEEE 802.3), the checksum ZIP keeps per member.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(bytes);
    c.sum()
}
