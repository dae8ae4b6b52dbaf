//! `[pretrained]`: a network trained elsewhere, loaded from the user's
//! weights file and wrapped as the run's learned denoiser. Nothing is
//! downloaded; a missing file says where such files come from.

use crate::config::{Architecture, PretrainedConfig};
use crate::context::denoisers::LearnedDenoiser;
use anyhow::{Context as _, bail};
use geotraj_data::weights::read_weights;
use geotraj_denoise::pretrained::{AlphaTable, DdpmUnet, DiscreteEps, EpsNetwork};
use std::sync::Arc;

/// The loaded network as a denoiser, in words, and its parameter count.
pub struct Loaded {
    pub denoiser: LearnedDenoiser,
    pub network: String,
    pub parameters: usize,
}

pub fn load(p: &PretrainedConfig, device: &burn::tensor::Device) -> anyhow::Result<Loaded> {
    if !p.weights.is_file() {
        bail!(
            "pretrained.weights: {} is not a file (nothing is downloaded: the README's \
             \"Pretrained networks\" section says where each network's weights come from)",
            p.weights.display()
        );
    }
    let weights = read_weights(&p.weights).context("pretrained.weights")?;
    let Architecture::Ddpm = p.architecture;
    let config = p
        .network_config()
        .expect("planning requires pretrained.preset or pretrained.network");
    let net =
        DdpmUnet::load(&config, &weights, p.prefix.as_deref(), device).context("pretrained")?;
    drop(weights);
    let (network, parameters) = (net.describe(), net.parameters());
    let s = p.schedule;
    let table = AlphaTable::linear(s.beta_start, s.beta_end, s.timesteps);
    let denoiser =
        DiscreteEps::new(net, table).map_err(|e| anyhow::anyhow!("pretrained.schedule: {e}"))?;
    Ok(Loaded {
        denoiser: Arc::new(denoiser),
        network,
        parameters,
    })
}
