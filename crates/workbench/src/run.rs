//! One experiment from config to results in memory; nothing is written here,
//! so a failure anywhere leaves no output behind.

use crate::config::{Config, DataSource, DenoiserKind, FigureKind};
use crate::device::{DeviceChoice, Selected, select};
use crate::load::load;
use crate::noise;
use crate::progress::Progress;
use geotraj_data::Dataset;
use geotraj_denoise::{GaussianDenoiser, GmmDenoiser, OptimalDenoiser, OptimalOptions};
use geotraj_metrics::{Measures, measure};
use geotraj_sampling::{Denoiser, SampleOptions, Solver, Trajectories, sample};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub struct RunOptions {
    pub config_path: PathBuf,
    pub device: DeviceChoice,
    pub quick: bool,
}

/// One (data set, sampler) pair, sampled and measured.
pub struct Case {
    pub data: String,
    pub sampler: String,
    pub solver: Solver,
    pub trajectories: Trajectories,
    pub measures: Measures,
    pub seconds: f64,
    /// Rows the optimal denoiser decided on exact distances, and candidates re-scored.
    pub exact_rows: usize,
    pub exact_candidates: usize,
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
    pub data: Vec<LoadedData>,
    pub cases: Vec<Case>,
    pub sweep: Option<crate::sweep_run::SweepResult>,
    pub fields: Vec<EpsField>,
    pub load_seconds: f64,
    pub started_unix: u64,
}

pub fn run(opts: &RunOptions) -> Result<Run, String> {
    let started_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut config = Config::load(&opts.config_path).map_err(|e| e.to_string())?;
    if opts.quick {
        config = config.quick();
    }
    let Selected {
        device,
        description,
    } = select(opts.device)?;
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
    // Every schedule is built before any sampling, so a bad one fails fast.
    let sigmas: Vec<Vec<f64>> = config
        .sampler
        .iter()
        .map(|s| config.schedule.sigmas(s.steps))
        .collect::<Result<_, _>>()?;
    let load_seconds = t0.elapsed().as_secs_f64();

    let n = config.trajectories;
    let solvers: Vec<Solver> = config
        .sampler
        .iter()
        .map(|s| s.solver().expect("validated"))
        .collect();
    let batches = n.div_ceil(config.batch_size);
    let jump = config.schedule.end().final_jump();
    let step_noise = noise::Keyed::new(config.seed);
    let total: usize = solvers
        .iter()
        .zip(&sigmas)
        .map(|(s, sg)| geotraj_sampling::nfe(s, sg, jump) * batches)
        .sum::<usize>()
        * data.len();
    let mut progress = Progress::new(total);
    let mut cases = Vec::new();
    for (dcfg, loaded) in config.data.iter().zip(&data) {
        let d = loaded.data.d;
        let noise = match &noise_file {
            Some((shape, values)) => {
                if shape.len() != 2 || shape[1] != d || shape[0] < n {
                    return Err(format!(
                        "{}: noise.file has shape {shape:?}, expected ({n} or more) x {d} for data \"{}\"",
                        config.noise.file.as_ref().expect("set").display(),
                        loaded.label
                    ));
                }
                values[..n * d].to_vec()
            }
            None => noise::starting(config.seed, n, d),
        };
        let denoiser = build_denoiser(&config, &dcfg.source, loaded, &device);
        for (i, (solver, sg)) in solvers.iter().zip(&sigmas).enumerate() {
            let label = config.sampler_label(i);
            progress.set_label(format!("{} {}", loaded.label, label));
            let before = denoiser.stats();
            let t = Instant::now();
            let trajectories = sample(
                denoiser.as_denoiser(),
                *solver,
                sg,
                &noise,
                SampleOptions {
                    batch_size: config.batch_size,
                    final_jump: jump,
                    step_noise: Some(&step_noise),
                },
                &mut || progress.tick(),
            )
            .map_err(|e| format!("data \"{}\", sampler \"{label}\": {e}", loaded.label))?;
            let measures = measure(&trajectories);
            let after = denoiser.stats();
            cases.push(Case {
                data: loaded.label.clone(),
                sampler: label,
                solver: *solver,
                trajectories,
                measures,
                seconds: t.elapsed().as_secs_f64(),
                exact_rows: after.0 - before.0,
                exact_candidates: after.1 - before.1,
            });
        }
    }
    if !config.sampler.is_empty() {
        progress.finish();
    }
    let sweep = match config.sweep {
        Some(_) => Some(crate::sweep_run::run_sweep(&config, &data, &device)?),
        None => None,
    };
    let fields = eps_fields(&config, &data, &device)?;
    Ok(Run {
        config,
        device: description,
        data,
        cases,
        sweep,
        fields,
        load_seconds,
        started_unix,
    })
}

/// The eps-field figures' grids: 25 x 25 points over the data's bounding box
/// (padded by a fifth), D(x; sigma) at each.
fn eps_fields(
    config: &Config,
    data: &[LoadedData],
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
            let den = build_denoiser(config, &dcfg.source, loaded, device);
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
pub(crate) enum Built {
    Optimal(OptimalDenoiser),
    // Boxed: a device tensor makes it several times larger than the other.
    Analytic(Box<GaussianDenoiser>),
    Gmm(GmmDenoiser),
}

impl Built {
    pub(crate) fn as_denoiser(&self) -> &dyn Denoiser {
        match self {
            Built::Optimal(d) => d,
            Built::Analytic(d) => d.as_ref(),
            Built::Gmm(d) => d,
        }
    }

    pub(crate) fn stats(&self) -> (usize, usize) {
        match self {
            Built::Optimal(d) => d.narrow_stats(),
            Built::Analytic(_) | Built::Gmm(_) => (0, 0),
        }
    }
}

pub(crate) fn build_denoiser(
    config: &Config,
    source: &DataSource,
    loaded: &LoadedData,
    device: &burn::tensor::Device,
) -> Built {
    match (config.denoiser.kind, source) {
        (DenoiserKind::Analytic, DataSource::Gaussian { dim, mean, std, .. }) => {
            Built::Analytic(Box::new(GaussianDenoiser::new(
                vec![*mean as f32; *dim],
                *std,
                device.clone(),
            )))
        }
        (DenoiserKind::Analytic, DataSource::Gmm { .. }) => Built::Gmm(GmmDenoiser::new(
            crate::load::gmm_law(source, config.seed).expect("a gmm source has a law"),
            device.clone(),
        )),
        _ => Built::Optimal(OptimalDenoiser::new(
            loaded.data.clone(),
            device.clone(),
            OptimalOptions {
                chunk: config.denoiser.chunk,
                tail: config.denoiser.tail,
                logit_tolerance: config.denoiser.logit_tolerance,
            },
        )),
    }
}
