//! Small valid inputs for every loader, built from optional structured
//! numbers (dimensions, shapes, offsets) so that hostile values land in
//! headers that are otherwise consistent and reach the deep checks. Each
//! input lists its numeric header fields for the field mutations.

use std::io::Write;

/// A number for a header: a value, or raw text for text headers (.npy
/// shape tuples, safetensors JSON).
#[derive(Debug, Clone)]
pub enum Num {
    V(u64),
    T(&'static str),
}

impl Num {
    fn text(&self) -> String {
        match self {
            Num::V(v) => v.to_string(),
            Num::T(t) => (*t).to_string(),
        }
    }

    fn value(&self) -> u64 {
        match self {
            Num::V(v) => *v,
            Num::T(_) => 7,
        }
    }
}

/// A numeric header field: position, width in bytes and byte order.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub at: usize,
    pub width: usize,
    pub big_endian: bool,
}

impl Field {
    fn le(at: usize, width: usize) -> Self {
        Field {
            at,
            width,
            big_endian: false,
        }
    }

    fn be(at: usize, width: usize) -> Self {
        Field {
            at,
            width,
            big_endian: true,
        }
    }

    /// Writes the low `width` bytes of `v`; false when out of range.
    pub fn write(&self, bytes: &mut [u8], v: u64) -> bool {
        let Some(slot) = bytes.get_mut(self.at..self.at + self.width) else {
            return false;
        };
        let le = v.to_le_bytes();
        for (i, b) in slot.iter_mut().enumerate() {
            let k = if self.big_endian {
                self.width - 1 - i
            } else {
                i
            };
            *b = le[k];
        }
        true
    }
}

/// Bytes plus their numeric header fields.
pub struct Built {
    pub bytes: Vec<u8>,
    pub fields: Vec<Field>,
}

/// The product of the dimensions when it is small enough to supply that
/// much data; hostile shapes get a token amount instead.
fn small_product(dims: &[u64], limit: u64) -> Option<u64> {
    dims.iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .filter(|&p| p <= limit)
}

fn ramp(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 37 % 251) as u8).collect()
}

/// An IDX file of unsigned bytes; defaults to dimensions (2, 3, 4).
pub fn idx(nums: Option<&[Num]>) -> Built {
    let dims: Vec<u64> = match nums {
        Some(n) => n
            .iter()
            .take(255)
            .map(|x| x.value() & 0xFFFF_FFFF)
            .collect(),
        None => vec![2, 3, 4],
    };
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    let mut fields = vec![Field::le(3, 1)];
    for (i, d) in dims.iter().enumerate() {
        fields.push(Field::be(4 + 4 * i, 4));
        bytes.extend_from_slice(&(*d as u32).to_be_bytes());
    }
    let data = small_product(&dims, 4096).unwrap_or(16) as usize;
    bytes.extend(ramp(data));
    Built { bytes, fields }
}

/// Gzip-compresses, as one member or split into two.
pub fn gzip(inner: &[u8], two_members: bool) -> Built {
    let member = |b: &[u8]| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b).unwrap();
        enc.finish().unwrap()
    };
    let mut bytes = if two_members {
        let cut = inner.len() / 2;
        let mut v = member(&inner[..cut]);
        v.extend(member(&inner[cut..]));
        v
    } else {
        member(inner)
    };
    // Flags, mtime, and the last member's CRC-32 and length.
    let n = bytes.len();
    let fields = vec![
        Field::le(3, 1),
        Field::le(4, 4),
        Field::le(n - 8, 4),
        Field::le(n - 4, 4),
    ];
    bytes.shrink_to_fit();
    Built { bytes, fields }
}

/// A float32 .npy file; defaults to shape (3, 2).
pub fn npy(nums: Option<&[Num]>) -> Built {
    let default = [Num::V(3), Num::V(2)];
    let dims = nums.unwrap_or(&default);
    let tuple: String = dims.iter().map(|d| format!("{}, ", d.text())).collect();
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({tuple}), }}");
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    let values: Vec<u64> = dims.iter().map(Num::value).collect();
    let count = small_product(&values, 4096).unwrap_or(4) as usize;
    for i in 0..count {
        bytes.extend_from_slice(&(i as f32 * 0.25 - 1.0).to_le_bytes());
    }
    Built {
        bytes,
        fields: vec![Field::le(6, 1), Field::le(8, 2)],
    }
}

/// A ZIP archive of .npy members, stored or deflated, with correct CRCs.
pub fn zip(members: &[(&str, &[u8])], deflate: bool) -> Built {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut fields = Vec::new();
    let mut central_fields = Vec::new();
    for (name, data) in members {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let body = if deflate {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        } else {
            data.to_vec()
        };
        let method: u16 = if deflate { 8 } else { 0 };
        let local_at = out.len();
        // signature, version, flags, method, time, date, crc, sizes, name and extra lengths
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0]);
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        for (at, w) in [(8, 2), (18, 4), (22, 4), (26, 2), (28, 2)] {
            fields.push(Field::le(local_at + at, w));
        }

        let entry_at = central.len();
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 3, 20, 0, 0, 0]);
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0; 4]);
        central.extend_from_slice(&crc.sum().to_le_bytes());
        central.extend_from_slice(&(body.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&(local_at as u32).to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        for (at, w) in [
            (8, 2),
            (10, 2),
            (20, 4),
            (24, 4),
            (28, 2),
            (30, 2),
            (32, 2),
            (42, 4),
        ] {
            central_fields.push((entry_at + at, w));
        }
    }
    let cd_at = out.len();
    fields.extend(
        central_fields
            .iter()
            .map(|&(at, w)| Field::le(cd_at + at, w)),
    );
    out.extend_from_slice(&central);
    let end = out.len();
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let count = (members.len() as u16).to_le_bytes();
    out.extend_from_slice(&count);
    out.extend_from_slice(&count);
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&(cd_at as u32).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    for (at, w) in [(4, 2), (8, 2), (10, 2), (12, 4), (16, 4), (20, 2)] {
        fields.push(Field::le(end + at, w));
    }
    Built { bytes: out, fields }
}

/// Recomputes the CRC of every chunk that lies within the file, so that
/// mutated chunks reach the decoder's checks past the CRC.
pub fn fix_png_crcs(bytes: &mut [u8]) {
    let mut at = 8;
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let Some(end) = (at + 8).checked_add(len as usize) else {
            return;
        };
        if end + 4 > bytes.len() {
            return;
        }
        let mut crc = flate2::Crc::new();
        crc.update(&bytes[at + 4..end]);
        bytes[end..end + 4].copy_from_slice(&crc.sum().to_be_bytes());
        at = end + 4;
    }
}

/// A 3 x 2 RGB PNG; hostile width and height, when given, are written into
/// its IHDR with the CRC fixed.
pub fn png(nums: Option<&[Num]>) -> Built {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, 3, 2);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&ramp(18)).unwrap();
    }
    let fields = vec![
        Field::be(16, 4),
        Field::be(20, 4),
        Field::le(24, 1),
        Field::le(25, 1),
        Field::le(28, 1),
        Field::be(33, 4),
    ];
    if let Some(n) = nums {
        for (f, v) in fields.iter().zip(n) {
            f.write(&mut bytes, v.value());
        }
        fix_png_crcs(&mut bytes);
    }
    Built { bytes, fields }
}

/// A CIFAR-10 batch of 1 to 3 records (`nums` picks the count and labels).
pub fn cifar(nums: Option<&[Num]>) -> Built {
    let n = nums
        .and_then(|n| n.first())
        .map_or(2, |v| v.value() % 3 + 1) as usize;
    let mut bytes = Vec::new();
    let mut fields = Vec::new();
    for i in 0..n {
        let label = nums
            .and_then(|n| n.get(i + 1))
            .map_or(i as u64 % 10, Num::value);
        fields.push(Field::le(bytes.len(), 1));
        bytes.push(label as u8);
        bytes.extend(ramp(3072));
    }
    Built { bytes, fields }
}

/// A safetensors file of two tensors, "a" (F32) and "b" (U8). Given
/// numbers replace, in order: a's two dimensions, a's offsets, b's one
/// dimension, b's offsets.
pub fn safetensors(nums: Option<&[Num]>) -> Built {
    let default = [2, 3, 0, 24, 4, 24, 28].map(Num::V);
    let mut slots: Vec<String> = default.iter().map(Num::text).collect();
    let mut end = 28u64;
    if let Some(n) = nums {
        for (slot, v) in slots.iter_mut().zip(n) {
            *slot = v.text();
        }
        end = n.get(6).map_or(28, Num::value).min(4096);
    }
    let s = |i: usize| &slots[i];
    let header = format!(
        r#"{{"__metadata__":{{"format":"pt"}},"a":{{"dtype":"F32","shape":[{},{}],"data_offsets":[{},{}]}},"b":{{"dtype":"U8","shape":[{}],"data_offsets":[{},{}]}}}}"#,
        s(0),
        s(1),
        s(2),
        s(3),
        s(4),
        s(5),
        s(6)
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend(ramp(end as usize));
    Built {
        bytes,
        fields: vec![Field::le(0, 8)],
    }
}
