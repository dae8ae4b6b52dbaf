//! A `[sweep]`: its rules, and its cells, the cartesian product of its
//! lists, where `order`, `gamma` and `mu` multiply only the samplers that
//! use them.

use super::keys::bad;
use crate::config::{ConfigError, ScheduleConfig, SweepConfig};
use geotraj_sampling::{ScheduleKind, Solver, SolverParams};

/// One cell of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub sampler: String,
    pub solver: Solver,
    pub schedule: ScheduleKind,
    pub steps: usize,
    pub order: Option<usize>,
    pub gamma: Option<f64>,
    pub mu: Option<f64>,
    /// The cell's sigmas; for GITS a stand-in until its data set's warm-up.
    pub sigmas: Vec<f64>,
}

/// Whether solver `name` takes the parameter set in `p`.
fn uses(name: &str, p: SolverParams) -> bool {
    !matches!(Solver::new(name, &p), Err(e) if e.message.starts_with("not used"))
}

/// The values of one parameter list for `name`: the list where the solver
/// uses the parameter, otherwise a single "not set".
fn values<T: Copy>(
    name: &str,
    list: &Option<Vec<T>>,
    set: impl Fn(T) -> SolverParams,
) -> Vec<Option<T>> {
    match list {
        Some(l) if !l.is_empty() && uses(name, set(l[0])) => l.iter().map(|&v| Some(v)).collect(),
        _ => vec![None],
    }
}

fn order(o: usize) -> SolverParams {
    SolverParams {
        order: Some(o),
        ..Default::default()
    }
}

fn gamma(g: f64) -> SolverParams {
    SolverParams {
        gamma: Some(g),
        ..Default::default()
    }
}

fn mu(m: f64) -> SolverParams {
    SolverParams {
        mu: Some(m),
        ..Default::default()
    }
}

/// Checks the sweep, then lists its cells in table order: schedule,
/// sampler, order, gamma, mu, then steps.
pub(super) fn cells(sweep: &SweepConfig, base: &ScheduleConfig) -> Result<Vec<Cell>, ConfigError> {
    check(sweep, base)?;
    let schedules = sweep.schedule.clone().unwrap_or_else(|| vec![base.kind]);
    let mut cells = Vec::new();
    for &schedule in &schedules {
        // One schedule per step count, shared by every sampler of the schedule.
        let config = base.with_kind(schedule);
        let sigmas = sweep
            .steps
            .iter()
            .map(|&steps| config.stand_in(steps))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                bad(
                    format!("sweep.schedule ({})", schedule.name()),
                    e.to_string(),
                )
            })?;
        for (i, name) in sweep.sampler.iter().enumerate() {
            let orders = values(name, &sweep.order, order);
            let gammas = values(name, &sweep.gamma, gamma);
            let mus = values(name, &sweep.mu, mu);
            for &order in &orders {
                for &gamma in &gammas {
                    for &mu in &mus {
                        let p = SolverParams {
                            order,
                            gamma,
                            mu,
                            ..Default::default()
                        };
                        let solver = Solver::new(name, &p)
                            .map_err(|e| bad(format!("sweep.sampler[{i}]"), e.to_string()))?;
                        for (&steps, sigmas) in sweep.steps.iter().zip(&sigmas) {
                            cells.push(Cell {
                                sampler: name.clone(),
                                solver,
                                schedule,
                                steps,
                                order,
                                gamma,
                                mu,
                                sigmas: sigmas.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    Ok(cells)
}

fn check(sweep: &SweepConfig, schedule: &ScheduleConfig) -> Result<(), ConfigError> {
    if sweep.sampler.is_empty() {
        return Err(bad("sweep.sampler", "at least one solver name is required"));
    }
    for (i, name) in sweep.sampler.iter().enumerate() {
        Solver::new(name, &SolverParams::default())
            .map_err(|e| bad(format!("sweep.sampler[{i}]"), e.message))?;
    }
    if sweep.steps.is_empty() {
        return Err(bad(
            "sweep.steps",
            "at least one number of steps is required",
        ));
    }
    if let Some(i) = sweep.steps.iter().position(|&s| s == 0) {
        return Err(bad(format!("sweep.steps[{i}]"), "must be at least 1"));
    }
    if schedule.kind == ScheduleKind::Explicit
        || sweep
            .schedule
            .as_ref()
            .is_some_and(|k| k.contains(&ScheduleKind::Explicit))
    {
        return Err(bad(
            "sweep.schedule",
            "an explicit list cannot be swept over steps",
        ));
    }
    for (key, list) in [
        ("sweep.order", sweep.order.as_ref().map(|v| v.is_empty())),
        ("sweep.gamma", sweep.gamma.as_ref().map(|v| v.is_empty())),
        ("sweep.mu", sweep.mu.as_ref().map(|v| v.is_empty())),
        (
            "sweep.schedule",
            sweep.schedule.as_ref().map(|v| v.is_empty()),
        ),
    ] {
        if list == Some(true) {
            return Err(bad(key, "an empty list leaves nothing to run"));
        }
    }
    // Every value must suit at least one sampler that uses it.
    let suits = |key: &str, i: usize, p: SolverParams| -> Result<(), ConfigError> {
        let mut used = false;
        for name in &sweep.sampler {
            match Solver::new(name, &p) {
                Ok(_) => used = true,
                Err(e) if e.key == key && !e.message.starts_with("not used") => {
                    return Err(bad(format!("sweep.{key}[{i}]"), e.message));
                }
                Err(_) => {}
            }
        }
        if used {
            Ok(())
        } else {
            Err(bad(
                format!("sweep.{key}"),
                "no sampler of sweep.sampler uses it",
            ))
        }
    };
    for (i, &o) in sweep.order.iter().flatten().enumerate() {
        suits("order", i, order(o))?;
    }
    for (i, &g) in sweep.gamma.iter().flatten().enumerate() {
        suits("gamma", i, gamma(g))?;
    }
    for (i, &m) in sweep.mu.iter().flatten().enumerate() {
        suits("mu", i, mu(m))?;
    }
    let largest = sweep.steps.iter().copied().max().unwrap_or(1);
    for (i, kind) in sweep.schedule.iter().flatten().enumerate() {
        schedule.with_kind(*kind).stand_in(largest).map_err(|e| {
            bad(
                format!("sweep.schedule[{i}]"),
                format!("({}): {e}", kind.name()),
            )
        })?;
    }
    if schedule.kind == ScheduleKind::Gits && sweep.schedule.is_none() {
        schedule
            .stand_in(largest)
            .map_err(|e| bad("sweep.steps", e.to_string()))?;
    }
    Ok(())
}
