//! `[denoiser]`: which denoiser a data set gets, and the optimal one's settings.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DenoiserConfig {
    #[serde(default)]
    pub kind: DenoiserKind,
    #[serde(default = "default_chunk")]
    pub chunk: usize,
    #[serde(default = "default_tail")]
    pub tail: f64,
    #[serde(default = "default_logit_tolerance")]
    pub logit_tolerance: f64,
    /// The learned denoiser's training file (a train-*.toml): its network is
    /// taken from the model cache, or trained there first.
    pub model: Option<PathBuf>,
    /// A checkpoint directory to load the learned denoiser from (trained
    /// into it first when missing and the run says how).
    pub checkpoint: Option<PathBuf>,
}

impl DenoiserConfig {
    /// The optimal denoiser's settings.
    pub fn optimal_options(&self) -> geotraj_denoise::OptimalOptions {
        geotraj_denoise::OptimalOptions {
            chunk: self.chunk,
            tail: self.tail,
            logit_tolerance: self.logit_tolerance,
        }
    }
}

impl Default for DenoiserConfig {
    fn default() -> Self {
        Self {
            kind: DenoiserKind::Optimal,
            chunk: default_chunk(),
            tail: default_tail(),
            logit_tolerance: default_logit_tolerance(),
            model: None,
            checkpoint: None,
        }
    }
}

fn default_chunk() -> usize {
    4096
}
fn default_tail() -> f64 {
    40.0
}
fn default_logit_tolerance() -> f64 {
    1e-3
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DenoiserKind {
    /// The optimal denoiser of the (finite) data set.
    #[default]
    Optimal,
    /// The exact denoiser of the data's law (gaussian and gmm data).
    Analytic,
    /// A trained network: this file's [train], denoiser.model's, or denoiser.checkpoint.
    Learned,
}
