//! One experiment from config to results in memory; nothing is written here,
//! so a failure anywhere leaves no output behind.

use crate::cases::{CaseInputs, Streams, run_case};
use crate::config::{Config, DataConfig, DataSource, DenoiserKind, FigureKind, ScheduleKind};
use crate::device::{DeviceChoice, Selected, select};
use crate::gits_schedule::{GitsWarmup, warm_up, warmup_evals};
use crate::held_out::HeldOut;
use crate::learned_model::LearnedDenoiser;
use crate::load::load;
use crate::noise;
use crate::outputs::OutputDirs;
use crate::progress::Progress;
use geotraj_data::Dataset;
use geotraj_denoise::{GaussianDenoiser, GmmDenoiser, NearestNeighbours, OptimalDenoiser};
use geotraj_sampling::{Denoiser, Solver};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub use crate::cases::Case;

pub struct RunOptions {
    pub config_path: PathBuf,
    pub device: DeviceChoice,
    pub quick: bool,
    /// Where tables go (see `OutputDirs`); a trajectory run streams its
    /// tables there under temporary names while it runs.
    pub out: Option<PathBuf>,
}

pub struct LoadedData {
    pub label: String,
    pub data: Arc<Dataset>,
}

/// eps(x, sigma) on a grid over 2-D data, for the eps-field figure.
pub struct EpsField {
    pub data: String,
    pub sigma: f64,
    /// Grid points and D(x; sigma) there, as (x, y) pairs.
    pub points: Vec<(f64, f64)>,
    pub denoised: Vec<(f64, f64)>,
}

pub struct Run {
    pub config: Config,
    pub device: String,
    pub dirs: OutputDirs,
    pub data: Vec<LoadedData>,
    pub cases: Vec<Case>,
    /// The cases' step and trajectory tables, finished by `outputs::write`.
    pub streams: Option<Streams>,
    pub projection: Option<crate::projection::ProjectionResult>,
    pub sweep: Option<crate::sweep_run::SweepResult>,
    pub fields: Vec<EpsField>,
    /// GITS warm-ups of the trajectory run (a sweep keeps its own).
    pub gits: Vec<GitsWarmup>,
    /// The learned denoiser's network and its training record.
    pub model: Option<crate::learned_model::Model>,
    /// With `measures.learned_vs_optimal`: the four distances per sampler.
    pub gaps: Vec<crate::learned_vs_optimal::Gaps>,
    pub load_seconds: f64,
    pub started_unix: u64,
    pub quick: bool,
    pub config_path: PathBuf,
}

pub fn run(opts: &RunOptions) -> Result<Run, String> {
    let started_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut config = Config::load(&opts.config_path).map_err(|e| e.to_string())?;
    if opts.quick {
        config = config.quick();
    }
    let dirs = OutputDirs::new(&config.name, opts.out.as_deref());
    let Selected {
        device,
        description,
    } = select(opts.device)?;
    // The network first: training is the long part, and a bad checkpoint
    // should fail before any sampling.
    let model = crate::learned_model::resolve(
        &config,
        &opts.config_path,
        opts.quick,
        &dirs.models,
        &device,
    )?;
    let learned = model.as_ref().map(|m| &m.denoiser);
    let t0 = Instant::now();
    let mut data = Vec::new();
    for d in &config.data {
        data.push(LoadedData {
            label: d.label(),
            data: Arc::new(load(d, config.seed)?),
        });
    }
    let noise_file = match &config.noise.file {
        Some(p) => Some(noise::read_file(p)?),
        None => None,
    };
    // Every schedule is built before any sampling, so a bad one fails fast
    // (GITS: its stand-in, replaced after each data set's warm-up).
    let sigmas: Vec<Vec<f64>> = config
        .sampler
        .iter()
        .map(|s| match s.steps {
            Some(steps) => config.schedule.stand_in(steps),
            None => config.schedule.sigmas(None),
        })
        .collect::<Result<_, _>>()?;
    let gits = config.schedule.kind == ScheduleKind::Gits;
    let load_seconds = t0.elapsed().as_secs_f64();

    let n = config.trajectories;
    let solvers: Vec<Solver> = config
        .sampler
        .iter()
        .map(|s| s.solver().expect("validated"))
        .collect();
    let batches = n.div_ceil(config.batch_size.max(1));
    let jump = config.schedule.end().final_jump();
    let total: usize = solvers
        .iter()
        .zip(&sigmas)
        .map(|(s, sg)| geotraj_sampling::nfe(s, sg, jump) * batches)
        .sum::<usize>()
        * data.len()
        + usize::from(gits && !solvers.is_empty()) * warmup_evals(&config) * data.len();
    let mut progress = Progress::new(total);
    let mut warmups = Vec::new();
    let mut cases = Vec::new();
    // Only a run with samplers has trajectory tables to stream.
    let mut streams = (!solvers.is_empty()).then(|| Streams::new(&dirs.tables));
    for (dcfg, loaded) in config.data.iter().zip(&data) {
        let Some(streams) = streams.as_mut() else {
            break;
        };
        let d = loaded.data.d;
        if let Some((shape, _)) = &noise_file
            && (shape.len() != 2 || shape[1] != d || shape[0] < n)
        {
            return Err(format!(
                "{}: noise.file has shape {shape:?}, expected ({n} or more) x {d} for data \"{}\"",
                config.noise.file.as_ref().expect("set").display(),
                loaded.label
            ));
        }
        let noise_rows = |first: usize, rows: usize| match &noise_file {
            Some((_, values)) => values[first * d..(first + rows) * d].to_vec(),
            None => noise::starting_rows(config.seed, first..first + rows, d),
        };
        let denoiser = build_denoiser(&config, dcfg, loaded, learned, &device);
        let nearest = config
            .measures
            .distance
            .then(|| build_nearest(&config, loaded, &denoiser, &device));
        let jump_judge = match config.measures.jump_quality {
            true => Some(HeldOut::new(&config, dcfg, loaded)?),
            false => None,
        };
        let sigmas = if gits {
            let w = warm_up(
                &config,
                dcfg,
                loaded,
                denoiser.as_denoiser(),
                &dirs.cache.join("gits"),
                &mut progress,
            )?;
            let own = config
                .sampler
                .iter()
                .map(|s| w.sigmas(s.steps.expect("validated")))
                .collect::<Result<Vec<_>, _>>()?;
            warmups.push(w);
            own
        } else {
            sigmas.clone()
        };
        for (i, (solver, sg)) in solvers.iter().zip(&sigmas).enumerate() {
            let label = config.sampler_label(i);
            progress.set_label(format!("{} {}", loaded.label, label));
            let inputs = CaseInputs {
                loaded,
                denoiser: &denoiser,
                nearest: nearest.as_ref(),
                jump_judge: jump_judge.as_ref(),
                label,
                solver: *solver,
                sigmas: sg,
                noise: &noise_rows,
            };
            cases.push(run_case(&config, &inputs, streams, &mut progress)?);
        }
    }
    if !config.sampler.is_empty() {
        progress.finish();
    }
    let gaps = match (&model, config.measures.learned_vs_optimal) {
        (Some(m), true) => {
            crate::learned_vs_optimal::compute(&config, &data, &cases, &m.denoiser, &device)?
        }
        _ => Vec::new(),
    };
    let sweep = match config.sweep {
        Some(_) => Some(crate::sweep_run::run_sweep(
            &config,
            &data,
            learned,
            &device,
            &dirs.cache.join("gits"),
        )?),
        None => None,
    };
    let fields = eps_fields(&config, &data, learned, &device)?;
    let projection = match &config.projection {
        Some(p) => Some(crate::projection::run_projection(
            &config, p, &data, &device,
        )?),
        None => None,
    };
    Ok(Run {
        config,
        device: description,
        dirs,
        data,
        cases,
        streams,
        projection,
        sweep,
        fields,
        gits: warmups,
        model,
        gaps,
        load_seconds,
        started_unix,
        quick: opts.quick,
        config_path: opts.config_path.clone(),
    })
}

/// The eps-field figures' grids: 25 x 25 points over the data's bounding box
/// (padded by a fifth), D(x; sigma) at each.
fn eps_fields(
    config: &Config,
    data: &[LoadedData],
    learned: Option<&LearnedDenoiser>,
    device: &burn::tensor::Device,
) -> Result<Vec<EpsField>, String> {
    const GRID: usize = 25;
    let mut out = Vec::new();
    for f in config
        .figure
        .iter()
        .filter(|f| f.kind == FigureKind::EpsField)
    {
        for (dcfg, loaded) in config.data.iter().zip(data) {
            let ds = &loaded.data;
            if ds.d != 2 {
                continue;
            }
            let bound = |j: usize| {
                let (lo, hi) = (0..ds.n).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), i| {
                    let v = ds.row(i)[j] as f64;
                    (lo.min(v), hi.max(v))
                });
                let pad = 0.2 * (hi - lo).max(1e-6);
                (lo - pad, hi + pad)
            };
            let (bx, by) = (bound(0), bound(1));
            let at = |(lo, hi): (f64, f64), k: usize| lo + (hi - lo) * k as f64 / (GRID - 1) as f64;
            let points: Vec<(f64, f64)> = (0..GRID * GRID)
                .map(|k| (at(bx, k % GRID), at(by, k / GRID)))
                .collect();
            let flat: Vec<f32> = points
                .iter()
                .flat_map(|&(x, y)| [x as f32, y as f32])
                .collect();
            let den = build_denoiser(config, dcfg, loaded, learned, device);
            for &sigma in f.sigmas.iter().flatten() {
                let x = geotraj_sampling::host::upload(&flat, points.len(), 2, device);
                let d = geotraj_sampling::host::download(den.as_denoiser().denoise(x, sigma));
                if d.iter().any(|v| !v.is_finite()) {
                    return Err(format!(
                        "figure eps-field: the denoiser of data \"{}\" is not finite at sigma {sigma}",
                        loaded.label
                    ));
                }
                out.push(EpsField {
                    data: loaded.label.clone(),
                    sigma,
                    points: points.clone(),
                    denoised: d.chunks(2).map(|p| (p[0] as f64, p[1] as f64)).collect(),
                });
            }
        }
    }
    Ok(out)
}

/// The denoisers a config can name, with the optimal one's diagnostics.
pub enum Built {
    Optimal(OptimalDenoiser),
    // Boxed: device tensors make them several times larger than the other.
    Analytic(Box<GaussianDenoiser>),
    Gmm(Box<GmmDenoiser>),
    Learned(LearnedDenoiser),
}

impl Built {
    pub fn as_denoiser(&self) -> &dyn Denoiser {
        match self {
            Built::Optimal(d) => d,
            Built::Analytic(d) => d.as_ref(),
            Built::Gmm(d) => d.as_ref(),
            Built::Learned(d) => d.as_ref(),
        }
    }

    pub fn stats(&self) -> (usize, usize) {
        match self {
            Built::Optimal(d) => d.narrow_stats(),
            Built::Analytic(_) | Built::Gmm(_) | Built::Learned(_) => (0, 0),
        }
    }
}

/// Exact nearest neighbours over the run's data, sharing the optimal
/// denoiser's uploaded blocks when it has them.
fn build_nearest(
    config: &Config,
    loaded: &LoadedData,
    denoiser: &Built,
    device: &burn::tensor::Device,
) -> NearestNeighbours {
    match denoiser {
        Built::Optimal(d) => NearestNeighbours::from_blocks(d.blocks()),
        _ => NearestNeighbours::new(loaded.data.clone(), device.clone(), config.denoiser.chunk),
    }
}

pub(crate) fn build_denoiser(
    config: &Config,
    dcfg: &DataConfig,
    loaded: &LoadedData,
    learned: Option<&LearnedDenoiser>,
    device: &burn::tensor::Device,
) -> Built {
    let source = &dcfg.source;
    match (dcfg.denoiser_kind(&config.denoiser), source) {
        (DenoiserKind::Learned, _) => Built::Learned(Arc::clone(
            learned.expect("a run with a learned data set resolves its model first"),
        )),
        (DenoiserKind::Analytic, DataSource::Gaussian { dim, mean, std, .. }) => {
            Built::Analytic(Box::new(GaussianDenoiser::new(
                vec![*mean as f32; *dim],
                *std,
                device.clone(),
            )))
        }
        (DenoiserKind::Analytic, DataSource::Gmm { .. }) => Built::Gmm(Box::new(GmmDenoiser::new(
            crate::load::gmm_law(source, config.seed).expect("a gmm source has a law"),
            device.clone(),
        ))),
        _ => Built::Optimal(OptimalDenoiser::new(
            loaded.data.clone(),
            device.clone(),
            config.denoiser.optimal_options(),
        )),
    }
}
