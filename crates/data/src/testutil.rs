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
