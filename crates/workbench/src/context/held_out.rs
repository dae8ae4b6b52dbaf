//! What samples of one data set are judged against: the first held-out
//! rows and their statistics in the PCA features of the training data.
//! Shared by sweeps (FD, SW2) and jump-early quality (FD per step).

use super::data::LoadedData;
use super::load::held_out;
use crate::config::{Config, DataConfig};
use geotraj_metrics::{FeatureStats, Pca, frechet_distance};

/// Held-out rows used for the quality measures (the first ones).
pub const HELD_OUT_ROWS: usize = 2000;

pub struct HeldOut {
    /// The top `quality.pca_dim` components of the training data.
    pub pca: Pca,
    /// n x d held-out rows.
    pub rows: Vec<f32>,
    pub n: usize,
    /// Their feature statistics.
    pub stats: FeatureStats,
}

impl HeldOut {
    pub fn new(config: &Config, dcfg: &DataConfig, loaded: &LoadedData) -> anyhow::Result<Self> {
        let data = &loaded.data;
        let held = held_out(dcfg, config.seed)?;
        let n = held.n.min(HELD_OUT_ROWS);
        let rows = held.rows[..n * data.d].to_vec();
        let pca = Pca::fit(&data.rows, data.n, data.d, config.quality.pca_dim);
        let stats = FeatureStats::of(&pca.project(&rows, n), n, pca.k);
        Ok(HeldOut {
            pca,
            rows,
            n,
            stats,
        })
    }

    /// The Fréchet distance of n rows of PCA features (n x k) to the held-out rows.
    pub fn fd(&self, features: &[f64], n: usize) -> f64 {
        frechet_distance(&FeatureStats::of(features, n, self.pca.k), &self.stats)
    }
}
