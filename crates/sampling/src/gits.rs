//! GITS (Chen et al., "On the Trajectory Regularity of ODE-based Diffusion
//! Sampling", ICML 2024): a time schedule chosen by dynamic programming on a
//! few warm-up trajectories.
//!
//! 1. A teacher solver solves B noise rows along a fine grid s_0 > ... > s_M,
//!    keeping the states X_j and the denoiser outputs D_i = D(X_i; s_i).
//! 2. cost(i, j) for i < j is the mean over rows of how far one Euler jump
//!    X_i + (s_j - s_i) (X_i - D_i) / s_i lands from the teacher (no further
//!    denoiser evaluations): its deviation from the teacher's chord beyond the
//!    teacher's own (GITS's default), or its L2/L1 distance to X_j.
//! 3. A dynamic program picks the K-step path 0 = j_0 < ... < j_K = M of least
//!    (weighted) cost; its sigmas are the schedule, usable by every solver.

use crate::schedule::validate;
use crate::{Denoiser, SampleError, SampleOptions, Solver, Trajectories, sample};
use rayon::prelude::*;

/// How far an Euler jump lands from the teacher, per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case")
)]
pub enum GitsCost {
    /// Distance of the jump from the line through the teacher's first and last
    /// states, minus that of the teacher's state X_j (diff-sampler `--metric dev`,
    /// its default). Can be negative.
    Deviation,
    /// Euclidean distance to X_j (`--metric l2`).
    L2,
    /// Sum of absolute differences to X_j (`--metric l1`).
    L1,
}

impl GitsCost {
    /// The names `parse` accepts.
    pub const NAMES: &[&str] = &["deviation", "l2", "l1"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "deviation" => Some(GitsCost::Deviation),
            "l2" => Some(GitsCost::L2),
            "l1" => Some(GitsCost::L1),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            GitsCost::Deviation => "deviation",
            GitsCost::L2 => "l2",
            GitsCost::L1 => "l1",
        }
    }
}

/// Parameters of the warm-up and the dynamic program.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GitsOptions {
    /// Discount of the remaining path in the recursion (see [`gits_path`]); 1.15 in GITS.
    pub coefficient: f64,
    pub cost: GitsCost,
    /// The deterministic solver of the warm-up trajectories (iPNDM in GITS).
    pub teacher: Solver,
    /// Teacher steps per fine-grid interval (evenly spaced in sigma); GITS uses 1.
    pub teacher_substeps: usize,
    /// Warm-up trajectories per device batch.
    pub batch_size: usize,
}

impl Default for GitsOptions {
    fn default() -> Self {
        GitsOptions {
            coefficient: 1.15,
            cost: GitsCost::Deviation,
            teacher: Solver::Ipndm { order: 4 },
            teacher_substeps: 1,
            batch_size: 256,
        }
    }
}

fn invalid(message: impl Into<String>) -> SampleError {
    SampleError::Invalid(message.into())
}

/// The teacher's grid: every interval of `fine` split into `substeps` equal parts.
pub fn teacher_grid(fine: &[f64], substeps: usize) -> Vec<f64> {
    let mut grid = Vec::with_capacity((fine.len() - 1) * substeps + 1);
    for w in fine.windows(2) {
        for k in 0..substeps {
            grid.push(w[0] + (w[1] - w[0]) * k as f64 / substeps as f64);
        }
    }
    grid.push(fine[fine.len() - 1]);
    grid
}

/// The warm-up: `options.teacher` from x = fine[0] * noise along `fine`
/// (refined by `teacher_substeps`). `noise` holds B rows of standard normal
/// noise (B x d, row-major). `on_eval` is called after every batch-wide
/// denoiser evaluation.
pub fn gits_teacher(
    den: &dyn Denoiser,
    fine: &[f64],
    noise: &[f32],
    options: &GitsOptions,
    on_eval: &mut dyn FnMut(),
) -> Result<Trajectories, SampleError> {
    validate(fine).map_err(|e| invalid(format!("GITS fine grid: {e}")))?;
    let d = den.dim();
    if d == 0 || noise.is_empty() || !noise.len().is_multiple_of(d) {
        return Err(invalid(format!(
            "GITS warm-up noise has {} values, expected a positive multiple of the dimension {d}",
            noise.len()
        )));
    }
    if options.teacher_substeps == 0 {
        return Err(invalid("GITS teacher_substeps must be at least 1"));
    }
    if options.teacher.is_stochastic() {
        return Err(invalid(format!(
            "GITS teacher {} is stochastic; the warm-up needs a deterministic solver",
            options.teacher.describe()
        )));
    }
    let grid = teacher_grid(fine, options.teacher_substeps);
    sample(
        den,
        options.teacher,
        &grid,
        noise,
        SampleOptions::batch(options.batch_size),
        on_eval,
    )
}

/// The GITS cost matrix of a teacher run whose fine-grid points are every
/// `stride`-th recorded state: row-major (M+1) x (M+1), entry (i, j) = cost
/// of an Euler jump from fine point i to fine point j, NaN for j <= i.
/// Computed on the host in f64, row by row, and averaged in row order, so it
/// depends on neither the device nor the thread count.
pub fn teacher_costs(
    teacher: &Trajectories,
    stride: usize,
    cost: GitsCost,
) -> Result<Vec<f64>, SampleError> {
    let steps = teacher.steps();
    if stride == 0 || steps == 0 || !steps.is_multiple_of(stride) {
        return Err(invalid(format!(
            "GITS teacher has {steps} steps, expected a positive multiple of the stride {stride}"
        )));
    }
    let points = steps / stride + 1;
    let last = points - 1;
    let fine: Vec<f64> = (0..points).map(|k| teacher.sigmas[k * stride]).collect();
    // The teacher's evaluation at each fine state (every step but the last).
    let at_state: Vec<usize> = (0..last)
        .map(|k| {
            (0..teacher.nfe())
                .find(|&e| teacher.eval_at_state[e] && teacher.eval_step[e] == k * stride)
                .ok_or_else(|| {
                    invalid(format!(
                        "GITS teacher has no denoiser evaluation at its state {}",
                        k * stride
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    let per_row: Vec<Vec<f64>> = (0..teacher.n)
        .into_par_iter()
        .map(|r| {
            let state = |k: usize| -> Vec<f64> {
                teacher
                    .state(r, k * stride)
                    .iter()
                    .map(|&v| v as f64)
                    .collect()
            };
            let x: Vec<Vec<f64>> = (0..points).map(state).collect();
            let slope: Vec<Vec<f64>> = (0..last)
                .map(|i| {
                    let den = teacher.eval(r, at_state[i]);
                    x[i].iter()
                        .zip(den)
                        .map(|(&xi, &di)| (xi - di as f64) / fine[i])
                        .collect()
                })
                .collect();
            row_costs(&x, &slope, &fine, cost)
        })
        .collect();
    let mut costs = vec![f64::NAN; points * points];
    for i in 0..last {
        for j in i + 1..points {
            let k = i * points + j;
            let c = per_row.iter().map(|m| m[k]).sum::<f64>() / teacher.n as f64;
            if !c.is_finite() {
                return Err(invalid(format!(
                    "GITS cost from grid point {i} to {j} is {c}: the warm-up states overflowed"
                )));
            }
            costs[k] = c;
        }
    }
    Ok(costs)
}

/// One row's cost matrix (entries j <= i unset).
fn row_costs(x: &[Vec<f64>], slope: &[Vec<f64>], fine: &[f64], cost: GitsCost) -> Vec<f64> {
    let points = x.len();
    let last = points - 1;
    let mut out = vec![f64::NAN; points * points];
    // Deviation from the chord X_0 -> X_M: |a - (a.u) u| with a = X_M - y.
    let chord: Vec<f64> = x[last].iter().zip(&x[0]).map(|(e, s)| e - s).collect();
    let chord_norm = chord.iter().map(|v| v * v).sum::<f64>().sqrt();
    let unit: Vec<f64> = chord
        .iter()
        .map(|v| {
            if chord_norm > 0.0 {
                v / chord_norm
            } else {
                0.0
            }
        })
        .collect();
    let deviation = |y: &dyn Fn(usize) -> f64| {
        let dot: f64 = (0..unit.len()).map(|k| (x[last][k] - y(k)) * unit[k]).sum();
        (0..unit.len())
            .map(|k| (x[last][k] - y(k) - dot * unit[k]).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let teacher_dev: Vec<f64> = (0..points)
        .map(|j| {
            if j == last {
                0.0
            } else {
                deviation(&|k| x[j][k])
            }
        })
        .collect();
    for i in 0..last {
        for j in i + 1..points {
            let h = fine[j] - fine[i];
            let jump = |k: usize| x[i][k] + h * slope[i][k];
            out[i * points + j] = match cost {
                GitsCost::Deviation => deviation(&jump) - teacher_dev[j],
                GitsCost::L2 => (0..unit.len())
                    .map(|k| (jump(k) - x[j][k]).powi(2))
                    .sum::<f64>()
                    .sqrt(),
                GitsCost::L1 => (0..unit.len()).map(|k| (jump(k) - x[j][k]).abs()).sum(),
            };
        }
    }
    out
}

/// The cost matrix of a fresh warm-up: [`gits_teacher`], then [`teacher_costs`].
pub fn gits_costs(
    den: &dyn Denoiser,
    fine: &[f64],
    noise: &[f32],
    options: &GitsOptions,
) -> Result<Vec<f64>, SampleError> {
    let teacher = gits_teacher(den, fine, noise, options, &mut || {})?;
    teacher_costs(&teacher, options.teacher_substeps, options.cost)
}

/// The best path with exactly `steps` steps from grid point 0 to grid point
/// `points - 1` through `costs` (row-major `points` x `points`, entries (i, j)
/// with i < j used), as grid indices [0, j_1, ..., points - 1].
///
/// The recursion is diff-sampler's (gits-main/gits_utils.py, `dp`, lines 185-203):
/// V(j, 1) = cost(j, M) and V(j, k) = min_{j < i < M} cost(j, i) + coefficient * V(i, k - 1),
/// so the coefficient multiplies the whole remaining path, and the minimised
/// total is sum_m coefficient^m cost(j_m, j_{m+1}): the m-th step counted from
/// sigma_max is weighted coefficient^m. With a coefficient above 1 errors made
/// late (at low noise) cost more, which moves steps towards the end; 1 is the
/// plain shortest path. Ties go to the smallest next index, as in the reference.
pub fn gits_path(
    costs: &[f64],
    points: usize,
    steps: usize,
    coefficient: f64,
) -> Result<Vec<usize>, SampleError> {
    if points < 2 || costs.len() != points * points {
        return Err(invalid(format!(
            "GITS cost matrix has {} entries, expected {points} x {points} with at least 2 points",
            costs.len()
        )));
    }
    let last = points - 1;
    if steps == 0 || steps > last {
        return Err(invalid(format!(
            "GITS needs between 1 and {last} steps on a grid of {points} points, got {steps}"
        )));
    }
    if !coefficient.is_finite() || coefficient <= 0.0 {
        return Err(invalid(format!(
            "GITS coefficient must be positive and finite, got {coefficient}"
        )));
    }
    let cost = |i: usize, j: usize| costs[i * points + j];
    for i in 0..last {
        for j in i + 1..points {
            if !cost(i, j).is_finite() {
                return Err(invalid(format!(
                    "GITS cost from grid point {i} to {j} is {}",
                    cost(i, j)
                )));
            }
        }
    }
    // value[k][j]: least weighted cost from j to `last` in exactly k steps
    // (infinite where too few points remain); next[k][j]: its first hop.
    let mut value = vec![vec![f64::INFINITY; points]; steps + 1];
    let mut next = vec![vec![last; points]; steps + 1];
    for (j, v) in value[1].iter_mut().enumerate().take(last) {
        *v = cost(j, last);
    }
    for k in 2..=steps {
        for j in 0..last {
            for i in j + 1..last {
                let v = cost(j, i) + coefficient * value[k - 1][i];
                if v < value[k][j] {
                    value[k][j] = v;
                    next[k][j] = i;
                }
            }
        }
    }
    let mut path = vec![0];
    let mut at = 0;
    for k in (1..=steps).rev() {
        at = next[k][at];
        path.push(at);
    }
    debug_assert_eq!(at, last);
    Ok(path)
}

/// GITS end to end: the cost matrix of [`gits_costs`], the path of
/// [`gits_path`] with `steps` steps, and its sigmas (steps + 1 values, strictly
/// decreasing, from `fine[0]` to the last value of `fine`), ready for
/// `Schedule::Explicit`.
pub fn gits_schedule(
    den: &dyn Denoiser,
    fine: &[f64],
    steps: usize,
    noise: &[f32],
    options: &GitsOptions,
) -> Result<Vec<f64>, SampleError> {
    let last = fine.len().saturating_sub(1);
    if steps == 0 || steps > last {
        return Err(invalid(format!(
            "GITS needs between 1 and {last} steps on a grid of {} points, got {steps}",
            fine.len()
        )));
    }
    if !options.coefficient.is_finite() || options.coefficient <= 0.0 {
        return Err(invalid(format!(
            "GITS coefficient must be positive and finite, got {}",
            options.coefficient
        )));
    }
    let costs = gits_costs(den, fine, noise, options)?;
    let path = gits_path(&costs, fine.len(), steps, options.coefficient)?;
    Ok(path.into_iter().map(|j| fine[j]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Schedule, ScheduleEnd, host};
    use burn::tensor::{Device, Tensor};

    /// splitmix64: uniform in [0, 1).
    struct Rng(u64);

    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }

        fn normal(&mut self) -> f64 {
            let u = 1.0 - self.uniform();
            let v = self.uniform();
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }
    }

    fn random_costs(rng: &mut Rng, points: usize) -> Vec<f64> {
        let mut costs = vec![f64::NAN; points * points];
        for i in 0..points {
            for j in i + 1..points {
                costs[i * points + j] = rng.uniform();
            }
        }
        costs
    }

    fn weighted(costs: &[f64], points: usize, path: &[usize], coefficient: f64) -> f64 {
        path.windows(2)
            .enumerate()
            .map(|(m, w)| coefficient.powi(m as i32) * costs[w[0] * points + w[1]])
            .sum()
    }

    /// Every path 0 < ... < points - 1 with `steps` steps, the cheapest first found.
    fn brute_force(costs: &[f64], points: usize, steps: usize, coefficient: f64) -> Vec<usize> {
        let inner = points - 2;
        let mut best: Option<(f64, Vec<usize>)> = None;
        for mask in 0u32..(1 << inner) {
            if mask.count_ones() as usize != steps - 1 {
                continue;
            }
            let mut path = vec![0];
            path.extend((0..inner).filter(|b| mask & (1 << b) != 0).map(|b| b + 1));
            path.push(points - 1);
            let v = weighted(costs, points, &path, coefficient);
            if best.as_ref().is_none_or(|(b, _)| v < *b) {
                best = Some((v, path));
            }
        }
        best.expect("at least one path").1
    }

    #[test]
    fn path_matches_brute_force() {
        let mut rng = Rng(7);
        let points = 9;
        for trial in 0..20 {
            let costs = random_costs(&mut rng, points);
            for coefficient in [1.0, 1.15] {
                for steps in 1..points {
                    let got = gits_path(&costs, points, steps, coefficient).unwrap();
                    let want = brute_force(&costs, points, steps, coefficient);
                    let (g, w) = (
                        weighted(&costs, points, &got, coefficient),
                        weighted(&costs, points, &want, coefficient),
                    );
                    assert!(
                        (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                        "trial {trial}, K = {steps}, coefficient {coefficient}: {got:?} ({g}) vs {want:?} ({w})"
                    );
                    assert_eq!(got, want, "trial {trial}, K = {steps}");
                }
            }
        }
    }

    #[test]
    fn path_extremes() {
        let mut rng = Rng(11);
        let points = 9;
        let costs = random_costs(&mut rng, points);
        for coefficient in [1.0, 1.15, 0.5] {
            assert_eq!(
                gits_path(&costs, points, points - 1, coefficient).unwrap(),
                (0..points).collect::<Vec<_>>()
            );
            assert_eq!(
                gits_path(&costs, points, 1, coefficient).unwrap(),
                vec![0, points - 1]
            );
        }
    }

    #[test]
    fn coefficient_weights_later_steps() {
        // Two 2-step paths with equal plain cost 1 + 3 = 3 + 1: the coefficient
        // makes the one with the cheap last step win when above 1.
        let points = 4;
        let mut costs = vec![f64::NAN; 16];
        let big = 100.0;
        for (i, j, c) in [
            (0, 1, 1.0),
            (1, 3, 3.0),
            (0, 2, 3.0),
            (2, 3, 1.0),
            (0, 3, big),
            (1, 2, big),
        ] {
            costs[i * points + j] = c;
        }
        assert_eq!(gits_path(&costs, points, 2, 1.15).unwrap(), vec![0, 2, 3]);
        assert_eq!(gits_path(&costs, points, 2, 0.9).unwrap(), vec![0, 1, 3]);
        // Exact tie at coefficient 1: the smallest next index, as in the reference.
        assert_eq!(gits_path(&costs, points, 2, 1.0).unwrap(), vec![0, 1, 3]);
    }

    /// The optimal denoiser of N(0, diag(c_k^2)): D(x; s)_k = c_k^2 / (c_k^2 + s^2) x_k.
    /// Unequal c_k bend the trajectories, so the deviation cost is not trivially 0.
    struct Gaussian {
        c: Vec<f64>,
        device: Device,
    }

    impl Denoiser for Gaussian {
        fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
            let [b, d] = x.dims();
            let rows: Vec<f32> = host::download(x)
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    let c2 = self.c[i % d].powi(2);
                    (c2 / (c2 + sigma * sigma) * v as f64) as f32
                })
                .collect();
            host::upload(&rows, b, d, &self.device)
        }
        fn dim(&self) -> usize {
            self.c.len()
        }
        fn device(&self) -> Device {
            self.device.clone()
        }
        fn describe(&self) -> String {
            format!("gaussian(c = {:?})", self.c)
        }
    }

    fn gaussian(c: &[f64]) -> Gaussian {
        Gaussian {
            c: c.to_vec(),
            device: Device::flex(),
        }
    }

    fn noise(seed: u64, rows: usize, d: usize) -> Vec<f32> {
        let mut rng = Rng(seed);
        (0..rows * d).map(|_| rng.normal() as f32).collect()
    }

    /// The exact cost matrix for N(0, diag(c_k^2)), written out independently:
    /// the ODE solution is X_k(s) = s_0 z_k sqrt((c_k^2 + s^2) / (c_k^2 + s_0^2)),
    /// and an Euler jump from s_i to s_j multiplies X_k(s_i) by
    /// 1 + (s_j - s_i) s_i / (c_k^2 + s_i^2).
    fn exact_costs(c: &[f64], fine: &[f64], z: &[f32], cost: GitsCost) -> Vec<f64> {
        let d = c.len();
        let rows = z.len() / d;
        let points = fine.len();
        let m = points - 1;
        let exact = |r: usize, s: f64| -> Vec<f64> {
            (0..d)
                .map(|k| {
                    let c2 = c[k] * c[k];
                    fine[0] * z[r * d + k] as f64 * ((c2 + s * s) / (c2 + fine[0] * fine[0])).sqrt()
                })
                .collect()
        };
        // Distance of y from the line through a and b.
        let off_line = |y: &[f64], a: &[f64], b: &[f64]| -> f64 {
            let u: Vec<f64> = (0..d).map(|k| b[k] - a[k]).collect();
            let t: f64 = (0..d).map(|k| (y[k] - a[k]) * u[k]).sum::<f64>()
                / u.iter().map(|v| v * v).sum::<f64>();
            (0..d)
                .map(|k| (y[k] - a[k] - t * u[k]).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let mut costs = vec![f64::NAN; points * points];
        for i in 0..m {
            for j in i + 1..points {
                let (si, sj) = (fine[i], fine[j]);
                let mut total = 0.0;
                for r in 0..rows {
                    let (xi, xj) = (exact(r, si), exact(r, sj));
                    let (x0, xm) = (exact(r, fine[0]), exact(r, fine[m]));
                    let jump: Vec<f64> = (0..d)
                        .map(|k| xi[k] * (1.0 + (sj - si) * si / (c[k] * c[k] + si * si)))
                        .collect();
                    total += match cost {
                        GitsCost::L2 => (0..d)
                            .map(|k| (jump[k] - xj[k]).powi(2))
                            .sum::<f64>()
                            .sqrt(),
                        GitsCost::L1 => (0..d).map(|k| (jump[k] - xj[k]).abs()).sum(),
                        GitsCost::Deviation => {
                            let teacher = if j == m { 0.0 } else { off_line(&xj, &x0, &xm) };
                            off_line(&jump, &x0, &xm) - teacher
                        }
                    };
                }
                costs[i * points + j] = total / rows as f64;
            }
        }
        costs
    }

    fn edm(steps: usize, end: ScheduleEnd) -> Vec<f64> {
        Schedule::Edm { rho: 7.0 }
            .sigmas(steps, 0.002, 80.0, end)
            .unwrap()
    }

    /// An accurate teacher: iPNDM with many substeps per fine interval.
    fn accurate(cost: GitsCost, coefficient: f64) -> GitsOptions {
        GitsOptions {
            coefficient,
            cost,
            teacher_substeps: 100,
            ..GitsOptions::default()
        }
    }

    const C: [f64; 3] = [0.3, 0.5, 1.5];

    #[test]
    fn gaussian_costs_match_closed_form() {
        let rows = 16;
        let z = noise(3, rows, C.len());
        for (fine, cost) in [
            (edm(12, ScheduleEnd::SigmaMin), GitsCost::L2),
            (edm(12, ScheduleEnd::SigmaMin), GitsCost::L1),
            (edm(12, ScheduleEnd::SigmaMin), GitsCost::Deviation),
            (edm(10, ScheduleEnd::Zero), GitsCost::L2),
            (edm(10, ScheduleEnd::Zero), GitsCost::Deviation),
        ] {
            let got = gits_costs(&gaussian(&C), &fine, &z, &accurate(cost, 1.15)).unwrap();
            let want = exact_costs(&C, &fine, &z, cost);
            let points = fine.len();
            assert_eq!(got.len(), points * points);
            // Relative: the teacher's error; absolute: f32 rounding of states
            // of size ~ s_0 |z|.
            let scale = fine[0] * z.iter().map(|&v| (v as f64).abs()).sum::<f64>() / rows as f64;
            let mut nonzero = 0;
            for i in 0..points {
                for j in 0..points {
                    let (g, w) = (got[i * points + j], want[i * points + j]);
                    if j <= i {
                        assert!(g.is_nan(), "({i}, {j}) should be NaN, got {g}");
                        continue;
                    }
                    nonzero += usize::from(w.abs() > 1e-3 * scale);
                    assert!(
                        (g - w).abs() <= 1e-3 * w.abs() + 2e-6 * scale,
                        "{cost:?} cost({i}, {j}): {g} vs exact {w}"
                    );
                }
            }
            assert!(nonzero > points, "{cost:?}: the check is not trivial");
        }
    }

    #[test]
    fn gaussian_schedule_matches_brute_force_on_exact_costs() {
        let rows = 8;
        let z = noise(5, rows, C.len());
        let fine = edm(8, ScheduleEnd::SigmaMin);
        let points = fine.len();
        for cost in [GitsCost::L2, GitsCost::L1, GitsCost::Deviation] {
            let exact = exact_costs(&C, &fine, &z, cost);
            for coefficient in [1.0, 1.15] {
                let options = accurate(cost, coefficient);
                for steps in 1..points {
                    let got = gits_schedule(&gaussian(&C), &fine, steps, &z, &options).unwrap();
                    let want: Vec<f64> = brute_force(&exact, points, steps, coefficient)
                        .into_iter()
                        .map(|j| fine[j])
                        .collect();
                    assert_eq!(
                        got, want,
                        "{cost:?}, coefficient {coefficient}, K = {steps}"
                    );
                    assert_eq!(got[0], 80.0);
                    assert_eq!(*got.last().unwrap(), 0.002);
                    assert!(got.windows(2).all(|w| w[1] < w[0]));
                }
            }
        }
    }

    #[test]
    fn schedule_from_default_options_is_a_valid_explicit_schedule() {
        let rows = 4;
        let fine = edm(20, ScheduleEnd::Zero);
        let got = gits_schedule(
            &gaussian(&C),
            &fine,
            5,
            &noise(9, rows, C.len()),
            &GitsOptions::default(),
        )
        .unwrap();
        assert_eq!(got.len(), 6);
        assert_eq!(got[0], 80.0);
        assert_eq!(*got.last().unwrap(), 0.0);
        let explicit = Schedule::Explicit(got.clone());
        assert_eq!(
            explicit.sigmas(0, 0.0, 0.0, ScheduleEnd::Zero).unwrap(),
            got
        );
    }

    #[test]
    fn costs_do_not_depend_on_the_batch_size() {
        let z = noise(4, 7, C.len());
        let fine = edm(10, ScheduleEnd::Zero);
        let one = GitsOptions {
            batch_size: 1,
            ..GitsOptions::default()
        };
        let a = gits_costs(&gaussian(&C), &fine, &z, &one).unwrap();
        let b = gits_costs(&gaussian(&C), &fine, &z, &GitsOptions::default()).unwrap();
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    /// A denoiser that returns NaN below a sigma.
    struct Broken(Gaussian);

    impl Denoiser for Broken {
        fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
            let out = self.0.denoise(x, sigma);
            if sigma < 1.0 {
                out.mul_scalar(f64::NAN)
            } else {
                out
            }
        }
        fn dim(&self) -> usize {
            self.0.dim()
        }
        fn device(&self) -> Device {
            self.0.device.clone()
        }
        fn describe(&self) -> String {
            "broken".into()
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let d = C.len();
        let den = gaussian(&C);
        let fine = edm(6, ScheduleEnd::SigmaMin);
        let z = noise(1, 3, d);
        let options = GitsOptions::default();
        let is_invalid =
            |r: Result<Vec<f64>, SampleError>| matches!(r, Err(SampleError::Invalid(_)));
        assert!(is_invalid(gits_schedule(&den, &fine, 0, &z, &options)));
        assert!(is_invalid(gits_schedule(&den, &fine, 7, &z, &options)));
        assert!(gits_schedule(&den, &fine, 6, &z, &options).is_ok());
        let mut rising = fine.clone();
        rising.swap(2, 3);
        assert!(is_invalid(gits_schedule(&den, &rising, 3, &z, &options)));
        assert!(is_invalid(gits_costs(&den, &[1.0, 1.0], &z, &options)));
        assert!(is_invalid(gits_costs(&den, &[1.0], &z, &options)));
        assert!(is_invalid(gits_costs(&den, &fine, &z[..5], &options)));
        assert!(is_invalid(gits_costs(&den, &fine, &[], &options)));
        let zero_substeps = GitsOptions {
            teacher_substeps: 0,
            ..options
        };
        assert!(is_invalid(gits_costs(&den, &fine, &z, &zero_substeps)));
        let stochastic = GitsOptions {
            teacher: Solver::GradientEstimation {
                gamma: 2.0,
                mu: 0.5,
            },
            ..options
        };
        assert!(is_invalid(gits_costs(&den, &fine, &z, &stochastic)));
        let bad_coefficient = GitsOptions {
            coefficient: 0.0,
            ..options
        };
        assert!(is_invalid(gits_schedule(
            &den,
            &fine,
            3,
            &z,
            &bad_coefficient
        )));
        match gits_schedule(&Broken(gaussian(&C)), &fine, 3, &z, &options) {
            Err(SampleError::NonFinite {
                sigma, trajectory, ..
            }) => {
                assert!(sigma < 1.0);
                assert_eq!(trajectory, 0);
            }
            other => panic!("expected a non-finite error, got {other:?}"),
        }

        let points = 4;
        let costs = random_costs(&mut Rng(2), points);
        assert!(gits_path(&costs, points, 0, 1.15).is_err());
        assert!(gits_path(&costs, points, 4, 1.15).is_err());
        assert!(gits_path(&costs[..15], points, 2, 1.15).is_err());
        assert!(gits_path(&costs, 1, 1, 1.15).is_err());
        assert!(gits_path(&costs, points, 2, f64::NAN).is_err());
        let mut holed = costs.clone();
        holed[points + 2] = f64::NAN;
        assert!(gits_path(&holed, points, 2, 1.15).is_err());
    }
}
