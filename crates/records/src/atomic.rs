use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::RecordsError;

/// Distinguishes temporaries of concurrent writes from one process.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// Writes `path` all-or-nothing: creates the parent directory, lets `write`
/// fill a temporary sibling `.NAME.tmp-PID-SEQ`, flushes it and renames it
/// over `path`. On any failure the temporary is removed and `path` keeps its
/// old content (or stays absent).
///
/// The rename is atomic for concurrent readers; there is no fsync, so this is
/// not a guarantee against power loss (records are reproducible, speed wins).
pub fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), RecordsError> {
    let fail = |source| RecordsError::io(path, source);
    let name = path.file_name().ok_or_else(|| {
        fail(io::Error::new(
            io::ErrorKind::InvalidInput,
            "path has no file name",
        ))
    })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(fail)?;
    }
    let tmp = temp_sibling(path, name);
    // create_new: never clobber a file we did not create (stale temp, other writer).
    let tracked = crate::cleanup::track(&tmp);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(fail)?;
    let result = fill(file, write).and_then(|()| fs::rename(&tmp, path));
    if let Err(source) = result {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
        return Err(fail(source));
    }
    drop(tracked);
    Ok(())
}

pub(crate) fn temp_sibling(path: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp_name = format!(
        ".{}.tmp-{}-{seq}",
        name.to_string_lossy(),
        std::process::id()
    );
    path.with_file_name(tmp_name)
}

/// Runs the caller's writer, then flushes; the file is closed on return.
fn fill(file: File, write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>) -> io::Result<()> {
    let mut w = BufWriter::new(file);
    write(&mut w)?;
    w.flush()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tempfile::tempdir;

    /// The sorted names in a folder.
    pub(crate) fn dir_entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn creates_parent_and_writes() {
        let tmp = tempdir().unwrap();
        let path = tmp.path().join("a/b/out.txt");
        atomic_write(&path, |w| w.write_all(b"hello")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "hello");
        atomic_write(&path, |w| w.write_all(b"again")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "again");
        assert_eq!(dir_entries(path.parent().unwrap()), ["out.txt"]);
    }

    #[test]
    fn failed_write_leaves_target_and_no_temp() {
        let tmp = tempdir().unwrap();
        let path = tmp.path().join("keep.txt");
        fs::write(&path, "original").unwrap();
        let err = atomic_write(&path, |w| {
            w.write_all(&[b'x'; 100_000])?; // past the buffer: bytes hit the temp file
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(matches!(&err, RecordsError::Io { path: p, .. } if p == &path));
        assert!(err.to_string().contains("keep.txt") && err.to_string().contains("boom"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "original");
        assert_eq!(dir_entries(tmp.path()), ["keep.txt"]);

        // A failure on a fresh path creates nothing at all.
        let fresh = tmp.path().join("fresh.txt");
        assert!(atomic_write(&fresh, |_| Err(io::Error::other("boom"))).is_err());
        assert!(!fresh.exists());
        assert_eq!(dir_entries(tmp.path()), ["keep.txt"]);
    }

    #[test]
    fn path_without_file_name_is_an_error() {
        assert!(matches!(
            atomic_write(Path::new("/"), |_| Ok(())),
            Err(RecordsError::Io { .. })
        ));
    }
}
