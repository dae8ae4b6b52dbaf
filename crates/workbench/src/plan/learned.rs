//! The rules of a learned denoiser: `[net]` and `[train]` define a network
//! together, and a data set with the learned denoiser needs a network from
//! somewhere (this file, `denoiser.model` or `denoiser.checkpoint`).

use super::keys::bad;
use crate::config::{Config, ConfigError, DenoiserKind};

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
    let learned = config
        .data
        .iter()
        .position(|d| d.denoiser_kind(&config.denoiser) == DenoiserKind::Learned);
    let has_model = config.train.is_some()
        || config.denoiser.model.is_some()
        || config.denoiser.checkpoint.is_some();
    if let Some(i) = learned
        && !has_model
    {
        return Err(bad(
            format!("data[{i}]"),
            "uses the learned denoiser, but nothing names a network: add [net] and [train], denoiser.model = \"experiments/train-....toml\" or denoiser.checkpoint = \"DIR\"",
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
