//! The run's learned denoiser: taken from the model cache
//! (notebooks-data/models/NAME-KEY, KEY a hash of everything training
//! depends on), resumed there when a training was interrupted, or trained
//! there first. Training shows a progress bar with the loss and writes a
//! checkpoint every `train.checkpoint_every` steps.

use crate::config::Config;
use crate::fingerprint::{data_fingerprint, fnv1a};
use crate::load::load;
use crate::progress::Progress;
use geotraj_denoise::learned::checkpoint::{self, STATE_FILE};
use geotraj_denoise::learned::train::{LossPoint, TrainSpec, Trainer};
use geotraj_denoise::{LearnedNet, Preconditioned, Preconditioning};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bumped when training changes what a spec produces.
const MODEL_VERSION: u32 = 1;
/// Steps per point of the recorded loss curve (and per progress label).
const LOSS_EVERY: usize = 25;

pub type LearnedDenoiser = Arc<Preconditioned<LearnedNet>>;

pub struct Model {
    pub denoiser: LearnedDenoiser,
    pub dir: PathBuf,
    /// The file that says how the network is trained (None for a bare checkpoint).
    pub defined_by: Option<PathBuf>,
    pub spec: TrainSpec,
    pub losses: Vec<LossPoint>,
    /// Steps trained in all, and by this run (0: reused from the cache).
    pub steps: usize,
    pub steps_now: usize,
    /// Training seconds in all.
    pub seconds: f64,
    pub data: String,
}

/// The experiment that defines the network: this one, or denoiser.model's.
fn definition(
    config: &Config,
    config_path: &Path,
    quick: bool,
) -> Result<Option<(Config, PathBuf)>, String> {
    if config.train.is_some() {
        return Ok(Some((config.clone(), config_path.to_path_buf())));
    }
    let Some(path) = &config.denoiser.model else {
        return Ok(None);
    };
    let def = Config::load(path).map_err(|e| format!("denoiser.model: {e}"))?;
    if def.train.is_none() {
        return Err(format!(
            "denoiser.model: {} has no [net] and [train] tables, so it does not define a network",
            path.display()
        ));
    }
    let def = if quick { def.quick() } else { def };
    Ok(Some((def, path.clone())))
}

/// Finds, resumes or trains the run's network, when any data set uses it.
pub fn resolve(
    config: &Config,
    config_path: &Path,
    quick: bool,
    models: &Path,
    device: &burn::tensor::Device,
) -> Result<Option<Model>, String> {
    use crate::config::DenoiserKind;
    if !config
        .data
        .iter()
        .any(|d| d.denoiser_kind(&config.denoiser) == DenoiserKind::Learned)
        && config.train.is_none()
    {
        return Ok(None);
    }
    let def = definition(config, config_path, quick)?;
    let Some((def, def_path)) = def else {
        let dir = config.denoiser.checkpoint.clone().expect("validated");
        return bare_checkpoint(&dir, device).map(Some);
    };
    let spec = def
        .train_spec()
        .expect("a definition has [net] and [train]");
    let dcfg = &def.data[0];
    let data = load(dcfg, def.seed)?;
    if data.d != spec.net.dim() {
        return Err(format!(
            "{}: net maps {} values but data[0] ({}) has {} per item",
            def_path.display(),
            spec.net.dim(),
            dcfg.label(),
            data.d
        ));
    }
    let dir = match &config.denoiser.checkpoint {
        Some(d) => d.clone(),
        None => {
            let key = json!({
                "version": MODEL_VERSION,
                "spec": spec,
                "data": dcfg,
                "data_n": data.n,
                "data_fingerprint": data_fingerprint(&data),
            })
            .to_string();
            models.join(format!("{}-{:016x}", def.name, fnv1a(key.bytes())))
        }
    };
    let label = format!("{} on {}", def.name, dcfg.label());
    let mut trainer = if dir.join(STATE_FILE).is_file() {
        checkpoint::resume(&dir, &spec, device).map_err(|e| e.to_string())?
    } else {
        Trainer::new(spec.clone(), device.clone())
    };
    let start = trainer.step;
    if start < spec.train.steps {
        let text = std::fs::read(&def_path).unwrap_or_default();
        let extra: [(&str, &[u8]); 1] = [("experiment.toml", &text)];
        train(&mut trainer, &data.rows, &dir, &extra, &label)?;
    }
    let net = trainer.learned(device, &label);
    Ok(Some(Model {
        denoiser: Arc::new(Preconditioned {
            net,
            preconditioning: spec.preconditioning,
        }),
        dir,
        defined_by: Some(def_path),
        spec,
        losses: trainer.losses.clone(),
        steps: trainer.step,
        steps_now: trainer.step - start,
        seconds: trainer.seconds(),
        data: dcfg.label(),
    }))
}

/// Trains to the spec's step count, checkpointing on the way and at the end.
fn train(
    trainer: &mut Trainer,
    rows: &[f32],
    dir: &Path,
    extra: &[(&str, &[u8])],
    label: &str,
) -> Result<(), String> {
    let steps = trainer.spec.train.steps;
    let every = trainer.spec.train.checkpoint_every;
    let mut progress = Progress::new(steps - trainer.step);
    progress.set_label(format!("train {label}"));
    let save = |t: &Trainer| checkpoint::save(t, dir, extra).map_err(|e| e.to_string());
    while trainer.step < steps {
        trainer.train_step(rows).map_err(|e| e.to_string())?;
        if trainer.step.is_multiple_of(LOSS_EVERY)
            && let Some(p) = trainer.record_point()
        {
            progress.set_label(format!("train loss {:.4}", p.loss));
        }
        if every > 0 && trainer.step.is_multiple_of(every) && trainer.step < steps {
            save(trainer)?;
        }
        progress.tick();
    }
    trainer.record_point();
    progress.finish();
    save(trainer)
}

/// A checkpoint named without a training file: its own train.json says
/// what network it holds.
fn bare_checkpoint(dir: &Path, device: &burn::tensor::Device) -> Result<Model, String> {
    if !dir.join(STATE_FILE).is_file() {
        return Err(format!(
            "denoiser.checkpoint: {} holds no checkpoint ({STATE_FILE} is missing), and nothing says how to train one (add denoiser.model)",
            dir.display()
        ));
    }
    let state = checkpoint::read_state(dir).map_err(|e| e.to_string())?;
    let label = dir.display().to_string();
    let net = checkpoint::load_learned(dir, &state.spec.net, device, &label)
        .map_err(|e| e.to_string())?;
    let preconditioning: Preconditioning = state.spec.preconditioning;
    Ok(Model {
        denoiser: Arc::new(Preconditioned {
            net,
            preconditioning,
        }),
        dir: dir.to_path_buf(),
        defined_by: None,
        spec: state.spec,
        losses: state.losses,
        steps: state.step,
        steps_now: 0,
        seconds: state.seconds,
        data: "(checkpoint)".into(),
    })
}
