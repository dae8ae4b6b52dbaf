//! One case's measures, batch by batch: each batch of trajectories (sampled
//! here, or read from a file by `analyze`) is measured (geometry, then the
//! data-relative measures), appended to the streamed tables and dropped,
//! keeping per-step scalars, the final samples and the first trajectories
//! whole. Both paths go through this one code, so their tables agree.

use super::schema::{CaseLabels, CaseTable, with_case};
use crate::config::Config;
use crate::plan::budget::HEAD_TRAJECTORIES;
use geotraj_data::{Dataset, Nearest};
use geotraj_denoise::NearestNeighbours;
use geotraj_metrics::{
    DataInputs, Measures, data_measures, identity_errors, joint_view3d, measure, nanmax,
    trajectory_pca, view3d,
};
use geotraj_records::TableStream;
use geotraj_sampling::SolverParams;
use geotraj_sampling::Trajectories;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the measures of a case need besides its trajectories.
pub struct MeasureInputs<'a> {
    /// Labels in the tables.
    pub data: &'a str,
    pub sampler: &'a str,
    pub solver: &'a str,
    /// The solver's parameters (none known for an analysed file).
    pub params: SolverParams,
    /// Evaluations per trajectory when the trajectories do not hold them
    /// all (a file with D(x_n) at the states only); else their own count.
    pub nfe: Option<usize>,
    /// The data set, for the data-relative measures and the identity check.
    pub dataset: Option<&'a Dataset>,
    /// With `measures.distance`: the nearest-neighbour search over the data.
    pub nearest: Option<&'a NearestNeighbours>,
    /// x_{n+1} is the Euler (DDIM) step from x_n, so the descent bound applies.
    pub euler: bool,
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

/// What a case keeps once every batch is measured.
pub struct Measured {
    /// The first trajectories, whole (its schedule and NFE are every batch's).
    pub head: Trajectories,
    /// x_N of every trajectory, n x d.
    pub final_samples: Vec<f32>,
    pub measures: Measures,
    /// With `measures.lowdim`: the 3-D view of the first trajectories.
    pub views: Vec<View>,
    /// Time spent on nearest neighbours and the identity check.
    pub measure_seconds: f64,
}

/// Measures batches in order and appends their rows to the streams.
pub struct Accumulator<'a> {
    config: &'a Config,
    inp: MeasureInputs<'a>,
    head_rows: usize,
    head: Option<Trajectories>,
    all: Option<Measures>,
    final_samples: Vec<f32>,
    measure_seconds: f64,
}

impl<'a> Accumulator<'a> {
    /// For a case of `n` trajectories.
    pub fn new(config: &'a Config, inp: MeasureInputs<'a>, n: usize) -> Self {
        Accumulator {
            config,
            inp,
            // A fixed count of whole trajectories for figures, views and the
            // learned-vs-optimal gaps, so those do not change with the batch size.
            head_rows: n.min(HEAD_TRAJECTORIES.max(config.measures.views)),
            head: None,
            all: None,
            final_samples: Vec::new(),
            measure_seconds: 0.0,
        }
    }

    /// Measures batch `t`, whose first trajectory is number `first`.
    pub fn add(
        &mut self,
        t: &Trajectories,
        first: usize,
        streams: &mut Streams,
    ) -> anyhow::Result<()> {
        let mut m = measure(t);
        m.first = first;
        let tm = Instant::now();
        measure_data(self.config, &self.inp, t, first, &mut m)?;
        self.measure_seconds += tm.elapsed().as_secs_f64();
        let inp = &self.inp;
        let labels = CaseLabels {
            experiment: &self.config.name,
            data: inp.data,
            sampler: inp.sampler,
            solver: inp.solver,
            params: inp.params,
            steps: t.steps(),
            nfe: inp.nfe.unwrap_or(t.nfe()),
        };
        let steps = with_case(&labels, CaseTable::Steps, m.step_table());
        streams.steps.append(&steps)?;
        let per_trajectory = with_case(&labels, CaseTable::Trajectories, m.trajectory_table());
        streams.trajectories.append(&per_trajectory)?;
        self.final_samples.extend(t.final_samples());
        match &mut self.all {
            None => self.all = Some(m),
            Some(a) => a.append(m),
        }
        extend_head(&mut self.head, t, self.head_rows);
        Ok(())
    }

    /// The head trajectories, whole (empty before the first batch).
    pub fn head(&self) -> Option<&Trajectories> {
        self.head.as_ref()
    }

    /// After at least one batch.
    pub fn finish(self) -> Measured {
        let head = self.head.expect("at least one trajectory");
        let views = if self.config.measures.lowdim {
            views_of(&head, self.config.measures.views)
        } else {
            Vec::new()
        };
        Measured {
            head,
            final_samples: self.final_samples,
            measures: self.all.expect("at least one batch"),
            views,
            measure_seconds: self.measure_seconds,
        }
    }
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

/// The data-relative and low-dimensional measures of one batch, added to its measures.
fn measure_data(
    config: &Config,
    inp: &MeasureInputs,
    t: &Trajectories,
    first: usize,
    m: &mut Measures,
) -> anyhow::Result<()> {
    let mc = &config.measures;
    if let (Some(nn), Some(data)) = (inp.nearest, inp.dataset) {
        let (states, _pruned) = nn.query_paths(&t.states, t.n, t.steps() + 1)?;
        let denoised = if mc.jump {
            Some(search_denoised(nn, t)?)
        } else {
            None
        };
        m.extend(data_measures(&DataInputs {
            trajectories: t,
            data,
            states: &states,
            denoised: denoised.as_deref(),
            euler: inp.euler,
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
    if let (true, Some(data)) = (mc.identity > 0, inp.dataset) {
        let points = t.steps() + 1;
        let mut col = vec![f64::NAN; t.n * points];
        let mut worst = vec![f64::NAN; t.n];
        for i in 0..t.n.min(mc.identity.saturating_sub(first)) {
            let e = identity_errors(t, i, data);
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
    let part = t.rows(0, take);
    match head {
        None => *head = Some(part),
        Some(h) => {
            h.n += take;
            h.states.extend(part.states);
            h.evals.extend(part.evals);
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
