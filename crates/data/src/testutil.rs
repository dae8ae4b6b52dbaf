//! Test-only helpers: uniquely named temporary files removed on drop, so
//! parallel tests and concurrent test processes never collide.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct TempPath {
    path: PathBuf,
}

impl TempPath {
    /// A fresh path in the temp dir; `name` keeps the extension meaningful.
    pub fn new(name: &str) -> Self {
        let k = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "geotraj-data-test-{}-{k}-{name}",
            std::process::id()
        ));
        TempPath { path }
    }

    /// A fresh path holding `bytes`.
    pub fn with_bytes(name: &str, bytes: &[u8]) -> Self {
        let t = Self::new(name);
        std::fs::write(&t.path, bytes).expect("write temp file");
        t
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if self.path.is_dir() {
            let _ = std::fs::remove_dir_all(&self.path);
        } else {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Gzip-compresses `bytes` in memory.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}
