//! A trajectory run: every (data set, sampler) case sampled and measured
//! batch by batch into the streamed tables, then the measures that compare
//! cases (learned vs optimal) and the eps-field grids.

use super::case::{Case, CaseInputs, run_case};
use super::fields::{EpsField, eps_fields};
use super::gits::{GitsWarmup, warm_up, warmup_evals};
use super::learned_vs_optimal::{self, Gaps};
use super::measured::Streams;
use crate::context::denoisers::{build_denoiser, build_nearest};
use crate::context::held_out::HeldOut;
use crate::context::progress::Progress;
use crate::context::{Context, noise};
use crate::plan::{Plan, PlannedSampler};
use anyhow::bail;
use geotraj_sampling::ScheduleKind;

/// What a trajectory run computed.
pub struct TrajectoryOutcome {
    pub cases: Vec<Case>,
    /// The cases' step and trajectory tables, finished by `outputs::write`.
    pub streams: Option<Streams>,
    pub fields: Vec<EpsField>,
    /// GITS warm-ups, one per data set.
    pub gits: Vec<GitsWarmup>,
    /// With `measures.learned_vs_optimal`: the four distances per sampler.
    pub gaps: Vec<Gaps>,
}

/// Starting noise: the file's rows, or rows keyed on (seed, i).
type NoiseFile = Option<(Vec<usize>, Vec<f32>)>;

pub fn run(
    plan: &Plan,
    samplers: &[PlannedSampler],
    ctx: &Context,
    noise_file: &NoiseFile,
) -> anyhow::Result<TrajectoryOutcome> {
    let config = &plan.config;
    let n = config.trajectories;
    let batches = n.div_ceil(config.batch_size.max(1));
    let jump = config.schedule.end.final_jump();
    let gits = config.schedule.kind == ScheduleKind::Gits;
    let total: usize = samplers
        .iter()
        .map(|s| geotraj_sampling::nfe(&s.solver, &s.sigmas, jump) * batches)
        .sum::<usize>()
        * ctx.data.len()
        + usize::from(gits && !samplers.is_empty()) * warmup_evals(config) * ctx.data.len();
    let mut progress = Progress::new(total);
    let mut warmups = Vec::new();
    let mut cases = Vec::new();
    // Only a run with samplers has trajectory tables to stream.
    let mut streams = (!samplers.is_empty()).then(|| Streams::new(&ctx.dirs.tables));
    for (dcfg, loaded) in config.data.iter().zip(&ctx.data) {
        let Some(streams) = streams.as_mut() else {
            break;
        };
        let d = loaded.data.d;
        if let Some((shape, _)) = noise_file
            && (shape.len() != 2 || shape[1] != d || shape[0] < n)
        {
            bail!(
                "{}: noise.file has shape {shape:?}, expected ({n} or more) x {d} for data \"{}\"",
                config.noise.file.as_ref().expect("set").display(),
                loaded.label
            );
        }
        let noise_rows = |first: usize, rows: usize| match noise_file {
            Some((_, values)) => values[first * d..(first + rows) * d].to_vec(),
            None => noise::starting_rows(config.seed, first..first + rows, d),
        };
        let denoiser = build_denoiser(config, dcfg, loaded, ctx.learned.as_ref(), &ctx.device);
        let nearest = config
            .measures
            .distance
            .then(|| build_nearest(config, loaded, &denoiser, &ctx.device));
        let jump_judge = match config.measures.jump_quality {
            true => Some(HeldOut::new(
                config,
                dcfg,
                loaded,
                &ctx.device,
                &ctx.dirs.cache,
            )?),
            false => None,
        };
        let fitted = if gits {
            let w = warm_up(
                config,
                dcfg,
                loaded,
                denoiser.as_denoiser(),
                &ctx.dirs.cache.join("gits"),
                &mut progress,
            )?;
            let own = samplers
                .iter()
                .map(|s| w.sigmas(s.steps.expect("a GITS sampler has steps")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            warmups.push(w);
            Some(own)
        } else {
            None
        };
        for (i, s) in samplers.iter().enumerate() {
            progress.set_label(format!("{} {}", loaded.label, s.label));
            let inputs = CaseInputs {
                loaded,
                denoiser: &denoiser,
                nearest: nearest.as_ref(),
                jump_judge: jump_judge.as_ref(),
                label: s.label.clone(),
                solver: s.solver,
                sigmas: fitted.as_ref().map_or(&s.sigmas, |f| &f[i]),
                noise: &noise_rows,
            };
            cases.push(run_case(config, &inputs, streams, &mut progress)?);
        }
    }
    if !samplers.is_empty() {
        progress.finish();
    }
    let gaps = match (&ctx.learned, config.measures.learned_vs_optimal) {
        (Some(learned), true) => learned_vs_optimal::compute(config, ctx, &cases, learned)?,
        _ => Vec::new(),
    };
    let fields = eps_fields(config, ctx)?;
    Ok(TrajectoryOutcome {
        cases,
        streams,
        fields,
        gits: warmups,
        gaps,
    })
}
