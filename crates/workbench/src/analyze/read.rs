//! `run-experiment analyze FILE --out DIR`: geotraj's trajectory measures
//! for trajectories another program wrote (or an `[export]` of a run), as
//! the same steps and trajectories tables and the standard figures.
//!
//! FILE is `states-*.npy` (K x P x item) with its JSON sidecar (the
//! `export-*.json` beside it, or `--meta FILE`: at least `sigma`, P values)
//! and optionally the `denoised` array it lists; or a safetensors file with
//! `x`, `sigma` and optionally `denoised` (K x P x item, NaN where there is
//! none). Without D(x_n) the denoising-trajectory columns are NaN.

use crate::context::OutputDirs;
use crate::context::staging::Staging;
use crate::execute::case::with_case;
use crate::outputs::standard_figures;
use anyhow::{Context as _, bail};
use clap::Parser;
use geotraj_data::{check_safetensors, read_npy_f32};
use geotraj_metrics::measure;
use geotraj_plots::render;
use geotraj_records::{write_json, write_table};
use geotraj_sampling::Trajectories;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "run-experiment analyze",
    about = "Measure the geometry of trajectories another program wrote (npy + JSON sidecar, or safetensors)"
)]
pub struct AnalyzeArgs {
    /// states-*.npy (K x (N+1) x item shape) or a .safetensors file.
    pub file: PathBuf,
    /// The JSON sidecar of an .npy file (default: export-*.json beside it).
    #[arg(long)]
    pub meta: Option<PathBuf>,
    /// Where the tables and figures go (replaced whole, as a run's).
    #[arg(long)]
    pub out: PathBuf,
}

/// Trajectories read from a file, with their labels.
pub struct Loaded {
    pub data: String,
    pub sampler: String,
    pub solver: String,
    /// The producer's evaluations per trajectory, when it says.
    pub nfe: Option<usize>,
    pub trajectories: Trajectories,
}

/// `analyze ARGS...` (without the word itself); the exit code.
pub fn main(argv: &[String]) -> i32 {
    let args = match AnalyzeArgs::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    match analyze(&args) {
        Ok(written) => {
            println!("wrote {} files in {}", written.len(), args.out.display());
            0
        }
        Err(e) => {
            eprintln!("error: {}", crate::message::message(&e));
            1
        }
    }
}

/// Reads, measures and writes; returns the files written.
pub fn analyze(args: &AnalyzeArgs) -> anyhow::Result<Vec<PathBuf>> {
    let loaded = read(&args.file, args.meta.as_deref())?;
    let mut staging = Staging::begin(&OutputDirs::new("analyze", Some(&args.out)))?;
    let dirs = staging.dirs.clone();
    let t = &loaded.trajectories;
    let m = measure(t);
    let nfe = loaded.nfe.unwrap_or(t.nfe());
    let case = |table| {
        with_case(
            &loaded.data,
            &loaded.sampler,
            &loaded.solver,
            t.steps(),
            nfe,
            table,
        )
    };
    let mut written = write_table(&case(m.step_table()), &dirs.tables, "steps")?;
    written.extend(write_table(
        &case(m.trajectory_table()),
        &dirs.tables,
        "trajectories",
    )?);
    for (stem, fig) in standard_figures(&loaded.data, &[(&loaded.sampler, &m)]) {
        written.extend(render(&fig, &dirs.figures.join(stem))?);
    }
    let run_json = dirs.tables.join("run.json");
    let provenance = json!({
        "geotraj_version": env!("CARGO_PKG_VERSION"),
        "git_commit": env!("GEOTRAJ_GIT_COMMIT"),
        "analyzed": args.file.display().to_string(),
        "data": loaded.data,
        "sampler": loaded.sampler,
        "solver": loaded.solver,
        "trajectories": t.n,
        "d": t.d,
        "sigmas": t.sigmas,
        "with_denoised": t.nfe() > 0,
        "outputs": written.iter().map(|p| staging.final_path(p).display().to_string()).collect::<Vec<_>>(),
    });
    write_json(&run_json, &provenance)?;
    written.push(run_json);
    staging.commit()?;
    Ok(written.iter().map(|p| staging.final_path(p)).collect())
}

/// Reads an npy + sidecar or a safetensors file into trajectories.
pub fn read(file: &Path, meta: Option<&Path>) -> anyhow::Result<Loaded> {
    let is_safetensors = file.extension().is_some_and(|e| e == "safetensors");
    let (meta, shape, states, denoised) = if is_safetensors {
        read_safetensors(file)?
    } else {
        read_npy(file, meta)?
    };
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
        .with_context(|| format!("{}: no list of numbers \"sigma\"", file.display()))?;
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

fn read_npy(file: &Path, meta: Option<&Path>) -> anyhow::Result<Arrays> {
    let sidecar = match meta {
        Some(m) => m.to_path_buf(),
        None => {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name
                .strip_prefix("states-")
                .and_then(|n| n.strip_suffix(".npy"));
            match stem {
                Some(stem) => file.with_file_name(format!("export-{stem}.json")),
                None => bail!(
                    "{}: give the sidecar with --meta (a JSON file with \"sigma\"), or name the file states-NAME.npy beside export-NAME.json",
                    file.display()
                ),
            }
        }
    };
    let text = read_small(&sidecar)?;
    let meta: Value = serde_json::from_str(&text).with_context(|| sidecar.display().to_string())?;
    let (shape, states) = read_npy_f32(file)?;
    let denoised = match meta["files"]["denoised"].as_str() {
        Some(name) => {
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
        None => None,
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
