//! `[projection]`: denoising against exact projection on manifolds.

use serde::{Deserialize, Serialize};

/// Permenter & Yuan's "denoising is projection", on manifolds of known dimension.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectionConfig {
    /// Clean points x_0 per manifold, fresh draws (not in the data set).
    #[serde(default = "default_projection_points")]
    pub points: usize,
    #[serde(default = "default_projection_sigma_min")]
    pub sigma_min: f64,
    #[serde(default = "default_projection_sigma_max")]
    pub sigma_max: f64,
    /// Sigmas, log-spaced from sigma_min to sigma_max.
    #[serde(default = "default_projection_sigmas")]
    pub sigmas: usize,
}

fn default_projection_points() -> usize {
    200
}
fn default_projection_sigma_min() -> f64 {
    0.01
}
fn default_projection_sigma_max() -> f64 {
    10.0
}
fn default_projection_sigmas() -> usize {
    16
}

impl ProjectionConfig {
    /// The log-spaced sigmas, increasing.
    pub fn sigma_grid(&self) -> Vec<f64> {
        let (a, b) = (self.sigma_min.ln(), self.sigma_max.ln());
        (0..self.sigmas)
            .map(|k| (a + (b - a) * k as f64 / (self.sigmas - 1) as f64).exp())
            .collect()
    }
}
