use std::path::Path;

use crate::{RecordsError, atomic_write};

/// Writes a little-endian f32 NPY array of `shape`, atomically. The shape must
/// hold exactly `data.len()` values (checked here so the message names the file).
pub fn write_npy(path: &Path, shape: &[usize], data: &[f32]) -> Result<(), RecordsError> {
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if count != Some(data.len()) {
        return Err(RecordsError::Schema(format!(
            "{}: shape {shape:?} does not hold {} values",
            path.display(),
            data.len()
        )));
    }
    atomic_write(path, |w| geotraj_data::npy::encode_npy_f32(w, shape, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::tempdir;

    #[test]
    fn writes_npy_file() {
        let tmp = tempdir().unwrap();
        let path = tmp.path().join("x.npy");
        let data: Vec<f32> = (0..6).map(|i| i as f32 * 0.5 - 1.0).collect();
        write_npy(&path, &[2, 3], &data).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..6], b"\x93NUMPY");
        let payload = &bytes[bytes.len() - 24..];
        let back: Vec<f32> = payload
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(back, data);
        let header = String::from_utf8_lossy(&bytes[..bytes.len() - 24]);
        assert!(
            header.contains("(2, 3)") && header.contains("<f4"),
            "{header}"
        );
    }

    #[test]
    fn shape_mismatch_names_file_and_writes_nothing() {
        let tmp = tempdir().unwrap();
        let path = tmp.path().join("bad.npy");
        let err = write_npy(&path, &[2, 2], &[1.0; 3]).unwrap_err();
        assert!(err.to_string().contains("bad.npy"));
        assert!(!path.exists());
    }
}
