//! `[[figure]]`: figures beyond the standard ones.

use serde::{Deserialize, Serialize};

/// An extra figure of a run.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FigureConfig {
    pub kind: FigureKind,
    /// The sweep column on the y axis (error-vs-nfe, quality-vs-nfe, quality-vs-gamma).
    pub measure: Option<String>,
    /// eps-field: the sigmas to draw the field at.
    pub sigmas: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FigureKind {
    /// Sweep: a measure against NFE, log-log, one line per sampler and schedule.
    ErrorVsNfe,
    /// Sweep: a measure against NFE, one line per sampler and schedule.
    QualityVsNfe,
    /// Sweep: a measure against gamma, one line per steps.
    QualityVsGamma,
    /// Sweep: log sigma_n against n for every schedule of the sweep.
    ScheduleSigmas,
    /// Trajectory run on 2-D data: the sampling trajectories over the data.
    #[serde(rename = "trajectories-2d")]
    Trajectories2d,
    /// Trajectory run on 2-D data: eps(x, sigma) on a grid at `sigmas`.
    EpsField,
    /// 2-D histogram of the relative error |D(x_n) - proj_K(x_n)| / dist_K(x_n)
    /// against sigma, one trajectory overlaid (Permenter & Yuan).
    ErrorHistogram,
    /// nu_n = sqrt(d) sigma_n / dist_K(x_n) against sigma.
    Nu,
    /// dist_K(x_n) and dist_K(D(x_n)) against sigma, beside sigma sqrt(d).
    DistanceToData,
    /// |x_n - x_N| and |D(x_n) - x_N| against sigma (Chen et al., Obs. 3).
    Jump,
    /// Share of final samples with d1/d2 below each ratio.
    Memorisation,
    /// The mean-shift identity error of each Euler step against sigma.
    Identity,
    /// cos(eps_n, x_n - x_N) against sigma (Chen et al., Fig. 14a).
    Direction,
    /// Top-2 PCA reconstruction error against sigma, and the 3-D views of
    /// the first trajectories drawn from two sides.
    LowDim,
}

impl FigureKind {
    /// Figures drawn from the nearest-neighbour measures.
    pub fn needs_distance(self) -> bool {
        matches!(
            self,
            FigureKind::ErrorHistogram
                | FigureKind::Nu
                | FigureKind::DistanceToData
                | FigureKind::Memorisation
        )
    }
}

/// The sweep table's measures a figure can plot.
pub const SWEEP_MEASURES: &[&str] = &["solver_error", "fd", "sw2", "log_likelihood", "seconds"];
