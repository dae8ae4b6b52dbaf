//! Trajectories from a file: `states-*.npy` (K x P x item) with its JSON
//! sidecar (the `export-*.json` beside it, or `--meta FILE`: at least
//! `sigma`, P values) and optionally the `denoised` array it lists; or a
//! safetensors file with `x`, `sigma` and optionally `denoised` (K x P x
//! item, NaN where there is none). `--sigma` supplies or replaces sigma.

use anyhow::{Context as _, bail};
use geotraj_data::{check_safetensors, read_npy_f32};
use geotraj_sampling::Trajectories;
use serde_json::{Value, json};
use std::path::Path;

/// Trajectories read from a file, with their labels.
pub struct Loaded {
    pub data: String,
    pub sampler: String,
    pub solver: String,
    /// The producer's evaluations per trajectory, when it says.
    pub nfe: Option<usize>,
    /// The shape of one state (C x H x W for images, or d).
    pub item_shape: Vec<usize>,
    pub trajectories: Trajectories,
}

/// Reads an npy + sidecar or a safetensors file into trajectories.
pub fn read(file: &Path, meta: Option<&Path>, sigma: Option<&[f64]>) -> anyhow::Result<Loaded> {
    let is_safetensors = file.extension().is_some_and(|e| e == "safetensors");
    let (mut meta, shape, states, denoised) = if is_safetensors {
        read_safetensors(file)?
    } else {
        read_npy(file, meta, sigma.is_some())?
    };
    if let Some(s) = sigma {
        meta["sigma"] = json!(s);
    }
    if shape.len() < 2 {
        bail!(
            "{}: states have shape {shape:?}; expected trajectories x steps+1 x item shape",
            file.display()
        );
    }
    let (k, points) = (shape[0], shape[1]);
    let d: usize = shape[2..].iter().product::<usize>().max(1);
    let sigmas: Vec<f64> = meta["sigma"]
        .as_array()
        .and_then(|v| v.iter().map(Value::as_f64).collect())
        .with_context(|| {
            format!(
                "{}: no list of numbers \"sigma\" (give the noise levels with --sigma)",
                file.display()
            )
        })?;
    if sigmas.len() != points {
        bail!(
            "{}: {} sigmas for {points} states per trajectory (steps + 1 are needed)",
            file.display(),
            sigmas.len()
        );
    }
    if points < 2 || k == 0 {
        bail!("{}: shape {shape:?} holds no step", file.display());
    }
    geotraj_sampling::schedule::validate(&sigmas)
        .map_err(|e| anyhow::anyhow!("{}: sigma: {}", file.display(), e.message))?;
    if let Some(i) = states.iter().position(|v| !v.is_finite()) {
        bail!(
            "{}: states: trajectory {}, step {} holds {} (value {i}); states must be finite",
            file.display(),
            i / (points * d),
            i / d % points,
            states[i]
        );
    }
    // D(x_n) where trajectory 0 has it; every trajectory must agree.
    let (mut evals, mut eval_step) = (Vec::new(), Vec::new());
    if let Some(den) = &denoised {
        let steps: Vec<usize> = (0..points)
            .filter(|&s| den[s * d..(s + 1) * d].iter().all(|v| v.is_finite()))
            .collect();
        for i in 0..k {
            for s in 0..points {
                let row = &den[(i * points + s) * d..(i * points + s + 1) * d];
                let has = row.iter().all(|v| v.is_finite());
                if has != steps.contains(&s) || (!has && !row.iter().all(|v| v.is_nan())) {
                    bail!(
                        "{}: denoised: trajectory {i}, step {s} is partly missing or differs from trajectory 0 in which steps have D(x_n)",
                        file.display()
                    );
                }
            }
        }
        for i in 0..k {
            for &s in &steps {
                evals.extend_from_slice(&den[(i * points + s) * d..(i * points + s + 1) * d]);
            }
        }
        eval_step = steps;
    }
    let text = |key: &str, default: &str| meta[key].as_str().unwrap_or(default).to_string();
    Ok(Loaded {
        data: label(&text("data", "data")),
        sampler: label(&text("sampler", "sampler")),
        solver: text("solver", "unknown"),
        nfe: meta["eval_sigma"].as_array().map(Vec::len),
        item_shape: match &shape[2..] {
            [] => vec![1],
            s => s.to_vec(),
        },
        trajectories: Trajectories {
            n: k,
            d,
            eval_sigma: eval_step.iter().map(|&s| sigmas[s]).collect(),
            eval_at_state: vec![true; eval_step.len()],
            eval_step,
            sigmas,
            states,
            evals,
        },
    })
}

/// A label from a file, made safe as a file name part.
fn label(s: &str) -> String {
    let l: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(crate::plan::MAX_NAME)
        .collect();
    if l.is_empty() { "x".into() } else { l }
}

type Arrays = (Value, Vec<usize>, Vec<f32>, Option<Vec<f32>>);

fn read_npy(file: &Path, meta: Option<&Path>, has_sigma: bool) -> anyhow::Result<Arrays> {
    // The sidecar beside an export: states-NAME.npy -> export-NAME.json.
    let beside = || {
        let name = file.file_name()?.to_str()?;
        let stem = name.strip_prefix("states-")?.strip_suffix(".npy")?;
        Some(file.with_file_name(format!("export-{stem}.json")))
    };
    let sidecar = match (meta, beside()) {
        (Some(m), _) => Some(m.to_path_buf()),
        (None, Some(b)) if b.exists() || !has_sigma => Some(b),
        (None, _) if has_sigma => None,
        (None, _) => bail!(
            "{}: give the noise levels with --sigma or a JSON sidecar with --meta, or name the file states-NAME.npy beside export-NAME.json",
            file.display()
        ),
    };
    let meta: Value = match &sidecar {
        Some(path) => {
            serde_json::from_str(&read_small(path)?).with_context(|| path.display().to_string())?
        }
        None => json!({}),
    };
    let (shape, states) = read_npy_f32(file)?;
    let denoised = match (&sidecar, meta["files"]["denoised"].as_str()) {
        (Some(sidecar), Some(name)) => {
            let path = sidecar.with_file_name(name);
            let (dshape, values) = read_npy_f32(&path)?;
            if dshape != shape {
                bail!(
                    "{}: shape {dshape:?}, but the states have {shape:?}",
                    path.display()
                );
            }
            Some(values)
        }
        _ => None,
    };
    Ok((meta, shape, states, denoised))
}

fn read_small(path: &Path) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path).with_context(|| path.display().to_string())?;
    if !meta.is_file() || meta.len() > 64 << 20 {
        bail!("{}: not a regular file of at most 64 MiB", path.display());
    }
    std::fs::read_to_string(path).with_context(|| path.display().to_string())
}

fn read_safetensors(file: &Path) -> anyhow::Result<Arrays> {
    let tensors = check_safetensors(file)?;
    let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
    let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("checked")) as usize;
    let start = 8 + header_len;
    let header: Value =
        serde_json::from_slice(&bytes[8..start]).with_context(|| file.display().to_string())?;
    let tensor = |name: &str, dtype: &str| -> anyhow::Result<Option<(Vec<usize>, &[u8])>> {
        match tensors.iter().find(|t| t.name == name) {
            None => Ok(None),
            Some(t) if t.dtype != dtype => {
                bail!(
                    "{}: tensor {name} is {}, expected {dtype}",
                    file.display(),
                    t.dtype
                )
            }
            Some(t) => Ok(Some((
                t.shape.clone(),
                &bytes[start + t.begin..start + t.end],
            ))),
        }
    };
    let f32s = |b: &[u8]| -> Vec<f32> {
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
            .collect()
    };
    let (shape, x) = tensor("x", "F32")?
        .with_context(|| format!("{}: no tensor \"x\" (the states)", file.display()))?;
    let (_, sigma) = tensor("sigma", "F64")?
        .with_context(|| format!("{}: no tensor \"sigma\"", file.display()))?;
    let sigma: Vec<f64> = sigma
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8")))
        .collect();
    let denoised = match tensor("denoised", "F32")? {
        Some((dshape, _)) if dshape != shape => {
            bail!(
                "{}: denoised has shape {dshape:?}, the states {shape:?}",
                file.display()
            )
        }
        Some((_, b)) => Some(f32s(b)),
        None => None,
    };
    let mut meta = header["__metadata__"].clone();
    if !meta.is_object() {
        meta = json!({});
    }
    meta["sigma"] = json!(sigma);
    if let Some((s, _)) = tensor("eval_sigma", "F64")? {
        meta["eval_sigma"] = json!(vec![0.0; s.iter().product::<usize>()]);
    }
    Ok((meta, shape, f32s(x), denoised))
}
