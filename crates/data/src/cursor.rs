//! A byte cursor for the small header languages the loaders parse by hand
//! (the Python-literal dict of .npy, the JSON of safetensors): whitespace,
//! single bytes, and errors that name the position and what was expected.

/// A parse failure: position within the header text and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub at: usize,
    pub expected: String,
}

pub(crate) struct Cursor<'a> {
    pub s: &'a [u8],
    pub pos: usize,
    /// Where the text is, for messages ("the .npy header").
    pub what: &'static str,
}

impl<'a> Cursor<'a> {
    pub fn new(s: &'a [u8], what: &'static str) -> Self {
        Cursor { s, pos: 0, what }
    }

    pub fn fail<T>(&self, expected: impl Into<String>) -> Result<T, ParseError> {
        let found = match self.s.get(self.pos) {
            Some(&b) if b.is_ascii_graphic() => format!("'{}'", b as char),
            Some(&b) => format!("byte 0x{b:02X}"),
            None => "end of header".into(),
        };
        Err(ParseError {
            at: self.pos,
            expected: format!("{} in {}, found {found}", expected.into(), self.what),
        })
    }

    pub fn ws(&mut self) {
        while matches!(self.s.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    pub fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, b: u8) -> Result<(), ParseError> {
        if self.eat(b) {
            Ok(())
        } else {
            self.fail(format!("'{}'", b as char))
        }
    }
}
