//! Parser for the Python-literal dict in a .npy header, e.g.
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
//! Written by hand because only this tiny literal subset ever appears, and
//! positions are tracked so every error can name its byte offset.

/// What a .npy header says about the array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Position (within the header text) of each value, for error offsets.
    pub descr_at: usize,
    pub fortran_at: usize,
    pub shape_at: usize,
}

use crate::cursor::Cursor;
/// A parse failure: position within the header text and what was expected.
pub(crate) use crate::cursor::ParseError as HeaderError;

enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    Int,
}

// This language's values, on the shared cursor.
impl Cursor<'_> {
    fn py_string(&mut self) -> Result<String, HeaderError> {
        self.ws();
        let Some(&q) = self.s.get(self.pos).filter(|&&q| q == b'\'' || q == b'"') else {
            return self.fail("a quoted string");
        };
        let start = self.pos + 1;
        let Some(len) = self.s[start..].iter().position(|&b| b == q) else {
            return self.fail("a closed string");
        };
        self.pos = start + len + 1;
        // Latin-1 (v1/v2) or UTF-8 (v3): lossy decoding is fine because only
        // ASCII keys and dtypes are accepted afterwards.
        Ok(String::from_utf8_lossy(&self.s[start..start + len]).into_owned())
    }

    fn int(&mut self) -> Result<usize, HeaderError> {
        self.ws();
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        if self.pos == start {
            return self.fail("a non-negative integer");
        }
        let digits = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        let Ok(v) = digits.parse::<usize>() else {
            self.pos = start;
            return self.fail("an integer that fits in usize");
        };
        // Python 2 era writers emitted longs such as `3L`.
        if self.s.get(self.pos) == Some(&b'L') {
            self.pos += 1;
        }
        Ok(v)
    }

    fn tuple(&mut self) -> Result<Vec<usize>, HeaderError> {
        self.expect(b'(')?;
        let mut items = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(items);
            }
            items.push(self.int()?);
            if !self.eat(b',') {
                self.expect(b')')?;
                return Ok(items);
            }
        }
    }

    fn value(&mut self) -> Result<Value, HeaderError> {
        self.ws();
        let rest = &self.s[self.pos..];
        match rest.first() {
            Some(b'\'' | b'"') => Ok(Value::Str(self.py_string()?)),
            Some(b'(') => Ok(Value::Tuple(self.tuple()?)),
            Some(b) if b.is_ascii_digit() => self.int().map(|_| Value::Int),
            _ if rest.starts_with(b"True") => {
                self.pos += 4;
                Ok(Value::Bool(true))
            }
            _ if rest.starts_with(b"False") => {
                self.pos += 5;
                Ok(Value::Bool(false))
            }
            _ => self.fail("a string, True, False, an integer or a tuple"),
        }
    }
}

/// Parses the header dict; keys may come in any order with any spacing and
/// an optional trailing comma. Unknown keys are skipped.
pub(crate) fn parse_header(text: &[u8]) -> Result<Header, HeaderError> {
    let mut p = Cursor::new(text, "the .npy header");
    p.expect(b'{')?;
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    while !p.eat(b'}') {
        p.ws();
        let key_at = p.pos;
        let key = p.py_string()?;
        p.expect(b':')?;
        p.ws();
        let at = p.pos;
        let value = p.value()?;
        let already = match key.as_str() {
            "descr" => descr.is_some(),
            "fortran_order" => fortran.is_some(),
            "shape" => shape.is_some(),
            _ => false,
        };
        if already {
            p.pos = key_at;
            return p.fail(format!("no second '{key}' key"));
        }
        match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr = Some((s, at)),
            ("fortran_order", Value::Bool(b)) => fortran = Some((b, at)),
            ("shape", Value::Tuple(t)) => shape = Some((t, at)),
            ("descr", _) => {
                p.pos = at;
                return p.fail("a dtype string for 'descr'");
            }
            ("fortran_order", _) => {
                p.pos = at;
                return p.fail("True or False for 'fortran_order'");
            }
            ("shape", _) => {
                p.pos = at;
                return p.fail("a tuple of integers for 'shape'");
            }
            _ => {}
        }
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    p.ws();
    if p.pos != text.len() {
        return p.fail("only padding after the header dict");
    }
    let missing = |k: &str| HeaderError {
        at: 0,
        expected: format!("a '{k}' key in the .npy header dict"),
    };
    let (descr, descr_at) = descr.ok_or_else(|| missing("descr"))?;
    let (fortran_order, fortran_at) = fortran.ok_or_else(|| missing("fortran_order"))?;
    let (shape, shape_at) = shape.ok_or_else(|| missing("shape"))?;
    Ok(Header {
        descr,
        fortran_order,
        shape,
        descr_at,
        fortran_at,
        shape_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_header() {
        let h = parse_header(b"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }   \n")
            .unwrap();
        assert_eq!(h.descr, "<f4");
        assert!(!h.fortran_order);
        assert_eq!(h.shape, vec![3, 4]);
        assert_eq!(h.descr_at, 10);
    }

    #[test]
    fn any_order_spacing_quotes_and_longs() {
        let h =
            parse_header(b" {\"shape\" :( 2L ,) ,'fortran_order':True,'descr':'<f8'}\n").unwrap();
        assert_eq!(h.shape, vec![2]);
        assert!(h.fortran_order);
        assert_eq!(h.descr, "<f8");
        let h = parse_header(b"{'descr':'<f4','fortran_order':False,'shape':()}").unwrap();
        assert!(h.shape.is_empty());
    }

    #[test]
    fn errors_carry_positions() {
        let e = parse_header(b"{'descr': '<f4', 'shape': (3, x)}").unwrap_err();
        assert_eq!(e.at, 30);
        assert!(e.expected.contains("found 'x'"), "{}", e.expected);
        let e = parse_header(b"{'descr': '<f4', 'shape': (3,)}").unwrap_err();
        assert!(e.expected.contains("fortran_order"), "{}", e.expected);
        let e = parse_header(b"{'descr': 5, 'fortran_order': False, 'shape': ()}").unwrap_err();
        assert_eq!(e.at, 10);
        let e = parse_header(b"{'descr': '<f4', 'descr': '<f4'}").unwrap_err();
        assert_eq!(e.at, 17);
        assert!(e.expected.contains("second 'descr'"), "{}", e.expected);
        let e = parse_header(b"{'descr': '<f4'} junk").unwrap_err();
        assert_eq!(e.at, 17);
        let e = parse_header(b"{'shape': (99999999999999999999999,)}").unwrap_err();
        assert_eq!(e.at, 11);
    }
}
