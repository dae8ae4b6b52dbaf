//! One experiment from its plan to results in memory: the output folders
//! are staged, the shared context is built (device, network, data), then
//! the run kind's executor runs. Only the trajectory run's streamed tables
//! (in the staged folder) and the shared caches touch the disk here; a
//! failure anywhere leaves no output behind.

pub mod case;
pub mod export;
pub mod fields;
pub mod gits;
pub mod jump_quality;
pub mod learned_vs_optimal;
pub mod measured;
pub mod model;
pub mod pretrained;
pub mod projection;
pub mod schema;
pub mod sweep;
pub mod trajectory;

use crate::config::DenoiserKind;
use crate::context::device::{DeviceChoice, Selected, select};
use crate::context::load::load;
use crate::context::staging::Staging;
use crate::context::{Context, LoadedData, OutputDirs, noise};
use crate::plan::{Plan, RunKind, budget};
use anyhow::bail;
use model::Model;
use projection::ProjectionResult;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use sweep::SweepResult;
use trajectory::TrajectoryOutcome;

pub struct RunOptions {
    pub config_path: PathBuf,
    pub device: DeviceChoice,
    pub quick: bool,
    /// Where everything goes (see `OutputDirs`); a trajectory run streams
    /// its tables there under temporary names while it runs.
    pub out: Option<PathBuf>,
}

/// What every run has, whatever its kind.
pub struct RunMeta {
    /// The device in words.
    pub device: String,
    /// Where the run writes (staged folders; the caches in place).
    pub dirs: OutputDirs,
    /// The staged folders and where they go; `report::publish` commits them.
    pub staging: Staging,
    pub load_seconds: f64,
    /// The memory the plan and the loaded data's sizes call for, in bytes.
    pub memory_estimate: f64,
    pub started_unix: u64,
    pub config_path: PathBuf,
    /// The command that reproduces the outputs, for the report.
    pub reproduce: String,
    /// The experiment as read, for the report.
    pub config_text: String,
}

/// What the run kind's executor computed.
pub enum Outcome {
    // Boxed: it is far larger than the other outcomes.
    Trajectory(Box<TrajectoryOutcome>),
    Sweep(SweepResult),
    Projection(ProjectionResult),
}

pub struct Run {
    pub plan: Plan,
    pub meta: RunMeta,
    pub data: Vec<LoadedData>,
    /// The learned denoiser's network and its training record.
    pub model: Option<Model>,
    pub outcome: Outcome,
}

impl Run {
    /// The trajectory run's outcome, if this is one.
    pub fn trajectories(&self) -> Option<&TrajectoryOutcome> {
        match &self.outcome {
            Outcome::Trajectory(t) => Some(t.as_ref()),
            _ => None,
        }
    }
}

pub fn run(opts: &RunOptions) -> anyhow::Result<Run> {
    let started_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (plan, config_text) = Plan::load_with_text(&opts.config_path, opts.quick)?;
    let config = &plan.config;
    let staging = Staging::begin(&OutputDirs::new(&config.name, opts.out.as_deref()))?;
    let dirs = staging.dirs.clone();
    let Selected {
        device,
        description,
    } = select(opts.device)?;
    // The network first: training is the long part, and a bad checkpoint
    // should fail before any sampling.
    let model = model::resolve(&plan, &opts.config_path, &dirs.models, &device)?;
    let t0 = Instant::now();
    let mut data = Vec::new();
    for d in &config.data {
        let set = load(d, config.seed)?;
        if config.export.as_ref().is_some_and(|e| e.png)
            && crate::context::image_shape(&set.item_shape, set.d).is_none()
        {
            return Err(crate::config::ConfigError::new(
                "export.png",
                format!(
                    "data \"{}\" has items of shape {:?}, not images (1 or 3 channels)",
                    d.label(),
                    set.item_shape
                ),
            )
            .in_file(&opts.config_path)
            .into());
        }
        if let Some(m) = &model
            && d.denoiser_kind(&config.denoiser) == DenoiserKind::Learned
            && set.d != m.denoiser.dim()
        {
            bail!(
                "data \"{}\" has {} values per item (shape {:?}), but the learned network takes {}: {}",
                d.label(),
                set.d,
                set.item_shape,
                m.denoiser.dim(),
                m.network
            );
        }
        data.push(LoadedData {
            label: d.label(),
            data: Arc::new(set),
        });
    }
    let noise_file = match &config.noise.file {
        Some(p) => Some(noise::read_file(p)?),
        None => None,
    };
    let load_seconds = t0.elapsed().as_secs_f64();
    // The files' sizes are known now: judge the whole run before it starts.
    let dims: Vec<Option<(usize, usize)>> =
        data.iter().map(|l| Some((l.data.n, l.data.d))).collect();
    let estimate = budget::estimate(&plan.config, &plan.kind, &dims);
    estimate
        .check(budget::available())
        .map_err(|e| e.in_file(&opts.config_path))?;
    let ctx = Context {
        dirs,
        device,
        device_name: description,
        data,
        learned: model.as_ref().map(|m| Arc::clone(&m.denoiser)),
    };
    let outcome = match &plan.kind {
        RunKind::Trajectory(samplers) => Outcome::Trajectory(Box::new(trajectory::run(
            &plan,
            samplers,
            &ctx,
            &noise_file,
        )?)),
        RunKind::Sweep(cells) => Outcome::Sweep(sweep::run_sweep(config, cells, &ctx)?),
        RunKind::Projection(p) => Outcome::Projection(projection::run_projection(
            config,
            p,
            &ctx.data,
            &ctx.device,
        )?),
    };
    Ok(Run {
        meta: RunMeta {
            device: ctx.device_name,
            dirs: ctx.dirs,
            staging,
            load_seconds,
            memory_estimate: estimate.total(),
            started_unix,
            config_path: opts.config_path.clone(),
            reproduce: format!(
                "run-experiment {}{}",
                crate::context::shown_path(&opts.config_path),
                if opts.quick { " --quick" } else { "" }
            ),
            config_text,
        },
        data: ctx.data,
        model,
        outcome,
        plan,
    })
}
