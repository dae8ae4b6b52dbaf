//! CIFAR-10 in its binary distribution ("cifar-10-batches-bin"): records of
//! one label byte followed by a 32x32 image stored as three colour planes
//! (red, green, blue), each row-major. The planar layout is kept as the item
//! shape [3, 32, 32], so rows need no reordering.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::scale_u8;
use crate::limits::over_cap;
use crate::mnist::Split;
use crate::regular::{open_regular, read_checked_len};
use rayon::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Image side in pixels.
pub const CIFAR10_SIDE: usize = 32;
/// Class names by label, as listed in the archive's batches.meta.txt.
pub const CIFAR10_CLASS_NAMES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

const PIXELS: usize = 3 * CIFAR10_SIDE * CIFAR10_SIDE;
const RECORD: usize = 1 + PIXELS;

/// The batch files of one split, in the order the distribution numbers them.
fn split_files(dir: &Path, split: Split) -> Vec<PathBuf> {
    match split {
        Split::Train => (1..=5)
            .map(|i| dir.join(format!("data_batch_{i}.bin")))
            .collect(),
        Split::Test => vec![dir.join("test_batch.bin")],
    }
}

/// One opened batch file, its length checked to be whole records.
struct Batch<'a> {
    path: &'a Path,
    file: File,
    records: usize,
}

/// Opens a batch file and checks its length: records are fixed-size, so
/// the length alone says how many there are, before anything is read.
fn open_batch(path: &Path) -> Result<Batch<'_>, DataError> {
    let (file, len) = open_regular(path)?;
    if len == 0 {
        return Err(DataError::format(
            path,
            0,
            format!("at least one {RECORD}-byte CIFAR-10 record, found an empty file"),
        ));
    }
    let whole = len / RECORD as u64;
    let rest = len % RECORD as u64;
    if rest != 0 {
        return Err(DataError::format(
            path,
            whole * RECORD as u64,
            format!(
                "{RECORD}-byte CIFAR-10 records, found {whole} complete records \
                 then a truncated record of {rest} bytes"
            ),
        ));
    }
    let records = usize::try_from(whole).map_err(|_| {
        DataError::format(
            path,
            0,
            format!("a file of at most usize records, found {whole}"),
        )
    })?;
    Ok(Batch {
        path,
        file,
        records,
    })
}

/// Reads one batch, appending its labels and its pixels scaled to [-1, 1].
fn read_batch(
    mut batch: Batch<'_>,
    labels: &mut Vec<u8>,
    values: &mut Vec<f32>,
) -> Result<(), DataError> {
    let path = batch.path;
    let bytes = read_checked_len(&mut batch.file, batch.records * RECORD, path)?;
    for (i, rec) in bytes.chunks_exact(RECORD).enumerate() {
        if rec[0] > 9 {
            return Err(DataError::format(
                path,
                (i * RECORD) as u64,
                format!("a label 0..=9 for record {i}, found {}", rec[0]),
            ));
        }
        labels.push(rec[0]);
    }
    let start = values.len();
    values.resize(start + batch.records * PIXELS, 0.0);
    values[start..]
        .par_chunks_mut(PIXELS)
        .zip(bytes.par_chunks_exact(RECORD))
        .for_each(|(out, rec)| {
            for (v, &p) in out.iter_mut().zip(&rec[1..]) {
                *v = scale_u8(p);
            }
        });
    Ok(())
}

/// Loads CIFAR-10 from the extracted directory (one split: train is
/// data_batch_1..5.bin in order, test is test_batch.bin) or from a single
/// batch file (then `split` is ignored). Pixels are scaled to [-1, 1] as for
/// IDX images; labels are attached. Every file is opened and its length
/// checked, and the total checked against the payload cap, before any is
/// read.
pub fn load_cifar10(path: &Path, split: Split) -> Result<Dataset, DataError> {
    let (files, source) = if path.is_dir() {
        let files = split_files(path, split);
        // Any entry of the name counts: a FIFO there is refused on opening.
        if let Some(missing) = files.iter().find(|f| !f.exists()) {
            return Err(DataError::Invalid(format!(
                "{}: CIFAR-10 batch file not found",
                missing.display()
            )));
        }
        let label = match split {
            Split::Train => "train",
            Split::Test => "test",
        };
        (files, format!("cifar-10 {label} ({})", path.display()))
    } else {
        (
            vec![path.to_path_buf()],
            format!("cifar-10 {}", path.display()),
        )
    };
    let batches = files
        .iter()
        .map(|f| open_batch(f))
        .collect::<Result<Vec<_>, _>>()?;
    let n: usize = batches.iter().map(|b| b.records).sum();
    let values = (n as u64).saturating_mul(PIXELS as u64);
    if let Some(why) = over_cap(values, &format!("{n} records of {PIXELS} pixels")) {
        return Err(if path.is_dir() {
            DataError::Invalid(format!("{}: expected {why}", path.display()))
        } else {
            DataError::format(path, 0, why)
        });
    }
    let mut labels = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n * PIXELS);
    for b in batches {
        read_batch(b, &mut labels, &mut values)?;
    }
    Dataset::new(
        values,
        labels.len(),
        PIXELS,
        vec![3, CIFAR10_SIDE, CIFAR10_SIDE],
        Some(labels),
        source,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::with_test_cap;
    use crate::testutil::{fifo, temp_file, within_seconds};
    use tempfile::tempdir;

    /// A record whose plane c holds `base + c` everywhere except pixel
    /// (row 1, col 2), which holds `10 * c + 7`.
    fn record(label: u8, base: u8) -> Vec<u8> {
        let mut r = vec![label];
        for c in 0..3u8 {
            let mut plane = vec![base + c; 1024];
            plane[32 + 2] = 10 * c + 7;
            r.extend_from_slice(&plane);
        }
        r
    }

    fn format_offset(e: &DataError) -> u64 {
        match e {
            DataError::Format { offset, .. } => *offset,
            other => panic!("expected a Format error, got {other}"),
        }
    }

    #[test]
    fn single_file_planar_layout() {
        let mut bytes = record(3, 0);
        bytes.extend(record(9, 255 - 2));
        let t = temp_file("one.bin", &bytes);
        let ds = load_cifar10(t.path(), Split::Test).unwrap();
        assert_eq!((ds.n, ds.d), (2, 3072));
        assert_eq!(ds.item_shape, vec![3, 32, 32]);
        assert_eq!(ds.labels, Some(vec![3, 9]));
        for c in 0..3 {
            let at = c * 1024 + 32 + 2;
            assert_eq!(ds.row(0)[at], scale_u8(10 * c as u8 + 7));
            assert_eq!(ds.row(0)[c * 1024], scale_u8(c as u8));
            assert_eq!(ds.row(1)[c * 1024 + 1023], scale_u8(253 + c as u8));
        }
        assert_eq!(ds.row(0)[0], -1.0);
        assert_eq!(ds.row(1)[2 * 1024], 1.0);
        assert!(ds.source.contains("one.bin"), "{}", ds.source);
    }

    #[test]
    fn directory_splits_in_order() {
        let dir = tempdir().unwrap();
        for i in 1..=5u8 {
            let mut b = record(i, i);
            b.extend(record(i - 1, 100 + i));
            std::fs::write(dir.path().join(format!("data_batch_{i}.bin")), b).unwrap();
        }
        let e = load_cifar10(dir.path(), Split::Test).unwrap_err();
        assert!(e.to_string().contains("test_batch.bin"), "{e}");
        std::fs::write(dir.path().join("test_batch.bin"), record(0, 50)).unwrap();

        let train = load_cifar10(dir.path(), Split::Train).unwrap();
        assert_eq!(train.n, 10);
        assert_eq!(
            train.labels,
            Some(vec![1, 0, 2, 1, 3, 2, 4, 3, 5, 4]),
            "files in numeric order"
        );
        assert_eq!(train.row(4)[0], scale_u8(3));
        assert_eq!(train.row(9)[0], scale_u8(105));
        assert!(train.source.starts_with("cifar-10 train ("));
        let test = load_cifar10(dir.path(), Split::Test).unwrap();
        assert_eq!((test.n, test.labels.as_deref()), (1, Some(&[0u8][..])));
        assert_eq!(test.row(0)[0], scale_u8(50));

        std::fs::remove_file(dir.path().join("data_batch_4.bin")).unwrap();
        let e = load_cifar10(dir.path(), Split::Train).unwrap_err();
        assert!(e.to_string().contains("data_batch_4.bin"), "{e}");
    }

    #[test]
    fn truncated_file_names_file_count_and_offset() {
        let mut bytes = record(1, 0);
        bytes.extend(record(2, 0));
        bytes.extend_from_slice(&[4; 100]);
        let t = temp_file("trunc.bin", &bytes);
        let e = load_cifar10(t.path(), Split::Train).unwrap_err();
        assert_eq!(format_offset(&e), 2 * 3073);
        let msg = e.to_string();
        assert!(
            msg.contains("trunc.bin") && msg.contains("at byte 6146"),
            "{msg}"
        );
        assert!(msg.contains("2 complete records"), "{msg}");
        assert!(msg.contains("100 bytes"), "{msg}");

        let t = temp_file("empty.bin", &[]);
        let e = load_cifar10(t.path(), Split::Train).unwrap_err();
        assert!(e.to_string().contains("empty file"), "{e}");
    }

    #[test]
    fn bad_label_names_file_and_offset() {
        let mut bytes = record(1, 0);
        bytes.extend(record(10, 0));
        let t = temp_file("label.bin", &bytes);
        let e = load_cifar10(t.path(), Split::Train).unwrap_err();
        assert_eq!(format_offset(&e), 3073);
        let msg = e.to_string();
        assert!(
            msg.contains("label.bin") && msg.contains("found 10"),
            "{msg}"
        );
    }

    #[test]
    fn missing_single_file_is_io_error() {
        let tmp = tempdir().unwrap();
        let e = load_cifar10(&tmp.path().join("absent.bin"), Split::Train).unwrap_err();
        assert!(matches!(e, DataError::Io { .. }), "{e}");
        assert!(e.to_string().contains("absent.bin"), "{e}");
    }

    #[test]
    fn special_files_refused_without_blocking() {
        if Path::new("/dev/zero").exists() {
            let e = within_seconds("read /dev/zero", || {
                load_cifar10(Path::new("/dev/zero"), Split::Test)
            })
            .unwrap_err()
            .to_string();
            assert!(
                e.contains("/dev/zero") && e.contains("character device"),
                "{e}"
            );
        }
        let dir = tempdir().unwrap();
        if fifo(dir.path(), "test_batch.bin").is_some() {
            let d = dir.path().to_path_buf();
            let e = within_seconds("read a FIFO batch", move || load_cifar10(&d, Split::Test))
                .unwrap_err()
                .to_string();
            assert!(e.contains("test_batch.bin") && e.contains("FIFO"), "{e}");
        }
    }

    #[test]
    fn total_over_the_cap_refused_before_reading() {
        let mut bytes = record(1, 0);
        bytes.extend(record(2, 0));
        let t = temp_file("two.bin", &bytes);
        let e = with_test_cap(3 * 4 * PIXELS as u64 / 2, || {
            load_cifar10(t.path(), Split::Test)
        })
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("two.bin") && msg.contains("cap of 18.0 KiB"),
            "{msg}"
        );
        assert!(
            msg.contains("2 records of 3072 pixels") && msg.contains("24.0 KiB"),
            "{msg}"
        );
    }
}
