//! Checkpoints: a directory holding the EMA weights (model.safetensors, what
//! sampling loads), the raw weights and Adam's moments (to resume), and
//! train.json (the spec, the step and the loss curve). A directory is written
//! beside the old one and swapped in, so a crash never leaves half of one.

use std::path::{Path, PathBuf};

use burn::module::{Module, Param};
use burn::store::{ApplyError, ModuleSnapshot, SafetensorsStore};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::adam::{Adam, AdamOptions, flat_params};
use super::train::{LossPoint, TrainSpec, Trainer};
use super::{LearnedNet, Net, NetConfig};

pub const MODEL_FILE: &str = "model.safetensors";
pub const RAW_FILE: &str = "raw.safetensors";
pub const ADAM_FILE: &str = "adam.safetensors";
pub const STATE_FILE: &str = "train.json";

/// How many mismatches an error lists.
const LISTED: usize = 8;

#[derive(Debug)]
pub enum CheckpointError {
    Io {
        path: PathBuf,
        message: String,
    },
    /// train.json is unreadable or not ours.
    State {
        path: PathBuf,
        message: String,
    },
    /// The weights do not fit the network the config describes.
    Mismatch {
        path: PathBuf,
        total: usize,
        first: Vec<String>,
    },
    /// A resume whose spec differs from the one the checkpoint was trained with.
    Spec {
        path: PathBuf,
        message: String,
    },
}

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckpointError::Io { path, message } => write!(f, "{}: {message}", path.display()),
            CheckpointError::State { path, message } => {
                write!(
                    f,
                    "{}: not a geotraj training state: {message}",
                    path.display()
                )
            }
            CheckpointError::Mismatch { path, total, first } => {
                write!(
                    f,
                    "{}: the weights do not match the network config ({total} mismatch{}); first:",
                    path.display(),
                    if *total == 1 { "" } else { "es" }
                )?;
                for m in first {
                    write!(f, "\n  - {m}")?;
                }
                Ok(())
            }
            CheckpointError::Spec { path, message } => write!(
                f,
                "{}: cannot resume: {message} (remove the directory to train afresh)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CheckpointError {}

fn io(path: &Path, e: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes a module's float parameters to a safetensors file (via a temporary
/// name, then a rename).
pub fn save_weights<M: Module>(module: &M, path: &Path) -> Result<(), CheckpointError> {
    let tmp = path.with_extension("safetensors.partial");
    let _ = std::fs::remove_file(&tmp);
    let mut store = SafetensorsStore::from_file(&tmp).metadata("producer", "geotraj");
    module.save_into(&mut store).map_err(|e| io(path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

/// Loads a safetensors file into `module`, which fixes the expected keys and
/// shapes; any difference is one error listing the first mismatches.
pub fn load_weights<M: Module>(module: M, path: &Path) -> Result<M, CheckpointError> {
    if !path.is_file() {
        return Err(io(path, "no such checkpoint file"));
    }
    // Our own check of the header first: a hostile file gets one error
    // naming the tensor and offset, never a panic or a huge allocation.
    geotraj_data::check_safetensors(path).map_err(|e| CheckpointError::State {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut module = module;
    let mut store = SafetensorsStore::from_file(path)
        .validate(false)
        .allow_partial(true);
    let result = module
        .load_from(&mut store)
        .map_err(|e| CheckpointError::State {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let mut problems: Vec<String> = result
        .errors
        .iter()
        .map(|e| match e {
            ApplyError::ShapeMismatch {
                path,
                expected,
                found,
            } => format!(
                "{path}: shape {:?} in the config, {:?} in the file",
                expected.to_vec(),
                found.to_vec()
            ),
            other => other.to_string(),
        })
        .collect();
    problems.extend(
        result
            .missing
            .iter()
            .map(|(p, _)| format!("{p}: in the config, missing from the file")),
    );
    problems.extend(
        result
            .unused
            .iter()
            .map(|p| format!("{p}: in the file, not in the config")),
    );
    if problems.is_empty() {
        return Ok(module);
    }
    Err(CheckpointError::Mismatch {
        path: path.to_path_buf(),
        total: problems.len(),
        first: problems.into_iter().take(LISTED).collect(),
    })
}

/// Adam's moments as a module, so they share the weights' file format.
#[derive(Module, Debug)]
struct Moments {
    m: Vec<Param<Tensor<1>>>,
    v: Vec<Param<Tensor<1>>>,
}

/// train.json: the spec and how far training got.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainState {
    pub format: String,
    pub spec: TrainSpec,
    pub step: usize,
    pub adam_t: u64,
    pub seconds: f64,
    pub losses: Vec<LossPoint>,
}

const FORMAT: &str = "geotraj-checkpoint-1";

/// train.json is a spec and a loss curve: kilobytes. A special file or a
/// huge one is refused rather than read.
fn read_small(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    const MAX_BYTES: u64 = 64 << 20;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return Err(std::io::Error::other(format!(
            "not a regular file of at most {MAX_BYTES} bytes"
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_BYTES)
        .read_to_string(&mut text)?;
    Ok(text)
}

pub fn read_state(dir: &Path) -> Result<TrainState, CheckpointError> {
    let path = dir.join(STATE_FILE);
    let text = read_small(&path).map_err(|e| io(&path, e))?;
    let state: TrainState = serde_json::from_str(&text).map_err(|e| CheckpointError::State {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if state.format != FORMAT {
        return Err(CheckpointError::State {
            path,
            message: format!("format {:?}, expected {FORMAT:?}", state.format),
        });
    }
    Ok(state)
}

/// Writes `trainer` to `dir` (replacing what is there) together with the
/// `extra` files (name, bytes).
pub fn save(trainer: &Trainer, dir: &Path, extra: &[(&str, &[u8])]) -> Result<(), CheckpointError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "checkpoint".into());
    let tmp = dir.with_file_name(format!("{name}.partial"));
    let old = dir.with_file_name(format!("{name}.old"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    save_weights(&trainer.ema, &tmp.join(MODEL_FILE))?;
    save_weights(&trainer.net.valid(), &tmp.join(RAW_FILE))?;
    let device = trainer.device.clone();
    let moments = Moments {
        m: trainer
            .adam
            .moments
            .iter()
            .map(|(m, _)| Param::from_tensor(m.clone().to_device(&device)))
            .collect(),
        v: trainer
            .adam
            .moments
            .iter()
            .map(|(_, v)| Param::from_tensor(v.clone().to_device(&device)))
            .collect(),
    };
    save_weights(&moments, &tmp.join(ADAM_FILE))?;
    let state = TrainState {
        format: FORMAT.into(),
        spec: trainer.spec.clone(),
        step: trainer.step,
        adam_t: trainer.adam.t,
        seconds: trainer.seconds(),
        losses: trainer.losses.clone(),
    };
    let json = serde_json::to_string_pretty(&state).expect("a training state serialises");
    std::fs::write(tmp.join(STATE_FILE), json).map_err(|e| io(&tmp, e))?;
    for (file, bytes) in extra {
        std::fs::write(tmp.join(file), bytes).map_err(|e| io(&tmp.join(file), e))?;
    }
    let _ = std::fs::remove_dir_all(&old);
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(|e| io(dir, e))?;
    }
    std::fs::rename(&tmp, dir).map_err(|e| io(dir, e))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// The spec keys that may change between a checkpoint and its resumption:
/// the step count (to train longer) and the checkpoint interval.
fn resumable(a: &TrainSpec, b: &TrainSpec) -> bool {
    let mut a = a.clone();
    a.train.steps = b.train.steps;
    a.train.checkpoint_every = b.train.checkpoint_every;
    a == *b
}

/// Continues training from `dir`, exactly where it stopped.
pub fn resume(dir: &Path, spec: &TrainSpec, device: &Device) -> Result<Trainer, CheckpointError> {
    let state = read_state(dir)?;
    if !resumable(&state.spec, spec) {
        return Err(CheckpointError::Spec {
            path: dir.join(STATE_FILE),
            message: format!(
                "it was trained with {}, the config asks for {}",
                serde_json::to_string(&state.spec).unwrap_or_default(),
                serde_json::to_string(spec).unwrap_or_default()
            ),
        });
    }
    let net = Net::new(&spec.net, spec.train.seed, &device.clone().autodiff());
    let net = load_weights(net, &dir.join(RAW_FILE))?;
    let ema = load_weights(
        Net::new(&spec.net, spec.train.seed, device),
        &dir.join(MODEL_FILE),
    )?;
    let mut adam = Adam::new(AdamOptions::default());
    adam.t = state.adam_t;
    if state.adam_t > 0 {
        let sizes: Vec<usize> = flat_params(&ema)
            .iter()
            .map(|t| t.shape().num_elements())
            .collect();
        let zeros = |n: usize| Param::from_tensor(Tensor::<1>::zeros([n], device));
        let moments = Moments {
            m: sizes.iter().map(|&n| zeros(n)).collect(),
            v: sizes.iter().map(|&n| zeros(n)).collect(),
        };
        let moments = load_weights(moments, &dir.join(ADAM_FILE))?;
        adam.moments = moments
            .m
            .iter()
            .zip(&moments.v)
            .map(|(m, v)| (m.val(), v.val()))
            .collect();
    }
    let mut trainer = Trainer::from_parts(spec.clone(), net, ema, adam, device.clone());
    trainer.step = state.step;
    trainer.losses = state.losses;
    trainer.seconds_before = state.seconds;
    Ok(trainer)
}

/// The EMA network of a checkpoint, built from `config` (which fixes the
/// expected keys and shapes) and ready to denoise on `device`.
pub fn load_learned(
    dir: &Path,
    config: &NetConfig,
    device: &Device,
    label: &str,
) -> Result<LearnedNet, CheckpointError> {
    let net = load_weights(Net::new(config, 0, device), &dir.join(MODEL_FILE))?;
    Ok(LearnedNet::new(net, config.clone(), device.clone(), label))
}
