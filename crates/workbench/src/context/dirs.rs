//! Where a run's tables, figures and shared caches go.

use std::path::{Path, PathBuf};

/// Where a run's files go.
#[derive(Debug, Clone)]
pub struct OutputDirs {
    pub tables: PathBuf,
    pub figures: PathBuf,
    /// Shared by runs: GITS cost matrices.
    pub cache: PathBuf,
    /// Shared by runs: trained networks.
    pub models: PathBuf,
    /// `--out`: the one folder holding everything.
    pub out: Option<PathBuf>,
}

impl OutputDirs {
    /// notebooks-data/NAME, reports/NAME and notebooks-data/cache, or
    /// everything under `out`.
    pub fn new(name: &str, out: Option<&Path>) -> Self {
        match out {
            Some(dir) => Self {
                tables: dir.to_path_buf(),
                figures: dir.join("figures"),
                cache: dir.join("cache"),
                models: dir.join("models"),
                out: Some(dir.to_path_buf()),
            },
            None => Self {
                tables: Path::new("notebooks-data").join(name),
                figures: Path::new("reports").join(name),
                cache: Path::new("notebooks-data").join("cache"),
                models: Path::new("notebooks-data").join("models"),
                out: None,
            },
        }
    }
}

/// The config path as typed, or relative to the current directory when it
/// is an absolute path below it.
pub fn shown_path(p: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf));
    rel.unwrap_or_else(|| p.to_path_buf()).display().to_string()
}
