//! The run's learned denoiser: taken from the model cache
//! (notebooks-data/models/NAME-KEY, KEY a hash of everything training
//! depends on), resumed there when a training was interrupted, or trained
//! there first; or a pretrained network loaded from its weights file.
//! Training shows a progress bar with the loss and writes a checkpoint
//! every `train.checkpoint_every` steps.

use crate::config::{Config, DenoiserKind, PretrainedConfig};
use crate::context::denoisers::LearnedDenoiser;
use crate::context::fingerprint::{data_fingerprint, fnv1a};
use crate::context::load::load;
use crate::context::progress::Progress;
use crate::execute::pretrained;
use crate::plan::Plan;
use anyhow::{Context as _, bail};
use burn::module::Module;
use geotraj_denoise::Preconditioned;
use geotraj_denoise::Preconditioning;
use geotraj_denoise::learned::checkpoint::{self, STATE_FILE};
use geotraj_denoise::learned::train::{LossPoint, TrainSpec, Trainer};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bumped when training changes what a spec produces.
const MODEL_VERSION: u32 = 1;
/// Steps per point of the recorded loss curve (and per progress label).
const LOSS_EVERY: usize = 25;

pub struct Model {
    pub denoiser: LearnedDenoiser,
    /// The checkpoint directory, or a pretrained network's weights file.
    pub dir: PathBuf,
    /// The file that says how the network is trained (None for a bare checkpoint).
    pub defined_by: Option<PathBuf>,
    /// The network in words, with its parameter count.
    pub network: String,
    pub parameters: usize,
    /// How it was trained here; None for a pretrained network.
    pub training: Option<Training>,
    /// What it was trained on.
    pub data: String,
}

/// A network trained by geotraj.
pub struct Training {
    pub spec: TrainSpec,
    pub losses: Vec<LossPoint>,
    /// Steps trained in all, and by this run (0: reused from the cache).
    pub steps: usize,
    pub steps_now: usize,
    /// Training seconds in all.
    pub seconds: f64,
}

/// Where the run's network is defined.
enum Definition {
    /// A training file (this one, or denoiser.model's), shrunk in a quick run.
    File(Box<Config>, PathBuf),
    /// denoiser.checkpoint alone: its own train.json says what it holds.
    Checkpoint(PathBuf),
    /// `[pretrained]`: a weights file and its architecture.
    Pretrained(Box<PretrainedConfig>),
}

/// The definition of the network, when the run has one.
fn definition(plan: &Plan, config_path: &Path) -> anyhow::Result<Option<Definition>> {
    let config = &plan.config;
    let learned = config
        .data
        .iter()
        .any(|d| d.denoiser_kind(&config.denoiser) == DenoiserKind::Learned);
    if config.train.is_some() {
        return Ok(Some(Definition::File(
            Box::new(config.clone()),
            config_path.to_path_buf(),
        )));
    }
    if !learned {
        return Ok(None);
    }
    if let Some(p) = &config.pretrained {
        return Ok(Some(Definition::Pretrained(Box::new(p.clone()))));
    }
    match (&config.denoiser.model, &config.denoiser.checkpoint) {
        (Some(path), _) => {
            let def = Plan::load(path, plan.quick)
                .context("denoiser.model")?
                .config;
            if def.train.is_none() {
                bail!(
                    "denoiser.model: {} has no [net] and [train] tables, so it does not define a network",
                    path.display()
                );
            }
            Ok(Some(Definition::File(Box::new(def), path.clone())))
        }
        (None, Some(dir)) => Ok(Some(Definition::Checkpoint(dir.clone()))),
        (None, None) => bail!("a data set uses the learned denoiser, but nothing names a network"),
    }
}

/// Finds, resumes or trains the run's network, when any data set uses it.
pub fn resolve(
    plan: &Plan,
    config_path: &Path,
    models: &Path,
    device: &burn::tensor::Device,
) -> anyhow::Result<Option<Model>> {
    let config = &plan.config;
    let (def, def_path) = match definition(plan, config_path)? {
        None => return Ok(None),
        Some(Definition::Checkpoint(dir)) => return bare_checkpoint(&dir, device).map(Some),
        Some(Definition::Pretrained(p)) => {
            let loaded = pretrained::load(&p, config.seed, device)?;
            return Ok(Some(Model {
                denoiser: loaded.denoiser,
                dir: p.weights.clone(),
                defined_by: Some(config_path.to_path_buf()),
                network: loaded.network,
                parameters: loaded.parameters,
                training: None,
                data: "(pretrained)".into(),
            }));
        }
        Some(Definition::File(def, path)) => (def, path),
    };
    let spec = def
        .train_spec()
        .expect("a definition has [net] and [train]");
    let dcfg = &def.data[0];
    let data = load(dcfg, def.seed)?;
    if data.d != spec.net.dim() {
        bail!(
            "{}: net maps {} values but data[0] ({}) has {} per item",
            def_path.display(),
            spec.net.dim(),
            dcfg.label(),
            data.d
        );
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
        checkpoint::resume(&dir, &spec, device)?
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
        parameters: net.net.num_params(),
        network: spec.net.describe(),
        denoiser: Arc::new(Preconditioned {
            net,
            preconditioning: spec.preconditioning,
        }),
        dir,
        defined_by: Some(def_path),
        training: Some(Training {
            spec,
            losses: trainer.losses.clone(),
            steps: trainer.step,
            steps_now: trainer.step - start,
            seconds: trainer.seconds(),
        }),
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
) -> anyhow::Result<()> {
    let steps = trainer.spec.train.steps;
    let every = trainer.spec.train.checkpoint_every;
    let mut progress = Progress::new(steps - trainer.step);
    progress.set_label(format!("train {label}"));
    let save = |t: &Trainer| checkpoint::save(t, dir, extra).map_err(anyhow::Error::from);
    while trainer.step < steps {
        trainer.train_step(rows)?;
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
fn bare_checkpoint(dir: &Path, device: &burn::tensor::Device) -> anyhow::Result<Model> {
    if !dir.join(STATE_FILE).is_file() {
        bail!(
            "denoiser.checkpoint: {} holds no checkpoint ({STATE_FILE} is missing), and nothing says how to train one (add denoiser.model)",
            dir.display()
        );
    }
    let state = checkpoint::read_state(dir)?;
    let label = dir.display().to_string();
    let net = checkpoint::load_learned(dir, &state.spec.net, device, &label)?;
    let preconditioning: Preconditioning = state.spec.preconditioning;
    Ok(Model {
        parameters: net.net.num_params(),
        network: state.spec.net.describe(),
        denoiser: Arc::new(Preconditioned {
            net,
            preconditioning,
        }),
        dir: dir.to_path_buf(),
        defined_by: None,
        training: Some(Training {
            spec: state.spec,
            losses: state.losses,
            steps: state.step,
            steps_now: 0,
            seconds: state.seconds,
        }),
        data: "(checkpoint)".into(),
    })
}
