//! diffusers' `UNet2DModel` config.json as a `DdpmConfig`: the DDPM U-Net
//! family it describes (resnet blocks with an added time embedding, conv
//! resampling, attention blocks), with every other option refused by name.
//! Absent keys take UNet2DModel's own defaults (diffusers 0.31).

use serde_json::Value;

use super::ddpm::DdpmConfig;

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn uint(v: &Value, key: &str, default: Option<usize>) -> Result<usize, String> {
    match field(v, key) {
        Some(x) => x
            .as_u64()
            .map(|n| n as usize)
            .ok_or_else(|| format!("{key}: expected a non-negative integer, found {x}")),
        None => default.ok_or_else(|| format!("{key}: missing")),
    }
}

fn string<'a>(v: &'a Value, key: &str, default: &'a str) -> Result<&'a str, String> {
    match field(v, key) {
        Some(x) => x
            .as_str()
            .ok_or_else(|| format!("{key}: expected a string, found {x}")),
        None => Ok(default),
    }
}

fn strings(v: &Value, key: &str) -> Result<Vec<String>, String> {
    let Some(list) = field(v, key).and_then(Value::as_array) else {
        return Err(format!("{key}: expected a list of block names"));
    };
    list.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{key}: expected block names, found {x}"))
        })
        .collect()
}

/// Requires `key` to hold `want` (or be absent when `default` is `want`).
fn require(v: &Value, key: &str, default: &Value, want: &Value) -> Result<(), String> {
    let got = v.get(key).unwrap_or(default);
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{key} = {got} is not supported (geotraj runs {want})"
        ))
    }
}

/// Reads a UNet2DModel config.json; the error names the key.
pub fn ddpm_config_from_diffusers(text: &str) -> Result<DdpmConfig, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let class = string(&v, "_class_name", "UNet2DModel")?;
    if class != "UNet2DModel" {
        return Err(format!("_class_name = {class:?}: only UNet2DModel is read"));
    }
    let null = Value::Null;
    let f = |x: bool| Value::Bool(x);
    require(&v, "center_input_sample", &f(false), &f(false))?;
    require(
        &v,
        "time_embedding_type",
        &"positional".into(),
        &"positional".into(),
    )?;
    require(&v, "act_fn", &"silu".into(), &"silu".into())?;
    require(
        &v,
        "resnet_time_scale_shift",
        &"default".into(),
        &"default".into(),
    )?;
    require(&v, "class_embed_type", &null, &null)?;
    require(&v, "num_class_embeds", &null, &null)?;
    require(&v, "add_attention", &f(true), &f(true))?;
    require(&v, "downsample_type", &"conv".into(), &"conv".into())?;
    require(&v, "upsample_type", &"conv".into(), &"conv".into())?;
    require(&v, "attn_norm_num_groups", &null, &null)?;
    let scale = v
        .get("mid_block_scale_factor")
        .and_then(Value::as_f64)
        .unwrap_or(1.0);
    if scale != 1.0 {
        return Err(format!(
            "mid_block_scale_factor = {scale} is not supported (geotraj runs 1)"
        ));
    }
    let channels: Vec<usize> = match field(&v, "block_out_channels").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .map(|x| x.as_u64().map(|n| n as usize))
            .collect::<Option<_>>()
            .ok_or("block_out_channels: expected a list of integers")?,
        None => vec![224, 448, 672, 896],
    };
    let ch = *channels.first().ok_or("block_out_channels: empty")?;
    if ch == 0 || channels.iter().any(|c| !c.is_multiple_of(ch)) {
        return Err(format!(
            "block_out_channels = {channels:?}: each must be a multiple of the first (the DDPM U-Net's ch_mult)"
        ));
    }
    let down = strings(&v, "down_block_types")?;
    let up = strings(&v, "up_block_types")?;
    if down.len() != channels.len() || up.len() != channels.len() {
        return Err(format!(
            "down_block_types and up_block_types: {} and {} blocks for {} block_out_channels",
            down.len(),
            up.len(),
            channels.len()
        ));
    }
    let size = uint(&v, "sample_size", None)?;
    let mut attn_resolutions = Vec::new();
    for (i, d) in down.iter().enumerate() {
        let u = &up[channels.len() - 1 - i];
        let attn = match (d.as_str(), u.as_str()) {
            ("DownBlock2D", "UpBlock2D") => false,
            ("AttnDownBlock2D", "AttnUpBlock2D") => true,
            _ => {
                return Err(format!(
                    "down_block_types[{i}] = {d:?} with up_block_types[{}] = {u:?}: geotraj runs \
                     DownBlock2D/UpBlock2D and AttnDownBlock2D/AttnUpBlock2D pairs",
                    channels.len() - 1 - i
                ));
            }
        };
        if attn {
            attn_resolutions.push(size >> i);
        }
    }
    let in_channels = uint(&v, "in_channels", Some(3))?;
    let config = DdpmConfig {
        ch,
        out_ch: uint(&v, "out_channels", Some(3))?,
        ch_mult: channels.iter().map(|c| c / ch).collect(),
        num_res_blocks: uint(&v, "layers_per_block", Some(2))?,
        attn_resolutions,
        in_channels,
        resolution: size,
        resamp_with_conv: true,
        norm_groups: uint(&v, "norm_num_groups", Some(32))?,
        norm_eps: match field(&v, "norm_eps") {
            Some(x) => x
                .as_f64()
                .ok_or_else(|| format!("norm_eps: expected a number, found {x}"))?,
            None => 1e-5,
        },
        // UNet2DModel's default is 8; null means one head per block.
        attention_head_dim: match v.get("attention_head_dim") {
            Some(Value::Null) => None,
            _ => Some(uint(&v, "attention_head_dim", Some(8))?),
        },
        flip_sin_to_cos: match field(&v, "flip_sin_to_cos") {
            Some(x) => x
                .as_bool()
                .ok_or("flip_sin_to_cos: expected true or false")?,
            None => true,
        },
        freq_shift: uint(&v, "freq_shift", Some(0))?,
        downsample_padding: uint(&v, "downsample_padding", Some(1))?,
    };
    Ok(config)
}
