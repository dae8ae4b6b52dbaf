//! A bad experiment file: the key at fault and what is wrong with it.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The experiment file, once known.
    pub file: Option<PathBuf>,
    /// Dotted path of the key ("schedule.gits.cost", "sampler[0].steps");
    /// empty where the file as a whole is at fault (TOML syntax).
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            file: None,
            key: key.into(),
            message: message.into(),
        }
    }

    /// A serde/TOML error under `key`, with the line it points at.
    pub(crate) fn toml(key: &str, e: &toml::de::Error, text: &str) -> Self {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let message = match line {
            Some(l) => format!("{} (line {l})", e.message().trim_end()),
            None => e.message().trim_end().to_string(),
        };
        ConfigError::new(key, message)
    }

    /// The same error, said of `file`.
    pub fn in_file(self, file: &Path) -> Self {
        ConfigError {
            file: Some(file.to_path_buf()),
            ..self
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConfigError {}
