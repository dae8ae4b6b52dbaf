//! Reader for the IDX format of the MNIST family (raw or gzip-compressed).
//! Only the unsigned-byte element type is supported: it is the one every
//! MNIST-style image and label file uses.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::gzip::{GZIP_MAGIC, GzMembers};
use crate::limits::check_payload;
use crate::regular::{open_regular, read_checked_len, read_up_to};
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// An n-dimensional array of bytes as stored in an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// The one pixel scaling of the crate: a byte 0..=255 maps linearly onto
/// [-1, 1] (0 -> -1, 255 -> 1). Every image loader calls this so data sets
/// from different formats are directly comparable.
pub(crate) fn scale_u8(p: u8) -> f32 {
    f32::from(p) / 127.5 - 1.0
}

const TYPE_U8: u8 = 0x08;

type FileReader = std::io::Chain<std::io::Cursor<Vec<u8>>, BufReader<File>>;

/// The file's bytes, raw or decompressed.
enum Reader {
    Raw(FileReader),
    Gz(Box<GzMembers<FileReader>>),
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Reader::Raw(r) => r.read(buf),
            Reader::Gz(r) => r.read(buf),
        }
    }
}

/// The open file and how to word its errors.
struct Source<'a> {
    path: &'a Path,
    /// Raw files: the file length, against which the header is checked.
    /// Gzip files: None, as only the header's own sizes bound the stream.
    len: Option<u64>,
    reader: Reader,
}

impl Source<'_> {
    fn gz(&self) -> bool {
        matches!(self.reader, Reader::Gz(_))
    }

    /// Offsets of a gzip file count decompressed bytes; say so, or the
    /// number would be misread as a position in the file on disk.
    fn err(&self, offset: usize, expected: String) -> DataError {
        let expected = if self.gz() {
            format!("{expected} (offset in the decompressed stream)")
        } else {
            expected
        };
        DataError::format(self.path, offset as u64, expected)
    }

    /// A failed read: trailing garbage after a gzip member is a format
    /// error at its file offset; anything else is an I/O error, worded as
    /// a corrupt stream for gzip.
    fn read_err(&self, e: std::io::Error, after: usize) -> DataError {
        let Reader::Gz(gz) = &self.reader else {
            return DataError::io(self.path, e);
        };
        if let Some(g) = gz.garbage() {
            return DataError::format(
                self.path,
                g.at,
                format!(
                    "the end of the file or another gzip member after member {}, found bytes \
                     that are not gzip data (trailing garbage)",
                    g.members
                ),
            );
        }
        DataError::io(
            self.path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("corrupt gzip stream (failed after {after} decompressed bytes): {e}"),
            ),
        )
    }

    /// Up to `n` header bytes; fewer only at the end of the stream.
    fn header(&mut self, n: usize, at: usize) -> Result<Vec<u8>, DataError> {
        read_up_to(&mut self.reader, n).map_err(|e| self.read_err(e, at))
    }
}

fn open(path: &Path) -> Result<Source<'_>, DataError> {
    let (mut file, len) = open_regular(path)?;
    let head = read_up_to(&mut file, 2).map_err(|e| DataError::io(path, e))?;
    let gz = head == GZIP_MAGIC;
    let chained = std::io::Cursor::new(head).chain(BufReader::new(file));
    Ok(if gz {
        Source {
            path,
            len: None,
            reader: Reader::Gz(Box::new(GzMembers::new(chained))),
        }
    } else {
        Source {
            path,
            len: Some(len),
            reader: Reader::Raw(chained),
        }
    })
}

fn type_name(t: u8) -> &'static str {
    match t {
        0x09 => "signed byte",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => "unknown type",
    }
}

/// Reads an IDX file, gzip-compressed or not (detected by its magic bytes).
/// The header is read first and its sizes checked (against the file length
/// for raw files, against the payload cap always) before the data is read;
/// a gzip stream is decompressed only up to the size the header declares.
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    let mut src = open(path)?;
    let magic = src.header(4, 0)?;
    let byte = |at: usize, what: &str| {
        magic
            .get(at)
            .copied()
            .ok_or_else(|| src.err(magic.len(), format!("{what}, found end of file")))
    };
    for at in 0..2 {
        let b = byte(at, "two zero bytes of the IDX magic")?;
        if b != 0 {
            return Err(src.err(
                at,
                format!("two zero bytes of the IDX magic, found 0x{b:02X} (not an IDX file?)"),
            ));
        }
    }
    let ty = byte(2, "IDX type byte 0x08 (unsigned byte)")?;
    if ty != TYPE_U8 {
        return Err(src.err(
            2,
            format!(
                "IDX type byte 0x08 (unsigned byte), found 0x{ty:02X} ({}), which is not supported",
                type_name(ty)
            ),
        ));
    }
    let ndims = usize::from(byte(3, "IDX number-of-dimensions byte")?);
    let words = src.header(4 * ndims, 4)?;
    let mut dims = Vec::with_capacity(ndims);
    let mut count: usize = 1;
    for i in 0..ndims {
        let at = 4 + 4 * i;
        let Some(word) = words.get(4 * i..4 * i + 4) else {
            return Err(src.err(
                4 + words.len(),
                format!("big-endian u32 size of dimension {i} of {ndims}, found end of file"),
            ));
        };
        let dim = u32::from_be_bytes([word[0], word[1], word[2], word[3]]) as usize;
        count = count.checked_mul(dim).ok_or_else(|| {
            src.err(
                at,
                format!("dimension sizes whose product fits in memory, found {dim}"),
            )
        })?;
        dims.push(dim);
    }
    let start = 4 + 4 * ndims;
    if let Some(len) = src.len {
        let avail = len.saturating_sub(start as u64);
        if avail < count as u64 {
            return Err(src.err(
                len as usize,
                format!("{count} data bytes for dimensions {dims:?}, found only {avail}"),
            ));
        }
        if avail > count as u64 {
            return Err(src.err(
                start + count,
                format!(
                    "end of file after {count} data bytes for dimensions {dims:?}, found {} \
                     trailing bytes",
                    avail - count as u64
                ),
            ));
        }
    }
    check_payload(path, 4, count as u64, &format!("dimensions {dims:?}"))?;
    let data = match src.len {
        Some(_) => read_checked_len(&mut src.reader, count, path)?,
        None => {
            // Grown as data arrives (never sized by the header alone); one
            // byte past the declared size reveals a longer stream.
            let mut data = Vec::new();
            let mut capped = (&mut src.reader).take(count as u64 + 1);
            let res = capped.read_to_end(&mut data);
            res.map_err(|e| src.read_err(e, start + data.len()))?;
            if data.len() < count {
                return Err(src.err(
                    start + data.len(),
                    format!(
                        "{count} data bytes for dimensions {dims:?}, found only {}",
                        data.len()
                    ),
                ));
            }
            if data.len() > count {
                return Err(src.err(
                    start + count,
                    format!(
                        "end of the data after {count} bytes for dimensions {dims:?}, found \
                         more (trailing bytes)"
                    ),
                ));
            }
            data
        }
    };
    Ok(IdxArray { dims, data })
}

/// Loads an (n, rows, cols) IDX image file, scaling pixels to [-1, 1], with
/// optional 1-D labels that must have the same n.
pub fn load_idx_images(images: &Path, labels: Option<&Path>) -> Result<Dataset, DataError> {
    let img = read_idx(images)?;
    let &[n, rows, cols] = img.dims.as_slice() else {
        return Err(DataError::format(
            images,
            3,
            format!(
                "3 dimensions (n, rows, cols) for an image file, found {} {:?}",
                img.dims.len(),
                img.dims
            ),
        ));
    };
    let labels = match labels {
        None => None,
        Some(lpath) => {
            let lab = read_idx(lpath)?;
            match lab.dims.as_slice() {
                [m] if *m == n => Some(lab.data),
                [m] => {
                    return Err(DataError::format(
                        lpath,
                        4,
                        format!("{n} labels to match {}, found {m}", images.display()),
                    ));
                }
                other => {
                    return Err(DataError::format(
                        lpath,
                        3,
                        format!(
                            "1 dimension for a label file, found {} {other:?}",
                            other.len()
                        ),
                    ));
                }
            }
        }
    };
    let values: Vec<f32> = img.data.par_iter().map(|&p| scale_u8(p)).collect();
    Dataset::new(
        values,
        n,
        rows * cols,
        vec![1, rows, cols],
        labels,
        format!("idx {}", images.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::with_test_cap;
    use crate::testutil::{fifo, gzip, temp_file, within_seconds};
    use tempfile::tempdir;

    fn idx_bytes(ty: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, ty, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    fn format_offset(e: &DataError) -> u64 {
        match e {
            DataError::Format { offset, .. } => *offset,
            other => panic!("expected a Format error, got {other}"),
        }
    }

    #[test]
    fn reads_raw_and_gzip() {
        let data: Vec<u8> = (0..24).collect();
        let bytes = idx_bytes(8, &[2, 3, 4], &data);
        let raw = temp_file("a.idx", &bytes);
        let gz = temp_file("a.idx.gz", &gzip(&bytes));
        for p in [raw.path(), gz.path()] {
            let a = read_idx(p).unwrap();
            assert_eq!(a.dims, vec![2, 3, 4]);
            assert_eq!(a.data, data);
        }
    }

    #[test]
    fn truncated_data_reports_where_it_ran_out() {
        let bytes = idx_bytes(8, &[2, 3, 4], &[7; 20]);
        let raw = temp_file("t.idx", &bytes);
        let e = read_idx(raw.path()).unwrap_err();
        // Header is 4 + 3*4 = 16 bytes, 20 data bytes follow.
        assert_eq!(format_offset(&e), 36);
        let msg = e.to_string();
        assert!(
            msg.contains("24 data bytes") && msg.contains("found only 20"),
            "{msg}"
        );
        assert!(msg.contains(&raw.path().display().to_string()), "{msg}");
        assert!(!msg.contains("decompressed"), "{msg}");

        let gz = temp_file("t.idx.gz", &gzip(&bytes));
        let e = read_idx(gz.path()).unwrap_err();
        assert_eq!(format_offset(&e), 36);
        assert!(e.to_string().contains("decompressed stream"), "{e}");
    }

    #[test]
    fn truncated_header_and_dims() {
        let t = temp_file("h.idx", &[0, 0, 8]);
        assert_eq!(format_offset(&read_idx(t.path()).unwrap_err()), 3);
        let t = temp_file("h2.idx", &[0, 0, 8, 2, 0, 0, 0, 5, 0, 0]);
        let e = read_idx(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 10);
        assert!(e.to_string().contains("dimension 1 of 2"), "{e}");
        let t = temp_file("h3.idx", &[]);
        assert_eq!(format_offset(&read_idx(t.path()).unwrap_err()), 0);
    }

    #[test]
    fn trailing_bytes_rejected() {
        let t = temp_file("tr.idx", &idx_bytes(8, &[3], &[1, 2, 3, 4, 5]));
        let e = read_idx(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 4 + 4 + 3);
        assert!(e.to_string().contains("2 trailing bytes"), "{e}");
    }

    #[test]
    fn unsupported_type_and_bad_magic() {
        let t = temp_file("f.idx", &idx_bytes(0x0D, &[1], &[0; 4]));
        let e = read_idx(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 2);
        assert!(
            e.to_string().contains("0x08") && e.to_string().contains("0x0D"),
            "{e}"
        );
        let t = temp_file("m.idx", &[0, 1, 8, 0]);
        assert_eq!(format_offset(&read_idx(t.path()).unwrap_err()), 1);
    }

    #[test]
    fn corrupt_gzip_is_an_error_naming_the_file() {
        let mut bytes = gzip(&idx_bytes(8, &[100], &[9; 100]));
        let mid = bytes.len() / 2;
        bytes.truncate(mid);
        let t = temp_file("c.idx.gz", &bytes);
        let e = read_idx(t.path()).unwrap_err();
        assert!(matches!(e, DataError::Io { .. }), "{e}");
        assert!(
            e.to_string().contains(&t.path().display().to_string()),
            "{e}"
        );

        let t = temp_file("g.idx.gz", &[0x1f, 0x8b, 0xff, 0xff, 0xff]);
        let e = read_idx(t.path()).unwrap_err();
        assert!(e.to_string().contains("g.idx.gz"), "{e}");
    }

    #[test]
    fn special_files_refused_without_blocking() {
        let dir = tempdir().unwrap();
        let e = read_idx(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file (a directory)"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = within_seconds("read_idx(/dev/zero)", || read_idx(Path::new("/dev/zero")))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("/dev/zero") && e.contains("character device"),
                "{e}"
            );
        }
        if let Some(p) = fifo(dir.path(), "images.idx") {
            let e = within_seconds("read_idx(FIFO)", move || load_idx_images(&p, None))
                .unwrap_err()
                .to_string();
            assert!(e.contains("images.idx") && e.contains("FIFO"), "{e}");
        }
    }

    #[test]
    fn multi_member_gzip_accepted() {
        let data: Vec<u8> = (0..24).collect();
        let bytes = idx_bytes(8, &[2, 3, 4], &data);
        // Split inside the header and inside the data, as pigz might.
        let mut gz = gzip(&bytes[..6]);
        gz.extend(gzip(&bytes[6..20]));
        gz.extend(gzip(&bytes[20..]));
        let t = temp_file("multi.idx.gz", &gz);
        let a = read_idx(t.path()).unwrap();
        assert_eq!((a.dims, a.data), (vec![2, 3, 4], data));
    }

    #[test]
    fn garbage_after_gzip_member_refused() {
        let gz = gzip(&idx_bytes(8, &[3], &[1, 2, 3]));
        for junk in [&[0u8; 16][..], b"PK\x03\x04 not gzip"] {
            let mut bytes = gz.clone();
            bytes.extend_from_slice(junk);
            let t = temp_file("junk.idx.gz", &bytes);
            let e = read_idx(t.path()).unwrap_err();
            assert_eq!(format_offset(&e), gz.len() as u64);
            let msg = e.to_string();
            assert!(
                msg.contains("junk.idx.gz") && msg.contains("trailing garbage"),
                "{msg}"
            );
        }
    }

    #[test]
    fn gzip_bomb_stops_at_the_declared_size() {
        // 10 declared data bytes, then 64 MiB of zeros in 64 members: the
        // reader stops one byte past the declaration instead of inflating it.
        let mut bytes = gzip(&idx_bytes(8, &[10], &[0; 10]));
        let zeros = gzip(&vec![0; 1 << 20]);
        for _ in 0..64 {
            bytes.extend_from_slice(&zeros);
        }
        let t = temp_file("bomb.idx.gz", &bytes);
        let e = read_idx(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 4 + 4 + 10);
        assert!(e.to_string().contains("found more"), "{e}");
    }

    #[test]
    fn declared_size_over_the_cap_refused_before_reading() {
        // 60000 x 28 x 28 bytes declared (188 MB as f32), 5 bytes present.
        let bytes = gzip(&idx_bytes(8, &[60_000, 28, 28], &[1, 2, 3, 4, 5]));
        let t = temp_file("big.idx.gz", &bytes);
        let e = with_test_cap(1 << 20, || read_idx(t.path())).unwrap_err();
        assert_eq!(format_offset(&e), 4);
        let msg = e.to_string();
        assert!(
            msg.contains("big.idx.gz") && msg.contains("cap of 1.0 MiB"),
            "{msg}"
        );
        assert!(
            msg.contains("179.4 MiB") && msg.contains("[60000, 28, 28]"),
            "{msg}"
        );
        // Raw files are checked against their length first.
        let t = temp_file("big.idx", &idx_bytes(8, &[60_000, 28, 28], &[0; 5]));
        let e = with_test_cap(1 << 20, || read_idx(t.path())).unwrap_err();
        assert!(e.to_string().contains("found only 5"), "{e}");
        // A product that overflows is refused at the dimension that overflows.
        let t = temp_file("ovf.idx", &idx_bytes(8, &[u32::MAX; 4], &[]));
        let e = read_idx(t.path()).unwrap_err();
        assert!(e.to_string().contains("fits in memory"), "{e}");
    }

    #[test]
    fn missing_file_is_io_error() {
        let tmp = tempdir().unwrap();
        let e = read_idx(&tmp.path().join("absent.idx")).unwrap_err();
        assert!(matches!(e, DataError::Io { .. }));
        assert!(e.to_string().contains("absent.idx"), "{e}");
    }

    #[test]
    fn images_scaled_with_labels() {
        let pixels = [0u8, 255, 51, 204, 0, 0, 255, 255];
        let imgs = temp_file("i.idx", &idx_bytes(8, &[2, 2, 2], &pixels));
        let labs = temp_file("l.idx.gz", &gzip(&idx_bytes(8, &[2], &[3, 9])));
        let ds = load_idx_images(imgs.path(), Some(labs.path())).unwrap();
        assert_eq!((ds.n, ds.d), (2, 4));
        assert_eq!(ds.item_shape, vec![1, 2, 2]);
        assert_eq!(ds.labels, Some(vec![3, 9]));
        assert_eq!(ds.row(0)[0], -1.0);
        assert_eq!(ds.row(0)[1], 1.0);
        assert!((ds.row(0)[2] - (51.0 / 127.5 - 1.0)).abs() < 1e-6);
        assert!(ds.rows.iter().all(|v| (-1.0..=1.0).contains(v)));
        let no_labels = load_idx_images(imgs.path(), None).unwrap();
        assert!(no_labels.labels.is_none());
    }

    #[test]
    fn image_and_label_shape_errors() {
        let flat = temp_file("flat.idx", &idx_bytes(8, &[2, 4], &[0; 8]));
        let e = load_idx_images(flat.path(), None).unwrap_err();
        assert!(e.to_string().contains("3 dimensions"), "{e}");

        let imgs = temp_file("i3.idx", &idx_bytes(8, &[2, 2, 2], &[0; 8]));
        let labs = temp_file("l3.idx", &idx_bytes(8, &[3], &[0; 3]));
        let e = load_idx_images(imgs.path(), Some(labs.path())).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with(&labs.path().display().to_string()), "{msg}");
        assert!(msg.contains("2 labels") && msg.contains("found 3"), "{msg}");
    }
}
