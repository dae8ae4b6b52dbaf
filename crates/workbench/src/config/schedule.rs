//! `[schedule]` and `[schedule.gits]`: the noise levels every sampler of a
//! run follows. Kinds, ends, GITS costs and the teacher are the sampling
//! crate's own types, read by serde.

use geotraj_sampling::{GitsCost, Schedule, ScheduleEnd, ScheduleKind, ScheduleParams, Solver};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    pub kind: ScheduleKind,
    #[serde(default = "default_sigma_min")]
    pub sigma_min: f64,
    #[serde(default = "default_sigma_max")]
    pub sigma_max: f64,
    /// edm (default 7) and polyexponential (default 1).
    pub rho: Option<f64>,
    /// vp-continuous: the VP-SDE's betas.
    #[serde(default = "default_beta_d")]
    pub beta_d: f64,
    #[serde(default = "default_beta_min")]
    pub beta_min: f64,
    /// ddim-offset: the sigma the discrete schedule starts nearest to.
    #[serde(default = "default_offset_sigma")]
    pub offset_sigma: f64,
    #[serde(default)]
    pub end: ScheduleEnd,
    /// For kind = "explicit".
    pub sigmas: Option<Vec<f64>>,
    /// For kind = "gits" (also in a sweep over schedules).
    pub gits: Option<GitsConfig>,
}

/// GITS: a dynamic program on warm-up trajectories picks each schedule's
/// steps from a fine grid. Defaults are diff-sampler's gits-main: 61 grid
/// points of EDM's rho = 7 schedule, iPNDM teacher, 256 warm-up
/// trajectories, deviation cost, coefficient 1.15.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GitsConfig {
    #[serde(default = "default_gits_coefficient")]
    pub coefficient: f64,
    #[serde(default = "default_gits_cost")]
    pub cost: GitsCost,
    /// The teacher solver (deterministic), by name with default parameters.
    #[serde(default = "default_gits_teacher")]
    pub teacher: Solver,
    /// Steps of the fine grid (GITS's num_steps_tea - 1).
    #[serde(default = "default_gits_grid_steps")]
    pub grid_steps: usize,
    /// The fine grid's schedule kind, with the other schedule keys shared.
    #[serde(default = "default_gits_grid")]
    pub grid: ScheduleKind,
    /// Teacher steps per grid interval.
    #[serde(default = "one_step")]
    pub teacher_substeps: usize,
    /// Warm-up trajectories (their noise is a stream of its own).
    #[serde(default = "default_gits_warmup")]
    pub warmup: usize,
    /// Keep cost matrices in notebooks-data/cache/gits (or OUT/cache/gits).
    #[serde(default = "yes")]
    pub cache: bool,
}

fn default_gits_coefficient() -> f64 {
    1.15
}
fn default_gits_cost() -> GitsCost {
    GitsCost::Deviation
}
fn default_gits_teacher() -> Solver {
    Solver::Ipndm { order: 4 }
}
fn default_gits_grid_steps() -> usize {
    60
}
fn default_gits_grid() -> ScheduleKind {
    ScheduleKind::Edm
}
fn one_step() -> usize {
    1
}
fn default_gits_warmup() -> usize {
    256
}
fn yes() -> bool {
    true
}

impl Default for GitsConfig {
    fn default() -> Self {
        GitsConfig {
            coefficient: default_gits_coefficient(),
            cost: default_gits_cost(),
            teacher: default_gits_teacher(),
            grid_steps: default_gits_grid_steps(),
            grid: default_gits_grid(),
            teacher_substeps: 1,
            warmup: default_gits_warmup(),
            cache: true,
        }
    }
}

impl GitsConfig {
    /// The options of `geotraj_sampling::gits`.
    pub fn options(&self, batch_size: usize) -> geotraj_sampling::GitsOptions {
        geotraj_sampling::GitsOptions {
            coefficient: self.coefficient,
            cost: self.cost,
            teacher: self.teacher,
            teacher_substeps: self.teacher_substeps,
            batch_size,
        }
    }
}

fn default_beta_d() -> f64 {
    Schedule::VP_BETA_D
}
fn default_beta_min() -> f64 {
    Schedule::VP_BETA_MIN
}
fn default_offset_sigma() -> f64 {
    Schedule::DDIM_OFFSET_SIGMA
}
fn default_sigma_min() -> f64 {
    0.002
}
fn default_sigma_max() -> f64 {
    80.0
}

impl Default for ScheduleConfig {
    /// EDM's: rho = 7 from 80 to 0.002, then to 0.
    fn default() -> Self {
        ScheduleConfig {
            kind: ScheduleKind::Edm,
            sigma_min: default_sigma_min(),
            sigma_max: default_sigma_max(),
            rho: None,
            beta_d: default_beta_d(),
            beta_min: default_beta_min(),
            offset_sigma: default_offset_sigma(),
            end: ScheduleEnd::Zero,
            sigmas: None,
            gits: None,
        }
    }
}

impl ScheduleConfig {
    /// The GITS settings (defaults unless `[schedule.gits]` is given).
    pub fn gits(&self) -> GitsConfig {
        self.gits.clone().unwrap_or_default()
    }

    /// The same settings with another kind (for sweeps over schedules); rho
    /// belongs to the kind it was given for.
    pub fn with_kind(&self, kind: ScheduleKind) -> ScheduleConfig {
        let rho = if self.kind == kind { self.rho } else { None };
        ScheduleConfig {
            kind,
            rho,
            ..self.clone()
        }
    }

    /// The formula's parameters as the sampling crate takes them.
    pub fn params(&self) -> ScheduleParams {
        ScheduleParams {
            rho: self.rho,
            beta_d: self.beta_d,
            beta_min: self.beta_min,
            offset_sigma: self.offset_sigma,
            sigmas: self.sigmas.clone().unwrap_or_default(),
        }
    }
}
