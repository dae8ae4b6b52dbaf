//! Config -> Plan: every rule of an experiment file checked once, in one
//! place, and its values turned into the domain's types (solvers, sigmas,
//! sweep cells). Later stages read a `Plan` and never judge the file again.

pub mod budget;
mod data;
mod export;
mod keys;
mod kind;
pub mod learned;
pub mod limits;
mod measures;
mod quick;
mod samplers;
mod schedule;
mod sweep;
#[cfg(test)]
mod tests;

pub use keys::MAX_NAME;
pub use kind::RunKind;
pub use samplers::PlannedSampler;
pub use sweep::Cell;

use crate::config::{Config, ConfigError};
use keys::{bad, name_problem, ok_name};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The file as read (and shrunk by `[quick]` in a quick run): for
    /// provenance and cache keys, and its plain typed values.
    pub config: Config,
    pub quick: bool,
    pub kind: RunKind,
}

impl Plan {
    /// Reads and plans an experiment file; errors name the file and the key.
    /// Relative paths in it are taken relative to the current directory,
    /// like any command line path.
    pub fn load(path: &Path, quick: bool) -> Result<Plan, ConfigError> {
        Plan::load_with_text(path, quick).map(|(plan, _)| plan)
    }

    /// `load`, with the file's text as read (for reports).
    pub fn load_with_text(path: &Path, quick: bool) -> Result<(Plan, String), ConfigError> {
        let text = read_config(path).map_err(|e| {
            ConfigError::new("", format!("cannot read the experiment file: {e}")).in_file(path)
        })?;
        let plan = Plan::from_toml(&text, quick).map_err(|e| e.in_file(path))?;
        Ok((plan, text))
    }

    /// Plans the text of an experiment file.
    pub fn from_toml(text: &str, quick: bool) -> Result<Plan, ConfigError> {
        Plan::new(Config::from_toml(text)?, quick)
    }

    /// Checks every rule on the file as written (so errors name its keys),
    /// then applies `[quick]` in a quick run; `quick.steps` changes a
    /// sweep's cells, which are then built again.
    pub fn new(config: Config, quick: bool) -> Result<Plan, ConfigError> {
        let mut kind = check(&config)?;
        let config = if quick { quick::shrink(config) } else { config };
        if quick && config.quick.steps.is_some() && config.sweep.is_some() {
            kind = check(&config)?;
        }
        let plan = Plan {
            config,
            quick,
            kind,
        };
        // Generated data is sized by the file alone: judge it before it exists.
        let generated: Vec<Option<(usize, usize)>> = plan
            .config
            .data
            .iter()
            .map(|d| {
                let (n, dim, _) = limits::generated_size(&d.source)?;
                Some((d.limit.map_or(n, |l| l.min(n)), dim))
            })
            .collect();
        budget::estimate(&plan.config, &plan.kind, &generated).check(budget::available())?;
        Ok(plan)
    }

    /// The samplers of a trajectory run (none for other kinds).
    pub fn samplers(&self) -> &[PlannedSampler] {
        match &self.kind {
            RunKind::Trajectory(s) => s,
            _ => &[],
        }
    }

    /// The step counts a GITS schedule is fitted for, ascending.
    pub fn gits_steps(&self) -> Vec<usize> {
        let mut steps: Vec<usize> = match &self.kind {
            RunKind::Trajectory(s) => s.iter().filter_map(|s| s.steps).collect(),
            RunKind::Sweep(cells) => cells.iter().map(|c| c.steps).collect(),
            RunKind::Projection(_) => Vec::new(),
        };
        steps.sort_unstable();
        steps.dedup();
        steps
    }
}

/// Every rule, in the order a reader meets the keys; returns the run kind
/// with its typed parts.
fn check(c: &Config) -> Result<RunKind, ConfigError> {
    limits::check(c)?;
    if !ok_name(&c.name) {
        return Err(bad("name", name_problem(&c.name)));
    }
    if matches!(c.name.as_str(), "cache" | "models") {
        return Err(bad(
            "name",
            format!(
                "{:?} is reserved: notebooks-data/{} holds what every run shares",
                c.name, c.name
            ),
        ));
    }
    if c.trajectories == 0 && (c.sweep.is_some() || !c.sampler.is_empty()) {
        return Err(bad(
            "trajectories",
            "missing or 0; a run with samplers needs at least 1",
        ));
    }
    if c.batch_size == 0 {
        return Err(bad("batch_size", "must be at least 1"));
    }
    data::check(c)?;
    if c.denoiser.chunk == 0 {
        return Err(bad("denoiser.chunk", "must be at least 1"));
    }
    if !(c.denoiser.tail.is_finite() && c.denoiser.tail > 0.0) {
        return Err(bad("denoiser.tail", "must be positive"));
    }
    if !(c.denoiser.logit_tolerance.is_finite() && c.denoiser.logit_tolerance > 0.0) {
        return Err(bad("denoiser.logit_tolerance", "must be positive"));
    }
    c.schedule.check()?;
    if c.schedule.gits.is_some() && !c.uses_gits() {
        return Err(bad(
            "schedule.gits",
            "only used when schedule.kind or sweep.schedule names \"gits\"",
        ));
    }
    let kind = match (&c.sweep, c.sampler.is_empty()) {
        (None, true) if c.projection.is_some() || c.train.is_some() => match &c.projection {
            Some(p) => RunKind::Projection(p.clone()),
            // A file that only trains its network.
            None => RunKind::Trajectory(Vec::new()),
        },
        (None, true) => {
            return Err(bad(
                "sampler",
                "at least one [[sampler]] table (or a [sweep]) is required",
            ));
        }
        (Some(_), false) => {
            return Err(bad(
                "sampler",
                "a run with a [sweep] takes its samplers from sweep.sampler",
            ));
        }
        // A sweep's rules run with its cells; the samplers' with theirs.
        (Some(s), true) => RunKind::Sweep(sweep::cells(s, &c.schedule)?),
        (None, false) => RunKind::Trajectory(samplers::plan(c)?),
    };
    if let RunKind::Trajectory(samplers) = &kind {
        let data: Vec<String> = c.data.iter().map(|d| d.label()).collect();
        let labels: Vec<String> = samplers.iter().map(|s| s.label.clone()).collect();
        keys::distinct_file_names(&data, &labels)?;
    }
    measures::quality(&c.quality)?;
    measures::measures(&c.measures, c)?;
    learned::check(c)?;
    if let Some(p) = &c.projection {
        measures::projection(p, c)?;
    }
    measures::figures(c)?;
    export::check(c)?;
    quick::check(&c.quick)?;
    Ok(kind)
}

/// Experiment files are small; a special file (a FIFO, /dev/zero) or a
/// huge one is refused rather than read.
fn read_config(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    const MAX_BYTES: u64 = 16 << 20;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > MAX_BYTES {
        return Err(std::io::Error::other(format!(
            "{} bytes; an experiment file has at most {MAX_BYTES}",
            meta.len()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_BYTES)
        .read_to_string(&mut text)?;
    Ok(text)
}
