//! One (data set, sampler) case of a trajectory run, streamed: each batch
//! of trajectories is sampled, exported, measured and dropped (see
//! `measured`, which keeps what figures need).

use super::export::{ExportCase, Exporter};
use super::jump_quality::{JumpFeatures, JumpQuality};
use super::measured::{Accumulator, MeasureInputs, Streams, View};
use crate::config::Config;
use crate::context::LoadedData;
use crate::context::denoisers::Built;
use crate::context::held_out::HeldOut;
use crate::context::noise;
use crate::context::progress::Progress;
use anyhow::Context as _;
use geotraj_denoise::{NearestNeighbours, PruneCounts};
use geotraj_metrics::Measures;
use geotraj_sampling::{SampleOptions, Solver, Trajectories, sample};
use std::path::PathBuf;
use std::time::Instant;

/// One (data set, sampler) pair, sampled and measured.
pub struct Case {
    pub data: String,
    pub sampler: String,
    /// The method with its parameters, in words (`Solver::describe`).
    pub solver: String,
    pub n: usize,
    /// The shape of one sample (C x H x W for images, or d).
    pub item_shape: Vec<usize>,
    /// The first batch of trajectories, whole (its schedule and NFE are every batch's).
    pub head: Trajectories,
    /// x_N of every trajectory, n x d.
    pub final_samples: Vec<f32>,
    pub measures: Measures,
    /// With `[export]`: the files written (in the staged tables folder).
    pub exported: Vec<PathBuf>,
    /// With `measures.lowdim`: the 3-D view of the first trajectories.
    pub views: Vec<View>,
    pub seconds: f64,
    /// Of `seconds`, the time spent on nearest neighbours and the identity check.
    pub measure_seconds: f64,
    /// Rows the optimal denoiser decided on exact distances, and candidates re-scored.
    pub exact_rows: usize,
    pub exact_candidates: usize,
    /// Per σ, the optimal denoiser's evaluations of this case and how many
    /// needed a full screen (the rest were proved along their trajectory).
    pub pruning: Vec<Pruned>,
    /// With `measures.jump_quality`: FD of x_n and D(x_n) per step.
    pub jump_quality: Option<JumpQuality>,
}

impl Case {
    /// The recorded schedule (with 0 after a final jump).
    pub fn sigmas(&self) -> &[f64] {
        &self.head.sigmas
    }

    pub fn steps(&self) -> usize {
        self.head.steps()
    }

    pub fn nfe(&self) -> usize {
        self.head.nfe()
    }

    pub fn d(&self) -> usize {
        self.head.d
    }
}

/// What one case needs besides the config.
pub struct CaseInputs<'a> {
    pub loaded: &'a LoadedData,
    pub denoiser: &'a Built,
    pub nearest: Option<&'a NearestNeighbours>,
    /// With `measures.jump_quality`: what D(x_n) and x_n are judged against.
    pub jump_judge: Option<&'a HeldOut>,
    pub label: String,
    pub solver: Solver,
    pub sigmas: &'a [f64],
    /// Starting noise rows first..first + rows (n x d standard normal).
    pub noise: &'a dyn Fn(usize, usize) -> Vec<f32>,
}

/// Samples and measures one case batch by batch, appending to `streams`.
pub fn run_case(
    config: &Config,
    inp: &CaseInputs,
    streams: &mut Streams,
    progress: &mut Progress,
) -> anyhow::Result<Case> {
    let n = config.trajectories;
    let jump = config.schedule.end.final_jump();
    let step_noise = noise::Keyed::new(config.seed);
    let data = &inp.loaded.label;
    let before = inp.denoiser.stats();
    let pruned_before = inp.denoiser.pruning();
    let t0 = Instant::now();
    let mut acc = Accumulator::new(
        config,
        MeasureInputs {
            data,
            sampler: &inp.label,
            solver: inp.solver.name(),
            params: inp.solver.params(),
            nfe: None,
            dataset: Some(&inp.loaded.data),
            nearest: inp.nearest,
            euler: inp.solver == Solver::Euler,
        },
        n,
    );
    let mut jump_features = JumpFeatures::new();
    let export_dir = streams.dir.clone();
    let mut export = config.export.as_ref().map(|e| {
        Exporter::new(
            e,
            ExportCase {
                dir: &export_dir,
                data,
                sampler: &inp.label,
                solver: inp.solver.name().to_string(),
                seed: config.seed,
                item_shape: &inp.loaded.data.item_shape,
                n,
            },
        )
    });
    let context = || format!("data \"{data}\", sampler \"{}\"", inp.label);
    for first in (0..n).step_by(config.batch_size) {
        let rows = config.batch_size.min(n - first);
        let t = sample(
            inp.denoiser.as_denoiser(),
            inp.solver,
            inp.sigmas,
            &(inp.noise)(first, rows),
            SampleOptions {
                batch_size: config.batch_size,
                final_jump: jump,
                step_noise: Some(&step_noise),
                first,
            },
            &mut || progress.tick(),
        )
        .with_context(context)?;
        if let Some(e) = export.as_mut() {
            e.add(first, &t)?;
        }
        acc.add(&t, first, streams).with_context(context)?;
        if let Some(judge) = inp.jump_judge {
            jump_features.add(judge, &t).with_context(context)?;
        }
    }
    let m = acc.finish();
    let jump_quality = inp.jump_judge.map(|j| jump_features.finish(j, &m.head));
    let exported = export.map_or(Ok(Vec::new()), Exporter::finish)?;
    let after = inp.denoiser.stats();
    Ok(Case {
        data: data.clone(),
        sampler: inp.label.clone(),
        solver: inp.solver.describe(),
        n,
        item_shape: inp.loaded.data.item_shape.clone(),
        head: m.head,
        final_samples: m.final_samples,
        measures: m.measures,
        views: m.views,
        seconds: t0.elapsed().as_secs_f64(),
        measure_seconds: m.measure_seconds,
        exact_rows: after.0 - before.0,
        exact_candidates: after.1 - before.1,
        pruning: pruning_since(&pruned_before, inp.denoiser.pruning(), inp.loaded.data.n),
        jump_quality,
        exported,
    })
}

/// The optimal denoiser's work at one σ of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Pruned {
    pub sigma: f64,
    pub evaluations: usize,
    /// Evaluations that scored every data point.
    pub screened: usize,
    /// Of all (evaluation, data point) pairs, the fraction never scored.
    pub skipped_fraction: f64,
}

/// The counts added since `before` (both in increasing σ), in decreasing σ.
fn pruning_since(
    before: &[(f64, PruneCounts)],
    after: Vec<(f64, PruneCounts)>,
    n: usize,
) -> Vec<Pruned> {
    after
        .into_iter()
        .filter_map(|(s, a)| {
            let b = before
                .iter()
                .find(|(t, _)| t.to_bits() == s.to_bits())
                .map_or(PruneCounts::default(), |&(_, b)| b);
            let c = a.since(b);
            (c.rows > 0).then(|| Pruned {
                sigma: s,
                evaluations: c.rows,
                screened: c.screened,
                skipped_fraction: c.skipped_fraction(n),
            })
        })
        .rev()
        .collect()
}
