//! `[pretrained]`: a network trained elsewhere, loaded from the user's
//! weights file and wrapped as the run's learned denoiser. Nothing is
//! downloaded; a missing file says where such files come from.

use crate::config::{Architecture, ClassChoice, PretrainedConfig};
use crate::context::denoisers::LearnedDenoiser;
use anyhow::{Context as _, bail};
use geotraj_data::weights::Weights;
use geotraj_data::weights::read_weights;
use geotraj_denoise::Network as _;
use geotraj_denoise::Preconditioned;
use geotraj_denoise::pretrained::{
    AlphaTable, Classes, DdpmConfig, DdpmUnet, DiscreteEps, EdmNetwork, EdmPreconditioning,
    EdmUnet, EpsNetwork, IddpmPrecond, ddpm_config_from_diffusers, edm_config_from_json,
};
use geotraj_sampling::Denoiser as _;
use std::path::Path;
use std::sync::Arc;

/// The loaded network as a denoiser, in words, and its parameter count.
pub struct Loaded {
    pub denoiser: LearnedDenoiser,
    pub network: String,
    pub parameters: usize,
}

/// Loads the network; `seed` keys a conditional network's per-trajectory classes.
pub fn load(
    p: &PretrainedConfig,
    seed: u64,
    device: &burn::tensor::Device,
) -> anyhow::Result<Loaded> {
    if !p.weights.is_file() {
        bail!(
            "pretrained.weights: {} is not a file (nothing is downloaded: the README's \
             \"Pretrained networks\" section says where each network's weights come from)",
            p.weights.display()
        );
    }
    let weights = read_weights(&p.weights).context("pretrained.weights")?;
    if p.architecture == Architecture::Edm {
        return edm(p, &weights, seed, device);
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
    seed: u64,
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
    let labels = cfg.arch.label_dim();
    let classes = match p.class {
        None => Classes::None,
        Some(_) if labels == 0 => bail!(
            "pretrained.class: this network is unconditional (label_dim 0 in {})",
            path.display()
        ),
        Some(ClassChoice::Fixed(k)) if k >= labels => {
            bail!("pretrained.class: {k} is not a class of this network ({labels} classes)")
        }
        Some(ClassChoice::Fixed(k)) => Classes::Fixed(k),
        Some(ClassChoice::PerTrajectory) => Classes::PerTrajectory { seed },
    };
    let unet = EdmUnet::load(&cfg, weights, p.prefix.as_deref(), device).context("pretrained")?;
    let net = EdmNetwork { unet, classes };
    let parameters = net.unet.parameters();
    let (denoiser, network): (LearnedDenoiser, String) = match cfg.preconditioning {
        EdmPreconditioning::Formula(preconditioning) => {
            let network = format!("{}, {}", net.describe(), cfg.class_name);
            let den = Preconditioned {
                net,
                preconditioning,
            };
            (Arc::new(den), network)
        }
        EdmPreconditioning::Iddpm { c1, c2, m } => {
            // EDM stores its table as the buffer `u`: exact where present.
            let den = match weights.tensors.get("u") {
                Some(u) => IddpmPrecond::with_table(net, u.values.clone(), m)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.weights.display()))?,
                None => IddpmPrecond::new(net, c1, c2, m),
            };
            let network = format!("{}, {}", den.describe(), cfg.class_name);
            (Arc::new(den), network)
        }
    };
    Ok(Loaded {
        denoiser,
        network,
        parameters,
    })
}
