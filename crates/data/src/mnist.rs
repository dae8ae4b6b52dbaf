//! MNIST-family directories (MNIST, Fashion-MNIST, KMNIST, ...): the four
//! standard IDX file names, gzip-compressed or not.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::load_idx_images;
use std::path::{Path, PathBuf};

/// Where Debian's `dataset-fashion-mnist` package installs the files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    /// File-name prefix used by the MNIST family.
    fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// Finds `stem` or `stem.gz` in `dir`, preferring the uncompressed file
/// (no decompression cost); the error lists both names tried. Any entry of
/// that name counts as found, so a FIFO or directory in its place is
/// refused by the reader as not a regular file rather than passed over.
fn find(dir: &Path, stem: &str) -> Result<PathBuf, DataError> {
    let plain = dir.join(stem);
    let gz = dir.join(format!("{stem}.gz"));
    if plain.exists() {
        return Ok(plain);
    }
    if gz.exists() {
        return Ok(gz);
    }
    let mut msg = format!(
        "{}: neither {stem} nor {stem}.gz found{}",
        dir.display(),
        if dir.is_dir() {
            ""
        } else {
            " (the directory does not exist)"
        }
    );
    if dir == Path::new(FASHION_MNIST_DIR) {
        msg.push_str("; install it with `apt-get install dataset-fashion-mnist`");
    }
    Err(DataError::Invalid(msg))
}

/// Loads one split of an MNIST-family directory: images scaled to [-1, 1],
/// item shape [1, rows, cols], labels attached. `name` labels the source.
pub fn load_mnist_dir(dir: &Path, split: Split, name: &str) -> Result<Dataset, DataError> {
    let prefix = split.prefix();
    let images = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let mut ds = load_idx_images(&images, Some(&labels))?;
    ds.source = format!("{name} {} ({})", split.label(), dir.display());
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fifo, gzip, within_seconds};
    use tempfile::tempdir;

    fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn loads_either_naming() {
        let dir = tempdir().unwrap();
        // Test split uncompressed, train split gzip-compressed.
        let imgs = idx_bytes(&[3, 2, 2], &[0, 255, 0, 255, 10, 20, 30, 40, 1, 1, 1, 1]);
        let labs = idx_bytes(&[3], &[4, 5, 6]);
        std::fs::write(dir.path().join("t10k-images-idx3-ubyte"), &imgs).unwrap();
        std::fs::write(dir.path().join("t10k-labels-idx1-ubyte"), &labs).unwrap();
        std::fs::write(dir.path().join("train-images-idx3-ubyte.gz"), gzip(&imgs)).unwrap();
        std::fs::write(dir.path().join("train-labels-idx1-ubyte.gz"), gzip(&labs)).unwrap();
        let test = load_mnist_dir(dir.path(), Split::Test, "toy-mnist").unwrap();
        let train = load_mnist_dir(dir.path(), Split::Train, "toy-mnist").unwrap();
        assert_eq!(test.rows, train.rows);
        assert_eq!(test.labels, Some(vec![4, 5, 6]));
        assert_eq!(test.item_shape, vec![1, 2, 2]);
        assert!(
            test.source.starts_with("toy-mnist test ("),
            "{}",
            test.source
        );
        assert!(
            train.source.starts_with("toy-mnist train ("),
            "{}",
            train.source
        );
    }

    #[test]
    fn missing_files_named() {
        let dir = tempdir().unwrap();
        let e = load_mnist_dir(dir.path(), Split::Train, "x").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("train-images-idx3-ubyte.gz"), "{msg}");
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        assert!(!msg.contains("apt-get"), "{msg}");

        std::fs::write(
            dir.path().join("t10k-images-idx3-ubyte"),
            idx_bytes(&[1, 1, 1], &[0]),
        )
        .unwrap();
        let e = load_mnist_dir(dir.path(), Split::Test, "x").unwrap_err();
        assert!(e.to_string().contains("t10k-labels-idx1-ubyte"), "{e}");
    }

    #[test]
    fn special_file_in_place_of_a_split_is_named() {
        let dir = tempdir().unwrap();
        std::fs::write(
            dir.path().join("t10k-labels-idx1-ubyte"),
            idx_bytes(&[1], &[0]),
        )
        .unwrap();
        let Some(_) = fifo(dir.path(), "t10k-images-idx3-ubyte") else {
            return;
        };
        let d = dir.path().to_path_buf();
        let e = within_seconds("load_mnist_dir with a FIFO", move || {
            load_mnist_dir(&d, Split::Test, "x")
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("t10k-images-idx3-ubyte") && e.contains("not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn hint_for_default_directory() {
        if Path::new(FASHION_MNIST_DIR).is_dir() {
            return; // Installed here: the hint path cannot be exercised.
        }
        let e = load_mnist_dir(Path::new(FASHION_MNIST_DIR), Split::Test, "f").unwrap_err();
        assert!(
            e.to_string()
                .contains("apt-get install dataset-fashion-mnist"),
            "{e}"
        );
    }

    #[test]
    fn real_fashion_mnist_train() {
        let dir = Path::new(FASHION_MNIST_DIR);
        if !dir.is_dir() {
            eprintln!("note: {FASHION_MNIST_DIR} absent; skipping the real Fashion-MNIST check");
            return;
        }
        let ds = load_mnist_dir(dir, Split::Train, "fashion-mnist").unwrap();
        assert_eq!((ds.n, ds.d), (60_000, 784));
        assert_eq!(ds.item_shape, vec![1, 28, 28]);
        assert!(ds.rows.iter().all(|v| (-1.0..=1.0).contains(v)));
        let labels = ds.labels.as_ref().unwrap();
        assert_eq!(labels.len(), 60_000);
        assert!(labels.iter().all(|&l| l < 10));
        // All ten classes occur, and pixels span the full range.
        let mut seen = [false; 10];
        labels.iter().for_each(|&l| seen[usize::from(l)] = true);
        assert!(seen.iter().all(|&s| s));
        assert!(ds.rows.contains(&-1.0) && ds.rows.contains(&1.0));
        assert_eq!(
            ds.source,
            format!("fashion-mnist train ({FASHION_MNIST_DIR})")
        );
    }
}
