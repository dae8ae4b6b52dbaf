//! Bounds on every count a file sets, checked before anything is computed
//! or allocated from it. They are far above any real run (a diffusion
//! sampler takes at most thousands of steps) and low enough that the
//! products of them computed later cannot overflow; what a run's sizes add
//! up to is judged against the memory by `plan::budget`.

use super::keys::bad;
use crate::config::{Config, ConfigError, DataSource, FigureKind};

/// Steps of one sampler, sweep cell or GITS grid.
pub const MAX_STEPS: usize = 100_000;
/// Trajectories, data rows and points drawn.
pub const MAX_COUNT: usize = 1_000_000_000;
/// The dimension of generated data.
pub const MAX_DIM: usize = 1 << 28;
/// Noise levels of figures and projections (larger ones overflow f32 in
/// squared distances of any data).
pub const MAX_SIGMA: f64 = 1e12;

fn at_most(key: impl Into<String>, v: usize, max: usize) -> Result<(), ConfigError> {
    if v > max {
        return Err(bad(key, format!("{v} is more than the limit {max}")));
    }
    Ok(())
}

pub(super) fn check(c: &Config) -> Result<(), ConfigError> {
    at_most("trajectories", c.trajectories, MAX_COUNT)?;
    if let Some(s) = c.schedule.sigmas.iter().flatten().find(|s| **s > MAX_SIGMA) {
        return Err(bad(
            "schedule.sigmas",
            format!("{s} is above the limit {MAX_SIGMA:e}"),
        ));
    }
    if c.schedule.sigma_max > MAX_SIGMA {
        return Err(bad(
            "schedule.sigma_max",
            format!("{} is above the limit {MAX_SIGMA:e}", c.schedule.sigma_max),
        ));
    }
    at_most("batch_size", c.batch_size, MAX_COUNT)?;
    at_most("denoiser.chunk", c.denoiser.chunk, MAX_COUNT)?;
    for (i, s) in c.sampler.iter().enumerate() {
        at_most(
            format!("sampler[{i}].steps"),
            s.steps.unwrap_or(0),
            MAX_STEPS,
        )?;
    }
    if let Some(s) = &c.sweep {
        for (j, &steps) in s.steps.iter().enumerate() {
            at_most(format!("sweep.steps[{j}]"), steps, MAX_STEPS)?;
        }
    }
    if let Some(g) = &c.schedule.gits {
        at_most("schedule.gits.grid_steps", g.grid_steps, MAX_STEPS)?;
        at_most(
            "schedule.gits.teacher_substeps",
            g.teacher_substeps,
            MAX_STEPS,
        )?;
        at_most("schedule.gits.warmup", g.warmup, MAX_COUNT)?;
        let fine = g.grid_steps as f64 * g.teacher_substeps as f64;
        if fine > MAX_STEPS as f64 * 10.0 {
            return Err(bad(
                "schedule.gits.grid_steps",
                format!(
                    "{} grid steps x {} teacher substeps is {fine} teacher steps; at most {}",
                    g.grid_steps,
                    g.teacher_substeps,
                    MAX_STEPS * 10
                ),
            ));
        }
    }
    if let Some(p) = &c.projection {
        at_most("projection.points", p.points, MAX_COUNT)?;
        at_most("projection.sigmas", p.sigmas, MAX_STEPS)?;
        if p.sigma_max > MAX_SIGMA {
            return Err(bad(
                "projection.sigma_max",
                format!("{} is above the limit {MAX_SIGMA:e}", p.sigma_max),
            ));
        }
    }
    at_most("quality.pca_dim", c.quality.pca_dim, MAX_STEPS)?;
    at_most("quality.projections", c.quality.projections, MAX_STEPS * 10)?;
    at_most("measures.views", c.measures.views, MAX_STEPS)?;
    at_most("measures.identity", c.measures.identity, MAX_COUNT)?;
    for (i, f) in c.figure.iter().enumerate() {
        if f.kind == FigureKind::EpsField
            && let Some(s) = f.sigmas.iter().flatten().find(|s| **s > MAX_SIGMA)
        {
            return Err(bad(
                format!("figure[{i}].sigmas"),
                format!("{s} is above the limit {MAX_SIGMA:e}"),
            ));
        }
    }
    for (i, d) in c.data.iter().enumerate() {
        if let Some((n, dim, dim_key)) = generated_size(&d.source) {
            at_most(format!("data[{i}].n"), n, MAX_COUNT)?;
            at_most(format!("data[{i}].{dim_key}"), dim, MAX_DIM)?;
        }
        if let DataSource::Gmm { components, .. } = d.source {
            at_most(format!("data[{i}].components"), components, MAX_COUNT)?;
        }
        if let DataSource::Sphere { k, .. }
        | DataSource::Torus { k, .. }
        | DataSource::Subspace { k, .. } = d.source
        {
            at_most(format!("data[{i}].k"), k, MAX_DIM)?;
        }
    }
    Ok(())
}

/// Rows and dimension of a generated data set, with the key of its
/// dimension; None for files (their loaders check what they read).
pub fn generated_size(s: &DataSource) -> Option<(usize, usize, &'static str)> {
    Some(match *s {
        DataSource::SwissRoll { n, .. }
        | DataSource::TwoMoons { n, .. }
        | DataSource::EightGaussians { n, .. } => (n, 2, "n"),
        DataSource::Shapes { n } => (n, 256, "n"),
        DataSource::Gmm { n, dim, .. } | DataSource::Gaussian { n, dim, .. } => (n, dim, "dim"),
        DataSource::Sphere { n, ambient, .. }
        | DataSource::Torus { n, ambient, .. }
        | DataSource::Subspace { n, ambient, .. } => (n, ambient, "ambient"),
        _ => return None,
    })
}
