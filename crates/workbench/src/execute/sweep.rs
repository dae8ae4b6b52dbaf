//! Runs every cell of a sweep on every data set: the same noise, schedule
//! and denoiser for all samplers; solver error against an adaptive
//! reference solve of that noise; quality against held-out data.

use super::gits::{GitsWarmup, warm_up, warmup_evals};
use crate::config::{Config, DataConfig, DataSource, QualityFeatures};
use crate::context::denoisers::build_denoiser;
use crate::context::held_out::HeldOut;
use crate::context::load::gmm_law;
use crate::context::progress::Progress;
use crate::context::{Context, LoadedData, noise};
use crate::plan::Cell;
use anyhow::Context as _;
use geotraj_metrics::sliced_w2;
use geotraj_sampling::ScheduleKind;
use geotraj_sampling::{ReferenceOptions, SampleOptions, nfe, reference_solve, sample};
use std::collections::BTreeMap;
use std::time::Instant;

/// One sweep cell on one data set.
#[derive(Debug, Clone)]
pub struct SweepRow {
    pub data: String,
    pub cell: Cell,
    pub sigmas: Vec<f64>,
    pub nfe: usize,
    /// Mean and max over trajectories of |x_N - x_N^ref| / sqrt(d).
    pub solver_error: f64,
    pub solver_error_max: f64,
    /// Frechet distance to the reference in `quality.features` (squared, as FID).
    pub fd: f64,
    /// Sliced Wasserstein-2 distance to held-out data.
    pub sw2: f64,
    /// Mean exact log-density of the samples where the law is known, else NaN.
    pub log_likelihood: f64,
    pub seconds: f64,
    /// n x d final samples.
    pub samples: Vec<f32>,
}

/// A reference solve, for provenance.
#[derive(Debug, Clone)]
pub struct ReferenceInfo {
    pub data: String,
    pub sigma_start: f64,
    pub sigma_end: f64,
    pub final_jump: bool,
    pub nfe: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub seconds: f64,
}

pub struct SweepResult {
    pub rows: Vec<SweepRow>,
    pub references: Vec<ReferenceInfo>,
    pub gits: Vec<GitsWarmup>,
    /// The features of the `fd` column.
    pub features: QualityFeatures,
    /// Per data set, what the features are where the README cannot say
    /// (a classifier trained here: its accuracy).
    pub feature_notes: Vec<String>,
}

pub fn run_sweep(config: &Config, cells: &[Cell], ctx: &Context) -> anyhow::Result<SweepResult> {
    let (data, device) = (&ctx.data, &ctx.device);
    let gits_cache = ctx.dirs.cache.join("gits");
    let n = config.trajectories;
    let jump = config.schedule.end.final_jump();
    let step_noise = noise::Keyed::new(config.seed);
    let gits = cells.iter().any(|c| c.schedule == ScheduleKind::Gits);
    let batches = n.div_ceil(config.batch_size);
    let total: usize = cells
        .iter()
        .map(|c| nfe(&c.solver, &c.sigmas, jump) * batches)
        .sum::<usize>()
        * data.len()
        + usize::from(gits) * warmup_evals(config) * data.len();
    let mut rows = Vec::new();
    let mut warmups = Vec::new();
    let mut references = Vec::new();
    let mut notes = Vec::new();
    let mut progress = Progress::new(total);
    for (dcfg, loaded) in config.data.iter().zip(data) {
        let d = loaded.data.d;
        let z = noise::starting(config.seed, n, d);
        let denoiser = build_denoiser(config, dcfg, loaded, ctx.learned.as_ref(), device);
        let den = denoiser.as_denoiser();
        let judge = Judge::new(config, dcfg, loaded, device, &ctx.dirs.cache)?;
        if let Some(note) = judge.held.note() {
            notes.push(format!("data \"{}\": {}", loaded.label, note));
        }
        let warm = match gits {
            true => Some(warm_up(
                config,
                dcfg,
                loaded,
                den,
                &gits_cache,
                &mut progress,
            )?),
            false => None,
        };
        // One reference solve per distinct (start, end, jump) of the cells.
        let mut refs: BTreeMap<(u64, u64), Vec<f64>> = BTreeMap::new();
        for cell in cells {
            // GITS cells hold a stand-in until their data set's warm-up.
            let fitted;
            let sigmas = match &warm {
                Some(w) if cell.schedule == ScheduleKind::Gits => {
                    fitted = w.sigmas(cell.steps)?;
                    &fitted
                }
                _ => &cell.sigmas,
            };
            let label = cell.solver.describe();
            progress.set_label(format!(
                "{} {} {} {}",
                loaded.label,
                label,
                cell.schedule.name(),
                cell.steps
            ));
            let options = SampleOptions {
                batch_size: config.batch_size,
                final_jump: jump,
                step_noise: Some(&step_noise),
                first: 0,
            };
            let t = Instant::now();
            let traj = sample(den, cell.solver, sigmas, &z, options, &mut || {
                progress.tick()
            })
            .with_context(|| {
                format!(
                    "data \"{}\", sweep cell {label} ({} steps, {})",
                    loaded.label,
                    cell.steps,
                    cell.schedule.name()
                )
            })?;
            let seconds = t.elapsed().as_secs_f64();
            let samples = traj.final_samples();
            let (solver_error, solver_error_max) = if config.quality.reference {
                let start = sigmas[0];
                let end = *sigmas.last().expect("non-empty");
                let key = (start.to_bits(), end.to_bits());
                if let std::collections::btree_map::Entry::Vacant(slot) = refs.entry(key) {
                    let t = Instant::now();
                    let options = ReferenceOptions {
                        rtol: config.quality.rtol,
                        atol: config.quality.atol,
                        batch_size: config.batch_size,
                        ..ReferenceOptions::default()
                    };
                    let r = reference_solve(den, start, end, jump, &z, options, &mut || {})
                        .with_context(|| format!("data \"{}\", reference solve", loaded.label))?;
                    references.push(ReferenceInfo {
                        data: loaded.label.clone(),
                        sigma_start: start,
                        sigma_end: end,
                        final_jump: jump || end == 0.0,
                        nfe: r.nfe,
                        accepted: r.accepted,
                        rejected: r.rejected,
                        seconds: t.elapsed().as_secs_f64(),
                    });
                    slot.insert(r.samples);
                }
                solver_error(&samples, &refs[&key], d)
            } else {
                (f64::NAN, f64::NAN)
            };
            let (fd, sw2, log_likelihood) = judge.quality(&samples, n, config)?;
            rows.push(SweepRow {
                data: loaded.label.clone(),
                cell: cell.clone(),
                sigmas: sigmas.clone(),
                nfe: traj.nfe(),
                solver_error,
                solver_error_max,
                fd,
                sw2,
                log_likelihood,
                seconds,
                samples,
            });
        }
        warmups.extend(warm);
    }
    progress.finish();
    Ok(SweepResult {
        rows,
        references,
        gits: warmups,
        features: config.quality.features,
        feature_notes: notes,
    })
}

/// Mean and max over trajectories of |x - x_ref| / sqrt(d).
fn solver_error(x: &[f32], reference: &[f64], d: usize) -> (f64, f64) {
    let errs: Vec<f64> = x
        .chunks(d)
        .zip(reference.chunks(d))
        .map(|(a, b)| {
            let ss: f64 = a.iter().zip(b).map(|(&p, &q)| (p as f64 - q).powi(2)).sum();
            (ss / d as f64).sqrt()
        })
        .collect();
    let mean = errs.iter().sum::<f64>() / errs.len() as f64;
    (mean, errs.iter().copied().fold(0.0, f64::max))
}

/// The exact log-density of a known data law.
type LogDensity = Box<dyn Fn(&[f64]) -> f64>;

/// What samples of one data set are judged against.
struct Judge {
    held: HeldOut,
    d: usize,
    log_density: Option<LogDensity>,
}

impl Judge {
    fn new(
        config: &Config,
        dcfg: &DataConfig,
        loaded: &LoadedData,
        device: &burn::tensor::Device,
        cache: &std::path::Path,
    ) -> anyhow::Result<Judge> {
        let held = HeldOut::new(config, dcfg, loaded, device, cache)?;
        let log_density: Option<LogDensity> =
            match (&dcfg.source, gmm_law(&dcfg.source, config.seed)) {
                (_, Some(law)) => Some(Box::new(move |x| law.log_density(x))),
                (DataSource::Gaussian { mean, std, .. }, None) => {
                    let (mean, std) = (*mean, *std);
                    Some(Box::new(move |x: &[f64]| {
                        let ss: f64 = x.iter().map(|v| ((v - mean) / std).powi(2)).sum();
                        -0.5 * ss
                            - x.len() as f64 * (std.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln())
                    }))
                }
                _ => None,
            };
        Ok(Judge {
            held,
            d: loaded.data.d,
            log_density,
        })
    }

    /// (Frechet distance, sliced W2, mean log-density) of n samples.
    fn quality(
        &self,
        samples: &[f32],
        n: usize,
        config: &Config,
    ) -> anyhow::Result<(f64, f64, f64)> {
        let fd = self.held.fd(&self.held.features(samples, n)?, n);
        let sw2 = sliced_w2(
            samples,
            n,
            &self.held.rows,
            self.held.n,
            self.d,
            config.quality.projections,
            config.seed,
        );
        let ll = match &self.log_density {
            Some(f) => {
                samples
                    .chunks(self.d)
                    .map(|r| f(&r.iter().map(|&v| v as f64).collect::<Vec<_>>()))
                    .sum::<f64>()
                    / n as f64
            }
            None => f64::NAN,
        };
        Ok((fd, sw2, ll))
    }
}

/// The schedules of a sweep for the schedule figure: (kind, steps, sigmas).
pub fn schedule_lists(rows: &[SweepRow]) -> Vec<(ScheduleKind, usize, Vec<f64>)> {
    let mut out: Vec<(ScheduleKind, usize, Vec<f64>)> = Vec::new();
    for r in rows {
        if !out
            .iter()
            .any(|(k, s, _)| *k == r.cell.schedule && *s == r.cell.steps)
        {
            out.push((r.cell.schedule, r.cell.steps, r.sigmas.clone()));
        }
    }
    out
}
