//! The denoisers a config can name, built on a loaded data set, and the
//! exact nearest-neighbour search over it.

use super::data::LoadedData;
use super::load::gmm_law;
use crate::config::{Config, DataConfig, DataSource, DenoiserKind};
use geotraj_denoise::{
    GaussianDenoiser, GmmDenoiser, NearestNeighbours, OptimalDenoiser, PruneCounts,
};
use geotraj_sampling::Denoiser;
use std::sync::Arc;

/// A network (trained here behind its preconditioning, or pretrained behind
/// its wrapper), shared by the data sets that use it.
pub type LearnedDenoiser = Arc<dyn Denoiser>;

/// The denoisers a config can name, with the optimal one's diagnostics.
pub enum Built {
    Optimal(OptimalDenoiser),
    // Boxed: device tensors make them several times larger than the other.
    Analytic(Box<GaussianDenoiser>),
    Gmm(Box<GmmDenoiser>),
    Learned(LearnedDenoiser),
}

impl Built {
    pub fn as_denoiser(&self) -> &dyn Denoiser {
        match self {
            Built::Optimal(d) => d,
            Built::Analytic(d) => d.as_ref(),
            Built::Gmm(d) => d.as_ref(),
            Built::Learned(d) => d.as_ref(),
        }
    }

    /// The optimal denoiser's per-σ pruning counts so far (empty for others).
    pub fn pruning(&self) -> Vec<(f64, PruneCounts)> {
        match self {
            Built::Optimal(d) => d.pruning_stats(),
            Built::Analytic(_) | Built::Gmm(_) | Built::Learned(_) => Vec::new(),
        }
    }

    /// Rows the optimal denoiser decided on exact distances, and candidates re-scored.
    pub fn stats(&self) -> (usize, usize) {
        match self {
            Built::Optimal(d) => d.narrow_stats(),
            Built::Analytic(_) | Built::Gmm(_) | Built::Learned(_) => (0, 0),
        }
    }
}

/// Exact nearest neighbours over the run's data, sharing the optimal
/// denoiser's uploaded blocks when it has them.
pub fn build_nearest(
    config: &Config,
    loaded: &LoadedData,
    denoiser: &Built,
    device: &burn::tensor::Device,
) -> NearestNeighbours {
    match denoiser {
        Built::Optimal(d) => NearestNeighbours::from_blocks(d.blocks()),
        _ => NearestNeighbours::new(loaded.data.clone(), device.clone(), config.denoiser.chunk),
    }
}

/// The denoiser of one data set; `learned` is the run's network when any
/// data set uses it (planning made sure one exists then).
pub fn build_denoiser(
    config: &Config,
    dcfg: &DataConfig,
    loaded: &LoadedData,
    learned: Option<&LearnedDenoiser>,
    device: &burn::tensor::Device,
) -> Built {
    let source = &dcfg.source;
    match (dcfg.denoiser_kind(&config.denoiser), source) {
        (DenoiserKind::Learned, _) => Built::Learned(Arc::clone(
            learned.expect("a run with a learned data set resolves its model first"),
        )),
        (DenoiserKind::Analytic, DataSource::Gaussian { dim, mean, std, .. }) => {
            Built::Analytic(Box::new(GaussianDenoiser::new(
                vec![*mean as f32; *dim],
                *std,
                device.clone(),
            )))
        }
        (DenoiserKind::Analytic, DataSource::Gmm { .. }) => Built::Gmm(Box::new(GmmDenoiser::new(
            gmm_law(source, config.seed).expect("a gmm source has a law"),
            device.clone(),
        ))),
        _ => Built::Optimal(OptimalDenoiser::new(
            loaded.data.clone(),
            device.clone(),
            config.denoiser.optimal_options(),
        )),
    }
}
