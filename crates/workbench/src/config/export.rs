//! `[export]`: the trajectories themselves, as arrays for other programs.

use serde::{Deserialize, Serialize};

/// Which trajectories of every (data, sampler) case are written, what of
/// them, and in which format; in a sweep, every cell's final samples.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// The first this many trajectories of each case (default: all).
    pub trajectories: Option<usize>,
    /// Default: states and denoised.
    pub what: Option<Vec<ExportPart>>,
    pub format: Option<ExportFormat>,
    /// Image data: the final samples of every case (sweeps: every cell) also
    /// as a folder of PNG files, as pytorch-fid and clean-fid read them.
    #[serde(default)]
    pub png: bool,
}

impl ExportConfig {
    /// What a trajectory run exports.
    pub fn parts(&self) -> &[ExportPart] {
        self.what
            .as_deref()
            .unwrap_or(&[ExportPart::States, ExportPart::Denoised])
    }

    pub fn format(&self) -> ExportFormat {
        self.format.unwrap_or_default()
    }
}

/// One kind of array of a trajectory.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ExportPart {
    /// x_n at every step, trajectories x (N + 1) x item shape.
    States,
    /// D(x_n; sigma_n) at every state where the solver evaluated there
    /// (NaN elsewhere, e.g. the final state at sigma = 0).
    Denoised,
    /// Every denoiser evaluation as it happened, trajectories x NFE x item
    /// shape, with its sigma and step.
    Evals,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// One .npy per array, with a JSON sidecar (sigmas, labels, seed).
    #[default]
    Npy,
    /// One .safetensors per case: named tensors plus string metadata.
    Safetensors,
}
