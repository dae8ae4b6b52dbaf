//! The trajectory run, streamed: each batch of trajectories is sampled,
//! measured (geometry, then the data-relative measures) and appended to the
//! step and trajectory tables, and its states are dropped. What stays in
//! memory is per-step scalars (for the figures), the final samples and the
//! first batch whole (for 2-D figures).

use super::export::{ExportCase, Exporter};
use super::jump_quality::{JumpFeatures, JumpQuality};
use crate::config::Config;
use crate::context::LoadedData;
use crate::context::denoisers::Built;
use crate::context::held_out::HeldOut;
use crate::context::noise;
use crate::context::progress::Progress;
use crate::plan::budget::HEAD_TRAJECTORIES;
use anyhow::Context as _;
use geotraj_data::Nearest;
use geotraj_denoise::NearestNeighbours;
use geotraj_metrics::{
    DataInputs, Measures, data_measures, identity_errors, joint_view3d, measure, nanmax,
    trajectory_pca, view3d,
};
use geotraj_records::{Table, TableStream};
use geotraj_sampling::{SampleOptions, Solver, Trajectories, sample};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One (data set, sampler) pair, sampled and measured.
pub struct Case {
    pub data: String,
    pub sampler: String,
    pub solver: Solver,
    pub n: usize,
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
    /// With `measures.jump_quality`: FD of x_n and D(x_n) per step.
    pub jump_quality: Option<JumpQuality>,
}

/// One point of the 3-D view: its own (chord axis + top-2 PCs of the
/// orthogonal part) and the joint one over all drawn trajectories.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub trajectory: usize,
    pub step: usize,
    pub own: [f64; 3],
    pub joint: [f64; 3],
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

/// The step and trajectory tables, growing under temporary names until
/// `finish` (a failed run leaves neither behind).
pub struct Streams {
    pub steps: TableStream,
    pub trajectories: TableStream,
    /// Where they (and exported trajectories) go: the staged tables folder.
    pub dir: PathBuf,
}

impl Streams {
    pub fn new(dir: &Path) -> Self {
        Streams {
            steps: TableStream::new(dir, "steps"),
            trajectories: TableStream::new(dir, "trajectories"),
            dir: dir.to_path_buf(),
        }
    }

    pub fn finish(self) -> anyhow::Result<Vec<std::path::PathBuf>> {
        let mut out = self.steps.finish()?;
        out.extend(self.trajectories.finish()?);
        Ok(out)
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

/// Prepends the case's identifying columns to a measures table.
/// A measures table with the case's columns in front (the one schema of
/// steps and trajectories tables, whoever made the trajectories).
pub fn with_case(
    data: &str,
    sampler: &str,
    solver: &str,
    steps: usize,
    nfe: usize,
    table: Table,
) -> Table {
    let rows = table.len();
    let mut t = Table::new()
        .with_str("data", vec![data.to_string(); rows])
        .with_str("sampler", vec![sampler.to_string(); rows])
        .with_str("solver", vec![solver.to_string(); rows])
        .with_i64("steps", vec![steps as i64; rows])
        .with_i64("nfe", vec![nfe as i64; rows]);
    for (name, col) in table.columns() {
        t.push(name, col.clone());
    }
    t
}

/// Nearest data points of every r_n, laid out like the states; points
/// without an evaluation at x_n keep a NaN placeholder that `data_measures`
/// never reads. (The search bounds its own device memory per pass.)
fn search_denoised(nn: &NearestNeighbours, t: &Trajectories) -> anyhow::Result<Vec<Nearest>> {
    let points = t.steps() + 1;
    let (mut at, mut rows) = (Vec::new(), Vec::new());
    for i in 0..t.n {
        for (n, r) in t.denoised(i) {
            at.push(i * points + n);
            rows.extend_from_slice(r);
        }
    }
    let none = Nearest {
        i1: usize::MAX,
        d1: f64::NAN,
        i2: usize::MAX,
        d2: f64::NAN,
    };
    let mut out = vec![none; t.n * points];
    if !at.is_empty() {
        let found = nn.query(&rows, at.len())?;
        for (k, f) in at.into_iter().zip(found) {
            out[k] = f;
        }
    }
    Ok(out)
}

/// The data-relative measures of one batch, added to its measures.
fn measure_data(
    config: &Config,
    inp: &CaseInputs,
    t: &Trajectories,
    first: usize,
    m: &mut Measures,
) -> anyhow::Result<()> {
    let mc = &config.measures;
    if let Some(nn) = inp.nearest {
        let states = nn.query(&t.states, t.n * (t.steps() + 1))?;
        let denoised = if mc.jump {
            Some(search_denoised(nn, t)?)
        } else {
            None
        };
        m.extend(data_measures(&DataInputs {
            trajectories: t,
            data: &inp.loaded.data,
            states: &states,
            denoised: denoised.as_deref(),
            euler: inp.solver == Solver::Euler,
            memorised_ratio: mc.memorised_ratio,
        }));
    }
    if mc.lowdim {
        let points = t.steps() + 1;
        let mut err = Vec::with_capacity(t.n * points);
        let mut ex = [vec![], vec![], vec![]];
        for i in 0..t.n {
            let p = trajectory_pca(t, i);
            err.extend(p.top2_error);
            for (k, e) in ex.iter_mut().enumerate() {
                e.push(p.explained[k]);
            }
        }
        let [e1, e2, e3] = ex;
        m.extend((
            vec![("top2_error", err)],
            vec![
                ("explained_1", e1),
                ("explained_2", e2),
                ("explained_3", e3),
            ],
        ));
    }
    if mc.identity > 0 {
        let points = t.steps() + 1;
        let mut col = vec![f64::NAN; t.n * points];
        let mut worst = vec![f64::NAN; t.n];
        for i in 0..t.n.min(mc.identity.saturating_sub(first)) {
            let e = identity_errors(t, i, &inp.loaded.data);
            worst[i] = nanmax(&e);
            col[i * points..(i + 1) * points].copy_from_slice(&e);
        }
        m.extend((
            vec![("identity_error", col)],
            vec![("max_identity_error", worst)],
        ));
    }
    Ok(())
}

/// Appends the first rows of batch `t` to `head` until it holds `want`
/// trajectories. Every batch shares the schedule and evaluation order.
fn extend_head(head: &mut Option<Trajectories>, t: &Trajectories, want: usize) {
    let have = head.as_ref().map_or(0, |h| h.n);
    let take = want.saturating_sub(have).min(t.n);
    if take == 0 {
        return;
    }
    let states = &t.states[..take * (t.steps() + 1) * t.d];
    let evals = &t.evals[..take * t.nfe() * t.d];
    match head {
        None => {
            *head = Some(Trajectories {
                n: take,
                d: t.d,
                sigmas: t.sigmas.clone(),
                states: states.to_vec(),
                evals: evals.to_vec(),
                eval_sigma: t.eval_sigma.clone(),
                eval_step: t.eval_step.clone(),
                eval_at_state: t.eval_at_state.clone(),
            })
        }
        Some(h) => {
            h.n += take;
            h.states.extend_from_slice(states);
            h.evals.extend_from_slice(evals);
        }
    }
}

/// The 3-D views of the first `count` trajectories.
fn views_of(head: &Trajectories, count: usize) -> Vec<View> {
    let drawn: Vec<usize> = (0..head.n.min(count)).collect();
    let joint = joint_view3d(head, &drawn);
    let points = head.steps() + 1;
    let mut out = Vec::new();
    for &i in &drawn {
        for (step, own) in view3d(head, i).into_iter().enumerate() {
            out.push(View {
                trajectory: i,
                step,
                own,
                joint: joint[i * points + step],
            });
        }
    }
    out
}

/// Samples and measures one case batch by batch, appending to `streams`.
pub fn run_case(
    config: &Config,
    inp: &CaseInputs,
    streams: &mut Streams,
    progress: &mut Progress,
) -> anyhow::Result<Case> {
    let n = config.trajectories;
    let d = inp.loaded.data.d;
    let jump = config.schedule.end.final_jump();
    let step_noise = noise::Keyed::new(config.seed);
    let data = &inp.loaded.label;
    let before = inp.denoiser.stats();
    let t0 = Instant::now();
    let mut measure_seconds = 0.0;
    let mut head = None;
    let mut all: Option<Measures> = None;
    let mut final_samples = Vec::with_capacity(n * d);
    // A fixed count of whole trajectories for figures, views and the
    // learned-vs-optimal gaps, so those do not change with the batch size.
    let head_rows = n.min(HEAD_TRAJECTORIES.max(config.measures.views));
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
        .with_context(|| format!("data \"{data}\", sampler \"{}\"", inp.label))?;
        if let Some(e) = export.as_mut() {
            e.add(first, &t)?;
        }
        let mut m = measure(&t);
        m.first = first;
        let tm = Instant::now();
        measure_data(config, inp, &t, first, &mut m)
            .with_context(|| format!("data \"{data}\", sampler \"{}\"", inp.label))?;
        if let Some(judge) = inp.jump_judge {
            jump_features.add(judge, &t);
        }
        measure_seconds += tm.elapsed().as_secs_f64();
        let (steps, nfe) = (t.steps(), t.nfe());
        let table = |tb| with_case(data, &inp.label, inp.solver.name(), steps, nfe, tb);
        streams.steps.append(&table(m.step_table()))?;
        streams.trajectories.append(&table(m.trajectory_table()))?;
        final_samples.extend(t.final_samples());
        match &mut all {
            None => all = Some(m),
            Some(a) => a.append(m),
        }
        extend_head(&mut head, &t, head_rows);
    }
    let head = head.expect("at least one trajectory");
    let views = if config.measures.lowdim {
        views_of(&head, config.measures.views)
    } else {
        Vec::new()
    };
    let jump_quality = inp.jump_judge.map(|j| jump_features.finish(j, &head));
    let exported = export.map_or(Ok(Vec::new()), Exporter::finish)?;
    let after = inp.denoiser.stats();
    Ok(Case {
        data: data.clone(),
        sampler: inp.label.clone(),
        solver: inp.solver,
        n,
        head,
        final_samples,
        measures: all.expect("at least one batch"),
        views,
        seconds: t0.elapsed().as_secs_f64(),
        measure_seconds,
        exact_rows: after.0 - before.0,
        exact_candidates: after.1 - before.1,
        jump_quality,
        exported,
    })
}
