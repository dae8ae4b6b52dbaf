//! `[quality]` and `[measures]`: how samples are judged, and the measures
//! relative to the data set.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The feature space of the Fréchet distance.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum QualityFeatures {
    /// The top `pca_dim` principal components of the training data (FD-PCA).
    #[default]
    Pca,
    /// pytorch-fid's Inception-v3 pool3 features: FID, as the papers report it.
    Inception,
    /// The penultimate features of a small classifier trained here on the
    /// data set's labels (FD-classifier): in-domain for small gray images.
    Classifier,
}

impl QualityFeatures {
    /// What the Fréchet distance in these features is called in tables' captions and reports.
    pub fn label(self) -> &'static str {
        match self {
            QualityFeatures::Pca => "FD-PCA",
            QualityFeatures::Inception => "FID",
            QualityFeatures::Classifier => "FD-classifier",
        }
    }
}

/// How samples are judged.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QualityConfig {
    /// The Fréchet distance's features: "pca", "inception" or "classifier".
    #[serde(default)]
    pub features: QualityFeatures,
    /// features = "pca": this many principal components of the training set.
    #[serde(default = "default_pca_dim")]
    pub pca_dim: usize,
    /// features = "inception": pytorch-fid's weights file
    /// (pt_inception-2015-12-05-6726825d.pth).
    pub inception_weights: Option<PathBuf>,
    /// features = "inception": the reference statistics, a pytorch-fid .npz
    /// (mu, sigma; e.g. of the 50,000 CIFAR-10 training images) instead of
    /// the held-out rows' own.
    pub reference_stats: Option<PathBuf>,
    /// Random directions of the sliced Wasserstein-2 distance.
    #[serde(default = "default_projections")]
    pub projections: usize,
    /// Compare with an adaptive reference solve of the same noise (solver error).
    #[serde(default = "yes")]
    pub reference: bool,
    #[serde(default = "default_tolerance")]
    pub rtol: f64,
    #[serde(default = "default_tolerance")]
    pub atol: f64,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            features: QualityFeatures::Pca,
            pca_dim: default_pca_dim(),
            inception_weights: None,
            reference_stats: None,
            projections: default_projections(),
            reference: true,
            rtol: default_tolerance(),
            atol: default_tolerance(),
        }
    }
}

fn default_pca_dim() -> usize {
    32
}
fn default_projections() -> usize {
    256
}
fn yes() -> bool {
    true
}
fn default_tolerance() -> f64 {
    1e-5
}

/// Measures relative to the data set; each costs an exact nearest-neighbour
/// search (a GEMM over the data) per state.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MeasuresConfig {
    /// Nearest data points of every state: dist_data, nu, rel_error, the
    /// DDIM descent bound (euler) and the final samples' memorisation.
    #[serde(default)]
    pub distance: bool,
    /// Nearest data points of every D(x_n) too (denoised_dist_data).
    #[serde(default)]
    pub jump: bool,
    /// A final sample with d1/d2 below this counts as memorised.
    #[serde(default = "default_memorised_ratio")]
    pub memorised_ratio: f64,
    /// Check the mean-shift identity on this many trajectories (euler, optimal).
    #[serde(default)]
    pub identity: usize,
    /// Per-trajectory PCA of the states (explained variance, top-2 error)
    /// and the 3-D view of the first `views` trajectories.
    #[serde(default)]
    pub lowdim: bool,
    #[serde(default = "default_views")]
    pub views: usize,
    /// FD of x_n and of D(x_n) at every step against held-out data
    /// (jump-early quality vs NFE, Chen et al., Obs. 3).
    #[serde(default)]
    pub jump_quality: bool,
    /// The four distances between the learned and the optimal denoiser's
    /// trajectories from the same noise (Chen et al., Obs. 4): needs a
    /// learned and an optimal data set with the same source.
    #[serde(default)]
    pub learned_vs_optimal: bool,
}

fn default_views() -> usize {
    30
}

impl Default for MeasuresConfig {
    fn default() -> Self {
        MeasuresConfig {
            distance: false,
            jump: false,
            memorised_ratio: default_memorised_ratio(),
            identity: 0,
            lowdim: false,
            views: default_views(),
            jump_quality: false,
            learned_vs_optimal: false,
        }
    }
}

fn default_memorised_ratio() -> f64 {
    1.0 / 3.0
}
