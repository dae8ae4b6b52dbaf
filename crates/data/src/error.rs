//! The one error type of the data crate: every loader names the file, the
//! byte offset and what it expected, so a bad input is diagnosable from the
//! message alone.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum DataError {
    /// Opening or reading a file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was readable but its bytes do not match the format.
    Format {
        path: PathBuf,
        offset: u64,
        expected: String,
    },
    /// Anything else: inconsistent arguments, non-finite values, missing files.
    Invalid(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(
        path: impl Into<PathBuf>,
        offset: u64,
        expected: impl Into<String>,
    ) -> Self {
        DataError::Format {
            path: path.into(),
            offset,
            expected: expected.into(),
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            DataError::Format {
                path,
                offset,
                expected,
            } => write!(
                f,
                "{}: at byte {}: expected {}",
                path.display(),
                offset,
                expected
            ),
            DataError::Invalid(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn format_message_names_file_offset_and_expectation() {
        let e = DataError::format("/tmp/x.npy", 12, "'<f4'");
        assert_eq!(e.to_string(), "/tmp/x.npy: at byte 12: expected '<f4'");
        assert!(e.source().is_none());
    }

    #[test]
    fn io_message_and_source() {
        let inner = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = DataError::io("/tmp/y", inner);
        assert_eq!(e.to_string(), "/tmp/y: gone");
        assert!(e.source().is_some());
    }

    #[test]
    fn invalid_message_is_verbatim() {
        assert_eq!(DataError::Invalid("bad".into()).to_string(), "bad");
    }
}
