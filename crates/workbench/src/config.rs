//! The experiment file: parsed strictly (unknown keys and wrong types are
//! errors), then validated so that every error names its key.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Output folder name: notebooks-data/NAME and reports/NAME.
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub seed: u64,
    pub trajectories: usize,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    pub data: Vec<DataConfig>,
    #[serde(default)]
    pub denoiser: DenoiserConfig,
    pub schedule: ScheduleConfig,
    pub sampler: Vec<SamplerConfig>,
    #[serde(default)]
    pub noise: NoiseConfig,
    #[serde(default)]
    pub quick: QuickConfig,
}

fn default_batch() -> usize {
    64
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DataConfig {
    /// Label in tables and figure names (default: the kind).
    pub name: Option<String>,
    #[serde(flatten)]
    pub source: DataSource,
    /// Keep only the first `limit` rows.
    pub limit: Option<usize>,
}

/// serde cannot combine `flatten` with `deny_unknown_fields`, so the common
/// keys are taken out by hand and the rest must fit one `kind` exactly.
impl<'de> Deserialize<'de> for DataConfig {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut table = toml::Table::deserialize(de)?;
        let name = match table.remove("name") {
            None => None,
            Some(toml::Value::String(s)) => Some(s),
            Some(v) => {
                return Err(D::Error::custom(format!(
                    "name: expected a string, got {v}"
                )));
            }
        };
        let limit = match table.remove("limit") {
            None => None,
            Some(toml::Value::Integer(l)) if l >= 0 => Some(l as usize),
            Some(v) => {
                return Err(D::Error::custom(format!(
                    "limit: expected a non-negative integer, got {v}"
                )));
            }
        };
        let source =
            DataSource::deserialize(toml::Value::Table(table)).map_err(D::Error::custom)?;
        Ok(DataConfig {
            name,
            source,
            limit,
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DataSource {
    /// IDX files of the MNIST family; Fashion-MNIST by default location.
    FashionMnist {
        path: Option<PathBuf>,
        #[serde(default)]
        split: SplitName,
    },
    MnistIdx {
        path: PathBuf,
        #[serde(default)]
        split: SplitName,
    },
    /// A float32/float64 .npy matrix, n x d.
    Npy { path: PathBuf },
    SwissRoll {
        #[serde(default = "default_n")]
        n: usize,
        #[serde(default = "default_toy_noise")]
        noise: f64,
    },
    TwoMoons {
        #[serde(default = "default_n")]
        n: usize,
        #[serde(default = "default_toy_noise")]
        noise: f64,
    },
    EightGaussians {
        #[serde(default = "default_n")]
        n: usize,
        #[serde(default = "default_toy_noise")]
        noise: f64,
    },
    /// The embedded 16x16 image set.
    Shapes {
        #[serde(default = "default_n")]
        n: usize,
    },
    /// N(mean, std^2 I) in `dim` dimensions.
    Gaussian {
        #[serde(default = "default_n")]
        n: usize,
        dim: usize,
        #[serde(default)]
        mean: f64,
        #[serde(default = "one")]
        std: f64,
    },
}

fn default_n() -> usize {
    2000
}
fn default_toy_noise() -> f64 {
    0.05
}
fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SplitName {
    #[default]
    Train,
    Test,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DenoiserConfig {
    #[serde(default)]
    pub kind: DenoiserKind,
    #[serde(default = "default_chunk")]
    pub chunk: usize,
    #[serde(default = "default_tail")]
    pub tail: f64,
    #[serde(default = "default_logit_tolerance")]
    pub logit_tolerance: f64,
}

impl Default for DenoiserConfig {
    fn default() -> Self {
        Self {
            kind: DenoiserKind::Optimal,
            chunk: default_chunk(),
            tail: default_tail(),
            logit_tolerance: default_logit_tolerance(),
        }
    }
}

fn default_chunk() -> usize {
    4096
}
fn default_tail() -> f64 {
    40.0
}
fn default_logit_tolerance() -> f64 {
    1e-3
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DenoiserKind {
    /// The optimal denoiser of the (finite) data set.
    #[default]
    Optimal,
    /// The exact denoiser of the data's law (gaussian data only).
    Analytic,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    pub kind: ScheduleKind,
    #[serde(default = "default_sigma_min")]
    pub sigma_min: f64,
    #[serde(default = "default_sigma_max")]
    pub sigma_max: f64,
    #[serde(default = "default_rho")]
    pub rho: f64,
    #[serde(default)]
    pub end: EndKind,
    /// For kind = "explicit".
    pub sigmas: Option<Vec<f64>>,
}

fn default_sigma_min() -> f64 {
    0.002
}
fn default_sigma_max() -> f64 {
    80.0
}
fn default_rho() -> f64 {
    7.0
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    Edm,
    LogLinear,
    Explicit,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EndKind {
    #[default]
    Zero,
    SigmaMin,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SamplerConfig {
    /// Label in tables (default: "SOLVER-STEPS").
    pub name: Option<String>,
    pub solver: String,
    /// Solver steps (intervals of the schedule); not used with an explicit schedule.
    pub steps: Option<usize>,
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
}

/// A bad experiment file: the file and one message naming the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads, parses and validates an experiment file. Relative paths in it
    /// are taken relative to the current directory, like any command line path.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            message: format!("cannot read the experiment file: {e}"),
        })?;
        Config::parse(&text).map_err(|message| ConfigError {
            file: path.to_path_buf(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    /// Applies `[quick]` (or its defaults: 16 trajectories, 2000 data rows).
    pub fn quick(mut self) -> Config {
        self.trajectories = self.trajectories.min(self.quick.trajectories.unwrap_or(16));
        let limit = self.quick.data_limit.unwrap_or(2000);
        for d in &mut self.data {
            d.limit = Some(d.limit.map_or(limit, |l| l.min(limit)));
        }
        self
    }

    pub fn validate(&self) -> Result<(), String> {
        if !ok_name(&self.name) {
            return Err(format!(
                "name: expected letters, digits, '-' or '_', got {:?}",
                self.name
            ));
        }
        if self.trajectories == 0 {
            return Err("trajectories: must be at least 1".into());
        }
        if self.batch_size == 0 {
            return Err("batch_size: must be at least 1".into());
        }
        if self.data.is_empty() {
            return Err("data: at least one [[data]] table is required".into());
        }
        let mut names = Vec::new();
        for (i, d) in self.data.iter().enumerate() {
            unique_label(&format!("data[{i}].name"), d.label(), &mut names)?;
            if d.limit == Some(0) {
                return Err(format!("data[{i}].limit: must be at least 1"));
            }
            d.source.validate(i)?;
            if self.denoiser.kind == DenoiserKind::Analytic
                && !matches!(d.source, DataSource::Gaussian { .. })
            {
                return Err(format!(
                    "denoiser.kind: \"analytic\" needs gaussian data, but data[{i}] is {:?}",
                    d.source.kind()
                ));
            }
        }
        if self.denoiser.chunk == 0 {
            return Err("denoiser.chunk: must be at least 1".into());
        }
        if !(self.denoiser.tail.is_finite() && self.denoiser.tail > 0.0) {
            return Err("denoiser.tail: must be positive".into());
        }
        if !(self.denoiser.logit_tolerance.is_finite() && self.denoiser.logit_tolerance > 0.0) {
            return Err("denoiser.logit_tolerance: must be positive".into());
        }
        self.schedule.validate()?;
        if self.sampler.is_empty() {
            return Err("sampler: at least one [[sampler]] table is required".into());
        }
        let mut labels = Vec::new();
        for (i, s) in self.sampler.iter().enumerate() {
            if geotraj_sampling::Solver::parse(&s.solver).is_none() {
                return Err(format!(
                    "sampler[{i}].solver: unknown solver {:?}, expected one of {}",
                    s.solver,
                    geotraj_sampling::Solver::NAMES.join(", ")
                ));
            }
            match (self.schedule.kind, s.steps) {
                (ScheduleKind::Explicit, Some(_)) => {
                    return Err(format!(
                        "sampler[{i}].steps: not used with schedule.kind = \"explicit\" (the list fixes the steps)"
                    ));
                }
                (ScheduleKind::Explicit, None) => {}
                (_, None) => return Err(format!("sampler[{i}].steps: missing")),
                (_, Some(0)) => return Err(format!("sampler[{i}].steps: must be at least 1")),
                _ => {}
            }
            unique_label(
                &format!("sampler[{i}].name"),
                self.sampler_label(i),
                &mut labels,
            )?;
        }
        Ok(())
    }

    pub fn sampler_label(&self, i: usize) -> String {
        let s = &self.sampler[i];
        s.name.clone().unwrap_or_else(|| match s.steps {
            Some(steps) => format!("{}-{steps}", s.solver),
            None => s.solver.clone(),
        })
    }
}

/// Names that become file and folder names: letters, digits, '-' and '_'.
fn ok_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks a table or file label under `key` and that no earlier one in `seen` has it.
fn unique_label(key: &str, label: String, seen: &mut Vec<String>) -> Result<(), String> {
    if !ok_name(&label) {
        return Err(format!(
            "{key}: expected letters, digits, '-' or '_', got {label:?}"
        ));
    }
    if seen.contains(&label) {
        return Err(format!("{key}: {label:?} is used twice"));
    }
    seen.push(label);
    Ok(())
}

impl DataConfig {
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.source.kind().into())
    }
}

impl DataSource {
    pub fn kind(&self) -> &'static str {
        match self {
            DataSource::FashionMnist { .. } => "fashion-mnist",
            DataSource::MnistIdx { .. } => "mnist-idx",
            DataSource::Npy { .. } => "npy",
            DataSource::SwissRoll { .. } => "swiss-roll",
            DataSource::TwoMoons { .. } => "two-moons",
            DataSource::EightGaussians { .. } => "eight-gaussians",
            DataSource::Shapes { .. } => "shapes",
            DataSource::Gaussian { .. } => "gaussian",
        }
    }

    fn validate(&self, i: usize) -> Result<(), String> {
        let positive = |key: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("data[{i}].{key}: must be positive, got {v}"))
            }
        };
        let at_least_one = |key: &str, v: usize| {
            if v >= 1 {
                Ok(())
            } else {
                Err(format!("data[{i}].{key}: must be at least 1"))
            }
        };
        match self {
            DataSource::SwissRoll { n, noise }
            | DataSource::TwoMoons { n, noise }
            | DataSource::EightGaussians { n, noise } => {
                at_least_one("n", *n)?;
                if !(noise.is_finite() && *noise >= 0.0) {
                    return Err(format!(
                        "data[{i}].noise: must be non-negative, got {noise}"
                    ));
                }
                Ok(())
            }
            DataSource::Shapes { n } => at_least_one("n", *n),
            DataSource::Gaussian { n, dim, mean, std } => {
                at_least_one("n", *n)?;
                at_least_one("dim", *dim)?;
                positive("std", *std)?;
                if mean.is_finite() {
                    Ok(())
                } else {
                    Err(format!("data[{i}].mean: must be finite"))
                }
            }
            _ => Ok(()),
        }
    }
}

impl ScheduleConfig {
    fn validate(&self) -> Result<(), String> {
        match self.kind {
            ScheduleKind::Explicit => {
                let list = self.sigmas.as_ref().ok_or(
                    "schedule.sigmas: missing (schedule.kind = \"explicit\" needs the list)",
                )?;
                geotraj_sampling::schedule::validate(list).map_err(|e| format!("schedule.{e}"))?;
            }
            _ => {
                if self.sigmas.is_some() {
                    return Err(
                        "schedule.sigmas: only used with schedule.kind = \"explicit\"".into(),
                    );
                }
                if !(self.sigma_min.is_finite() && self.sigma_min > 0.0) {
                    return Err(format!(
                        "schedule.sigma_min: must be positive, got {}",
                        self.sigma_min
                    ));
                }
                if !(self.sigma_max.is_finite() && self.sigma_max > self.sigma_min) {
                    return Err(format!(
                        "schedule.sigma_max: must be greater than schedule.sigma_min ({}), got {}",
                        self.sigma_min, self.sigma_max
                    ));
                }
                if self.kind == ScheduleKind::Edm && !(self.rho.is_finite() && self.rho > 0.0) {
                    return Err(format!("schedule.rho: must be positive, got {}", self.rho));
                }
            }
        }
        Ok(())
    }

    /// The sigmas for a sampler with `steps` steps.
    pub fn sigmas(&self, steps: Option<usize>) -> Result<Vec<f64>, String> {
        use geotraj_sampling::{Schedule, ScheduleEnd};
        let schedule = match self.kind {
            ScheduleKind::Edm => Schedule::Edm { rho: self.rho },
            ScheduleKind::LogLinear => Schedule::LogLinear,
            ScheduleKind::Explicit => Schedule::Explicit(self.sigmas.clone().unwrap_or_default()),
        };
        let end = match self.end {
            EndKind::Zero => ScheduleEnd::Zero,
            EndKind::SigmaMin => ScheduleEnd::SigmaMin,
        };
        schedule
            .sigmas(steps.unwrap_or(0), self.sigma_min, self.sigma_max, end)
            .map_err(|e| format!("schedule.{e}"))
    }
}
