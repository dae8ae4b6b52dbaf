//! `[pretrained]`: a network someone else trained, run from its weights
//! file (the learned denoiser of the data sets with `denoiser.kind =
//! "learned"`).

use geotraj_denoise::pretrained::{DdpmConfig, Layout};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PretrainedConfig {
    pub architecture: Architecture,
    /// Whose key names the file uses: "ddim" (the DDIM code base) or
    /// "diffusers" (UNet2DModel).
    #[serde(default)]
    pub layout: Layout,
    /// The weights file: a torch.save checkpoint (.ckpt, .pt, .pth) or safetensors.
    pub weights: PathBuf,
    /// A published configuration of the architecture...
    pub preset: Option<Preset>,
    /// ...or its hyperparameters under the reference code's names (with
    /// layout = "diffusers" and neither, the config.json beside the weights).
    pub network: Option<DdpmConfig>,
    /// The key prefix of the network in the file, when it holds several.
    pub prefix: Option<String>,
    /// A class-conditional EDM network's class: an index (0-based) for
    /// every image, or "per-trajectory" for one drawn per trajectory from
    /// (seed, i) as EDM's generate.py draws one per seed; none: the zero
    /// label, as EDM passes for no class.
    pub class: Option<ClassChoice>,
    /// The discrete schedule the ε network was trained on: β linear from
    /// beta_start to beta_end over timesteps (the DDIM code base's "linear").
    #[serde(default)]
    pub schedule: DiscreteSchedule,
}

/// `class = 3` or `class = "per-trajectory"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassChoice {
    Fixed(usize),
    PerTrajectory,
}

const PER_TRAJECTORY: &str = "per-trajectory";

impl Serialize for ClassChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ClassChoice::Fixed(k) => s.serialize_u64(*k as u64),
            ClassChoice::PerTrajectory => s.serialize_str(PER_TRAJECTORY),
        }
    }
}

impl<'de> Deserialize<'de> for ClassChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ClassChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a class index (0, 1, ...) or \"{PER_TRAJECTORY}\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ClassChoice, E> {
                usize::try_from(v)
                    .map(ClassChoice::Fixed)
                    .map_err(|_| E::custom(format!("class {v} is too large")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ClassChoice, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ClassChoice, E> {
                if v == PER_TRAJECTORY {
                    Ok(ClassChoice::PerTrajectory)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// The DDPM U-Net of the DDIM code base (ermongroup/ddim models/diffusion.py).
    Ddpm,
    /// EDM's networks behind their preconditioning, exported by
    /// scripts/export_edm.py (network.safetensors + network.json).
    Edm,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// configs/cifar10.yml: ema_diffusion_cifar10_model.
    Cifar10,
    /// configs/celeba.yml: the 64 x 64 CelebA model.
    Celeba,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DiscreteSchedule {
    pub beta_start: f64,
    pub beta_end: f64,
    pub timesteps: usize,
}

impl Default for DiscreteSchedule {
    fn default() -> Self {
        DiscreteSchedule {
            beta_start: 1e-4,
            beta_end: 0.02,
            timesteps: 1000,
        }
    }
}

impl PretrainedConfig {
    /// The network's hyperparameters: the preset's or the table's (None:
    /// read diffusers' config.json).
    pub fn network_config(&self) -> Option<DdpmConfig> {
        match (&self.network, self.preset) {
            (Some(n), _) => Some(n.clone()),
            (None, Some(Preset::Cifar10)) => Some(DdpmConfig::cifar10()),
            (None, Some(Preset::Celeba)) => Some(DdpmConfig::celeba()),
            (None, None) => None,
        }
    }
}
