//! What scripts/export_edm.py writes beside an EDM network's weights: the
//! preconditioning class and its keyword arguments (EDM's persistence
//! records them), as a preconditioning and a `SongConfig`.

use serde_json::{Map, Value};

use super::dhariwal::DhariwalConfig;
use super::song::SongConfig;
use crate::precondition::Preconditioning;

/// An exported EDM network: its preconditioning and its architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct EdmNetworkConfig {
    pub preconditioning: Preconditioning,
    pub arch: EdmArch,
    /// The preconditioning class, for provenance ("VPPrecond", ...).
    pub class_name: String,
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
        .ok_or("class_name: missing (expected VPPrecond, VEPrecond or EDMPrecond)")?
        .to_owned();
    let kw = v
        .get("init_kwargs")
        .and_then(Value::as_object)
        .ok_or("init_kwargs: missing")?;
    let preconditioning = match class_name.as_str() {
        "VPPrecond" => Preconditioning::Vp {
            beta_d: number(kw, "beta_d", 19.9)?,
            beta_min: number(kw, "beta_min", 0.1)?,
            m: number(kw, "M", 1000.0)? as usize,
        },
        "VEPrecond" => Preconditioning::Ve,
        "EDMPrecond" => Preconditioning::Edm {
            sigma_data: number(kw, "sigma_data", 0.5)?,
        },
        other => {
            return Err(format!(
                "class_name {other:?}: geotraj runs VPPrecond, VEPrecond and EDMPrecond"
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
                "out_channels"
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
