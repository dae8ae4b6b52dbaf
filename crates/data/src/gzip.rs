//! Gzip input of one or more members. RFC 1952 allows concatenated members
//! (pigz, `cat a.gz b.gz`), and they decode as one stream. Bytes after a
//! member that do not start another one are refused with their position in
//! the file, where flate2's single-member decoder would silently stop.
//! Each member's CRC-32 and length are checked by the decoder.

use flate2::bufread::GzDecoder;
use std::io::{BufRead, BufReader, Read};

pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Counts the bytes taken from the file, to place trailing garbage.
struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Where non-gzip bytes followed a complete member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Garbage {
    /// File offset of the first byte after the last complete member.
    pub at: u64,
    /// Members decoded before it.
    pub members: u64,
}

/// Decompresses every member in turn; reads return 0 only at the true end.
pub(crate) struct GzMembers<R: Read> {
    decoder: Option<GzDecoder<BufReader<Counted<R>>>>,
    members: u64,
    garbage: Option<Garbage>,
}

impl<R: Read> GzMembers<R> {
    pub(crate) fn new(r: R) -> Self {
        let inner = BufReader::new(Counted { inner: r, count: 0 });
        GzMembers {
            decoder: Some(GzDecoder::new(inner)),
            members: 0,
            garbage: None,
        }
    }

    /// Set when a read failed because of bytes after a member.
    pub(crate) fn garbage(&self) -> Option<Garbage> {
        self.garbage
    }
}

impl<R: Read> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member ended with its trailer verified.
            self.members += 1;
            let Some(mut inner) = self.decoder.take().map(GzDecoder::into_inner) else {
                return Ok(0);
            };
            let rest = inner.fill_buf()?;
            if rest.is_empty() {
                return Ok(0);
            }
            // One byte of the magic suffices to tell garbage from a member;
            // a member cut short is then the decoder's error.
            let garbage =
                rest[0] != GZIP_MAGIC[0] || rest.get(1).is_some_and(|&b| b != GZIP_MAGIC[1]);
            if garbage {
                let at = inner.get_ref().count - inner.buffer().len() as u64;
                let g = Garbage {
                    at,
                    members: self.members,
                };
                self.garbage = Some(g);
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "bytes at file offset {at} after gzip member {} are not another gzip \
                         member (trailing garbage)",
                        g.members
                    ),
                ));
            }
            self.decoder = Some(GzDecoder::new(inner));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::gzip;

    fn decode(bytes: &[u8]) -> (std::io::Result<Vec<u8>>, Option<Garbage>) {
        let mut r = GzMembers::new(bytes);
        let mut out = Vec::new();
        let res = r.read_to_end(&mut out).map(|_| out);
        (res, r.garbage())
    }

    #[test]
    fn single_and_concatenated_members() {
        assert_eq!(decode(&gzip(b"hello")).0.unwrap(), b"hello");
        let mut two = gzip(b"hello, ");
        two.extend(gzip(b"world"));
        two.extend(gzip(b""));
        assert_eq!(decode(&two).0.unwrap(), b"hello, world");
    }

    #[test]
    fn garbage_after_a_member_is_placed() {
        let first = gzip(b"abc");
        for junk in [&b"\0\0\0\0"[..], b"x", b"\x1fQ"] {
            let mut bytes = first.clone();
            bytes.extend_from_slice(junk);
            let (res, g) = decode(&bytes);
            let e = res.unwrap_err().to_string();
            assert!(e.contains("trailing garbage"), "{e}");
            assert_eq!(
                g,
                Some(Garbage {
                    at: first.len() as u64,
                    members: 1
                })
            );
        }
        // A second member cut short fails in the decoder, not as garbage.
        let mut bytes = first.clone();
        bytes.extend_from_slice(&gzip(b"def")[..6]);
        let (res, g) = decode(&bytes);
        assert!(res.is_err());
        assert_eq!(g, None);
    }

    #[test]
    fn corrupt_trailer_is_an_error() {
        let mut bytes = gzip(b"some data");
        let n = bytes.len();
        bytes[n - 8] ^= 1; // CRC-32
        assert!(decode(&bytes).0.is_err());
    }
}
