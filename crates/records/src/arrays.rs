//! Arrays too large to hold, written as they are produced: an NPY file or
//! a safetensors file whose header (shapes, offsets) is known up front,
//! filled block by block at computed offsets. A file is complete only once
//! `finish` has checked every value arrived; the caller writes into a
//! staged folder, so an unfinished file never appears under its name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::RecordsError;

/// Element types of the arrays written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F64,
    I64,
}

impl Dtype {
    fn size(self) -> u64 {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 | Dtype::I64 => 8,
        }
    }

    fn numpy(self) -> &'static str {
        match self {
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
            Dtype::I64 => "<i8",
        }
    }

    fn safetensors(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
            Dtype::I64 => "I64",
        }
    }
}

/// Values a stream accepts, as little-endian bytes.
pub trait Element: Copy {
    const DTYPE: Dtype;
    fn put(self, out: &mut Vec<u8>);
}

impl Element for f32 {
    const DTYPE: Dtype = Dtype::F32;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Element for f64 {
    const DTYPE: Dtype = Dtype::F64;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Element for i64 {
    const DTYPE: Dtype = Dtype::I64;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// One array of a stream: where its bytes start in the file and how many
/// of its values have arrived.
#[derive(Debug)]
struct Region {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    start: u64,
    count: u64,
    written: u64,
}

/// A file of one or more arrays written at known offsets.
#[derive(Debug)]
pub struct ArrayStream {
    path: PathBuf,
    file: File,
    regions: Vec<Region>,
}

fn count(path: &Path, shape: &[usize]) -> Result<u64, RecordsError> {
    shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| {
            RecordsError::Schema(format!("{}: shape {shape:?} overflows", path.display()))
        })
}

/// The NPY header (version 1.0) of a C-order array, padded so the data
/// starts at a multiple of 64 bytes.
pub fn npy_header(dtype: Dtype, shape: &[usize]) -> Vec<u8> {
    let dims = match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {dims}, }}",
        dtype.numpy()
    );
    let unpadded = 10 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

impl ArrayStream {
    /// An NPY file of one array.
    pub fn npy(path: &Path, dtype: Dtype, shape: &[usize]) -> Result<ArrayStream, RecordsError> {
        let header = npy_header(dtype, shape);
        let region = Region {
            name: String::new(),
            dtype,
            shape: shape.to_vec(),
            start: header.len() as u64,
            count: count(path, shape)?,
            written: 0,
        };
        ArrayStream::create(path, &header, vec![region])
    }

    /// A safetensors file of named arrays (in this order) with string
    /// metadata.
    pub fn safetensors(
        path: &Path,
        arrays: &[(&str, Dtype, Vec<usize>)],
        metadata: &[(&str, String)],
    ) -> Result<ArrayStream, RecordsError> {
        let mut regions = Vec::new();
        let mut offset = 0u64;
        let mut entries = serde_json::Map::new();
        let meta: serde_json::Map<String, serde_json::Value> = metadata
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
            .collect();
        entries.insert("__metadata__".into(), serde_json::Value::Object(meta));
        for (name, dtype, shape) in arrays {
            let n = count(path, shape)?;
            let bytes = n.checked_mul(dtype.size()).ok_or_else(|| {
                RecordsError::Schema(format!("{}: {name} overflows", path.display()))
            })?;
            entries.insert(
                name.to_string(),
                serde_json::json!({
                    "dtype": dtype.safetensors(),
                    "shape": shape,
                    "data_offsets": [offset, offset + bytes],
                }),
            );
            regions.push(Region {
                name: name.to_string(),
                dtype: *dtype,
                shape: shape.clone(),
                start: offset,
                count: n,
                written: 0,
            });
            offset += bytes;
        }
        let mut json = serde_json::Value::Object(entries).to_string().into_bytes();
        // Pad with spaces so the data starts 8-byte aligned (the format allows it).
        json.resize(json.len().next_multiple_of(8), b' ');
        let mut header = (json.len() as u64).to_le_bytes().to_vec();
        header.extend_from_slice(&json);
        for r in &mut regions {
            r.start += header.len() as u64;
        }
        ArrayStream::create(path, &header, regions)
    }

    fn create(
        path: &Path,
        header: &[u8],
        regions: Vec<Region>,
    ) -> Result<ArrayStream, RecordsError> {
        let io = |e| RecordsError::io(path, e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = File::create(path).map_err(io)?;
        let mut w = BufWriter::new(&file);
        w.write_all(header).map_err(io)?;
        w.flush().map_err(io)?;
        drop(w);
        Ok(ArrayStream {
            path: path.to_path_buf(),
            file,
            regions,
        })
    }

    /// Writes `values` into array `name` ("" for an NPY file) from element
    /// `at` (C order) on.
    pub fn write<T: Element>(
        &mut self,
        name: &str,
        at: u64,
        values: &[T],
    ) -> Result<(), RecordsError> {
        let path = self.path.clone();
        let r = self
            .regions
            .iter_mut()
            .find(|r| r.name == name)
            .ok_or_else(|| {
                RecordsError::Schema(format!("{}: no array {name:?}", path.display()))
            })?;
        let end = at.checked_add(values.len() as u64);
        if T::DTYPE != r.dtype || end.is_none_or(|e| e > r.count) {
            return Err(RecordsError::Schema(format!(
                "{}: {} values of {:?} at {at} do not fit array {name:?} ({:?}, shape {:?})",
                path.display(),
                values.len(),
                T::DTYPE,
                r.dtype,
                r.shape
            )));
        }
        let mut bytes = Vec::with_capacity(values.len() * r.dtype.size() as usize);
        for &v in values {
            v.put(&mut bytes);
        }
        self.file
            .write_all_at(&bytes, r.start + at * r.dtype.size())
            .map_err(|e| RecordsError::io(&path, e))?;
        r.written += values.len() as u64;
        Ok(())
    }

    /// Checks that every array received all its values; returns the path.
    pub fn finish(self) -> Result<PathBuf, RecordsError> {
        for r in &self.regions {
            if r.written != r.count {
                return Err(RecordsError::Schema(format!(
                    "{}: array {:?} received {} of its {} values",
                    self.path.display(),
                    r.name,
                    r.written,
                    r.count
                )));
            }
        }
        Ok(self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_npy_stream_filled_out_of_order_reads_back() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.npy");
        let mut s = ArrayStream::npy(&path, Dtype::F32, &[3, 2, 2]).unwrap();
        let values: Vec<f32> = (0..12).map(|i| i as f32 * 0.5).collect();
        s.write("", 8, &values[8..]).unwrap();
        s.write("", 0, &values[..8]).unwrap();
        assert!(s.write("", 10, &values[..4]).is_err());
        assert!(s.write("", 0, &[1.0f64]).is_err());
        s.finish().unwrap();
        let (shape, back) = geotraj_data::read_npy_f32(&path).unwrap();
        assert_eq!((shape, back), (vec![3, 2, 2], values));
        for shape in [vec![5], vec![0, 3], vec![]] {
            assert_eq!(npy_header(Dtype::F64, &shape).len() % 64, 0);
        }
    }

    #[test]
    fn an_unfinished_stream_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = ArrayStream::npy(&tmp.path().join("x.npy"), Dtype::F32, &[4]).unwrap();
        s.write("", 0, &[1.0f32, 2.0]).unwrap();
        assert!(s.finish().unwrap_err().to_string().contains("2 of its 4"));
    }

    #[test]
    fn a_safetensors_stream_passes_the_validator() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.safetensors");
        let mut s = ArrayStream::safetensors(
            &path,
            &[
                ("x", Dtype::F32, vec![2, 3]),
                ("sigma", Dtype::F64, vec![3]),
                ("trajectory", Dtype::I64, vec![2]),
            ],
            &[("data", "moons".into())],
        )
        .unwrap();
        s.write("sigma", 0, &[2.0f64, 1.0, 0.0]).unwrap();
        s.write("x", 3, &[4.0f32, 5.0, 6.0]).unwrap();
        s.write("x", 0, &[1.0f32, 2.0, 3.0]).unwrap();
        s.write("trajectory", 0, &[0i64, 1]).unwrap();
        s.finish().unwrap();
        let tensors = geotraj_data::check_safetensors(&path).unwrap();
        let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["x", "sigma", "trajectory"]);
        let bytes = std::fs::read(&path).unwrap();
        let data = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        assert_eq!(data % 8, 0);
        let x: Vec<f32> = bytes[data + tensors[0].begin..data + tensors[0].end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(x, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let header = String::from_utf8_lossy(&bytes[8..data]);
        assert!(header.contains("\"data\":\"moons\""), "{header}");
    }
}
