//! Hand-built checkpoints in both torch formats and safetensors: names,
//! dtypes, strided views and every refusal. Parity with files torch itself
//! wrote is tested in the denoise crate's pretrained fixtures.

use super::pickle::write::{global, int, proto, str, tuple};
use super::read_weights;
use crate::test_zip::{Store, zip};
use crate::testutil::temp_file;

/// Pickles `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`.
fn tensor(
    p: &mut Vec<u8>,
    class: &str,
    key: &str,
    numel: u32,
    offset: u32,
    size: &[u32],
    stride: &[u32],
) {
    global(p, "torch._utils", "_rebuild_tensor_v2");
    p.push(b'(');
    p.push(b'(');
    str(p, "storage");
    global(p, "torch", class);
    str(p, key);
    str(p, "cpu");
    int(p, numel);
    p.extend_from_slice(b"tQ");
    int(p, offset);
    tuple(p, size);
    tuple(p, stride);
    p.push(0x89);
    global(p, "collections", "OrderedDict");
    p.extend_from_slice(b")RtR");
}

/// {"state_dict": OrderedDict(w: 2x3 f32, wt: its transpose, h: f16 [2], n: i64 []), "step": 7}
fn object(w_stride: &[u32]) -> Vec<u8> {
    let mut p = proto();
    p.extend_from_slice(b"}(");
    str(&mut p, "state_dict");
    global(&mut p, "collections", "OrderedDict");
    p.extend_from_slice(b")R(");
    str(&mut p, "w");
    tensor(&mut p, "FloatStorage", "0", 6, 0, &[2, 3], w_stride);
    str(&mut p, "wt");
    tensor(&mut p, "FloatStorage", "0", 6, 0, &[3, 2], &[1, 3]);
    str(&mut p, "h");
    tensor(&mut p, "HalfStorage", "1", 3, 1, &[2], &[1]);
    str(&mut p, "n");
    tensor(&mut p, "LongStorage", "2", 1, 0, &[], &[]);
    p.extend_from_slice(b"u");
    str(&mut p, "step");
    p.extend_from_slice(b"K\x07u.");
    p
}

fn storages() -> [Vec<u8>; 3] {
    let f: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
    // f16: 0, 1.0, -2.0
    let h = vec![0, 0, 0x00, 0x3c, 0x00, 0xc0];
    [f, h, 7i64.to_le_bytes().to_vec()]
}

fn zip_checkpoint(pickle: Vec<u8>, store: Store) -> Vec<u8> {
    let [f, h, n] = storages();
    zip(&[
        ("archive/data.pkl", pickle, store),
        ("archive/data/0", f, Store::Stored),
        ("archive/data/1", h, Store::Stored),
        ("archive/data/2", n, Store::Stored),
        ("archive/version", b"3\n".to_vec(), Store::Stored),
    ])
}

fn legacy_checkpoint(object_pickle: Vec<u8>) -> Vec<u8> {
    let mut out = proto();
    out.extend_from_slice(&[
        0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, b'.',
    ]);
    out.extend_from_slice(&proto());
    out.extend_from_slice(b"M\xe9\x03.");
    out.extend_from_slice(&proto());
    out.extend_from_slice(b"}(");
    str(&mut out, "little_endian");
    out.extend_from_slice(b"\x88u.");
    out.extend_from_slice(&object_pickle);
    out.extend_from_slice(&proto());
    out.extend_from_slice(b"](");
    for k in ["0", "1", "2"] {
        str(&mut out, k);
    }
    out.extend_from_slice(b"e.");
    for (s, numel) in storages().into_iter().zip([6u64, 3, 1]) {
        out.extend_from_slice(&numel.to_le_bytes());
        out.extend_from_slice(&s);
    }
    out
}

fn check_contents(w: &super::Weights) {
    let names: Vec<&str> = w.tensors.keys().map(|s| s.as_str()).collect();
    assert_eq!(names, ["state_dict.h", "state_dict.w", "state_dict.wt"]);
    let t = &w.tensors["state_dict.w"];
    assert_eq!((t.shape.as_slice(), t.dtype), (&[2, 3][..], "F32"));
    assert_eq!(t.values, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(
        w.tensors["state_dict.wt"].values,
        [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    );
    let h = &w.tensors["state_dict.h"];
    assert_eq!((h.dtype, h.values.as_slice()), ("F16", &[1.0, -2.0][..]));
    assert_eq!(w.other, [("state_dict.n".to_owned(), "I64".to_owned())]);
    assert_eq!(w.parameters(), 14);
}

#[test]
fn zip_checkpoints_read_with_names_dtypes_and_views() {
    let f = temp_file("m.pt", &zip_checkpoint(object(&[3, 1]), Store::Stored));
    let w = read_weights(f.path()).unwrap();
    assert_eq!(w.format, "torch zip");
    check_contents(&w);
}

#[test]
fn legacy_checkpoints_read_the_same() {
    let f = temp_file("m.ckpt", &legacy_checkpoint(object(&[3, 1])));
    let w = read_weights(f.path()).unwrap();
    assert_eq!(w.format, "torch legacy");
    check_contents(&w);
    // A truncated storage section is placed in the file.
    let bytes = legacy_checkpoint(object(&[3, 1]));
    let f = temp_file("cut.ckpt", &bytes[..bytes.len() - 3]);
    let e = read_weights(f.path()).unwrap_err().to_string();
    assert!(
        e.contains("storage \"2\" of 1 elements within the file"),
        "{e}"
    );
}

#[test]
fn bad_checkpoints_refused_with_the_tensor_named() {
    // A view past its storage's end.
    let f = temp_file("v.pt", &zip_checkpoint(object(&[4, 1]), Store::Stored));
    let e = read_weights(f.path()).unwrap_err().to_string();
    assert!(
        e.contains("\"state_dict.w\"") && e.contains("within its storage of 6"),
        "{e}"
    );
    // A compressed pickle (re-zipped by hand) is not what torch writes.
    let f = temp_file("d.pt", &zip_checkpoint(object(&[3, 1]), Store::Deflated));
    let e = read_weights(f.path()).unwrap_err().to_string();
    assert!(
        e.contains("stored (uncompressed) member \"archive/data.pkl\""),
        "{e}"
    );
    // A storage member missing.
    let [f0, ..] = storages();
    let bytes = zip(&[
        ("a/data.pkl", object(&[3, 1]), Store::Stored),
        ("a/data/0", f0, Store::Stored),
    ]);
    let f = temp_file("s.pt", &bytes);
    let e = read_weights(f.path()).unwrap_err().to_string();
    assert!(e.contains("member \"a/data/1\", found none"), "{e}");
    // A ZIP that is not a checkpoint, a pickle cut short, an unknown file.
    let f = temp_file("z.zip", &zip(&[("x.npy", vec![1], Store::Stored)]));
    let e = read_weights(f.path()).unwrap_err().to_string();
    assert!(e.contains("without a data.pkl"), "{e}");
    let mut p = object(&[3, 1]);
    p.truncate(40);
    let f = temp_file("t.pt", &zip_checkpoint(p, Store::Stored));
    let e = read_weights(f.path()).unwrap_err().to_string();
    assert!(e.contains("in the pickle \"archive/data.pkl\""), "{e}");
    let f = temp_file("e.bin", &[0; 16]);
    let e = read_weights(f.path()).unwrap_err().to_string();
    assert!(e.contains("a weights file: safetensors"), "{e}");
}

#[test]
fn safetensors_weights_widen_to_f32() {
    let header = r#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&[0x00, 0x3c, 0x00, 0xc0]);
    bytes.extend_from_slice(&0.5f32.to_le_bytes());
    bytes.extend_from_slice(&3i64.to_le_bytes());
    let f = temp_file("m.safetensors", &bytes);
    let w = read_weights(f.path()).unwrap();
    assert_eq!(w.format, "safetensors");
    assert_eq!(w.tensors["a"].values, [1.0, -2.0]);
    assert_eq!(w.tensors["b"].values, [0.5]);
    assert_eq!(w.other, [("i".to_owned(), "I64".to_owned())]);
}

#[test]
fn weights_over_the_cap_refused_before_reading() {
    let header = r#"{"a":{"dtype":"F32","shape":[64],"data_offsets":[0,256]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + 256, 0);
    let f = temp_file("big.safetensors", &bytes);
    crate::limits::TEST_CAP.with(|c| c.set(Some(100)));
    let e = read_weights(f.path()).unwrap_err().to_string();
    crate::limits::TEST_CAP.with(|c| c.set(None));
    assert!(e.contains("256 bytes as f32, over the 100-byte cap"), "{e}");
}

#[test]
fn an_overflowing_shape_is_refused_not_wrapped() {
    // 2^32 x 2^32 elements wrap to 0 in u64: the cap must still refuse it.
    let mut p = proto();
    p.extend_from_slice(b"}(");
    str(&mut p, "w");
    tensor(
        &mut p,
        "FloatStorage",
        "0",
        6,
        0,
        &[65536, 65536, 65536, 65536],
        &[0, 0, 0, 0],
    );
    p.extend_from_slice(b"u.");
    let f = temp_file("big.pt", &zip_checkpoint(p, Store::Stored));
    let e = read_weights(f.path()).unwrap_err().to_string();
    assert!(e.contains("over the") && e.contains("cap"), "{e}");
}
