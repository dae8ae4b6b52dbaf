//! A validator for safetensors files, run before a file is handed to a
//! loader that trusts it: an 8-byte little-endian header length, a JSON
//! header naming each tensor's dtype, shape and byte range, then the data.
//! Only the header is read. Every size is checked with overflow-checked
//! arithmetic against the file's real length, and the tensors must tile the
//! data exactly (no overlap, no hole, nothing after the last), as the
//! format requires.

mod json;

use crate::error::DataError;
use crate::regular::{open_regular, read_checked_len, read_up_to};
use std::path::Path;

/// The largest header accepted, as in the reference implementation.
const MAX_HEADER: u64 = 100_000_000;

/// One tensor as the header describes it. `begin..end` is its byte range
/// within the data, which starts right after the header (at byte 8 plus
/// the header length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub begin: usize,
    pub end: usize,
}

/// Bits per element of each safetensors dtype.
fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "I64" | "U64" | "F64" | "C64" => 64,
        _ => return None,
    })
}

/// Checks a safetensors file's header against the file and returns its
/// tensors in data order. Errors name the file, the byte offset in the file
/// (header positions are counted from the file's start) and the tensor.
pub fn check_safetensors(path: &Path) -> Result<Vec<TensorInfo>, DataError> {
    let (mut file, len) = open_regular(path)?;
    let fail = |offset: u64, expected: String| DataError::format(path, offset, expected);
    let prefix = read_up_to(&mut file, 8).map_err(|e| DataError::io(path, e))?;
    let Ok(prefix) = <[u8; 8]>::try_from(prefix.as_slice()) else {
        return Err(fail(
            len,
            "an 8-byte little-endian header length, found end of file".into(),
        ));
    };
    let n = u64::from_le_bytes(prefix);
    if n > len.saturating_sub(8) {
        return Err(fail(
            0,
            format!(
                "a header length within the {} bytes after the length field, found {n}",
                len.saturating_sub(8)
            ),
        ));
    }
    if n > MAX_HEADER {
        return Err(fail(
            0,
            format!("a header of at most {MAX_HEADER} bytes, found {n}"),
        ));
    }
    let text = read_checked_len(&mut file, n as usize, path)?;
    let entries = json::parse_entries(&text).map_err(|e| fail(8 + e.at as u64, e.expected))?;
    let data_len = len - 8 - n;
    let mut tensors = Vec::with_capacity(entries.len());
    for e in entries {
        let at = |pos: usize| 8 + pos as u64;
        let name = &e.name;
        let Some(bits) = dtype_bits(&e.dtype) else {
            return Err(fail(
                at(e.dtype_at),
                format!(
                    "a safetensors dtype (F64 F32 F16 BF16 I64 I32 I16 I8 U64 U32 U16 U8 BOOL \
                     F8_E5M2 F8_E4M3 F8_E8M0 F6_E2M3 F6_E3M2 F4 C64) for tensor {name:?}, found \
                     {:?}",
                    e.dtype
                ),
            ));
        };
        let overflow = || {
            fail(
                at(e.shape_at),
                format!(
                    "a shape whose size fits in memory for tensor {name:?}, found {:?}",
                    e.shape
                ),
            )
        };
        let shape = e
            .shape
            .iter()
            .map(|&s| usize::try_from(s).map_err(|_| overflow()))
            .collect::<Result<Vec<_>, _>>()?;
        let total_bits = e
            .shape
            .iter()
            .try_fold(bits, |acc, &s| acc.checked_mul(s))
            .ok_or_else(overflow)?;
        // Sub-byte dtypes must fill whole bytes.
        if total_bits % 8 != 0 {
            return Err(fail(
                at(e.shape_at),
                format!(
                    "a whole number of bytes for tensor {name:?}, found shape {:?} of {} ({} bits)",
                    e.shape, e.dtype, total_bits
                ),
            ));
        }
        let nbytes = total_bits / 8;
        let [begin, end] = e.offsets;
        let offsets_err = |expected: String| fail(at(e.offsets_at), expected);
        if begin > end {
            return Err(offsets_err(format!(
                "data_offsets [begin, end] with begin <= end for tensor {name:?}, found \
                 [{begin}, {end}]"
            )));
        }
        if end > data_len {
            return Err(offsets_err(format!(
                "data_offsets within the {data_len} data bytes for tensor {name:?}, found \
                 [{begin}, {end}]"
            )));
        }
        if end - begin != nbytes {
            return Err(offsets_err(format!(
                "{nbytes} bytes for tensor {name:?} (shape {:?} of {}), found data_offsets \
                 [{begin}, {end}] spanning {}",
                e.shape,
                e.dtype,
                end - begin
            )));
        }
        // Both are at most the file length, which fits in memory's range.
        tensors.push((
            TensorInfo {
                name: e.name,
                dtype: e.dtype,
                shape,
                begin: begin as usize,
                end: end as usize,
            },
            at(e.offsets_at),
        ));
    }
    tensors.sort_by_key(|(t, _)| (t.begin, t.end));
    let mut covered = 0usize;
    let mut last: Option<&str> = None;
    for (t, at) in &tensors {
        if t.begin < covered {
            return Err(fail(
                *at,
                format!(
                    "tensor {:?} ([{}, {}]) to start at or after byte {covered} where tensor \
                     {:?} ends, found it overlapping",
                    t.name,
                    t.begin,
                    t.end,
                    last.unwrap_or_default()
                ),
            ));
        }
        if t.begin > covered {
            return Err(fail(
                *at,
                format!(
                    "tensor {:?} ([{}, {}]) to start at data byte {covered}, found a hole of {} \
                     bytes before it (tensors must cover the data contiguously)",
                    t.name,
                    t.begin,
                    t.end,
                    t.begin - covered
                ),
            ));
        }
        covered = t.end;
        last = Some(&t.name);
    }
    if covered as u64 != data_len {
        return Err(fail(
            8 + n + covered as u64,
            format!(
                "the end of the file after the last tensor's data (data byte {covered}), found \
                 {} more bytes",
                data_len - covered as u64
            ),
        ));
    }
    Ok(tensors.into_iter().map(|(t, _)| t).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fifo, temp_file, within_seconds};

    /// A safetensors file with `header` and `data_len` zero bytes of data.
    fn file(header: &str, data_len: usize) -> Vec<u8> {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(header.as_bytes());
        v.resize(v.len() + data_len, 0);
        v
    }

    fn check(header: &str, data_len: usize) -> Result<Vec<TensorInfo>, DataError> {
        let t = temp_file("m.safetensors", &file(header, data_len));
        check_safetensors(t.path())
    }

    fn msg(header: &str, data_len: usize) -> String {
        check(header, data_len).unwrap_err().to_string()
    }

    fn format_offset(e: &DataError) -> u64 {
        match e {
            DataError::Format { offset, .. } => *offset,
            other => panic!("expected a Format error, got {other}"),
        }
    }

    #[test]
    fn valid_file_in_data_order() {
        let header = r#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]},"e":{"dtype":"F4","shape":[0],"data_offsets":[32,32]},"q":{"dtype":"F4","shape":[3,2],"data_offsets":[32,35]}}  "#;
        let ts = check(header, 35).unwrap();
        let names: Vec<&str> = ts.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["b", "w", "e", "q"]);
        assert_eq!(
            ts[1],
            TensorInfo {
                name: "w".into(),
                dtype: "F32".into(),
                shape: vec![2, 3],
                begin: 8,
                end: 32
            }
        );
        assert!(check("{}", 0).unwrap().is_empty());
    }

    #[test]
    fn header_length_checked_against_the_file() {
        let t = temp_file("short.safetensors", &[1, 2, 3]);
        let e = check_safetensors(t.path()).unwrap_err();
        assert_eq!(format_offset(&e), 3);
        let mut bytes = file("{}", 0);
        bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        let t = temp_file("len.safetensors", &bytes);
        let e = check_safetensors(t.path()).unwrap_err().to_string();
        assert!(
            e.contains("len.safetensors: at byte 0") && e.contains("found 18446744073709551615"),
            "{e}"
        );
        // Over the 100 MB limit but within the (sparse) file.
        let t = temp_file("big.safetensors", &[]);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(t.path())
            .unwrap();
        f.set_len(200_000_000).unwrap();
        let mut head = std::fs::OpenOptions::new()
            .write(true)
            .open(t.path())
            .unwrap();
        std::io::Write::write_all(&mut head, &150_000_000u64.to_le_bytes()).unwrap();
        let e = check_safetensors(t.path()).unwrap_err().to_string();
        assert!(e.contains("at most 100000000 bytes"), "{e}");
    }

    #[test]
    fn json_errors_placed_in_the_file() {
        let e = check(
            r#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#,
            0,
        )
        .unwrap_err();
        assert_eq!(format_offset(&e), 8 + 29);
        assert!(e.to_string().contains("non-negative"), "{e}");
    }

    #[test]
    fn tensor_errors_name_the_tensor() {
        let m = msg(
            r#"{"t":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}"#,
            4,
        );
        assert!(
            m.contains("\"t\"") && m.contains("\"F17\"") && m.contains("at byte 22"),
            "{m}"
        );
        let m = msg(
            r#"{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#,
            4,
        );
        assert!(m.contains("fits in memory") && m.contains("\"t\""), "{m}");
        let m = msg(
            r#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,
            8,
        );
        assert!(m.contains("begin <= end"), "{m}");
        let m = msg(
            r#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            4,
        );
        assert!(m.contains("within the 4 data bytes"), "{m}");
        let m = msg(
            r#"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            8,
        );
        assert!(
            m.contains("12 bytes for tensor \"t\"") && m.contains("spanning 8"),
            "{m}"
        );
        let m = msg(
            r#"{"t":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#,
            1,
        );
        assert!(m.contains("whole number of bytes"), "{m}");
    }

    #[test]
    fn overlaps_holes_and_tails_refused() {
        let two = |a: [u64; 2], b: [u64; 2]| {
            format!(
                r#"{{"a":{{"dtype":"U8","shape":[{}],"data_offsets":[{},{}]}},"b":{{"dtype":"U8","shape":[{}],"data_offsets":[{},{}]}}}}"#,
                a[1] - a[0],
                a[0],
                a[1],
                b[1] - b[0],
                b[0],
                b[1]
            )
        };
        let m = msg(&two([0, 6], [4, 8]), 8);
        assert!(
            m.contains("\"b\"") && m.contains("overlapping") && m.contains("\"a\""),
            "{m}"
        );
        let m = msg(&two([0, 4], [6, 8]), 8);
        assert!(m.contains("hole of 2 bytes") && m.contains("\"b\""), "{m}");
        let m = msg(&two([2, 4], [4, 8]), 8);
        assert!(m.contains("hole of 2 bytes") && m.contains("\"a\""), "{m}");
        let header = two([0, 4], [4, 8]);
        let e = check(&header, 10).unwrap_err();
        assert_eq!(format_offset(&e), (8 + header.len() + 8) as u64);
        assert!(e.to_string().contains("2 more bytes"), "{e}");
        assert_eq!(check(&header, 8).unwrap().len(), 2);
    }

    #[test]
    fn special_files_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_safetensors(dir.path()).unwrap_err().to_string();
        assert!(e.contains("a directory"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = within_seconds("check /dev/zero", || {
                check_safetensors(Path::new("/dev/zero"))
            })
            .unwrap_err()
            .to_string();
            assert!(e.contains("character device"), "{e}");
        }
        if let Some(p) = fifo(dir.path(), "m.safetensors") {
            let e = within_seconds("check a FIFO", move || check_safetensors(&p))
                .unwrap_err()
                .to_string();
            assert!(e.contains("FIFO"), "{e}");
        }
    }
}
