//! The catalogue's trajectory measures for every trajectory of a run.
//! x_n: states (x_0 noise, x_N final); r_n = D(x_n; sigma_n) for n < N;
//! eps_n = (x_n - r_n) / sigma_n.

use crate::columns::{Columns, gather};
use crate::geometry::path_geometry;
pub use crate::vec::nanmax;
use crate::vec::{diff, distance, dot, norm, norm32};
use crate::{Band, band};
use geotraj_records::Table;
use geotraj_sampling::Trajectories;
use rayon::prelude::*;

/// Per-step columns (each trajectories x (steps + 1), row-major by
/// trajectory) and per-trajectory columns, in table order.
#[derive(Debug, Clone)]
pub struct Measures {
    pub trajectories: usize,
    /// Index of the first trajectory (a streamed run measures batch by batch).
    pub first: usize,
    pub points: usize,
    pub sigma: Vec<f64>,
    pub per_step: Vec<(&'static str, Vec<f64>)>,
    pub per_trajectory: Vec<(&'static str, Vec<f64>)>,
}

/// Per-step measure names, in column order (see notebooks-data/README.md).
pub const STEP_COLUMNS: &[&str] = &[
    "deviation",
    "rel_deviation",
    "dist_to_end",
    "curvature",
    "turning_deg",
    "norm_x",
    "sigma_sqrt_d",
    "denoised_deviation",
    "denoised_rel_deviation",
    "denoised_dist_to_end",
    "denoised_curvature",
    "denoised_turning_deg",
    "norm_denoised",
    "norm_eps",
    "cos_eps_to_end",
    "denoised_to_final",
];

/// Per-trajectory measure names, in column order.
pub const TRAJECTORY_COLUMNS: &[&str] = &[
    "chord",
    "length",
    "straightness",
    "max_deviation",
    "max_rel_deviation",
    "mean_turning_deg",
    "denoised_chord",
    "denoised_length",
    "denoised_straightness",
    "denoised_max_deviation",
    "denoised_max_rel_deviation",
    "final_norm",
    "monotone_share",
    "denoised_monotone_share",
];

/// Share of consecutive steps over which a distance to the end does not grow
/// (Chen et al., Obs. 2: the denoising trajectory's falls monotonically).
fn monotone_share(dist: &[f64]) -> f64 {
    let pairs: Vec<bool> = dist
        .windows(2)
        .filter(|w| w[0].is_finite() && w[1].is_finite())
        .map(|w| w[1] <= w[0])
        .collect();
    if pairs.is_empty() {
        f64::NAN
    } else {
        pairs.iter().filter(|&&b| b).count() as f64 / pairs.len() as f64
    }
}

fn nanmean(v: &[f64]) -> f64 {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        f64::NAN
    } else {
        f.iter().sum::<f64>() / f.len() as f64
    }
}

/// One trajectory: per-step columns (points each) and per-trajectory values.
fn one(t: &Trajectories, i: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let points = t.steps() + 1;
    let sqrt_d = (t.d as f64).sqrt();
    let xs: Vec<&[f32]> = (0..points).map(|n| t.state(i, n)).collect();
    let den = t.denoised(i);
    let rs: Vec<&[f32]> = den.iter().map(|(_, r)| *r).collect();
    let s = path_geometry(&xs);
    let r = path_geometry(&rs);
    // Denoising measures live on the steps that have an evaluation at x_n.
    let pad = |v: &[f64]| {
        let mut out = vec![f64::NAN; points];
        for ((n, _), &val) in den.iter().zip(v) {
            out[*n] = val;
        }
        out
    };
    let last = xs[points - 1];
    let mut norm_denoised = vec![f64::NAN; points];
    let mut norm_eps = vec![f64::NAN; points];
    let mut cos_eps = vec![f64::NAN; points];
    let mut to_final = vec![f64::NAN; points];
    for &(n, rn) in &den {
        let sigma = t.sigmas[n];
        norm_denoised[n] = norm32(rn);
        // Chen et al.'s Obs. 3: the jump x_n -> D(x_n) lands near x_N early.
        to_final[n] = distance(rn, last);
        if sigma > 0.0 {
            let eps: Vec<f64> = diff(xs[n], rn).iter().map(|v| v / sigma).collect();
            let to_end = diff(xs[n], last);
            let (ne, nt) = (norm(&eps), norm(&to_end));
            norm_eps[n] = ne;
            cos_eps[n] = dot(&eps, &to_end) / (ne * nt);
        }
    }
    let monotone = monotone_share(&s.dist_to_end);
    let denoised_monotone = monotone_share(&r.dist_to_end);
    let step_cols = vec![
        s.deviation.clone(),
        s.rel_deviation.clone(),
        s.dist_to_end,
        s.curvature,
        s.turning_deg.clone(),
        xs.iter().map(|x| norm32(x)).collect(),
        t.sigmas.iter().map(|s| s * sqrt_d).collect(),
        pad(&r.deviation),
        pad(&r.rel_deviation),
        pad(&r.dist_to_end),
        pad(&r.curvature),
        pad(&r.turning_deg),
        norm_denoised,
        norm_eps,
        cos_eps,
        to_final,
    ];
    let traj_vals = vec![
        s.chord,
        s.length,
        s.straightness,
        nanmax(&s.deviation),
        nanmax(&s.rel_deviation),
        nanmean(&s.turning_deg),
        r.chord,
        r.length,
        r.straightness,
        nanmax(&r.deviation),
        nanmax(&r.rel_deviation),
        norm32(last),
        monotone,
        denoised_monotone,
    ];
    (step_cols, traj_vals)
}

/// Measures every trajectory of a run, in parallel over trajectories.
pub fn measure(t: &Trajectories) -> Measures {
    let points = t.steps() + 1;
    let each: Vec<(Vec<Vec<f64>>, Vec<f64>)> =
        (0..t.n).into_par_iter().map(|i| one(t, i)).collect();
    let (per_step, per_trajectory) = gather(&each, STEP_COLUMNS, TRAJECTORY_COLUMNS);
    Measures {
        trajectories: t.n,
        first: 0,
        points,
        sigma: t.sigmas.clone(),
        per_step,
        per_trajectory,
    }
}

impl Measures {
    /// Adds columns computed elsewhere (e.g. [`crate::data_measures`]).
    pub fn extend(&mut self, (step, traj): Columns) {
        for (name, col) in &step {
            assert_eq!(col.len(), self.trajectories * self.points, "{name}");
        }
        for (name, col) in &traj {
            assert_eq!(col.len(), self.trajectories, "{name}");
        }
        self.per_step.extend(step);
        self.per_trajectory.extend(traj);
    }

    /// Appends the measures of the next batch of trajectories (same schedule
    /// and columns), so a streamed run keeps one set for its figures.
    pub fn append(&mut self, other: Measures) {
        assert_eq!(self.points, other.points, "same schedule");
        assert_eq!(self.first + self.trajectories, other.first, "next batch");
        for ((a, col), (b, more)) in self.per_step.iter_mut().zip(other.per_step) {
            assert_eq!(*a, b, "same columns");
            col.extend(more);
        }
        for ((a, col), (b, more)) in self.per_trajectory.iter_mut().zip(other.per_trajectory) {
            assert_eq!(*a, b, "same columns");
            col.extend(more);
        }
        self.trajectories += other.trajectories;
    }

    /// A per-trajectory column by name.
    pub fn trajectory_values(&self, name: &str) -> Option<&[f64]> {
        self.per_trajectory
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// A per-step column by name, trajectory-major.
    pub fn step_values(&self, name: &str) -> Option<&[f64]> {
        self.per_step
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Median over trajectories of a per-trajectory measure (NaN ignored).
    pub fn trajectory_median(&self, name: &str) -> Option<f64> {
        self.trajectory_values(name)
            .map(|v| band(v, 1, 0.5, 0.5).mid[0])
    }

    /// Median and [q_lo, q_hi] band of a per-step measure over trajectories.
    pub fn band(&self, name: &str, q_lo: f64, q_hi: f64) -> Option<Band> {
        self.step_values(name)
            .map(|v| band(v, self.points, q_lo, q_hi))
    }

    /// Tidy per-(trajectory, step) table: trajectory, step, sigma, measures.
    pub fn step_table(&self) -> Table {
        let rows = self.trajectories * self.points;
        let mut t = Table::new()
            .with_i64(
                "trajectory",
                (0..rows)
                    .map(|k| (self.first + k / self.points) as i64)
                    .collect(),
            )
            .with_i64(
                "step",
                (0..rows).map(|k| (k % self.points) as i64).collect(),
            )
            .with_f64(
                "sigma",
                (0..rows).map(|k| self.sigma[k % self.points]).collect(),
            );
        for (name, col) in &self.per_step {
            t = t.with_f64(name, col.clone());
        }
        t
    }

    /// Tidy per-trajectory table.
    pub fn trajectory_table(&self) -> Table {
        let first = self.first as i64;
        let mut t = Table::new().with_i64(
            "trajectory",
            (first..first + self.trajectories as i64).collect(),
        );
        for (name, col) in &self.per_trajectory {
            t = t.with_f64(name, col.clone());
        }
        t
    }
}

#[cfg(test)]
mod monotone_tests {
    #[test]
    fn monotone_share_counts_falling_steps() {
        assert_eq!(super::monotone_share(&[4.0, 3.0, 3.5, 1.0, 0.0, 0.0]), 0.8);
        assert!(super::monotone_share(&[2.0, f64::NAN, 1.0]).is_nan());
        assert_eq!(super::monotone_share(&[1.0, 0.5]), 1.0);
    }
}
