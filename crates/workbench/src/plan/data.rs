//! The rules of `[[data]]` tables: unique labels, sizes, held-out rows
//! where a file has no split, and denoisers that suit the data.

use super::keys::{bad, unique_label};
use crate::config::{Config, ConfigError, DataSource, DenoiserKind, GmmLayout};

pub(super) fn check(config: &Config) -> Result<(), ConfigError> {
    if config.data.is_empty() {
        return Err(bad("data", "at least one [[data]] table is required"));
    }
    let mut names = Vec::new();
    for (i, d) in config.data.iter().enumerate() {
        unique_label(&format!("data[{i}].name"), d.label(), &mut names)?;
        if d.limit == Some(0) {
            return Err(bad(format!("data[{i}].limit"), "must be at least 1"));
        }
        if let Some(h) = d.held_out {
            if !matches!(
                d.source,
                DataSource::Npy { .. }
                    | DataSource::Npz { .. }
                    | DataSource::PngFolder { .. }
                    | DataSource::Idx { .. }
            ) {
                return Err(bad(
                    format!("data[{i}].held_out"),
                    format!(
                        "only for idx, npy, npz and png-folder data ({} has its own held-out draw or split)",
                        d.source.kind()
                    ),
                ));
            }
            if h == 0 {
                return Err(bad(format!("data[{i}].held_out"), "must be at least 1"));
            }
        }
        source(&d.source, i)?;
        if d.denoiser_kind(&config.denoiser) == DenoiserKind::Analytic
            && !matches!(
                d.source,
                DataSource::Gaussian { .. } | DataSource::Gmm { .. }
            )
        {
            let key = match d.denoiser {
                Some(_) => format!("data[{i}].denoiser"),
                None => "denoiser.kind".into(),
            };
            return Err(bad(
                key,
                format!(
                    "\"analytic\" needs gaussian or gmm data, but data[{i}] is {:?}",
                    d.source.kind()
                ),
            ));
        }
    }
    Ok(())
}

/// The generated sources' sizes and shapes.
fn source(s: &DataSource, i: usize) -> Result<(), ConfigError> {
    let key = |k: &str| format!("data[{i}].{k}");
    let positive = |k: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(bad(key(k), format!("must be positive, got {v}")))
        }
    };
    let at_least_one = |k: &str, v: usize| {
        if v >= 1 {
            Ok(())
        } else {
            Err(bad(key(k), "must be at least 1"))
        }
    };
    match s {
        DataSource::SwissRoll { n, noise }
        | DataSource::TwoMoons { n, noise }
        | DataSource::EightGaussians { n, noise } => {
            at_least_one("n", *n)?;
            if !(noise.is_finite() && *noise >= 0.0) {
                return Err(bad(
                    key("noise"),
                    format!("must be non-negative, got {noise}"),
                ));
            }
            Ok(())
        }
        DataSource::Shapes { n } => at_least_one("n", *n),
        DataSource::Gmm {
            n,
            components,
            dim,
            layout,
            spread,
            std,
            ..
        } => {
            at_least_one("n", *n)?;
            at_least_one("components", *components)?;
            at_least_one("dim", *dim)?;
            positive("spread", *spread)?;
            positive("std", *std)?;
            if *layout == GmmLayout::Ring && *dim != 2 {
                return Err(bad(
                    key("layout"),
                    format!("\"ring\" needs dim = 2, got {dim}"),
                ));
            }
            Ok(())
        }
        DataSource::Sphere {
            n,
            k,
            ambient,
            radius,
        }
        | DataSource::Torus {
            n,
            k,
            ambient,
            radius,
        }
        | DataSource::Subspace {
            n,
            k,
            ambient,
            radius,
        } => {
            at_least_one("n", *n)?;
            at_least_one("k", *k)?;
            positive("radius", *radius)?;
            let needs = match s {
                DataSource::Sphere { .. } => k + 1,
                DataSource::Torus { .. } => 2 * k,
                _ => *k,
            };
            if *ambient < needs {
                return Err(bad(
                    key("ambient"),
                    format!(
                        "a {} with k = {k} needs at least {needs} dimensions, got {ambient}",
                        s.kind()
                    ),
                ));
            }
            Ok(())
        }
        DataSource::Gaussian { n, dim, mean, std } => {
            at_least_one("n", *n)?;
            at_least_one("dim", *dim)?;
            positive("std", *std)?;
            if mean.is_finite() {
                Ok(())
            } else {
                Err(bad(key("mean"), "must be finite"))
            }
        }
        _ => Ok(()),
    }
}
