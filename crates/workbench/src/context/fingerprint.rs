//! Stable hashes for cache keys (std's hasher may change between releases).

use geotraj_data::Dataset;

/// FNV-1a, 64 bits.
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A data set's values, hashed bit for bit.
pub fn data_fingerprint(data: &Dataset) -> String {
    format!(
        "{:016x}",
        fnv1a(data.rows.iter().flat_map(|v| v.to_bits().to_le_bytes()))
    )
}
