//! What scripts/export_edm.py writes beside an EDM network's weights: the
//! preconditioning class and its keyword arguments (EDM's persistence
//! records them), as a preconditioning and a SongUNet or DhariwalUNet config.

use serde_json::{Map, Value};

use super::dhariwal::DhariwalConfig;
use super::song::SongConfig;
use crate::precondition::Preconditioning;

/// An exported EDM network: its preconditioning and its architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct EdmNetworkConfig {
    pub preconditioning: EdmPreconditioning,
    pub arch: EdmArch,
    /// The preconditioning class, for provenance ("VPPrecond", ...).
    pub class_name: String,
}

/// VPPrecond, VEPrecond and EDMPrecond are formulas of σ (shared with the
/// networks trained here); iDDPMPrecond rounds σ to its own table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EdmPreconditioning {
    Formula(Preconditioning),
    Iddpm { c1: f64, c2: f64, m: usize },
}

fn number(kw: &Map<String, Value>, key: &str, default: f64) -> Result<f64, String> {
    match kw.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| format!("init_kwargs.{key}: expected a number, found {v}")),
    }
}

/// The network behind the preconditioning.
#[derive(Debug, Clone, PartialEq)]
pub enum EdmArch {
    Song(SongConfig),
    Dhariwal(DhariwalConfig),
}

impl EdmArch {
    pub fn label_dim(&self) -> usize {
        match self {
            EdmArch::Song(c) => c.label_dim,
            EdmArch::Dhariwal(c) => c.label_dim,
        }
    }
}

/// Reads `{"class_name": ..., "init_kwargs": {...}}`; errors name the key.
pub fn edm_config_from_json(text: &str) -> Result<EdmNetworkConfig, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let class_name = v
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or("class_name: missing (expected VPPrecond, VEPrecond, EDMPrecond or iDDPMPrecond)")?
        .to_owned();
    let kw = v
        .get("init_kwargs")
        .and_then(Value::as_object)
        .ok_or("init_kwargs: missing")?;
    let steps = |key: &str| -> Result<usize, String> {
        let m = number(kw, key, 1000.0)?;
        if m.fract() != 0.0 || !(1.0..=1e7).contains(&m) {
            return Err(format!(
                "init_kwargs.{key}: expected a whole number of steps in 1..=10^7, found {m}"
            ));
        }
        Ok(m as usize)
    };
    let preconditioning = match class_name.as_str() {
        "VPPrecond" => EdmPreconditioning::Formula(Preconditioning::Vp {
            beta_d: number(kw, "beta_d", 19.9)?,
            beta_min: number(kw, "beta_min", 0.1)?,
            m: steps("M")?,
        }),
        "VEPrecond" => EdmPreconditioning::Formula(Preconditioning::Ve),
        "EDMPrecond" => EdmPreconditioning::Formula(Preconditioning::Edm {
            sigma_data: number(kw, "sigma_data", 0.5)?,
        }),
        "iDDPMPrecond" => EdmPreconditioning::Iddpm {
            c1: number(kw, "C_1", 0.001)?,
            c2: number(kw, "C_2", 0.008)?,
            m: steps("M")?,
        },
        other => {
            return Err(format!(
                "class_name {other:?}: geotraj runs VPPrecond, VEPrecond, EDMPrecond and iDDPMPrecond"
            ));
        }
    };
    let model = kw
        .get("model_type")
        .and_then(Value::as_str)
        .unwrap_or("DhariwalUNet");
    if !matches!(model, "SongUNet" | "DhariwalUNet") {
        return Err(format!(
            "init_kwargs.model_type {model:?}: geotraj runs SongUNet (DDPM++, NCSN++) and DhariwalUNet (ADM)"
        ));
    }
    let mut song = Map::new();
    for (k, val) in kw {
        let key = match k.as_str() {
            "img_channels" => {
                song.insert("in_channels".into(), val.clone());
                // iDDPM's networks predict a variance beside the mean.
                let out = match (&preconditioning, val.as_u64()) {
                    (EdmPreconditioning::Iddpm { .. }, Some(c)) => Value::from(c.saturating_mul(2)),
                    _ => val.clone(),
                };
                song.insert("out_channels".into(), out);
                continue;
            }
            "img_resolution" | "label_dim" | "augment_dim" | "model_channels" | "channel_mult"
            | "channel_mult_emb" | "num_blocks" | "attn_resolutions" | "embedding_type"
            | "channel_mult_noise" | "encoder_type" | "decoder_type" | "resample_filter" => k,
            // The preconditioning's own, training-only or precision settings.
            _ => continue,
        };
        song.insert(key.into(), val.clone());
    }
    let bad = |e: serde_json::Error| format!("init_kwargs: {e}");
    let arch = if model == "SongUNet" {
        EdmArch::Song(serde_json::from_value::<SongConfig>(Value::Object(song)).map_err(bad)?)
    } else {
        // Keys only SongUNet takes (a DhariwalUNet export has none of them).
        for k in [
            "embedding_type",
            "channel_mult_noise",
            "encoder_type",
            "decoder_type",
            "resample_filter",
        ] {
            song.remove(k);
        }
        EdmArch::Dhariwal(
            serde_json::from_value::<DhariwalConfig>(Value::Object(song)).map_err(bad)?,
        )
    };
    Ok(EdmNetworkConfig {
        preconditioning,
        arch,
        class_name,
    })
}
