//! The rules of `[export]`.

use super::keys::bad;
use crate::config::{Config, ConfigError};

pub(super) fn check(c: &Config) -> Result<(), ConfigError> {
    let Some(e) = &c.export else {
        return Ok(());
    };
    if c.sampler.is_empty() {
        return Err(bad(
            "export",
            "exports the trajectories of [[sampler]] runs; this file has none",
        ));
    }
    match e.trajectories {
        Some(0) => return Err(bad("export.trajectories", "must be at least 1")),
        Some(k) if k > c.trajectories => {
            return Err(bad(
                "export.trajectories",
                format!("{k} is more than the run's {} trajectories", c.trajectories),
            ));
        }
        _ => {}
    }
    if e.what.is_empty() {
        return Err(bad(
            "export.what",
            "name at least one of \"states\", \"denoised\", \"evals\"",
        ));
    }
    for (i, part) in e.what.iter().enumerate() {
        if e.what[..i].contains(part) {
            return Err(bad("export.what", format!("{part:?} is named twice")));
        }
    }
    Ok(())
}
