//! `[[sampler]]` and `[sweep]`: the solvers of a trajectory run, or the
//! lists a sweep expands.

use geotraj_sampling::{ScheduleKind, SolverParams};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SamplerConfig {
    /// Label in tables (default: "SOLVER-STEPS").
    pub name: Option<String>,
    pub solver: String,
    /// Solver steps (intervals of the schedule); not used with an explicit schedule.
    pub steps: Option<usize>,
    pub order: Option<usize>,
    pub gamma: Option<f64>,
    pub mu: Option<f64>,
    pub s_churn: Option<f64>,
    pub s_min: Option<f64>,
    pub s_max: Option<f64>,
    pub s_noise: Option<f64>,
}

impl SamplerConfig {
    pub fn params(&self) -> SolverParams {
        SolverParams {
            order: self.order,
            gamma: self.gamma,
            mu: self.mu,
            s_churn: self.s_churn,
            s_min: self.s_min,
            s_max: self.s_max,
            s_noise: self.s_noise,
        }
    }
}

/// Lists that expand to their cartesian product; `order`, `gamma` and `mu`
/// expand only for the samplers that use them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepConfig {
    pub sampler: Vec<String>,
    pub steps: Vec<usize>,
    /// Schedule kinds (default: schedule.kind); the other schedule keys are shared.
    pub schedule: Option<Vec<ScheduleKind>>,
    pub order: Option<Vec<usize>>,
    pub gamma: Option<Vec<f64>>,
    pub mu: Option<Vec<f64>>,
}
