//! The rules of `[export]`.

use super::keys::bad;
use crate::config::{Config, ConfigError, DataSource};

pub(super) fn check(c: &Config) -> Result<(), ConfigError> {
    let Some(e) = &c.export else {
        return Ok(());
    };
    if e.png {
        // Files (npy, npz) are checked once loaded, when their shape is known.
        if let Some(d) = c.data.iter().find(|d| !might_be_images(&d.source)) {
            return Err(bad(
                "export.png",
                format!(
                    "data \"{}\" ({}) is not images; PNG folders are for image data",
                    d.label(),
                    d.source.kind()
                ),
            ));
        }
    }
    if c.sweep.is_some() {
        // A sweep keeps each cell's final samples, not its trajectories.
        let given = [
            ("export.trajectories", e.trajectories.is_some()),
            ("export.what", e.what.is_some()),
            ("export.format", e.format.is_some()),
        ];
        if let Some((key, _)) = given.iter().find(|(_, set)| *set) {
            return Err(bad(
                *key,
                "a sweep exports every cell's final samples (npy, and PNG folders with png = true); \
                 trajectories, what and format are for [[sampler]] runs",
            ));
        }
        return Ok(());
    }
    if c.sampler.is_empty() {
        return Err(bad(
            "export",
            "exports the trajectories of [[sampler]] runs or the samples of a [sweep]; this file has neither",
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
    let what = e.parts();
    if what.is_empty() {
        return Err(bad(
            "export.what",
            "name at least one of \"states\", \"denoised\", \"evals\"",
        ));
    }
    for (i, part) in what.iter().enumerate() {
        if what[..i].contains(part) {
            return Err(bad("export.what", format!("{part:?} is named twice")));
        }
    }
    Ok(())
}

/// Whether a data source can hold images (1 or 3 channels).
fn might_be_images(s: &DataSource) -> bool {
    matches!(
        s,
        DataSource::FashionMnist { .. }
            | DataSource::MnistIdx { .. }
            | DataSource::Idx { .. }
            | DataSource::Npy { .. }
            | DataSource::Npz { .. }
            | DataSource::Cifar10 { .. }
            | DataSource::PngFolder { .. }
            | DataSource::Shapes { .. }
    )
}
