//! PyTorch checkpoints in the ZIP format of `torch.save` (torch >= 1.6): a
//! stored (uncompressed) archive whose `PREFIX/data.pkl` pickles the object
//! and whose `PREFIX/data/KEY` members hold the raw little-endian storages
//! its tensors view.

use super::convert::{decode, float_name};
use super::pickle::{self, Arena, PickleError, TensorRef, Value};
use super::tensors::{WeightTensor, Weights, check_cap};
use crate::error::DataError;
use crate::zip::Archive;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::rc::Rc;

/// The largest data.pkl read; a state dict's pickle is a few hundred KiB.
const MAX_PICKLE: u64 = 256 << 20;

/// A storage class of torch (`torch.FloatStorage`, ...) as a safetensors
/// dtype name and its element size; None for a class torch does not have.
pub(super) fn storage_dtype(class: &str) -> Option<(&'static str, usize)> {
    Some(match class {
        "FloatStorage" => ("F32", 4),
        "HalfStorage" => ("F16", 2),
        "BFloat16Storage" => ("BF16", 2),
        "DoubleStorage" => ("F64", 8),
        "LongStorage" => ("I64", 8),
        "IntStorage" => ("I32", 4),
        "ShortStorage" => ("I16", 2),
        "CharStorage" => ("I8", 1),
        "ByteStorage" => ("U8", 1),
        "BoolStorage" => ("BOOL", 1),
        _ => return None,
    })
}

pub(super) fn is_float(dtype: &str) -> bool {
    matches!(dtype, "F32" | "F16" | "BF16" | "F64")
}

/// A storage as a persistent id names it.
pub(super) struct StorageId {
    pub key: String,
    pub dtype: &'static str,
    pub size: usize,
    pub numel: u64,
}

/// Reads torch's persistent id ("storage", class, key, location, numel, ...).
pub(super) fn storage_id(pid: &Value) -> Result<StorageId, String> {
    let Value::Tuple(items) = pid else {
        return Err(format!("a storage tuple as persistent id, found {pid:?}"));
    };
    let (Some(Value::Str(kind)), Some(Value::Global(_, class)), Some(key), Some(Value::Int(numel))) =
        (items.first(), items.get(1), items.get(2), items.get(4))
    else {
        return Err(format!(
            "a persistent id (\"storage\", class, key, location, numel), found {items:?}"
        ));
    };
    if &**kind != "storage" {
        return Err(format!(
            "a persistent id of kind \"storage\", found {kind:?}"
        ));
    }
    let key = match key {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        other => return Err(format!("a storage key, found {other:?}")),
    };
    let Some((dtype, size)) = storage_dtype(class) else {
        return Err(format!("a torch storage class, found {class:?}"));
    };
    let numel = u64::try_from(*numel).map_err(|_| format!("a storage size, found {numel}"))?;
    Ok(StorageId {
        key,
        dtype,
        size,
        numel,
    })
}

/// A tensor and its dotted name.
pub(super) type Named = (String, Rc<TensorRef>);

/// Every tensor reachable from `root`, named by its dotted path.
pub(super) fn tensors(root: &Value, arena: &Arena) -> Vec<Named> {
    fn walk(
        v: &Value,
        name: &str,
        arena: &Arena,
        seen: &mut HashSet<(bool, usize)>,
        out: &mut Vec<Named>,
    ) {
        let join = |k: &str| {
            if name.is_empty() {
                k.to_owned()
            } else {
                format!("{name}.{k}")
            }
        };
        match v {
            Value::Tensor(t) => out.push((name.to_owned(), t.clone())),
            Value::Dict(i) if seen.insert((true, *i)) => {
                for (k, v) in &arena.dicts[*i] {
                    let k = match k {
                        Value::Str(s) => s.to_string(),
                        Value::Int(n) => n.to_string(),
                        _ => continue,
                    };
                    walk(v, &join(&k), arena, seen, out);
                }
            }
            Value::List(i) if seen.insert((false, *i)) => {
                for (k, v) in arena.lists[*i].iter().enumerate() {
                    walk(v, &join(&k.to_string()), arena, seen, out);
                }
            }
            Value::Tuple(items) => {
                for (k, v) in items.iter().enumerate() {
                    walk(v, &join(&k.to_string()), arena, seen, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(root, "", arena, &mut HashSet::new(), &mut out);
    out
}

/// The number of values a view holds; None when the product overflows.
pub(super) fn view_len(t: &TensorRef) -> Option<u64> {
    t.shape.iter().try_fold(1u64, |a, &s| a.checked_mul(s))
}

/// A tensor's values, gathered from its storage's bytes by offset and
/// strides after checking that the view lies within the storage.
pub(super) fn gather(
    t: &TensorRef,
    dtype: &str,
    size: usize,
    storage: &[u8],
) -> Result<Vec<f32>, String> {
    let numel = storage.len() / size;
    let count = view_len(t).ok_or("a shape whose size fits in memory")?;
    if count > 0 {
        let last = t
            .shape
            .iter()
            .zip(&t.stride)
            .try_fold(t.offset, |a, (&s, &st)| {
                a.checked_add((s - 1).checked_mul(st)?)
            })
            .filter(|&l| l < numel as u64);
        if last.is_none() {
            return Err(format!(
                "a view (offset {}, shape {:?}, stride {:?}) within its storage of {numel} \
                 elements",
                t.offset, t.shape, t.stride
            ));
        }
    }
    let mut out = Vec::with_capacity(count as usize);
    let contiguous = {
        let mut expect = 1u64;
        let mut ok = true;
        for (&s, &st) in t.shape.iter().zip(&t.stride).rev() {
            ok &= s == 1 || st == expect;
            expect *= s;
        }
        ok
    };
    if contiguous {
        let at = t.offset as usize * size;
        decode(dtype, &storage[at..at + count as usize * size], &mut out);
        return Ok(out);
    }
    // A strided view (a transpose saved without .contiguous()): element by element.
    let mut index = vec![0u64; t.shape.len()];
    for _ in 0..count {
        let e = t.offset + index.iter().zip(&t.stride).map(|(i, s)| i * s).sum::<u64>();
        let at = e as usize * size;
        decode(dtype, &storage[at..at + size], &mut out);
        for d in (0..index.len()).rev() {
            index[d] += 1;
            if index[d] < t.shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(out)
}

/// A floating view decoded into a tensor of its own.
pub(super) fn view_tensor(
    t: &TensorRef,
    dtype: &str,
    size: usize,
    storage: &[u8],
) -> Result<WeightTensor, String> {
    Ok(WeightTensor {
        values: gather(t, dtype, size, storage)?,
        shape: t.shape.iter().map(|&s| s as usize).collect(),
        dtype: float_name(dtype),
    })
}

fn pickle_err(path: &Path, member: &str, at: u64, e: PickleError) -> DataError {
    DataError::format(
        path,
        at + e.at as u64,
        format!("{} (in the pickle {member:?})", e.expected),
    )
}

/// Reads a member's bytes whole; the caller bounds its size.
fn member_bytes(a: &mut Archive, i: usize) -> Result<(Vec<u8>, u64), DataError> {
    let m = a.members[i].clone();
    let (name, method, size, crc) = (m.name.clone(), m.method, m.size, m.crc);
    if method != 0 || m.compressed != size {
        return Err(a.err(
            m.central_at + 10,
            format!(
                "a stored (uncompressed) member {name:?} as torch.save writes, found compression \
                 method {method}"
            ),
        ));
    }
    let at = a.data_at(&m)?;
    let bytes = a.read_at(at, size as usize)?;
    let mut c = flate2::Crc::new();
    c.update(&bytes);
    if c.sum() != crc {
        return Err(a.err(
            at,
            format!(
                "CRC-32 {crc:08x} of member {name:?}, found {:08x} (corrupt file)",
                c.sum()
            ),
        ));
    }
    Ok((bytes, at))
}

pub(super) fn read(path: &Path) -> Result<Weights, DataError> {
    let mut a = Archive::open(path)?;
    let Some(pkl) = a
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| m.name.ends_with("data.pkl") && m.name.matches('/').count() <= 1)
        .min_by_key(|(_, m)| m.name.len())
        .map(|(i, _)| i)
    else {
        return Err(DataError::Invalid(format!(
            "{}: a ZIP file without a data.pkl member, so not a torch.save checkpoint",
            path.display()
        )));
    };
    let pkl_name = a.members[pkl].name.clone();
    let prefix = pkl_name.strip_suffix("data.pkl").unwrap_or("").to_owned();
    if a.members[pkl].size > MAX_PICKLE {
        return Err(a.err(
            a.members[pkl].central_at + 24,
            format!("a data.pkl of at most {MAX_PICKLE} bytes"),
        ));
    }
    let (bytes, at) = member_bytes(&mut a, pkl)?;
    let (root, arena, _) = pickle::load(&bytes).map_err(|e| pickle_err(path, &pkl_name, at, e))?;
    let found = tensors(&root, &arena);
    let bad = |name: &str, why: String| {
        DataError::Invalid(format!(
            "{}: tensor {name:?}: expected {why}",
            path.display()
        ))
    };
    // Group the floating tensors by storage, so each storage is read once.
    let mut by_storage: BTreeMap<String, (StorageId, Vec<Named>)> = BTreeMap::new();
    let mut other = Vec::new();
    let mut elements = 0u64;
    for (name, t) in found {
        let id = storage_id(&t.storage).map_err(|w| bad(&name, w))?;
        if !is_float(id.dtype) {
            other.push((name, id.dtype.to_owned()));
            continue;
        }
        // An overflowing shape counts as unbounded, so the cap refuses it.
        elements = elements.saturating_add(view_len(&t).unwrap_or(u64::MAX));
        by_storage
            .entry(id.key.clone())
            .or_insert_with(|| (id, Vec::new()))
            .1
            .push((name, t));
    }
    check_cap(path, elements)?;
    let mut tensors = BTreeMap::new();
    for (key, (id, views)) in by_storage {
        let member = format!("{prefix}data/{key}");
        let Some(i) = a.members.iter().position(|m| m.name == member) else {
            return Err(bad(
                &views[0].0,
                format!("its storage in member {member:?}, found none"),
            ));
        };
        let want = id.numel.saturating_mul(id.size as u64);
        if a.members[i].size < want {
            return Err(a.err(
                a.members[i].central_at + 24,
                format!(
                    "{want} bytes in member {member:?} ({} elements of {}), found {}",
                    id.numel, id.dtype, a.members[i].size
                ),
            ));
        }
        let (bytes, _) = member_bytes(&mut a, i)?;
        for (name, t) in views {
            let tensor = view_tensor(&t, id.dtype, id.size, &bytes[..want as usize])
                .map_err(|w| bad(&name, w))?;
            tensors.insert(name, tensor);
        }
    }
    Ok(Weights {
        path: path.to_path_buf(),
        format: "torch zip",
        tensors,
        other,
    })
}
