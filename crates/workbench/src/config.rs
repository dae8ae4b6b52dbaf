//! The experiment file: parsed strictly (unknown keys and wrong types are
//! errors), then validated so that every error names its key.

use geotraj_sampling::{Schedule, ScheduleEnd, Solver, SolverParamError, SolverParams};
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
    /// A network to train on data[0] (a train-*.toml): its architecture...
    pub net: Option<geotraj_denoise::NetConfig>,
    /// ...its preconditioning (default EDM with sigma_data 0.5)...
    pub preconditioning: Option<geotraj_denoise::Preconditioning>,
    /// ...and how to train it.
    pub train: Option<geotraj_denoise::learned::train::TrainOptions>,
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
    /// For files without a test split (npy, npz, png-folder): the last
    /// `held_out` rows are set aside to judge samples against.
    pub held_out: Option<usize>,
    /// Overrides `[denoiser] kind` for this data set.
    pub denoiser: Option<DenoiserKind>,
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
        let mut count = |key: &str| match table.remove(key) {
            None => Ok(None),
            Some(toml::Value::Integer(l)) if l >= 0 => Ok(Some(l as usize)),
            Some(v) => Err(D::Error::custom(format!(
                "{key}: expected a non-negative integer, got {v}"
            ))),
        };
        let limit = count("limit")?;
        let held_out = count("held_out")?;
        let denoiser = match table.remove("denoiser") {
            None => None,
            Some(v) => Some(DenoiserKind::deserialize(v).map_err(|e| {
                D::Error::custom(format!(
                    "denoiser: expected \"optimal\", \"analytic\" or \"learned\" ({})",
                    e.message()
                ))
            })?),
        };
        let source =
            DataSource::deserialize(toml::Value::Table(table)).map_err(D::Error::custom)?;
        Ok(DataConfig {
            name,
            source,
            limit,
            held_out,
            denoiser,
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
    /// One IDX image file (any name, e.g. EMNIST's), with optional labels.
    Idx {
        images: PathBuf,
        labels: Option<PathBuf>,
    },
    /// A float32/float64 .npy matrix, n x d.
    Npy { path: PathBuf },
    /// One array of a NumPy .npz archive (`key`: needed when it holds several).
    Npz { path: PathBuf, key: Option<String> },
    /// CIFAR-10 binary batches: the cifar-10-batches-bin folder or one .bin file.
    Cifar10 {
        path: PathBuf,
        #[serde(default)]
        split: SplitName,
    },
    /// Every .png file of a folder (one shape), in file-name order.
    PngFolder { path: PathBuf },
    /// n points uniform on a k-sphere of `radius`, in a random (k+1)-plane of R^ambient.
    Sphere {
        #[serde(default = "default_n")]
        n: usize,
        k: usize,
        ambient: usize,
        #[serde(default = "one")]
        radius: f64,
    },
    /// n points uniform on a flat k-torus (k circles of `radius`) in a random 2k-plane.
    Torus {
        #[serde(default = "default_n")]
        n: usize,
        k: usize,
        ambient: usize,
        #[serde(default = "one")]
        radius: f64,
    },
    /// n points N(0, radius^2) on a random k-dimensional linear subspace.
    Subspace {
        #[serde(default = "default_n")]
        n: usize,
        k: usize,
        ambient: usize,
        #[serde(default = "one")]
        radius: f64,
    },
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
    /// A Gaussian mixture: `components` equal-variance isotropic (or, with
    /// `diagonal`, axis-aligned) components, on a ring of radius `spread`
    /// (2-D, layout "ring") or with means drawn from N(0, spread^2 I).
    Gmm {
        #[serde(default = "default_n")]
        n: usize,
        #[serde(default = "default_components")]
        components: usize,
        #[serde(default = "two")]
        dim: usize,
        #[serde(default)]
        layout: GmmLayout,
        #[serde(default = "two_f")]
        spread: f64,
        #[serde(default = "default_gmm_std")]
        std: f64,
        #[serde(default)]
        diagonal: bool,
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
fn two() -> usize {
    2
}
fn two_f() -> f64 {
    2.0
}
fn default_components() -> usize {
    8
}
fn default_gmm_std() -> f64 {
    0.2
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum GmmLayout {
    #[default]
    Random,
    Ring,
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
    /// The learned denoiser's training file (a train-*.toml): its network is
    /// taken from the model cache, or trained there first.
    pub model: Option<PathBuf>,
    /// A checkpoint directory to load the learned denoiser from (trained
    /// into it first when missing and the run says how).
    pub checkpoint: Option<PathBuf>,
}

impl DenoiserConfig {
    /// The optimal denoiser's settings.
    pub fn optimal_options(&self) -> geotraj_denoise::OptimalOptions {
        geotraj_denoise::OptimalOptions {
            chunk: self.chunk,
            tail: self.tail,
            logit_tolerance: self.logit_tolerance,
        }
    }
}

impl Default for DenoiserConfig {
    fn default() -> Self {
        Self {
            kind: DenoiserKind::Optimal,
            chunk: default_chunk(),
            tail: default_tail(),
            logit_tolerance: default_logit_tolerance(),
            model: None,
            checkpoint: None,
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
    /// The exact denoiser of the data's law (gaussian and gmm data).
    Analytic,
    /// A trained network: this file's [train], denoiser.model's, or denoiser.checkpoint.
    Learned,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    pub kind: ScheduleKind,
    #[serde(default = "default_sigma_min")]
    pub sigma_min: f64,
    #[serde(default = "default_sigma_max")]
    pub sigma_max: f64,
    /// edm (default 7) and polyexponential (default 1).
    pub rho: Option<f64>,
    /// vp-continuous: the VP-SDE's betas.
    #[serde(default = "default_beta_d")]
    pub beta_d: f64,
    #[serde(default = "default_beta_min")]
    pub beta_min: f64,
    /// ddim-offset: the sigma the discrete schedule starts nearest to.
    #[serde(default = "default_offset_sigma")]
    pub offset_sigma: f64,
    #[serde(default)]
    pub end: EndKind,
    /// For kind = "explicit".
    pub sigmas: Option<Vec<f64>>,
    /// For kind = "gits" (also in a sweep over schedules).
    pub gits: Option<GitsConfig>,
}

/// GITS: a dynamic program on warm-up trajectories picks each schedule's
/// steps from a fine grid. Defaults are diff-sampler's gits-main: 61 grid
/// points of EDM's rho = 7 schedule, iPNDM teacher, 256 warm-up
/// trajectories, deviation cost, coefficient 1.15.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GitsConfig {
    #[serde(default = "default_gits_coefficient")]
    pub coefficient: f64,
    /// "deviation", "l2" or "l1".
    #[serde(default = "default_gits_cost")]
    pub cost: String,
    /// The teacher solver (deterministic), by name with default parameters.
    #[serde(default = "default_gits_teacher")]
    pub teacher: String,
    /// Steps of the fine grid (GITS's num_steps_tea - 1).
    #[serde(default = "default_gits_grid_steps")]
    pub grid_steps: usize,
    /// The fine grid's schedule kind, with the other schedule keys shared.
    #[serde(default = "default_gits_grid")]
    pub grid: ScheduleKind,
    /// Teacher steps per grid interval.
    #[serde(default = "one_step")]
    pub teacher_substeps: usize,
    /// Warm-up trajectories (their noise is a stream of its own).
    #[serde(default = "default_gits_warmup")]
    pub warmup: usize,
    /// Keep cost matrices in notebooks-data/cache/gits (or OUT/cache/gits).
    #[serde(default = "yes")]
    pub cache: bool,
}

fn default_gits_coefficient() -> f64 {
    1.15
}
fn default_gits_cost() -> String {
    "deviation".into()
}
fn default_gits_teacher() -> String {
    "ipndm".into()
}
fn default_gits_grid_steps() -> usize {
    60
}
fn default_gits_grid() -> ScheduleKind {
    ScheduleKind::Edm
}
fn one_step() -> usize {
    1
}
fn default_gits_warmup() -> usize {
    256
}

impl Default for GitsConfig {
    fn default() -> Self {
        GitsConfig {
            coefficient: default_gits_coefficient(),
            cost: default_gits_cost(),
            teacher: default_gits_teacher(),
            grid_steps: default_gits_grid_steps(),
            grid: default_gits_grid(),
            teacher_substeps: 1,
            warmup: default_gits_warmup(),
            cache: true,
        }
    }
}

impl GitsConfig {
    /// The options of `geotraj_sampling::gits`; the config was validated.
    pub fn options(&self, batch_size: usize) -> geotraj_sampling::GitsOptions {
        geotraj_sampling::GitsOptions {
            coefficient: self.coefficient,
            cost: geotraj_sampling::GitsCost::parse(&self.cost).expect("validated"),
            teacher: Solver::parse(&self.teacher).expect("validated"),
            teacher_substeps: self.teacher_substeps,
            batch_size,
        }
    }

    fn validate(&self) -> Result<(), String> {
        if !(self.coefficient.is_finite() && self.coefficient > 0.0) {
            return Err(format!(
                "schedule.gits.coefficient: must be positive, got {}",
                self.coefficient
            ));
        }
        if geotraj_sampling::GitsCost::parse(&self.cost).is_none() {
            return Err(format!(
                "schedule.gits.cost: expected one of {:?}, got {:?}",
                geotraj_sampling::GitsCost::NAMES,
                self.cost
            ));
        }
        match Solver::parse(&self.teacher) {
            None => {
                return Err(format!(
                    "schedule.gits.teacher: unknown solver {:?} (one of {:?})",
                    self.teacher,
                    Solver::NAMES
                ));
            }
            Some(s) if s.is_stochastic() => {
                return Err(format!(
                    "schedule.gits.teacher: {:?} is stochastic; the warm-up needs a deterministic solver",
                    self.teacher
                ));
            }
            Some(_) => {}
        }
        if matches!(self.grid, ScheduleKind::Gits | ScheduleKind::Explicit) {
            return Err(format!(
                "schedule.gits.grid: must be a schedule formula, not {:?}",
                self.grid.name()
            ));
        }
        for (key, v) in [
            ("grid_steps", self.grid_steps),
            ("teacher_substeps", self.teacher_substeps),
            ("warmup", self.warmup),
        ] {
            if v == 0 {
                return Err(format!("schedule.gits.{key}: must be at least 1"));
            }
        }
        Ok(())
    }
}

fn default_beta_d() -> f64 {
    geotraj_sampling::Schedule::VP_BETA_D
}
fn default_beta_min() -> f64 {
    geotraj_sampling::Schedule::VP_BETA_MIN
}
fn default_offset_sigma() -> f64 {
    geotraj_sampling::Schedule::DDIM_OFFSET_SIGMA
}

fn default_sigma_min() -> f64 {
    0.002
}
fn default_sigma_max() -> f64 {
    80.0
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    Edm,
    LogLinear,
    Polyexponential,
    LogSnr,
    TimeUniform,
    VpContinuous,
    Ddim,
    DdimOffset,
    Explicit,
    /// Chosen per step count from warm-up trajectories (`[schedule.gits]`).
    Gits,
}

impl ScheduleKind {
    pub fn name(&self) -> &'static str {
        match self {
            ScheduleKind::Edm => "edm",
            ScheduleKind::LogLinear => "log-linear",
            ScheduleKind::Polyexponential => "polyexponential",
            ScheduleKind::LogSnr => "log-snr",
            ScheduleKind::TimeUniform => "time-uniform",
            ScheduleKind::VpContinuous => "vp-continuous",
            ScheduleKind::Ddim => "ddim",
            ScheduleKind::DdimOffset => "ddim-offset",
            ScheduleKind::Explicit => "explicit",
            ScheduleKind::Gits => "gits",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EndKind {
    #[default]
    Zero,
    SigmaMin,
    /// Stop at sigma_min, then jump to D(x; sigma_min).
    Jump,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SamplerConfig {
    /// Label in tables (default: "SOLVER-STEPS").
    pub name: Option<String>,
    pub solver: String,
    /// Solver steps (intervals of the schedule); not used with an explicit schedule.
    pub steps: Option<usize>,
    pub order: Option<usize>,
    pub gamma: Option<f64>,
    pub mu: Option<f64>,
    pub s_churn: Option<f64>,
    pub s_min: Option<f64>,
    pub s_max: Option<f64>,
    pub s_noise: Option<f64>,
}

impl SamplerConfig {
    pub fn params(&self) -> SolverParams {
        SolverParams {
            order: self.order,
            gamma: self.gamma,
            mu: self.mu,
            s_churn: self.s_churn,
            s_min: self.s_min,
            s_max: self.s_max,
            s_noise: self.s_noise,
        }
    }

    pub fn solver(&self) -> Result<Solver, SolverParamError> {
        Solver::new(&self.solver, &self.params())
    }
}

/// Lists that expand to their cartesian product; `order`, `gamma` and `mu`
/// expand only for the samplers that use them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepConfig {
    pub sampler: Vec<String>,
    pub steps: Vec<usize>,
    /// Schedule kinds (default: schedule.kind); the other schedule keys are shared.
    pub schedule: Option<Vec<ScheduleKind>>,
    pub order: Option<Vec<usize>>,
    pub gamma: Option<Vec<f64>>,
    pub mu: Option<Vec<f64>>,
}

/// How samples are judged.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QualityConfig {
    /// Features for the Frechet distance: this many principal components of the training set.
    #[serde(default = "default_pca_dim")]
    pub pca_dim: usize,
    /// Random directions of the sliced Wasserstein-2 distance.
    #[serde(default = "default_projections")]
    pub projections: usize,
    /// Compare with an adaptive reference solve of the same noise (solver error).
    #[serde(default = "yes")]
    pub reference: bool,
    #[serde(default = "default_tolerance")]
    pub rtol: f64,
    #[serde(default = "default_tolerance")]
    pub atol: f64,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            pca_dim: default_pca_dim(),
            projections: default_projections(),
            reference: true,
            rtol: default_tolerance(),
            atol: default_tolerance(),
        }
    }
}

fn default_pca_dim() -> usize {
    32
}
fn default_projections() -> usize {
    256
}
fn yes() -> bool {
    true
}
fn default_tolerance() -> f64 {
    1e-5
}

/// An extra figure of a run.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FigureConfig {
    pub kind: FigureKind,
    /// The sweep column on the y axis (error-vs-nfe, quality-vs-nfe, quality-vs-gamma).
    pub measure: Option<String>,
    /// eps-field: the sigmas to draw the field at.
    pub sigmas: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FigureKind {
    /// Sweep: a measure against NFE, log-log, one line per sampler and schedule.
    ErrorVsNfe,
    /// Sweep: a measure against NFE, one line per sampler and schedule.
    QualityVsNfe,
    /// Sweep: a measure against gamma, one line per steps.
    QualityVsGamma,
    /// Sweep: log sigma_n against n for every schedule of the sweep.
    ScheduleSigmas,
    /// Trajectory run on 2-D data: the sampling trajectories over the data.
    #[serde(rename = "trajectories-2d")]
    Trajectories2d,
    /// Trajectory run on 2-D data: eps(x, sigma) on a grid at `sigmas`.
    EpsField,
    /// 2-D histogram of the relative error |D(x_n) - proj_K(x_n)| / dist_K(x_n)
    /// against sigma, one trajectory overlaid (Permenter & Yuan).
    ErrorHistogram,
    /// nu_n = sqrt(d) sigma_n / dist_K(x_n) against sigma.
    Nu,
    /// dist_K(x_n) and dist_K(D(x_n)) against sigma, beside sigma sqrt(d).
    DistanceToData,
    /// |x_n - x_N| and |D(x_n) - x_N| against sigma (Chen et al., Obs. 3).
    Jump,
    /// Share of final samples with d1/d2 below each ratio.
    Memorisation,
    /// The mean-shift identity error of each Euler step against sigma.
    Identity,
    /// cos(eps_n, x_n - x_N) against sigma (Chen et al., Fig. 14a).
    Direction,
    /// Top-2 PCA reconstruction error against sigma, and the 3-D views of
    /// the first trajectories drawn from two sides.
    LowDim,
}

impl FigureKind {
    /// Figures drawn from the nearest-neighbour measures.
    pub fn needs_distance(self) -> bool {
        matches!(
            self,
            FigureKind::ErrorHistogram
                | FigureKind::Nu
                | FigureKind::DistanceToData
                | FigureKind::Memorisation
        )
    }
}

/// Measures relative to the data set; each costs an exact nearest-neighbour
/// search (a GEMM over the data) per state.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MeasuresConfig {
    /// Nearest data points of every state: dist_data, nu, rel_error, the
    /// DDIM descent bound (euler) and the final samples' memorisation.
    #[serde(default)]
    pub distance: bool,
    /// Nearest data points of every D(x_n) too (denoised_dist_data).
    #[serde(default)]
    pub jump: bool,
    /// A final sample with d1/d2 below this counts as memorised.
    #[serde(default = "default_memorised_ratio")]
    pub memorised_ratio: f64,
    /// Check the mean-shift identity on this many trajectories (euler, optimal).
    #[serde(default)]
    pub identity: usize,
    /// Per-trajectory PCA of the states (explained variance, top-2 error)
    /// and the 3-D view of the first `views` trajectories.
    #[serde(default)]
    pub lowdim: bool,
    #[serde(default = "default_views")]
    pub views: usize,
    /// FD of x_n and of D(x_n) at every step against held-out data
    /// (jump-early quality vs NFE, Chen et al., Obs. 3).
    #[serde(default)]
    pub jump_quality: bool,
    /// The four distances between the learned and the optimal denoiser's
    /// trajectories from the same noise (Chen et al., Obs. 4): needs a
    /// learned and an optimal data set with the same source.
    #[serde(default)]
    pub learned_vs_optimal: bool,
}

fn default_views() -> usize {
    30
}

impl Default for MeasuresConfig {
    fn default() -> Self {
        MeasuresConfig {
            distance: false,
            jump: false,
            memorised_ratio: default_memorised_ratio(),
            identity: 0,
            lowdim: false,
            views: default_views(),
            jump_quality: false,
            learned_vs_optimal: false,
        }
    }
}

fn default_memorised_ratio() -> f64 {
    1.0 / 3.0
}

impl MeasuresConfig {
    fn validate(&self, config: &Config) -> Result<(), String> {
        if !(self.memorised_ratio > 0.0 && self.memorised_ratio <= 1.0) {
            return Err(format!(
                "measures.memorised_ratio: expected a ratio in (0, 1], got {}",
                self.memorised_ratio
            ));
        }
        if self.jump && !self.distance {
            return Err("measures.jump: needs measures.distance = true".into());
        }
        if self.jump_quality && config.trajectories < 2 {
            return Err(
                "measures.jump_quality: a Frechet distance needs at least 2 trajectories".into(),
            );
        }
        if self.identity > 0 {
            if let Some(i) = config
                .data
                .iter()
                .position(|d| d.denoiser_kind(&config.denoiser) != DenoiserKind::Optimal)
            {
                return Err(format!(
                    "measures.identity: the mean-shift identity holds for the optimal denoiser, but data[{i}] uses another"
                ));
            }
            if let Some(i) = config.sampler.iter().position(|s| s.solver != "euler") {
                return Err(format!(
                    "measures.identity: the identity is about Euler steps, but sampler[{i}] is {:?}",
                    config.sampler[i].solver
                ));
            }
        }
        if self.learned_vs_optimal && crate::learned_vs_optimal::pair(config).is_none() {
            return Err("measures.learned_vs_optimal: needs two [[data]] tables with the same source, one with denoiser = \"learned\" and one with denoiser = \"optimal\"".into());
        }
        if (self.distance || self.identity > 0 || self.lowdim || self.learned_vs_optimal)
            && config.sweep.is_some()
        {
            return Err("measures: data measures are for trajectory runs, not sweeps".into());
        }
        Ok(())
    }
}

/// Permenter & Yuan's "denoising is projection", on manifolds of known dimension.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectionConfig {
    /// Clean points x_0 per manifold, fresh draws (not in the data set).
    #[serde(default = "default_projection_points")]
    pub points: usize,
    #[serde(default = "default_projection_sigma_min")]
    pub sigma_min: f64,
    #[serde(default = "default_projection_sigma_max")]
    pub sigma_max: f64,
    /// Sigmas, log-spaced from sigma_min to sigma_max.
    #[serde(default = "default_projection_sigmas")]
    pub sigmas: usize,
}

fn default_projection_points() -> usize {
    200
}
fn default_projection_sigma_min() -> f64 {
    0.01
}
fn default_projection_sigma_max() -> f64 {
    10.0
}
fn default_projection_sigmas() -> usize {
    16
}

impl ProjectionConfig {
    fn validate(&self, config: &Config) -> Result<(), String> {
        if self.points == 0 {
            return Err("projection.points: must be at least 1".into());
        }
        if self.sigmas < 2 {
            return Err("projection.sigmas: at least 2".into());
        }
        if !(self.sigma_min > 0.0 && self.sigma_max > self.sigma_min && self.sigma_max.is_finite())
        {
            return Err(format!(
                "projection.sigma_min, sigma_max: expected 0 < min < max, got {} and {}",
                self.sigma_min, self.sigma_max
            ));
        }
        if let Some(i) = config.data.iter().position(|d| {
            !matches!(
                d.source,
                DataSource::Sphere { .. } | DataSource::Torus { .. } | DataSource::Subspace { .. }
            )
        }) {
            return Err(format!(
                "data[{i}].kind: a [projection] run needs manifolds (sphere, torus, subspace), got {:?}",
                config.data[i].source.kind()
            ));
        }
        if !config.sampler.is_empty() || config.sweep.is_some() {
            return Err("projection: a [projection] run takes no [[sampler]] or [sweep]".into());
        }
        if !config.figure.is_empty() {
            return Err("figure: a [projection] run draws its own figures".into());
        }
        if config.measures != MeasuresConfig::default() {
            return Err("measures: trajectory measures do not apply to a [projection] run".into());
        }
        Ok(())
    }

    /// The log-spaced sigmas, increasing.
    pub fn sigma_grid(&self) -> Vec<f64> {
        let (a, b) = (self.sigma_min.ln(), self.sigma_max.ln());
        (0..self.sigmas)
            .map(|k| (a + (b - a) * k as f64 / (self.sigmas - 1) as f64).exp())
            .collect()
    }
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
        if let Some(t) = &mut self.train {
            t.steps = t.steps.min(self.quick.train_steps.unwrap_or(60));
            t.warmup = t.warmup.min(t.steps);
        }
        if self.uses_gits() {
            let mut g = self.schedule.gits();
            g.warmup = g.warmup.min(self.trajectories.max(1));
            self.schedule.gits = Some(g);
        }
        self
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

    pub fn validate(&self) -> Result<(), String> {
        if !ok_name(&self.name) {
            return Err(format!(
                "name: expected letters, digits, '-' or '_', got {:?}",
                self.name
            ));
        }
        if self.trajectories == 0 && (self.sweep.is_some() || !self.sampler.is_empty()) {
            return Err("trajectories: missing or 0; a run with samplers needs at least 1".into());
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
            if let Some(h) = d.held_out {
                if !matches!(
                    d.source,
                    DataSource::Npy { .. }
                        | DataSource::Npz { .. }
                        | DataSource::PngFolder { .. }
                        | DataSource::Idx { .. }
                ) {
                    return Err(format!(
                        "data[{i}].held_out: only for idx, npy, npz and png-folder data ({} has its own held-out draw or split)",
                        d.source.kind()
                    ));
                }
                if h == 0 {
                    return Err(format!("data[{i}].held_out: must be at least 1"));
                }
            }
            d.source.validate(i)?;
            if d.denoiser_kind(&self.denoiser) == DenoiserKind::Analytic
                && !matches!(
                    d.source,
                    DataSource::Gaussian { .. } | DataSource::Gmm { .. }
                )
            {
                let key = match d.denoiser {
                    Some(_) => format!("data[{i}].denoiser"),
                    None => "denoiser.kind".into(),
                };
                return Err(format!(
                    "{key}: \"analytic\" needs gaussian or gmm data, but data[{i}] is {:?}",
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
        if self.schedule.gits.is_some() && !self.uses_gits() {
            return Err(
                "schedule.gits: only used when schedule.kind or sweep.schedule names \"gits\""
                    .into(),
            );
        }
        match (&self.sweep, self.sampler.is_empty()) {
            (None, true) if self.projection.is_some() || self.train.is_some() => {}
            (None, true) => {
                return Err(
                    "sampler: at least one [[sampler]] table (or a [sweep]) is required".into(),
                );
            }
            (Some(_), false) => {
                return Err(
                    "sampler: a run with a [sweep] takes its samplers from sweep.sampler".into(),
                );
            }
            (Some(sweep), true) => sweep.validate(&self.schedule)?,
            (None, false) => {}
        }
        let mut labels = Vec::new();
        for (i, s) in self.sampler.iter().enumerate() {
            s.solver()
                .map_err(|e| format!("sampler[{i}].{}: {}", e.key, e.message))?;
            match (self.schedule.kind, s.steps) {
                (ScheduleKind::Explicit, Some(_)) => {
                    return Err(format!(
                        "sampler[{i}].steps: not used with schedule.kind = \"explicit\" (the list fixes the steps)"
                    ));
                }
                (ScheduleKind::Explicit, None) => {}
                (_, None) => return Err(format!("sampler[{i}].steps: missing")),
                (_, Some(0)) => return Err(format!("sampler[{i}].steps: must be at least 1")),
                (_, Some(steps)) => {
                    self.schedule
                        .stand_in(steps)
                        .map_err(|e| format!("sampler[{i}].steps: {e}"))?;
                }
            }
            unique_label(
                &format!("sampler[{i}].name"),
                self.sampler_label(i),
                &mut labels,
            )?;
        }
        self.quality.validate()?;
        self.measures.validate(self)?;
        self.validate_learned()?;
        if let Some(p) = &self.projection {
            p.validate(self)?;
        }
        for (i, f) in self.figure.iter().enumerate() {
            f.validate(i, self.sweep.is_some())?;
            if f.kind.needs_distance() && !self.measures.distance {
                return Err(format!(
                    "figure[{i}].kind: {:?} needs measures.distance = true",
                    f.kind
                ));
            }
            if f.kind == FigureKind::LowDim && !self.measures.lowdim {
                return Err(format!(
                    "figure[{i}].kind: \"low-dim\" needs measures.lowdim = true"
                ));
            }
            if f.kind == FigureKind::Identity && self.measures.identity == 0 {
                return Err(format!(
                    "figure[{i}].kind: \"identity\" needs measures.identity > 0"
                ));
            }
        }
        Ok(())
    }

    /// The network keys: [net] + [train] define a model together, and a
    /// learned denoiser needs a model from somewhere.
    fn validate_learned(&self) -> Result<(), String> {
        match (&self.net, &self.train) {
            (Some(_), None) => {
                return Err("net: needs a [train] table saying how to train it".into());
            }
            (None, Some(_)) => return Err("train: needs a [net] table (the architecture)".into()),
            (None, None) if self.preconditioning.is_some() => {
                return Err("preconditioning: only used with [net] and [train]".into());
            }
            (Some(_), Some(_)) => {
                if let Some(p) = self.train_spec().expect("both set").problem() {
                    return Err(p);
                }
                if self.denoiser.model.is_some() {
                    return Err(
                        "denoiser.model: this file defines its own network ([net], [train]); remove one"
                            .into(),
                    );
                }
            }
            (None, None) => {}
        }
        let learned = self
            .data
            .iter()
            .position(|d| d.denoiser_kind(&self.denoiser) == DenoiserKind::Learned);
        let has_model = self.train.is_some()
            || self.denoiser.model.is_some()
            || self.denoiser.checkpoint.is_some();
        if let Some(i) = learned
            && !has_model
        {
            return Err(format!(
                "data[{i}] uses the learned denoiser, but nothing names a network: add [net] and [train], denoiser.model = \"experiments/train-....toml\" or denoiser.checkpoint = \"DIR\""
            ));
        }
        if learned.is_none()
            && (self.denoiser.model.is_some() || self.denoiser.checkpoint.is_some())
        {
            return Err(
                "denoiser.model/checkpoint: no data set uses the learned denoiser (set denoiser.kind = \"learned\")"
                    .into(),
            );
        }
        Ok(())
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
    /// This data set's denoiser: its own `denoiser` key, else `[denoiser] kind`.
    pub fn denoiser_kind(&self, denoiser: &DenoiserConfig) -> DenoiserKind {
        self.denoiser.unwrap_or(denoiser.kind)
    }

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
            DataSource::Idx { .. } => "idx",
            DataSource::Npy { .. } => "npy",
            DataSource::Npz { .. } => "npz",
            DataSource::Cifar10 { .. } => "cifar10",
            DataSource::PngFolder { .. } => "png-folder",
            DataSource::Sphere { .. } => "sphere",
            DataSource::Torus { .. } => "torus",
            DataSource::Subspace { .. } => "subspace",
            DataSource::SwissRoll { .. } => "swiss-roll",
            DataSource::TwoMoons { .. } => "two-moons",
            DataSource::EightGaussians { .. } => "eight-gaussians",
            DataSource::Shapes { .. } => "shapes",
            DataSource::Gaussian { .. } => "gaussian",
            DataSource::Gmm { .. } => "gmm",
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
            DataSource::Gmm {
                n,
                components,
                dim,
                layout,
                spread,
                std,
                ..
            } => {
                at_least_one("n", *n)?;
                at_least_one("components", *components)?;
                at_least_one("dim", *dim)?;
                positive("spread", *spread)?;
                positive("std", *std)?;
                if *layout == GmmLayout::Ring && *dim != 2 {
                    return Err(format!(
                        "data[{i}].layout: \"ring\" needs dim = 2, got {dim}"
                    ));
                }
                Ok(())
            }
            DataSource::Sphere {
                n,
                k,
                ambient,
                radius,
            }
            | DataSource::Torus {
                n,
                k,
                ambient,
                radius,
            }
            | DataSource::Subspace {
                n,
                k,
                ambient,
                radius,
            } => {
                at_least_one("n", *n)?;
                at_least_one("k", *k)?;
                positive("radius", *radius)?;
                let needs = match self {
                    DataSource::Sphere { .. } => k + 1,
                    DataSource::Torus { .. } => 2 * k,
                    _ => *k,
                };
                if *ambient < needs {
                    return Err(format!(
                        "data[{i}].ambient: a {} with k = {k} needs at least {needs} dimensions, got {ambient}",
                        self.kind()
                    ));
                }
                Ok(())
            }
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

impl SweepConfig {
    fn validate(&self, schedule: &ScheduleConfig) -> Result<(), String> {
        if self.sampler.is_empty() {
            return Err("sweep.sampler: at least one solver name is required".into());
        }
        for (i, name) in self.sampler.iter().enumerate() {
            Solver::new(name, &SolverParams::default())
                .map_err(|e| format!("sweep.sampler[{i}]: {}", e.message))?;
        }
        if self.steps.is_empty() {
            return Err("sweep.steps: at least one number of steps is required".into());
        }
        if let Some(i) = self.steps.iter().position(|&s| s == 0) {
            return Err(format!("sweep.steps[{i}]: must be at least 1"));
        }
        if schedule.kind == ScheduleKind::Explicit
            || self
                .schedule
                .as_ref()
                .is_some_and(|k| k.contains(&ScheduleKind::Explicit))
        {
            return Err("sweep.schedule: an explicit list cannot be swept over steps".into());
        }
        for (key, list) in [
            ("order", self.order.as_ref().map(|v| v.is_empty())),
            ("gamma", self.gamma.as_ref().map(|v| v.is_empty())),
            ("mu", self.mu.as_ref().map(|v| v.is_empty())),
            ("schedule", self.schedule.as_ref().map(|v| v.is_empty())),
        ] {
            if list == Some(true) {
                return Err(format!("sweep.{key}: an empty list leaves nothing to run"));
            }
        }
        // Every value must suit at least one sampler that uses it.
        let check = |key: &str, i: usize, p: SolverParams| -> Result<(), String> {
            let mut used = false;
            for name in &self.sampler {
                match Solver::new(name, &p) {
                    Ok(_) => used = true,
                    Err(e) if e.key == key && !e.message.starts_with("not used") => {
                        return Err(format!("sweep.{key}[{i}]: {}", e.message));
                    }
                    Err(_) => {}
                }
            }
            if used {
                Ok(())
            } else {
                Err(format!("sweep.{key}: no sampler of sweep.sampler uses it"))
            }
        };
        for (i, &o) in self.order.iter().flatten().enumerate() {
            check(
                "order",
                i,
                SolverParams {
                    order: Some(o),
                    ..Default::default()
                },
            )?;
        }
        for (i, &g) in self.gamma.iter().flatten().enumerate() {
            check(
                "gamma",
                i,
                SolverParams {
                    gamma: Some(g),
                    ..Default::default()
                },
            )?;
        }
        for (i, &m) in self.mu.iter().flatten().enumerate() {
            check(
                "mu",
                i,
                SolverParams {
                    mu: Some(m),
                    ..Default::default()
                },
            )?;
        }
        let largest = self.steps.iter().copied().max().unwrap_or(1);
        for (i, kind) in self.schedule.iter().flatten().enumerate() {
            schedule
                .with_kind(*kind)
                .stand_in(largest)
                .map_err(|e| format!("sweep.schedule[{i}] ({}): {e}", kind.name()))?;
        }
        if schedule.kind == ScheduleKind::Gits && self.schedule.is_none() {
            schedule
                .stand_in(largest)
                .map_err(|e| format!("sweep.steps: {e}"))?;
        }
        Ok(())
    }
}

impl QualityConfig {
    fn validate(&self) -> Result<(), String> {
        if self.pca_dim == 0 {
            return Err("quality.pca_dim: must be at least 1".into());
        }
        if self.projections == 0 {
            return Err("quality.projections: must be at least 1".into());
        }
        for (key, v) in [("rtol", self.rtol), ("atol", self.atol)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("quality.{key}: must be positive, got {v}"));
            }
        }
        Ok(())
    }
}

impl FigureConfig {
    fn validate(&self, i: usize, sweep: bool) -> Result<(), String> {
        let needs_sweep = matches!(
            self.kind,
            FigureKind::ErrorVsNfe
                | FigureKind::QualityVsNfe
                | FigureKind::QualityVsGamma
                | FigureKind::ScheduleSigmas
        );
        if needs_sweep != sweep {
            return Err(format!(
                "figure[{i}].kind: {:?} is a figure of {} run",
                self.kind,
                if needs_sweep {
                    "a [sweep]"
                } else {
                    "a trajectory ([[sampler]])"
                }
            ));
        }
        if let Some(m) = &self.measure
            && !SWEEP_MEASURES.contains(&m.as_str())
        {
            return Err(format!(
                "figure[{i}].measure: unknown measure {m:?}, expected one of {}",
                SWEEP_MEASURES.join(", ")
            ));
        }
        match (self.kind, &self.sigmas) {
            (FigureKind::EpsField, None) => Err(format!("figure[{i}].sigmas: missing")),
            (FigureKind::EpsField, Some(list))
                if list.is_empty() || list.iter().any(|s| !(s.is_finite() && *s > 0.0)) =>
            {
                Err(format!("figure[{i}].sigmas: expected positive sigmas"))
            }
            (FigureKind::EpsField, Some(_)) => Ok(()),
            (_, Some(_)) => Err(format!(
                "figure[{i}].sigmas: only used by kind = \"eps-field\""
            )),
            (_, None) => Ok(()),
        }
    }
}

/// The sweep table's measures a figure can plot.
pub const SWEEP_MEASURES: &[&str] = &["solver_error", "fd", "sw2", "log_likelihood", "seconds"];

impl Default for ScheduleConfig {
    /// EDM's: rho = 7 from 80 to 0.002, then to 0.
    fn default() -> Self {
        ScheduleConfig {
            kind: ScheduleKind::Edm,
            sigma_min: default_sigma_min(),
            sigma_max: default_sigma_max(),
            rho: None,
            beta_d: default_beta_d(),
            beta_min: default_beta_min(),
            offset_sigma: default_offset_sigma(),
            end: EndKind::Zero,
            sigmas: None,
            gits: None,
        }
    }
}

impl ScheduleConfig {
    fn validate(&self) -> Result<(), String> {
        if self.kind == ScheduleKind::Explicit {
            let list = self
                .sigmas
                .as_ref()
                .ok_or("schedule.sigmas: missing (schedule.kind = \"explicit\" needs the list)")?;
            geotraj_sampling::schedule::validate(list).map_err(|e| format!("schedule.{e}"))?;
            return Ok(());
        }
        if self.sigmas.is_some() {
            return Err("schedule.sigmas: only used with schedule.kind = \"explicit\"".into());
        }
        if let Some(g) = &self.gits {
            g.validate()?;
        }
        if self.rho.is_some()
            && !matches!(self.kind, ScheduleKind::Edm | ScheduleKind::Polyexponential)
        {
            return Err(format!(
                "schedule.rho: not used by schedule.kind = \"{}\"",
                self.kind.name()
            ));
        }
        // Building a one-step schedule checks every parameter.
        self.stand_in(1).map(|_| ())
    }

    /// The GITS settings (defaults unless `[schedule.gits]` is given).
    pub fn gits(&self) -> GitsConfig {
        self.gits.clone().unwrap_or_default()
    }

    /// The fine grid GITS picks its steps from.
    pub fn gits_grid(&self) -> Result<Vec<f64>, String> {
        let g = self.gits();
        self.with_kind(g.grid)
            .sigmas(Some(g.grid_steps))
            .map_err(|e| format!("schedule.gits.grid ({}): {e}", g.grid.name()))
    }

    /// The sigmas where they follow from the config alone; for "gits", those
    /// of its grid kind with the same steps: as many values, the same end,
    /// so the same NFE for every solver (for progress totals and checks).
    pub fn stand_in(&self, steps: usize) -> Result<Vec<f64>, String> {
        match self.kind {
            ScheduleKind::Gits => {
                let g = self.gits();
                if steps > g.grid_steps {
                    return Err(format!(
                        "schedule.gits.grid_steps: {} grid steps cannot hold a {steps}-step GITS schedule",
                        g.grid_steps
                    ));
                }
                self.gits_grid()?;
                self.with_kind(g.grid).sigmas(Some(steps))
            }
            _ => self.sigmas(Some(steps)),
        }
    }

    /// The same settings with another kind (for sweeps over schedules).
    pub fn with_kind(&self, kind: ScheduleKind) -> ScheduleConfig {
        let rho = match (self.kind == kind, kind) {
            (true, _) => self.rho,
            _ => None,
        };
        ScheduleConfig {
            kind,
            rho,
            ..self.clone()
        }
    }

    /// The schedule formula; GITS has none (see `gits_schedule`).
    fn schedule(&self) -> Option<Schedule> {
        Some(match self.kind {
            ScheduleKind::Edm => Schedule::Edm {
                rho: self.rho.unwrap_or(7.0),
            },
            ScheduleKind::LogLinear => Schedule::LogLinear,
            ScheduleKind::Polyexponential => Schedule::Polyexponential {
                rho: self.rho.unwrap_or(1.0),
            },
            ScheduleKind::LogSnr => Schedule::LogSnr,
            ScheduleKind::TimeUniform => Schedule::TimeUniform,
            ScheduleKind::VpContinuous => Schedule::VpContinuous {
                beta_d: self.beta_d,
                beta_min: self.beta_min,
            },
            ScheduleKind::Ddim => Schedule::Ddim,
            ScheduleKind::DdimOffset => Schedule::DdimOffset {
                sigma: self.offset_sigma,
            },
            ScheduleKind::Explicit => Schedule::Explicit(self.sigmas.clone().unwrap_or_default()),
            ScheduleKind::Gits => return None,
        })
    }

    pub fn end(&self) -> ScheduleEnd {
        match self.end {
            EndKind::Zero => ScheduleEnd::Zero,
            EndKind::SigmaMin => ScheduleEnd::SigmaMin,
            EndKind::Jump => ScheduleEnd::Jump,
        }
    }

    /// The sigmas for a sampler with `steps` steps (without the final jump).
    /// For kind "gits" an error: its sigmas need warm-up trajectories.
    pub fn sigmas(&self, steps: Option<usize>) -> Result<Vec<f64>, String> {
        let schedule = self.schedule().ok_or(
            "schedule.kind: \"gits\" sigmas come from warm-up trajectories, not from the config",
        )?;
        schedule
            .sigmas(
                steps.unwrap_or(0),
                self.sigma_min,
                self.sigma_max,
                self.end(),
            )
            .map_err(|e| {
                let key = match e.key {
                    "sigma" => "offset_sigma",
                    k => k,
                };
                format!("schedule.{key}: {}", e.message)
            })
    }
}
