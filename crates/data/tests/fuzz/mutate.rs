//! The mutations a case applies to a seed, and the proptest strategy that
//! draws them. Header numbers are drawn mostly from hostile values (0, 1,
//! sign bits, all ones, powers of two whose products overflow).

use super::seeds::{Field, Num};
use proptest::prelude::*;
use proptest::sample::Index;

/// Values written into header fields, truncated to the field's width, so
/// each also yields that width's all-ones or sign-bit pattern.
pub const HOSTILE: [u64; 26] = [
    0,
    1,
    2,
    3,
    7,
    8,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x7FFF,
    0xFFFF,
    0x1_0000,
    0xFF_FFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFE,
    0xFFFF_FFFF,
    0x1_0000_0000,
    1 << 40,
    0x8000_8000_8000_8000,
    i64::MAX as u64,
    1 << 63,
    u64::MAX - 1,
    u64::MAX,
    100_000,
];

/// Raw texts for text headers: negatives, fractions, exponents, numbers
/// past 2^64, and things that are not numbers at all.
pub const TEXTS: [&str; 10] = [
    "-1",
    "1.5",
    "1e9",
    "18446744073709551616",
    "99999999999999999999999",
    "",
    "None",
    "01",
    "\"3\"",
    "[]",
];

#[derive(Debug, Clone)]
pub enum Mutation {
    /// Flip one bit.
    Flip(Index, u8),
    /// Overwrite one byte.
    Set(Index, u8),
    /// Cut the input at a point (possibly to nothing).
    Truncate(Index),
    /// Append junk.
    Extend(Vec<u8>),
    /// Write a hostile value into a numeric header field.
    Field(Index, Index),
}

/// One fuzz case: optional structured numbers for the seed builder, then
/// mutations of the inner bytes (before any compression or container),
/// the container's variant, and mutations of the final bytes.
#[derive(Debug, Clone)]
pub struct Case {
    pub nums: Option<Vec<Num>>,
    pub inner: Vec<Mutation>,
    pub variant: bool,
    pub outer: Vec<Mutation>,
}

fn num() -> impl Strategy<Value = Num> {
    prop_oneof![
        5 => any::<Index>().prop_map(|i| Num::V(HOSTILE[i.index(HOSTILE.len())])),
        3 => (0u64..64).prop_map(Num::V),
        1 => any::<u64>().prop_map(Num::V),
        1 => any::<Index>().prop_map(|i| Num::T(TEXTS[i.index(TEXTS.len())])),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => proptest::collection::vec(any::<u8>(), 1..64).prop_map(Mutation::Extend),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(f, v)| Mutation::Field(f, v)),
    ]
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        proptest::option::weighted(0.4, proptest::collection::vec(num(), 0..6)),
        proptest::collection::vec(mutation(), 0..4),
        any::<bool>(),
        proptest::collection::vec(mutation(), 0..3),
    )
        .prop_map(|(nums, inner, variant, outer)| Case {
            nums,
            inner,
            variant,
            outer,
        })
}

/// Applies `muts` in order; field positions refer to the unmutated layout
/// and are skipped once the input no longer reaches them.
pub fn apply(bytes: &mut Vec<u8>, fields: &[Field], muts: &[Mutation]) {
    for m in muts {
        match m {
            Mutation::Flip(i, bit) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes[at] ^= 1 << bit;
            }
            Mutation::Set(i, b) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            Mutation::Truncate(i) => {
                let at = i.index(bytes.len() + 1);
                bytes.truncate(at);
            }
            Mutation::Extend(junk) => bytes.extend_from_slice(junk),
            Mutation::Field(f, v) if !fields.is_empty() => {
                let field = fields[f.index(fields.len())];
                field.write(bytes, HOSTILE[v.index(HOSTILE.len())]);
            }
            _ => {}
        }
    }
}
