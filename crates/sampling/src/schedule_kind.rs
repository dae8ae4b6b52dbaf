//! A schedule named without its parameters: what a config's `kind` says and
//! what a sweep lists. `Gits` has no formula; its sigmas come from warm-up
//! trajectories (see `gits`).

use crate::schedule::Schedule;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case")
)]
pub enum ScheduleKind {
    Edm,
    LogLinear,
    Polyexponential,
    LogSnr,
    TimeUniform,
    VpContinuous,
    Ddim,
    DdimOffset,
    Explicit,
    /// Chosen per step count by a dynamic program on warm-up trajectories.
    Gits,
}

/// The parameters a kind may take, flat as a config gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleParams {
    /// edm (default 7) and polyexponential (default 1).
    pub rho: Option<f64>,
    pub beta_d: f64,
    pub beta_min: f64,
    pub offset_sigma: f64,
    /// The list of an explicit schedule.
    pub sigmas: Vec<f64>,
}

impl ScheduleKind {
    /// Every kind's name, in declaration order.
    pub const NAMES: &[&str] = &[
        "edm",
        "log-linear",
        "polyexponential",
        "log-snr",
        "time-uniform",
        "vp-continuous",
        "ddim",
        "ddim-offset",
        "explicit",
        "gits",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            ScheduleKind::Edm => "edm",
            ScheduleKind::LogLinear => "log-linear",
            ScheduleKind::Polyexponential => "polyexponential",
            ScheduleKind::LogSnr => "log-snr",
            ScheduleKind::TimeUniform => "time-uniform",
            ScheduleKind::VpContinuous => "vp-continuous",
            ScheduleKind::Ddim => "ddim",
            ScheduleKind::DdimOffset => "ddim-offset",
            ScheduleKind::Explicit => "explicit",
            ScheduleKind::Gits => "gits",
        }
    }

    /// Whether `rho` means something for this kind.
    pub fn takes_rho(&self) -> bool {
        matches!(self, ScheduleKind::Edm | ScheduleKind::Polyexponential)
    }

    /// The formula of this kind with `p`; None for GITS, which has none.
    pub fn schedule(&self, p: &ScheduleParams) -> Option<Schedule> {
        Some(match self {
            ScheduleKind::Edm => Schedule::Edm {
                rho: p.rho.unwrap_or(7.0),
            },
            ScheduleKind::LogLinear => Schedule::LogLinear,
            ScheduleKind::Polyexponential => Schedule::Polyexponential {
                rho: p.rho.unwrap_or(1.0),
            },
            ScheduleKind::LogSnr => Schedule::LogSnr,
            ScheduleKind::TimeUniform => Schedule::TimeUniform,
            ScheduleKind::VpContinuous => Schedule::VpContinuous {
                beta_d: p.beta_d,
                beta_min: p.beta_min,
            },
            ScheduleKind::Ddim => Schedule::Ddim,
            ScheduleKind::DdimOffset => Schedule::DdimOffset {
                sigma: p.offset_sigma,
            },
            ScheduleKind::Explicit => Schedule::Explicit(p.sigmas.clone()),
            ScheduleKind::Gits => return None,
        })
    }
}

impl Schedule {
    /// The kind of this formula.
    pub fn kind(&self) -> ScheduleKind {
        match self {
            Schedule::Edm { .. } => ScheduleKind::Edm,
            Schedule::LogLinear => ScheduleKind::LogLinear,
            Schedule::Polyexponential { .. } => ScheduleKind::Polyexponential,
            Schedule::LogSnr => ScheduleKind::LogSnr,
            Schedule::TimeUniform => ScheduleKind::TimeUniform,
            Schedule::VpContinuous { .. } => ScheduleKind::VpContinuous,
            Schedule::Ddim => ScheduleKind::Ddim,
            Schedule::DdimOffset { .. } => ScheduleKind::DdimOffset,
            Schedule::Explicit(_) => ScheduleKind::Explicit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_formulas_agree() {
        let p = ScheduleParams {
            rho: None,
            beta_d: Schedule::VP_BETA_D,
            beta_min: Schedule::VP_BETA_MIN,
            offset_sigma: Schedule::DDIM_OFFSET_SIGMA,
            sigmas: vec![1.0, 0.0],
        };
        let kinds = [
            ScheduleKind::Edm,
            ScheduleKind::LogLinear,
            ScheduleKind::Polyexponential,
            ScheduleKind::LogSnr,
            ScheduleKind::TimeUniform,
            ScheduleKind::VpContinuous,
            ScheduleKind::Ddim,
            ScheduleKind::DdimOffset,
            ScheduleKind::Explicit,
            ScheduleKind::Gits,
        ];
        let names: Vec<&str> = kinds.iter().map(ScheduleKind::name).collect();
        assert_eq!(names, ScheduleKind::NAMES);
        for k in kinds {
            match k.schedule(&p) {
                Some(s) => {
                    assert_eq!(s.kind(), k);
                    assert_eq!(s.name(), k.name());
                }
                None => assert_eq!(k, ScheduleKind::Gits),
            }
        }
        assert_eq!(
            ScheduleKind::Edm.schedule(&p),
            Some(Schedule::Edm { rho: 7.0 })
        );
        assert!(ScheduleKind::Polyexponential.takes_rho() && !ScheduleKind::Ddim.takes_rho());
    }
}
