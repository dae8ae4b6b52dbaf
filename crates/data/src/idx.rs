//! Reader for the IDX format of the MNIST family (raw or gzip-compressed).
//! Only the unsigned-byte element type is supported: it is the one every
//! MNIST-style image and label file uses.

use crate::dataset::Dataset;
use crate::error::DataError;
use flate2::read::GzDecoder;
use rayon::prelude::*;
use std::io::Read;
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

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const TYPE_U8: u8 = 0x08;

/// File contents after any decompression, plus how to word offsets.
struct Contents<'a> {
    path: &'a Path,
    bytes: Vec<u8>,
    gz: bool,
}

impl Contents<'_> {
    /// Offsets of a gzip file count decompressed bytes; say so, or the
    /// number would be misread as a position in the file on disk.
    fn err(&self, offset: usize, expected: String) -> DataError {
        let expected = if self.gz {
            format!("{expected} (offset in the decompressed stream)")
        } else {
            expected
        };
        DataError::format(self.path, offset as u64, expected)
    }

    fn byte(&self, at: usize, what: &str) -> Result<u8, DataError> {
        self.bytes
            .get(at)
            .copied()
            .ok_or_else(|| self.err(self.bytes.len(), format!("{what}, found end of file")))
    }
}

fn read_maybe_gz(path: &Path) -> Result<Contents<'_>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(Contents {
            path,
            bytes: raw,
            gz: false,
        });
    }
    let mut bytes = Vec::with_capacity(raw.len().saturating_mul(2));
    GzDecoder::new(raw.as_slice())
        .read_to_end(&mut bytes)
        .map_err(|e| {
            DataError::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "corrupt gzip stream (failed after {} decompressed bytes): {e}",
                        bytes.len()
                    ),
                ),
            )
        })?;
    Ok(Contents {
        path,
        bytes,
        gz: true,
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
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    let c = read_maybe_gz(path)?;
    for at in 0..2 {
        let b = c.byte(at, "two zero bytes of the IDX magic")?;
        if b != 0 {
            return Err(c.err(
                at,
                format!("two zero bytes of the IDX magic, found 0x{b:02X} (not an IDX file?)"),
            ));
        }
    }
    let ty = c.byte(2, "IDX type byte 0x08 (unsigned byte)")?;
    if ty != TYPE_U8 {
        return Err(c.err(
            2,
            format!(
                "IDX type byte 0x08 (unsigned byte), found 0x{ty:02X} ({}), which is not supported",
                type_name(ty)
            ),
        ));
    }
    let ndims = usize::from(c.byte(3, "IDX number-of-dimensions byte")?);
    let mut dims = Vec::with_capacity(ndims);
    let mut count: usize = 1;
    for i in 0..ndims {
        let at = 4 + 4 * i;
        let Some(word) = c.bytes.get(at..at + 4) else {
            return Err(c.err(
                c.bytes.len(),
                format!("big-endian u32 size of dimension {i} of {ndims}, found end of file"),
            ));
        };
        let dim = u32::from_be_bytes([word[0], word[1], word[2], word[3]]) as usize;
        count = count.checked_mul(dim).ok_or_else(|| {
            c.err(
                at,
                format!("dimension sizes whose product fits in memory, found {dim}"),
            )
        })?;
        dims.push(dim);
    }
    let start = 4 + 4 * ndims;
    let avail = c.bytes.len() - start;
    if avail < count {
        return Err(c.err(
            c.bytes.len(),
            format!("{count} data bytes for dimensions {dims:?}, found only {avail}"),
        ));
    }
    if avail > count {
        return Err(c.err(
            start + count,
            format!(
                "end of file after {count} data bytes for dimensions {dims:?}, found {} trailing bytes",
                avail - count
            ),
        ));
    }
    let mut data = c.bytes;
    data.drain(..start);
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
    use crate::testutil::{gzip, temp_file};
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
