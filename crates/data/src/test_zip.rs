//! A minimal ZIP writer for the .npz tests: local headers, central
//! directory, end record; no data descriptors.

use crate::zip::{CENTRAL_SIG, END_SIG, LOCAL_SIG};
use std::io::Write;

pub(crate) use crate::zip::crc32;

/// How the test writer stores a member.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Store {
    Stored,
    Deflated,
    /// Stored, with NumPy's ZIP64-style local header (sizes 0xFFFFFFFF
    /// plus a ZIP64 extra field holding the real ones).
    NumpyStyle,
}

/// A minimal ZIP writer for the tests: local headers, central
/// directory, end record; no data descriptors.
pub(crate) fn zip(members: &[(&str, Vec<u8>, Store)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, store) in members {
        let crc = crc32(data);
        let body = if *store == Store::Deflated {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        } else {
            data.clone()
        };
        let method: u16 = if *store == Store::Deflated { 8 } else { 0 };
        let (csize, size) = (body.len() as u32, data.len() as u32);
        let local_at = out.len() as u32;
        let mut extra = Vec::new();
        let (local_csize, local_size) = if *store == Store::NumpyStyle {
            extra.extend_from_slice(&1u16.to_le_bytes());
            extra.extend_from_slice(&16u16.to_le_bytes());
            extra.extend_from_slice(&u64::from(size).to_le_bytes());
            extra.extend_from_slice(&u64::from(csize).to_le_bytes());
            (u32::MAX, u32::MAX)
        } else {
            (csize, size)
        };
        out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0]); // version needed, flags
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // time, date
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&local_csize.to_le_bytes());
        out.extend_from_slice(&local_size.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&extra);
        out.extend_from_slice(&body);

        central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        central.extend_from_slice(&[20, 3, 20, 0, 0, 0]); // made by, needed, flags
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0; 4]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&csize.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attrs
        central.extend_from_slice(&[0; 4]); // external attrs
        central.extend_from_slice(&local_at.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&END_SIG.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    let count = (members.len() as u16).to_le_bytes();
    out.extend_from_slice(&count);
    out.extend_from_slice(&count);
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_at.to_le_bytes());
    out.extend_from_slice(&[0, 0]); // comment length
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }
}
