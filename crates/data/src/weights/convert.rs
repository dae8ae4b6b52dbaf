//! Little-endian floating bytes to f32: F32 as is, F64 rounded, F16 and
//! BF16 widened exactly (every half value is an f32 value).

/// Bytes per element of the floating dtypes read, by safetensors name.
pub(super) fn float_size(dtype: &str) -> Option<usize> {
    match dtype {
        "F32" => Some(4),
        "F16" | "BF16" => Some(2),
        "F64" => Some(8),
        _ => None,
    }
}

/// The dtype's static name, for `WeightTensor::dtype`.
pub(super) fn float_name(dtype: &str) -> &'static str {
    match dtype {
        "F32" => "F32",
        "F16" => "F16",
        "BF16" => "BF16",
        _ => "F64",
    }
}

/// IEEE binary16 to f32, subnormals, infinities and NaN included.
pub(super) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: m · 2^-24, renormalised.
            let shift = m.leading_zeros() - 21;
            let m = (m << shift) & 0x3ff;
            sign | ((113 - shift) << 23) | (m << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Decodes `bytes` (a whole number of elements) of `dtype` into `out`.
pub(super) fn decode(dtype: &str, bytes: &[u8], out: &mut Vec<f32>) {
    match dtype {
        "F32" => out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
        "F16" => out.extend(
            bytes
                .chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))),
        ),
        "BF16" => out.extend(
            bytes
                .chunks_exact(2)
                .map(|c| f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16)),
        ),
        _ => out.extend(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_values_widen_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14));
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
        let mut out = Vec::new();
        decode("BF16", &[0x80, 0x3f, 0x49, 0x40], &mut out);
        assert_eq!(out, [1.0, 3.140625]);
        decode("F64", &0.1f64.to_le_bytes(), &mut out);
        assert_eq!(out[2], 0.1f32);
    }
}
