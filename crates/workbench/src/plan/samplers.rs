//! `[[sampler]]` tables as solvers: each built once, with its label and its
//! sigmas (a stand-in of as many for GITS, replaced after the warm-up).

use super::keys::{bad, unique_label};
use crate::config::{Config, ConfigError};
use geotraj_sampling::{ScheduleKind, Solver};

/// One sampler of a trajectory run.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSampler {
    /// Its label in tables and file names.
    pub label: String,
    pub solver: Solver,
    /// None with an explicit schedule (the list fixes the steps).
    pub steps: Option<usize>,
    pub sigmas: Vec<f64>,
}

pub(super) fn plan(config: &Config) -> Result<Vec<PlannedSampler>, ConfigError> {
    let mut labels = Vec::new();
    let mut out = Vec::new();
    for (i, s) in config.sampler.iter().enumerate() {
        let solver = Solver::new(&s.solver, &s.params())
            .map_err(|e| bad(format!("sampler[{i}].{}", e.key), e.message))?;
        let key = format!("sampler[{i}].steps");
        let sigmas = match (config.schedule.kind, s.steps) {
            (ScheduleKind::Explicit, Some(_)) => {
                return Err(bad(
                    key,
                    "not used with schedule.kind = \"explicit\" (the list fixes the steps)",
                ));
            }
            (ScheduleKind::Explicit, None) => config.schedule.sigmas(None)?,
            (_, None) => return Err(bad(key, "missing")),
            (_, Some(0)) => return Err(bad(key, "must be at least 1")),
            (_, Some(steps)) => config
                .schedule
                .stand_in(steps)
                .map_err(|e| bad(&key, e.to_string()))?,
        };
        let label = config.sampler_label(i);
        unique_label(&format!("sampler[{i}].name"), label.clone(), &mut labels)?;
        out.push(PlannedSampler {
            label,
            solver,
            steps: s.steps,
            sigmas,
        });
    }
    Ok(out)
}
