//! .npz archives of float64 arrays, as `numpy.savez` writes them (a ZIP of
//! stored .npy members): pytorch-fid's statistics files (`mu`, `sigma`)
//! that geotraj writes for pytorch-fid and reads back.

use geotraj_data::crc32;
use std::io::Write;
use std::path::Path;

use crate::arrays::{Dtype, npy_header};
use crate::{RecordsError, atomic_write};

/// One array to store: its name (without ".npy"), shape and values.
pub struct NpzArray<'a> {
    pub name: &'a str,
    pub shape: Vec<usize>,
    pub values: &'a [f64],
}

/// Writes `path` atomically: one stored `NAME.npy` member per array.
pub fn write_npz_f64(path: &Path, arrays: &[NpzArray]) -> Result<(), RecordsError> {
    let mut members = Vec::with_capacity(arrays.len());
    for a in arrays {
        let count: usize = a.shape.iter().product();
        if count != a.values.len() {
            return Err(RecordsError::Schema(format!(
                "{}: array {:?} has {} values for shape {:?}",
                path.display(),
                a.name,
                a.values.len(),
                a.shape
            )));
        }
        let mut npy = npy_header(Dtype::F64, &a.shape);
        npy.reserve(8 * count);
        for v in a.values {
            npy.extend_from_slice(&v.to_le_bytes());
        }
        if npy.len() > u32::MAX as usize {
            return Err(RecordsError::Schema(format!(
                "{}: array {:?} is over 4 GiB (ZIP64 is not written)",
                path.display(),
                a.name
            )));
        }
        members.push((format!("{}.npy", a.name), npy));
    }
    atomic_write(path, |w| {
        let (mut offset, mut central) = (0u32, Vec::new());
        for (name, data) in &members {
            let (crc, size, n) = (crc32(data), data.len() as u32, name.len() as u16);
            // Version 2.0, no flags, stored, no time: local header then data.
            let mut common = Vec::with_capacity(26);
            common.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            common.extend_from_slice(&crc.to_le_bytes());
            common.extend_from_slice(&size.to_le_bytes());
            common.extend_from_slice(&size.to_le_bytes());
            common.extend_from_slice(&n.to_le_bytes());
            common.extend_from_slice(&0u16.to_le_bytes());
            w.write_all(&0x0403_4B50u32.to_le_bytes())?;
            w.write_all(&common)?;
            w.write_all(name.as_bytes())?;
            w.write_all(data)?;
            central.extend_from_slice(&0x0201_4B50u32.to_le_bytes());
            central.extend_from_slice(&[20, 0]); // made by
            central.extend_from_slice(&common);
            central.extend_from_slice(&[0; 10]); // comment, disk, internal and external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
            offset += 30 + u32::from(n) + size;
        }
        let entries = (members.len() as u16).to_le_bytes();
        w.write_all(&central)?;
        w.write_all(&0x0605_4B50u32.to_le_bytes())?;
        w.write_all(&[0, 0, 0, 0])?;
        w.write_all(&entries)?;
        w.write_all(&entries)?;
        w.write_all(&(central.len() as u32).to_le_bytes())?;
        w.write_all(&offset.to_le_bytes())?;
        w.write_all(&[0, 0])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_read_back_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.npz");
        let mu = [1.0, -2.5, std::f64::consts::PI];
        let sigma: Vec<f64> = (0..9).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        write_npz_f64(
            &path,
            &[
                NpzArray {
                    name: "mu",
                    shape: vec![3],
                    values: &mu,
                },
                NpzArray {
                    name: "sigma",
                    shape: vec![3, 3],
                    values: &sigma,
                },
            ],
        )
        .unwrap();
        assert_eq!(
            geotraj_data::npz_keys(&path).unwrap(),
            vec!["mu".to_string(), "sigma".to_string()]
        );
        let (s, v) = geotraj_data::read_npz_f64(&path, Some("sigma")).unwrap();
        assert_eq!((s, v), (vec![3, 3], sigma.clone()));
        let (s, v) = geotraj_data::read_npz_f64(&path, Some("mu")).unwrap();
        assert_eq!((s, v), (vec![3], mu.to_vec()));
        let bad = write_npz_f64(
            &path,
            &[NpzArray {
                name: "mu",
                shape: vec![4],
                values: &mu,
            }],
        );
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("3 values for shape [4]")
        );
    }
}
