//! Safetensors weights: the header is validated first (crate::safetensors),
//! so every range read here is known to lie within the file.

use super::convert::{decode, float_name, float_size};
use super::tensors::{WeightTensor, Weights, check_cap};
use crate::error::DataError;
use crate::regular::{open_regular, read_checked_len};
use crate::safetensors::check_safetensors;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

pub(super) fn read(path: &Path) -> Result<Weights, DataError> {
    let infos = check_safetensors(path)?;
    let floats = || infos.iter().filter(|t| float_size(&t.dtype).is_some());
    check_cap(
        path,
        floats()
            .map(|t| t.shape.iter().product::<usize>() as u64)
            .sum(),
    )?;
    let (mut file, _) = open_regular(path)?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|e| DataError::io(path, e))?;
    let data_at = 8 + u64::from_le_bytes(len);
    let mut tensors = BTreeMap::new();
    let mut other = Vec::new();
    for t in &infos {
        if float_size(&t.dtype).is_none() {
            other.push((t.name.clone(), t.dtype.clone()));
            continue;
        }
        file.seek(SeekFrom::Start(data_at + t.begin as u64))
            .map_err(|e| DataError::io(path, e))?;
        let bytes = read_checked_len(&mut file, t.end - t.begin, path)?;
        let mut values = Vec::with_capacity(t.shape.iter().product());
        decode(&t.dtype, &bytes, &mut values);
        tensors.insert(
            t.name.clone(),
            WeightTensor {
                shape: t.shape.clone(),
                dtype: float_name(&t.dtype),
                values,
            },
        );
    }
    Ok(Weights {
        path: path.to_path_buf(),
        format: "safetensors",
        tensors,
        other,
    })
}
