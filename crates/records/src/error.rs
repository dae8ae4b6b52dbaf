use std::fmt;
use std::path::{Path, PathBuf};

/// Why a record could not be written or read. Messages name the file.
#[derive(Debug)]
pub enum RecordsError {
    /// Filesystem failure; `path` is the target file (not the temporary).
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// polars refused a frame or a file; `path` is `None` for in-memory work.
    Polars {
        path: Option<PathBuf>,
        message: String,
    },
    /// A table's shape or types do not fit (ragged columns, unsupported dtype, ...).
    Schema(String),
}

impl RecordsError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn polars(path: Option<&Path>, err: impl fmt::Display) -> Self {
        Self::Polars {
            path: path.map(Path::to_path_buf),
            message: err.to_string(),
        }
    }

    /// Attaches the file being written/read to errors that do not carry one yet.
    pub(crate) fn at(self, path: &Path) -> Self {
        match self {
            Self::Polars {
                path: None,
                message,
            } => Self::Polars {
                path: Some(path.to_path_buf()),
                message,
            },
            Self::Schema(msg) => Self::Schema(format!("{}: {msg}", path.display())),
            other => other,
        }
    }
}

impl fmt::Display for RecordsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Polars {
                path: Some(path),
                message,
            } => {
                write!(f, "{}: polars: {message}", path.display())
            }
            Self::Polars {
                path: None,
                message,
            } => write!(f, "polars: {message}"),
            Self::Schema(msg) => write!(f, "table schema: {msg}"),
        }
    }
}

impl std::error::Error for RecordsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
