//! The schedule's rules, and its sigmas: every kind but GITS follows from
//! the config alone; GITS has a stand-in of as many sigmas until its
//! warm-up has run.

use super::keys::bad;
use crate::config::{ConfigError, GitsConfig, ScheduleConfig};
use geotraj_sampling::ScheduleKind;

impl GitsConfig {
    fn check(&self) -> Result<(), ConfigError> {
        if !(self.coefficient.is_finite() && self.coefficient > 0.0) {
            return Err(bad(
                "schedule.gits.coefficient",
                format!("must be positive, got {}", self.coefficient),
            ));
        }
        if self.teacher.is_stochastic() {
            return Err(bad(
                "schedule.gits.teacher",
                format!(
                    "{:?} is stochastic; the warm-up needs a deterministic solver",
                    self.teacher.describe()
                ),
            ));
        }
        if matches!(self.grid, ScheduleKind::Gits | ScheduleKind::Explicit) {
            return Err(bad(
                "schedule.gits.grid",
                format!("must be a schedule formula, not {:?}", self.grid.name()),
            ));
        }
        for (key, v) in [
            ("schedule.gits.grid_steps", self.grid_steps),
            ("schedule.gits.teacher_substeps", self.teacher_substeps),
            ("schedule.gits.warmup", self.warmup),
        ] {
            if v == 0 {
                return Err(bad(key, "must be at least 1"));
            }
        }
        Ok(())
    }
}

impl ScheduleConfig {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.kind == ScheduleKind::Explicit {
            let list = self.sigmas.as_ref().ok_or_else(|| {
                bad(
                    "schedule.sigmas",
                    "missing (schedule.kind = \"explicit\" needs the list)",
                )
            })?;
            geotraj_sampling::schedule::validate(list)
                .map_err(|e| bad(format!("schedule.{}", e.key), e.message))?;
            return Ok(());
        }
        if self.sigmas.is_some() {
            return Err(bad(
                "schedule.sigmas",
                "only used with schedule.kind = \"explicit\"",
            ));
        }
        if let Some(g) = &self.gits {
            g.check()?;
        }
        if self.rho.is_some() && !self.kind.takes_rho() {
            return Err(bad(
                "schedule.rho",
                format!("not used by schedule.kind = \"{}\"", self.kind.name()),
            ));
        }
        // Building a one-step schedule checks every parameter.
        self.stand_in(1).map(|_| ())
    }

    /// The fine grid GITS picks its steps from.
    pub fn gits_grid(&self) -> Result<Vec<f64>, ConfigError> {
        let g = self.gits();
        self.with_kind(g.grid)
            .sigmas(Some(g.grid_steps))
            .map_err(|e| bad("schedule.gits.grid", format!("({}): {}", g.grid.name(), e)))
    }

    /// The sigmas where they follow from the config alone; for "gits", those
    /// of its grid kind with the same steps: as many values, the same end,
    /// so the same NFE for every solver (for progress totals and checks).
    pub fn stand_in(&self, steps: usize) -> Result<Vec<f64>, ConfigError> {
        match self.kind {
            ScheduleKind::Gits => {
                let g = self.gits();
                if steps > g.grid_steps {
                    return Err(bad(
                        "schedule.gits.grid_steps",
                        format!(
                            "{} grid steps cannot hold a {steps}-step GITS schedule",
                            g.grid_steps
                        ),
                    ));
                }
                self.gits_grid()?;
                self.with_kind(g.grid).sigmas(Some(steps))
            }
            _ => self.sigmas(Some(steps)),
        }
    }

    /// The sigmas for a sampler with `steps` steps (without the final jump).
    /// For kind "gits" an error: its sigmas need warm-up trajectories.
    pub fn sigmas(&self, steps: Option<usize>) -> Result<Vec<f64>, ConfigError> {
        let schedule = self.kind.schedule(&self.params()).ok_or_else(|| {
            bad(
                "schedule.kind",
                "\"gits\" sigmas come from warm-up trajectories, not from the config",
            )
        })?;
        schedule
            .sigmas(steps.unwrap_or(0), self.sigma_min, self.sigma_max, self.end)
            .map_err(|e| {
                let key = match e.key {
                    "sigma" => "offset_sigma",
                    k => k,
                };
                bad(format!("schedule.{key}"), e.message)
            })
    }
}
