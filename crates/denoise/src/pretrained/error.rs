//! The one error of loading a pretrained network: the file, and what in it
//! does not fit.

use std::fmt;
use std::path::PathBuf;

use geotraj_data::DataError;

#[derive(Debug)]
pub enum PretrainedError {
    /// The weights file is unreadable or malformed.
    Weights(DataError),
    /// The file's tensors do not match the architecture the config describes.
    Mismatch {
        path: PathBuf,
        what: String,
        total: usize,
        first: Vec<String>,
    },
    /// Anything else about a file: no network in it, an unusable config.
    Invalid { path: PathBuf, message: String },
}

impl fmt::Display for PretrainedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PretrainedError::Weights(e) => write!(f, "{e}"),
            PretrainedError::Mismatch {
                path,
                what,
                total,
                first,
            } => {
                write!(
                    f,
                    "{}: the weights do not match the {what} the config describes ({total} \
                     problem{}); first:",
                    path.display(),
                    if *total == 1 { "" } else { "s" }
                )?;
                for p in first {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
            PretrainedError::Invalid { path, message } => {
                write!(f, "{}: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for PretrainedError {}

impl From<DataError> for PretrainedError {
    fn from(e: DataError) -> Self {
        PretrainedError::Weights(e)
    }
}
