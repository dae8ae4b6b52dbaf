//! Test-only helpers: temporary files with meaningful names, and gzip.

use std::io::Write;

use tempfile::NamedTempFile;

/// A fresh temporary file holding `bytes`, removed on drop; its name ends in
/// `name`, so the extension (`.gz`, `.npy`, ...) means what it says.
pub fn temp_file(name: &str, bytes: &[u8]) -> NamedTempFile {
    let mut f = tempfile::Builder::new()
        .prefix("geotraj-data-")
        .suffix(&format!("-{name}"))
        .tempfile()
        .expect("create temp file");
    f.write_all(bytes).expect("write temp file");
    f
}

/// Gzip-compresses `bytes` in memory.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// Runs `f` on a helper thread and fails the test if it takes longer than
/// 10 s, so a regression that blocks (a FIFO, /dev/zero) cannot hang the
/// suite.
pub fn within_seconds<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what} did not return within 10 s (blocked?)"))
}

/// A FIFO named `name` in `dir`, made with mkfifo; None (with a note) where
/// mkfifo is unavailable.
pub fn fifo(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    let path = dir.join(name);
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    if made.is_ok_and(|s| s.success()) {
        Some(path)
    } else {
        eprintln!("note: mkfifo unavailable; skipping a FIFO check");
        None
    }
}
