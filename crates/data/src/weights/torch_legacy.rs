//! PyTorch checkpoints in the legacy stream format (torch < 1.6, or
//! `_use_new_zipfile_serialization=False`): five pickles (magic number,
//! protocol 1001, system info, the object, the storage keys) followed by
//! each storage in key order as an 8-byte element count and its raw
//! little-endian bytes. The file is read whole: its storages are its bulk.

use super::pickle::{self, Value};
use super::tensors::{Weights, check_cap};
use super::torch::{is_float, storage_dtype, tensors, view_len, view_tensor};
use crate::error::DataError;
use crate::regular::{open_regular, read_checked_len};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// torch's magic number 0x1950a86a20f9469cfc6c, little-endian.
const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const PROTOCOL: i64 = 1001;

/// A storage of the legacy format: its class and, for a view, where it
/// sits within its root storage.
struct Legacy {
    dtype: &'static str,
    size: usize,
    root: String,
    offset: u64,
}

fn legacy_id(pid: &Value) -> Result<Legacy, String> {
    let Value::Tuple(items) = pid else {
        return Err(format!("a storage tuple as persistent id, found {pid:?}"));
    };
    let (Some(Value::Global(_, class)), Some(Value::Str(root))) = (items.get(1), items.get(2))
    else {
        return Err(format!(
            "a persistent id (\"storage\", class, key, location, size, view), found {items:?}"
        ));
    };
    let Some((dtype, size)) = storage_dtype(class) else {
        return Err(format!("a torch storage class, found {class:?}"));
    };
    let offset = match items.get(5) {
        Some(Value::Tuple(view)) => match view.get(1) {
            Some(Value::Int(o)) if *o >= 0 => *o as u64,
            _ => return Err(format!("a view (key, offset, size), found {view:?}")),
        },
        _ => 0,
    };
    Ok(Legacy {
        dtype,
        size,
        root: root.to_string(),
        offset,
    })
}

pub(super) fn read(path: &Path) -> Result<Weights, DataError> {
    let (mut file, len) = open_regular(path)?;
    // The whole file is held while its tensors are decoded (each then checked).
    check_cap(path, len.div_ceil(4))?;
    let bytes = read_checked_len(&mut file, len as usize, path)?;
    let fail = |at: usize, expected: String| DataError::format(path, at as u64, expected);
    let mut at = 0usize;
    let mut next = |what: &str| -> Result<(Value, pickle::Arena, usize), DataError> {
        let start = at;
        let (v, arena, used) = pickle::load(&bytes[start..]).map_err(|e| {
            fail(
                start + e.at,
                format!("{} (in the {what} pickle)", e.expected),
            )
        })?;
        at = start + used;
        Ok((v, arena, start))
    };
    match next("magic number")? {
        (Value::BigInt(b), _, _) if *b == MAGIC => {}
        (_, _, s) => return Err(fail(s, "torch's legacy magic number".into())),
    }
    match next("protocol")? {
        (Value::Int(PROTOCOL), _, _) => {}
        (v, _, s) => return Err(fail(s, format!("protocol version {PROTOCOL}, found {v:?}"))),
    }
    let (info, info_arena, info_at) = next("system info")?;
    if let Value::Dict(d) = info {
        let big = info_arena.dicts[d].iter().any(
            |(k, v)| matches!((k, v), (Value::Str(k), Value::Bool(false)) if &**k == "little_endian"),
        );
        if big {
            return Err(fail(info_at, "a little-endian checkpoint".into()));
        }
    }
    let (root, arena, _) = next("object")?;
    let (keys, key_arena, keys_at) = next("storage keys")?;
    let Value::List(k) = keys else {
        return Err(fail(keys_at, "a list of storage keys".into()));
    };
    let keys: Vec<String> = key_arena.lists[k]
        .iter()
        .map(|v| match v {
            Value::Str(s) => Ok(s.to_string()),
            other => Err(fail(keys_at, format!("a storage key, found {other:?}"))),
        })
        .collect::<Result<_, _>>()?;
    let found = tensors(&root, &arena);
    let bad = |name: &str, why: String| {
        DataError::Invalid(format!(
            "{}: tensor {name:?}: expected {why}",
            path.display()
        ))
    };
    // Every storage's class, by root key, to step over the raw sections.
    let mut classes: HashMap<String, (&'static str, usize)> = HashMap::new();
    let mut views = Vec::new();
    for (name, t) in found {
        let id = legacy_id(&t.storage).map_err(|w| bad(&name, w))?;
        classes.insert(id.root.clone(), (id.dtype, id.size));
        views.push((name, t, id));
    }
    let mut sections: HashMap<&str, (usize, usize)> = HashMap::new();
    for key in &keys {
        let Some(&(_, size)) = classes.get(key) else {
            return Err(fail(at, format!("storage {key:?} to be used by a tensor")));
        };
        let Some(head) = bytes.get(at..at + 8) else {
            return Err(fail(
                at,
                format!("the element count of storage {key:?}, found the end"),
            ));
        };
        let numel = u64::from_le_bytes(head.try_into().expect("8 bytes"));
        let n = numel
            .checked_mul(size as u64)
            .filter(|&n| n <= (bytes.len() - at - 8) as u64);
        let Some(n) = n else {
            return Err(fail(
                at,
                format!("storage {key:?} of {numel} elements within the file"),
            ));
        };
        sections.insert(key, (at + 8, n as usize));
        at += 8 + n as usize;
    }
    let mut tensors = BTreeMap::new();
    let mut other = Vec::new();
    let mut elements = 0u64;
    for (name, t, id) in views {
        if !is_float(id.dtype) {
            other.push((name, id.dtype.to_owned()));
            continue;
        }
        let Some(&(start, n)) = sections.get(id.root.as_str()) else {
            return Err(bad(
                &name,
                format!("storage {:?} among the file's keys", id.root),
            ));
        };
        // An overflowing shape counts as unbounded, so the cap refuses it.
        elements = elements.saturating_add(view_len(&t).unwrap_or(u64::MAX));
        check_cap(path, elements)?;
        let skip = (id.offset as usize).saturating_mul(id.size).min(n);
        let storage = &bytes[start + skip..start + n];
        let tensor = view_tensor(&t, id.dtype, id.size, storage).map_err(|w| bad(&name, w))?;
        tensors.insert(name, tensor);
    }
    Ok(Weights {
        path: path.to_path_buf(),
        format: "torch legacy",
        tensors,
        other,
    })
}
