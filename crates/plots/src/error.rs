//! The one error type of the plots crate. Data problems are caught before any
//! file is touched, so a `Data` error never leaves partial output behind.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum PlotError {
    /// Creating the directory, writing or renaming a file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// plotters failed while drawing or encoding the named output.
    Draw { path: PathBuf, message: String },
    /// The figure is malformed: mismatched lengths, an invalid heatmap.
    Data(String),
    /// The figure is well formed but holds nothing drawable (no series, every
    /// series empty, no finite value). `render` draws a placeholder saying so
    /// instead of returning this; only `prepare` yields it.
    Nothing(String),
}

impl PlotError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        PlotError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn draw(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        PlotError::Draw {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            PlotError::Draw { path, message } => {
                write!(f, "{}: drawing failed: {}", path.display(), message)
            }
            PlotError::Data(msg) | PlotError::Nothing(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
