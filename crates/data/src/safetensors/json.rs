//! The JSON of a safetensors header, parsed by its schema rather than as a
//! general tree: an object whose values are either `__metadata__` (an
//! object of strings) or tensor entries (`dtype` string, `shape` array of
//! integers, `data_offsets` array of two integers). Nesting is fixed, so a
//! hostile header cannot recurse, and every value keeps its position for
//! error messages. Strings follow RFC 8259 (escapes, surrogate pairs);
//! integers must be non-negative, without fraction or exponent.

use crate::cursor::Cursor;
/// A parse failure at a position within the header text.
pub(super) use crate::cursor::ParseError as JsonError;

/// One tensor entry as written, positions within the header text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub name: String,
    pub name_at: usize,
    pub dtype: String,
    pub dtype_at: usize,
    pub shape: Vec<u64>,
    pub shape_at: usize,
    pub offsets: [u64; 2],
    pub offsets_at: usize,
}

// This language's values, on the shared cursor.
impl Cursor<'_> {
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0;
        for _ in 0..4 {
            let Some(d) = self.s.get(self.pos).and_then(|&b| (b as char).to_digit(16)) else {
                return self.fail("four hex digits after \\u");
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    /// A string; the text was checked to be UTF-8 as a whole beforehand.
    fn string(&mut self) -> Result<String, JsonError> {
        self.ws();
        if self.s.get(self.pos) != Some(&b'"') {
            return self.fail("a string");
        }
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.pos) else {
                return self.fail("a closing '\"'");
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    // Escapes produce whole chars and raw bytes are UTF-8.
                    return Ok(String::from_utf8(out).unwrap_or_default());
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(&e) = self.s.get(self.pos) else {
                        return self.fail("an escape");
                    };
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => {
                            self.pos -= 1;
                            return self.fail("an escape \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u");
                        }
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0..=0x1F => return self.fail("no raw control character in a string"),
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// The char of a \u escape (after "\u"), joining surrogate pairs.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let start = self.pos;
        let hi = self.hex4()?;
        let code = match hi {
            0xD800..=0xDBFF => {
                if !self.s[self.pos..].starts_with(b"\\u") {
                    return self.fail("a low surrogate \\uDC00-\\uDFFF after a high one");
                }
                self.pos += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    self.pos -= 6;
                    return self.fail("a low surrogate \\uDC00-\\uDFFF after a high one");
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => {
                self.pos = start;
                return self.fail("no lone low surrogate");
            }
            c => c,
        };
        char::from_u32(code).map_or_else(|| self.fail("a valid code point"), Ok)
    }

    /// A non-negative integer that fits in u64.
    fn uint(&mut self) -> Result<u64, JsonError> {
        self.ws();
        let start = self.pos;
        if self.s.get(self.pos) == Some(&b'-') {
            return self.fail("a non-negative integer");
        }
        while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let digits = &self.s[start..self.pos];
        if digits.is_empty() {
            return self.fail("a non-negative integer");
        }
        if digits.len() > 1 && digits[0] == b'0' {
            self.pos = start;
            return self.fail("an integer without leading zeros");
        }
        if matches!(self.s.get(self.pos), Some(b'.' | b'e' | b'E')) {
            return self.fail("an integer (no fraction or exponent)");
        }
        // ASCII digits, so the conversion cannot fail; the value may overflow.
        let text = std::str::from_utf8(digits).unwrap_or("");
        text.parse::<u64>().or_else(|_| {
            self.pos = start;
            self.fail("an integer below 2^64")
        })
    }

    fn uint_array(&mut self) -> Result<Vec<u64>, JsonError> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(items);
        }
        loop {
            items.push(self.uint()?);
            if self.eat(b']') {
                return Ok(items);
            }
            self.expect(b',')?;
        }
    }

    /// Members of an object, `{` already eaten: calls `f` for each key (at
    /// its position) with the parser on the value.
    fn members(
        &mut self,
        mut f: impl FnMut(&mut Self, String, usize) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.ws();
            let key_at = self.pos;
            let key = self.string()?;
            self.expect(b':')?;
            self.ws();
            f(self, key, key_at)?;
            if self.eat(b'}') {
                return Ok(());
            }
            self.expect(b',')?;
        }
    }

    fn metadata(&mut self) -> Result<(), JsonError> {
        self.expect(b'{')?;
        let mut keys = std::collections::HashSet::new();
        self.members(|p, key, at| {
            if !keys.insert(key) {
                p.pos = at;
                return p.fail("no repeated key in __metadata__");
            }
            p.string().map(|_| ())
        })
    }

    fn entry(&mut self, name: String, name_at: usize) -> Result<Entry, JsonError> {
        let open = self.pos;
        self.expect(b'{')?;
        let (mut dtype, mut shape, mut offsets) = (None, None, None);
        self.members(|p, key, key_at| {
            let at = p.pos;
            let seen = match key.as_str() {
                "dtype" => dtype.replace((p.string()?, at)).is_some(),
                "shape" => shape.replace((p.uint_array()?, at)).is_some(),
                "data_offsets" => {
                    let v = p.uint_array()?;
                    let &[begin, end] = v.as_slice() else {
                        p.pos = at;
                        return p.fail("data_offsets as [begin, end]");
                    };
                    offsets.replace(([begin, end], at)).is_some()
                }
                _ => {
                    p.pos = key_at;
                    return p.fail("only dtype, shape and data_offsets in a tensor entry");
                }
            };
            if seen {
                p.pos = key_at;
                return p.fail(format!("no second {key:?}"));
            }
            Ok(())
        })?;
        let missing = |k: &str| JsonError {
            at: open,
            expected: format!("a {k:?} in the entry of tensor {name:?}"),
        };
        let (dtype, dtype_at) = dtype.ok_or_else(|| missing("dtype"))?;
        let (shape, shape_at) = shape.ok_or_else(|| missing("shape"))?;
        let (offsets, offsets_at) = offsets.ok_or_else(|| missing("data_offsets"))?;
        Ok(Entry {
            name,
            name_at,
            dtype,
            dtype_at,
            shape,
            shape_at,
            offsets,
            offsets_at,
        })
    }
}

/// Parses the header text into its tensor entries, in header order; the
/// `__metadata__` entry is checked (an object of strings) and dropped.
/// Names must be unique. Only whitespace may follow the top object.
pub(super) fn parse_entries(text: &[u8]) -> Result<Vec<Entry>, JsonError> {
    if let Err(e) = std::str::from_utf8(text) {
        return Err(JsonError {
            at: e.valid_up_to(),
            expected: "UTF-8 text in the header".into(),
        });
    }
    let mut p = Cursor::new(text, "the header JSON");
    if text.first() != Some(&b'{') {
        return p.fail("'{' as the header's first byte");
    }
    p.pos = 1;
    let mut entries = Vec::new();
    let mut names = std::collections::HashSet::new();
    let mut metadata = false;
    p.members(|p, name, at| {
        if name == "__metadata__" {
            if std::mem::replace(&mut metadata, true) {
                p.pos = at;
                return p.fail("no second \"__metadata__\"");
            }
            return p.metadata();
        }
        if !names.insert(name.clone()) {
            p.pos = at;
            return p.fail(format!("no second tensor named {name:?}"));
        }
        entries.push(p.entry(name, at)?);
        Ok(())
    })?;
    p.ws();
    if p.pos != text.len() {
        return p.fail("only whitespace after the header object");
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_metadata_and_padding() {
        let text = br#"{"__metadata__":{"format":"pt","k\u00e9y":"v\"q"},
            "b":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},
            "a\ud83d\ude00":{"data_offsets":[24,24],"shape":[0],"dtype":"U8"}}   "#;
        let e = parse_entries(text).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, "b");
        assert_eq!(
            (e[0].dtype.as_str(), e[0].shape.as_slice()),
            ("F32", &[2, 3][..])
        );
        assert_eq!(e[0].offsets, [0, 24]);
        assert_eq!(e[1].name, "a\u{1F600}");
        assert_eq!(&text[e[0].name_at..e[0].name_at + 3], b"\"b\"");
        assert!(parse_entries(b"{}").unwrap().is_empty());
        assert!(parse_entries(b"{ }").unwrap().is_empty());
    }

    fn err(text: &[u8]) -> JsonError {
        parse_entries(text).unwrap_err()
    }

    #[test]
    fn errors_carry_positions() {
        assert_eq!(err(b" {}").at, 0);
        assert_eq!(err(b"[]").at, 0);
        let e = err(br#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#);
        assert_eq!(e.at, 29);
        assert!(e.expected.contains("non-negative"), "{}", e.expected);
        let e = err(br#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}"#);
        assert!(e.expected.contains("no fraction"), "{}", e.expected);
        let e =
            err(br#"{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,0]}}"#);
        assert_eq!(e.at, 29);
        assert!(e.expected.contains("2^64"), "{}", e.expected);
        let e = err(br#"{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,0]}}"#);
        assert!(e.expected.contains("leading zeros"), "{}", e.expected);
        let e = err(br#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0]}}"#);
        assert!(e.expected.contains("[begin, end]"), "{}", e.expected);
        let e = err(br#"{"a":{"dtype":"F32","shape":[]}}"#);
        assert_eq!(e.at, 5);
        assert!(e.expected.contains("data_offsets") && e.expected.contains("\"a\""));
        let e = err(br#"{"a":{"dtype":"F32","dtype":"F32"}}"#);
        assert!(e.expected.contains("second \"dtype\""), "{}", e.expected);
        let e = err(br#"{"a":{"extra":1}}"#);
        assert!(e.expected.contains("only dtype"), "{}", e.expected);
        let e = err(br#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,0]},"a":{}}"#);
        assert_eq!(e.at, 53);
        assert!(
            e.expected.contains("second tensor named \"a\""),
            "{}",
            e.expected
        );
        let e = err(br#"{"__metadata__":{"k":1}}"#);
        assert!(e.expected.contains("a string"), "{}", e.expected);
        let e = err(br#"{"__metadata__":{},"__metadata__":{}}"#);
        assert!(
            e.expected.contains("second \"__metadata__\""),
            "{}",
            e.expected
        );
        assert!(err(b"{} x").expected.contains("only whitespace"));
        assert!(
            err(b"{\"a\x01\":{}}")
                .expected
                .contains("control character")
        );
        assert!(err(br#"{"\ud800x":{}}"#).expected.contains("low surrogate"));
        assert!(err(br#"{"\udc00":{}}"#).expected.contains("lone low"));
        assert!(err(br#"{"\q":{}}"#).expected.contains("an escape"));
        assert_eq!(err(b"{\"\xff\":{}}").at, 2);
        assert!(
            err(b"{\"a\":{\"dtype\":\"F32\"")
                .expected
                .contains("end of header")
        );
    }
}
