//! One experiment from config to results in memory; nothing is written here,
//! so a failure anywhere leaves no output behind.

use crate::config::{Config, DataSource, DenoiserKind};
use crate::device::{DeviceChoice, Selected, select};
use crate::load::load;
use crate::progress::Progress;
use geotraj_data::Dataset;
use geotraj_denoise::{GaussianDenoiser, OptimalDenoiser, OptimalOptions};
use geotraj_metrics::{Measures, measure};
use geotraj_sampling::{Denoiser, SampleOptions, Solver, Trajectories, sample};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Added to the seed for the starting noise, so that noise row i and a
/// generated data item i never share a random stream.
const NOISE_SEED_OFFSET: u64 = 0x9E37_79B9_7F4A_7C15;

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

pub struct Run {
    pub config: Config,
    pub device: String,
    pub data: Vec<LoadedData>,
    pub cases: Vec<Case>,
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
        Some(p) => Some(read_noise(p)?),
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
        .map(|s| Solver::parse(&s.solver).expect("validated"))
        .collect();
    let batches = n.div_ceil(config.batch_size);
    let total: usize = solvers
        .iter()
        .zip(&sigmas)
        .map(|(s, sg)| s.nfe(sg) * batches)
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
            None => {
                geotraj_data::rng::normal_rows(config.seed.wrapping_add(NOISE_SEED_OFFSET), 0..n, d)
            }
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
                SampleOptions::batch(config.batch_size),
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
    progress.finish();
    Ok(Run {
        config,
        device: description,
        data,
        cases,
        load_seconds,
        started_unix,
    })
}

fn read_noise(path: &std::path::Path) -> Result<(Vec<usize>, Vec<f32>), String> {
    let (shape, values) =
        geotraj_data::npy::read_npy_f32(path).map_err(|e| format!("noise.file: {e}"))?;
    if let Some(p) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "{}: noise.file value {p} is not finite",
            path.display()
        ));
    }
    Ok((shape, values))
}

/// The denoisers a config can name, with the optimal one's diagnostics.
enum Built {
    Optimal(OptimalDenoiser),
    // Boxed: a device tensor makes it several times larger than the other.
    Analytic(Box<GaussianDenoiser>),
}

impl Built {
    fn as_denoiser(&self) -> &dyn Denoiser {
        match self {
            Built::Optimal(d) => d,
            Built::Analytic(d) => d.as_ref(),
        }
    }

    fn stats(&self) -> (usize, usize) {
        match self {
            Built::Optimal(d) => d.narrow_stats(),
            Built::Analytic(_) => (0, 0),
        }
    }
}

fn build_denoiser(
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
