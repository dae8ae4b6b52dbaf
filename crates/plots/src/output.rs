//! Atomic output: each file is written to a hidden temporary sibling and
//! renamed over the target, so a reader never sees a half-written plot and a
//! failed render leaves any previous plot in place.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::PlotError;

/// `stem` plus a suffix, keeping any dots already in the stem's name
/// (`with_extension` would turn `fig.v2` into `fig.png`).
pub(crate) fn with_suffix(stem: &Path, suffix: &str) -> Result<PathBuf, PlotError> {
    if stem.file_name().is_none() {
        return Err(PlotError::Data(format!(
            "output stem '{}' has no file name",
            stem.display()
        )));
    }
    let mut s = stem.as_os_str().to_owned();
    s.push(suffix);
    Ok(PathBuf::from(s))
}

pub(crate) fn create_parent(target: &Path) -> Result<(), PlotError> {
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            fs::create_dir_all(dir).map_err(|e| PlotError::io(dir, e))
        }
        _ => Ok(()),
    }
}

/// A temporary sibling of `target`, removed on drop unless committed.
pub(crate) struct TempFile {
    pub path: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl TempFile {
    /// The temporary name keeps the target's extension last because the PNG
    /// encoder picks the image format from it. Process id plus a counter keep
    /// concurrent renders (other processes, other threads) apart.
    pub(crate) fn beside(target: &Path) -> TempFile {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let ext = target
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut name = OsString::from(".");
        name.push(target.file_name().unwrap_or_default());
        name.push(format!(".{}-{n}.tmp.{ext}", std::process::id()));
        TempFile {
            path: target.with_file_name(name),
            target: target.to_path_buf(),
            committed: false,
        }
    }

    pub(crate) fn write(&self, bytes: &[u8]) -> Result<(), PlotError> {
        let mut f = fs::File::create(&self.path).map_err(|e| PlotError::io(&self.path, e))?;
        f.write_all(bytes).map_err(|e| PlotError::io(&self.path, e))
    }

    /// Flushes the contents to disk before the rename, so a crash cannot
    /// leave the target name pointing at an empty file.
    pub(crate) fn commit(mut self) -> Result<PathBuf, PlotError> {
        fs::File::open(&self.path)
            .and_then(|f| f.sync_all())
            .map_err(|e| PlotError::io(&self.path, e))?;
        fs::rename(&self.path, &self.target).map_err(|e| PlotError::io(&self.target, e))?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the file may never have been created.
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use tempfile::tempdir;

    use crate::test_util::sigma_figure;
    use crate::{PlotError, render};

    #[test]
    fn unwritable_directory_is_an_io_error() {
        let dir = tempdir().unwrap();
        // A regular file where the parent directory should be.
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        match render(&sigma_figure(), &blocker.join("fig")) {
            Err(PlotError::Io { path, .. }) => assert_eq!(path, blocker),
            other => panic!("expected an io error, got {other:?}"),
        }
    }
}
