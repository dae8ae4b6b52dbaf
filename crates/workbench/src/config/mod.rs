//! The experiment file's schema: serde types, one file per table, parsed
//! strictly (unknown keys and wrong types are errors naming their key).
//! Nothing here judges values; `plan` does, once.

mod data;
mod denoiser;
mod error;
mod export;
mod figure;
mod measures;
mod pretrained;
mod projection;
mod sampler;
mod schedule;

pub use data::{DataConfig, DataSource, GmmLayout, SplitName};
pub use denoiser::{DenoiserConfig, DenoiserKind};
pub use error::ConfigError;
pub use export::{ExportConfig, ExportFormat, ExportPart};
pub use figure::{FigureConfig, FigureKind, SWEEP_MEASURES};
pub use measures::{MeasuresConfig, QualityConfig, QualityFeatures};
pub use pretrained::{Architecture, ClassChoice, DiscreteSchedule, Preset, PretrainedConfig};
pub use projection::ProjectionConfig;
pub use sampler::{SamplerConfig, SweepConfig};
pub use schedule::{GitsConfig, ScheduleConfig};

use geotraj_sampling::ScheduleKind;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Output folder name: notebooks-data/NAME and reports/NAME.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The key number the reports index shows first: a substring of its
    /// measure (e.g. "cos"); default the report's first row.
    pub headline: Option<String>,
    #[serde(default)]
    pub seed: u64,
    /// Trajectories per sampler (required by trajectory runs and sweeps).
    #[serde(default)]
    pub trajectories: usize,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    pub data: Vec<DataConfig>,
    #[serde(default)]
    pub denoiser: DenoiserConfig,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    /// The samplers of a trajectory run; a sweep names its own.
    #[serde(default)]
    pub sampler: Vec<SamplerConfig>,
    /// Lists that expand to a grid of (sampler, schedule, steps, ...) cells.
    pub sweep: Option<SweepConfig>,
    #[serde(default)]
    pub quality: QualityConfig,
    /// Measures relative to the data set, on top of the trajectory geometry.
    #[serde(default)]
    pub measures: MeasuresConfig,
    /// Denoising against exact projection on synthetic manifolds.
    pub projection: Option<ProjectionConfig>,
    /// Figures beyond the standard ones.
    #[serde(default)]
    pub figure: Vec<FigureConfig>,
    #[serde(default)]
    pub noise: NoiseConfig,
    #[serde(default)]
    pub quick: QuickConfig,
    /// Write the trajectories themselves (trajectory runs).
    pub export: Option<ExportConfig>,
    /// A network to train on data[0] (a train-*.toml): its architecture...
    pub net: Option<geotraj_denoise::NetConfig>,
    /// ...its preconditioning (default EDM with sigma_data 0.5)...
    pub preconditioning: Option<geotraj_denoise::Preconditioning>,
    /// ...and how to train it.
    pub train: Option<geotraj_denoise::learned::train::TrainOptions>,
    /// Or a network trained elsewhere, from its weights file.
    pub pretrained: Option<PretrainedConfig>,
}

fn default_batch() -> usize {
    64
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NoiseConfig {
    /// A (trajectories x d) float32 .npy of standard-normal starting noise,
    /// to match another program's noise; by default noise comes from the seed.
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuickConfig {
    pub trajectories: Option<usize>,
    pub data_limit: Option<usize>,
    /// Training steps of a quick run's network (default 60).
    pub train_steps: Option<usize>,
    /// A sweep's step counts in a quick run (default the sweep's own).
    pub steps: Option<Vec<usize>>,
}

impl Config {
    /// Parses an experiment file's text; errors name the key serde was
    /// reading and the line.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let de = toml::Deserializer::parse(text).map_err(|e| ConfigError::toml("", &e, text))?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            ConfigError::toml(if key == "." { "" } else { &key }, e.inner(), text)
        })
    }

    /// Whether a schedule of the run is GITS.
    pub fn uses_gits(&self) -> bool {
        self.schedule.kind == ScheduleKind::Gits
            || self.sweep.as_ref().is_some_and(|s| {
                s.schedule
                    .as_ref()
                    .is_some_and(|k| k.contains(&ScheduleKind::Gits))
            })
    }

    /// The label of sampler i in tables and file names.
    pub fn sampler_label(&self, i: usize) -> String {
        let s = &self.sampler[i];
        s.name.clone().unwrap_or_else(|| {
            // Solver names may hold '+' (dpm++2m); labels become file names.
            let solver: String = s
                .solver
                .chars()
                .map(|c| match c {
                    '+' => 'p',
                    c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => c,
                    _ => '-',
                })
                .collect();
            match s.steps {
                Some(steps) => format!("{solver}-{steps}"),
                None => solver,
            }
        })
    }

    /// The training spec of this file's network, when it defines one.
    pub fn train_spec(&self) -> Option<geotraj_denoise::learned::train::TrainSpec> {
        Some(geotraj_denoise::learned::train::TrainSpec {
            net: self.net.clone()?,
            preconditioning: self
                .preconditioning
                .unwrap_or(geotraj_denoise::Preconditioning::Edm { sigma_data: 0.5 }),
            train: self.train.clone()?,
        })
    }
}
