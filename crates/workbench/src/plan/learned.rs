//! The rules of a learned denoiser: `[net]` and `[train]` define a network
//! together, and a data set with the learned denoiser needs a network from
//! somewhere (this file, `denoiser.model`, `denoiser.checkpoint` or
//! `[pretrained]`), and from one place only.

use super::keys::bad;
use crate::config::{
    Architecture, Config, ConfigError, DenoiserKind, DiscreteSchedule, PretrainedConfig,
};
use geotraj_denoise::pretrained::Layout;
use geotraj_sampling::ScheduleKind;

pub(super) fn check(config: &Config) -> Result<(), ConfigError> {
    match (&config.net, &config.train) {
        (Some(_), None) => return Err(bad("net", "needs a [train] table saying how to train it")),
        (None, Some(_)) => return Err(bad("train", "needs a [net] table (the architecture)")),
        (None, None) if config.preconditioning.is_some() => {
            return Err(bad("preconditioning", "only used with [net] and [train]"));
        }
        (Some(_), Some(_)) => {
            let spec = config.train_spec().expect("net and train are both set");
            if let Some(p) = spec.problem() {
                // The denoise crate's messages lead with their key.
                return Err(match p.split_once(": ") {
                    Some((key, message)) => bad(key, message),
                    None => bad("net", p),
                });
            }
            if config.denoiser.model.is_some() {
                return Err(bad(
                    "denoiser.model",
                    "this file defines its own network ([net], [train]); remove one",
                ));
            }
        }
        (None, None) => {}
    }
    if let Some(p) = &config.pretrained {
        check_pretrained(config, p)?;
    }
    let learned = config
        .data
        .iter()
        .position(|d| d.denoiser_kind(&config.denoiser) == DenoiserKind::Learned);
    let has_model = config.train.is_some()
        || config.denoiser.model.is_some()
        || config.denoiser.checkpoint.is_some()
        || config.pretrained.is_some();
    if let Some(i) = learned
        && !has_model
    {
        return Err(bad(
            format!("data[{i}]"),
            "uses the learned denoiser, but nothing names a network: add [net] and [train], denoiser.model = \"experiments/train-....toml\", denoiser.checkpoint = \"DIR\" or [pretrained]",
        ));
    }
    if learned.is_none() && config.pretrained.is_some() {
        return Err(bad(
            "pretrained",
            "no data set uses the learned denoiser (set denoiser.kind = \"learned\")",
        ));
    }
    if learned.is_none()
        && (config.denoiser.model.is_some() || config.denoiser.checkpoint.is_some())
    {
        return Err(bad(
            "denoiser.model/checkpoint",
            "no data set uses the learned denoiser (set denoiser.kind = \"learned\")",
        ));
    }
    Ok(())
}

fn check_pretrained(config: &Config, p: &PretrainedConfig) -> Result<(), ConfigError> {
    let elsewhere = if config.net.is_some() || config.train.is_some() {
        Some("this file's [net] and [train]")
    } else if config.denoiser.model.is_some() {
        Some("denoiser.model")
    } else if config.denoiser.checkpoint.is_some() {
        Some("denoiser.checkpoint")
    } else {
        None
    };
    if let Some(other) = elsewhere {
        return Err(bad(
            "pretrained",
            format!("the network is already named by {other}; remove one"),
        ));
    }
    if p.architecture == Architecture::Edm {
        for (key, set) in [
            ("pretrained.preset", p.preset.is_some()),
            ("pretrained.network", p.network.is_some()),
            ("pretrained.layout", p.layout != Layout::Ddim),
        ] {
            if set {
                return Err(bad(
                    key,
                    "not used by architecture = \"edm\" (network.json beside the weights describes the network)",
                ));
            }
        }
        return Ok(());
    }
    if p.class.is_some() {
        return Err(bad(
            "pretrained.class",
            "only EDM's class-conditional networks take a class",
        ));
    }
    match (&p.preset, &p.network) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "pretrained.network",
                "given with pretrained.preset; keep one",
            ));
        }
        (None, None) if p.layout != Layout::Diffusers => {
            return Err(bad(
                "pretrained",
                "needs preset = \"cifar10\" or \"celeba\", or a [pretrained.network] table (the reference config's model section)",
            ));
        }
        _ => {}
    }
    let s = &p.schedule;
    if !(s.beta_start > 0.0 && s.beta_start <= s.beta_end && s.beta_end < 1.0) {
        return Err(bad(
            "pretrained.schedule",
            format!(
                "needs 0 < beta_start <= beta_end < 1, got {} and {}",
                s.beta_start, s.beta_end
            ),
        ));
    }
    if s.timesteps < 2 {
        return Err(bad(
            "pretrained.schedule.timesteps",
            format!("needs at least 2, got {}", s.timesteps),
        ));
    }
    // The "ddim" schedules step through DDPM's own linear table; on another
    // table they would not land on the network's time steps.
    let discrete = |k: &ScheduleKind| matches!(k, ScheduleKind::Ddim | ScheduleKind::DdimOffset);
    let uses_ddim = discrete(&config.schedule.kind)
        || config
            .sweep
            .as_ref()
            .and_then(|w| w.schedule.as_ref())
            .is_some_and(|list| list.iter().any(discrete));
    if uses_ddim && *s != DiscreteSchedule::default() {
        return Err(bad(
            "schedule.kind",
            format!(
                "the \"ddim\" schedules step through DDPM's table (beta 1e-4 to 0.02, T = 1000), \
                 not this network's (beta {} to {}, T = {}); choose another schedule",
                s.beta_start, s.beta_end, s.timesteps
            ),
        ));
    }
    Ok(())
}

/// The (learned, optimal) data sets that learned-vs-optimal compares: the
/// first learned one and the first optimal one with the same source.
pub fn pair(config: &Config) -> Option<(usize, usize)> {
    let kind = |i: usize| config.data[i].denoiser_kind(&config.denoiser);
    let l = (0..config.data.len()).find(|&i| kind(i) == DenoiserKind::Learned)?;
    let o = (0..config.data.len()).find(|&i| {
        kind(i) == DenoiserKind::Optimal && config.data[i].source == config.data[l].source
    })?;
    Some((l, o))
}
