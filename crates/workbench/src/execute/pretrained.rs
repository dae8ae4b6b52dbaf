//! `[pretrained]`: a network trained elsewhere, loaded from the user's
//! weights file and wrapped as the run's learned denoiser. Nothing is
//! downloaded; a missing file says where such files come from.

use crate::config::{Architecture, PretrainedConfig};
use crate::context::denoisers::LearnedDenoiser;
use anyhow::{Context as _, bail};
use geotraj_data::weights::Weights;
use geotraj_data::weights::read_weights;
use geotraj_denoise::Network as _;
use geotraj_denoise::Preconditioned;
use geotraj_denoise::pretrained::{
    AlphaTable, DdpmConfig, DdpmUnet, DiscreteEps, EdmNetwork, EdmUnet, EpsNetwork,
    ddpm_config_from_diffusers, edm_config_from_json,
};
use std::path::Path;
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
    if p.architecture == Architecture::Edm {
        return edm(p, &weights, device);
    }
    let config = match p.network_config() {
        Some(c) => c,
        None => diffusers_config(&p.weights)?,
    };
    let net = DdpmUnet::load(&config, p.layout, &weights, p.prefix.as_deref(), device)
        .context("pretrained")?;
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

/// The UNet2DModel config.json beside a diffusers weights file.
fn diffusers_config(weights: &Path) -> anyhow::Result<DdpmConfig> {
    let path = weights.with_file_name("config.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "pretrained: no preset or network table, so the diffusers config {} is needed",
            path.display()
        )
    })?;
    ddpm_config_from_diffusers(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// An EDM network: network.json beside the weights gives the architecture
/// and the preconditioning.
fn edm(
    p: &PretrainedConfig,
    weights: &Weights,
    device: &burn::tensor::Device,
) -> anyhow::Result<Loaded> {
    let path = p.weights.with_file_name("network.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "pretrained: {} is needed beside the weights (scripts/export_edm.py writes both)",
            path.display()
        )
    })?;
    let cfg =
        edm_config_from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if let Some(k) = p.class
        && k >= cfg.arch.label_dim()
    {
        bail!(
            "pretrained.class: {k} is not a class of this network ({} classes)",
            cfg.arch.label_dim()
        );
    }
    let unet = EdmUnet::load(&cfg, weights, p.prefix.as_deref(), device).context("pretrained")?;
    let net = EdmNetwork {
        unet,
        class: p.class,
    };
    let (network, parameters) = (
        format!("{}, {}", net.describe(), cfg.class_name),
        net.unet.parameters(),
    );
    Ok(Loaded {
        denoiser: Arc::new(Preconditioned {
            net,
            preconditioning: cfg.preconditioning,
        }),
        network,
        parameters,
    })
}
