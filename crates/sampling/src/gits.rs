//! GITS (Chen et al., "On the Trajectory Regularity of ODE-based Diffusion
//! Sampling", ICML 2024): a time schedule chosen by dynamic programming on a
//! few warm-up trajectories.
//!
//! 1. A teacher solves B noise rows along a fine grid s_0 > ... > s_M, keeping
//!    the states X_j and the denoiser outputs D_i = D(X_i; s_i).
//! 2. cost(i, j) for i < j is the mean over rows of the distance between one
//!    Euler jump X_i + (s_j - s_i) (X_i - D_i) / s_i and the teacher state X_j
//!    (no further denoiser evaluations).
//! 3. A dynamic program picks the K-step path 0 = j_0 < ... < j_K = M of least
//!    (weighted) cost; its sigmas are the schedule, usable by every solver.

use crate::schedule::validate;
use crate::{Denoiser, SampleError, host};
use burn::tensor::{Tensor, TensorData};

/// The distance between a jump and the teacher state, per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitsCost {
    /// Euclidean norm (diff-sampler `--metric l2`).
    L2,
    /// Sum of absolute values (diff-sampler `--metric l1`).
    L1,
}

/// Parameters of the warm-up and the dynamic program.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GitsOptions {
    /// Discount of the remaining path in the recursion (see [`gits_path`]); 1.15 in GITS.
    pub coefficient: f64,
    /// Row distance of the cost matrix.
    pub cost: GitsCost,
    /// Euler substeps of the teacher per fine-grid interval (evenly spaced in sigma).
    pub teacher_substeps: usize,
}

impl Default for GitsOptions {
    fn default() -> Self {
        GitsOptions {
            coefficient: 1.15,
            cost: GitsCost::L2,
            teacher_substeps: 1,
        }
    }
}

fn invalid(message: impl Into<String>) -> SampleError {
    SampleError::Invalid(message.into())
}

/// The GITS cost matrix from warm-up trajectories: row-major (M+1) x (M+1)
/// for the M+1 points of `fine`, entry (i, j) = cost of an Euler jump from
/// grid point i to grid point j, NaN for j <= i.
///
/// `noise` holds B rows of standard normal noise (B x d, row-major); the
/// teacher starts at x = fine[0] * noise and takes `teacher_substeps` Euler
/// steps per interval of `fine` (M * teacher_substeps evaluations in all).
pub fn gits_costs(
    den: &dyn Denoiser,
    fine: &[f64],
    noise: &[f32],
    options: &GitsOptions,
) -> Result<Vec<f64>, SampleError> {
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
    let rows = noise.len() / d;
    let points = fine.len();
    let device = den.device();

    // Teacher: states X_0..X_M and slopes (X_i - D_i) / s_i for i < M.
    let x0: Vec<f32> = noise.iter().map(|&z| (fine[0] * z as f64) as f32).collect();
    let mut x = host::upload(&x0, rows, d, &device);
    let mut states = Vec::with_capacity(points);
    let mut slopes = Vec::with_capacity(points - 1);
    states.push(x.clone());
    let substeps = options.teacher_substeps;
    for i in 0..points - 1 {
        let (s, t) = (fine[i], fine[i + 1]);
        for k in 0..substeps {
            let a = s + (t - s) * k as f64 / substeps as f64;
            let b = if k + 1 == substeps {
                t
            } else {
                s + (t - s) * (k + 1) as f64 / substeps as f64
            };
            let denoised = den.denoise(x.clone(), a);
            check_finite(&denoised, d, i, a)?;
            let slope = (x.clone() - denoised).div_scalar(a);
            if k == 0 {
                slopes.push(slope.clone());
            }
            x = x + slope.mul_scalar(b - a);
        }
        states.push(x.clone());
    }

    // Costs, one grid row at a time: all jumps from i against X_{i+1..M} at once.
    let all: Tensor<3> = Tensor::stack(states, 0);
    let mut costs = vec![f64::NAN; points * points];
    for (i, slope) in slopes.into_iter().enumerate() {
        let n = points - 1 - i;
        let steps: Vec<f32> = fine[i + 1..]
            .iter()
            .map(|&t| (t - fine[i]) as f32)
            .collect();
        let steps: Tensor<3> = Tensor::from_data(TensorData::new(steps, [n, 1, 1]), &device);
        let from: Tensor<3> = all.clone().narrow(0, i, 1);
        let jumps = from + steps * slope.unsqueeze_dim::<3>(0);
        let diff = jumps - all.clone().narrow(0, i + 1, n);
        let per_row = match options.cost {
            GitsCost::L2 => diff.square().sum_dim(2).sqrt(),
            GitsCost::L1 => diff.abs().sum_dim(2),
        };
        let mean = per_row.mean_dim(1).reshape([n, 1]);
        for (k, c) in host::download(mean).into_iter().enumerate() {
            let j = i + 1 + k;
            if !c.is_finite() {
                return Err(invalid(format!(
                    "GITS cost from grid point {i} to {j} is {c}: the warm-up states overflowed"
                )));
            }
            costs[i * points + j] = c as f64;
        }
    }
    Ok(costs)
}

/// Errors with the first non-finite row of a denoiser output.
fn check_finite(t: &Tensor<2>, d: usize, step: usize, sigma: f64) -> Result<(), SampleError> {
    if t.clone().is_finite().all().into_scalar::<bool>() {
        return Ok(());
    }
    let values = host::download(t.clone());
    let p = values.iter().position(|v| !v.is_finite()).unwrap_or(0);
    Err(SampleError::NonFinite {
        what: "GITS warm-up denoiser output",
        trajectory: p / d,
        step,
        sigma,
    })
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
    use crate::{Schedule, ScheduleEnd};
    use burn::tensor::Device;

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

    /// The optimal denoiser of N(0, c^2 I): D(x; s) = c^2 / (c^2 + s^2) x.
    struct Gaussian {
        c: f64,
        d: usize,
        device: Device,
    }

    impl Denoiser for Gaussian {
        fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
            let [b, d] = x.dims();
            let k = self.c * self.c / (self.c * self.c + sigma * sigma);
            let rows: Vec<f32> = host::download(x)
                .into_iter()
                .map(|v| (k * v as f64) as f32)
                .collect();
            host::upload(&rows, b, d, &self.device)
        }
        fn dim(&self) -> usize {
            self.d
        }
        fn device(&self) -> Device {
            self.device.clone()
        }
        fn describe(&self) -> String {
            format!("gaussian(c = {})", self.c)
        }
    }

    fn gaussian(c: f64, d: usize) -> Gaussian {
        Gaussian {
            c,
            d,
            device: Device::flex(),
        }
    }

    fn noise(seed: u64, rows: usize, d: usize) -> Vec<f32> {
        let mut rng = Rng(seed);
        (0..rows * d).map(|_| rng.normal() as f32).collect()
    }

    /// The exact cost matrix for N(0, c^2 I): the ODE solution is
    /// X(s) = X(s_0) sqrt((c^2 + s^2) / (c^2 + s_0^2)) and the Euler jump from
    /// s_i to s_j multiplies X_i by 1 + (s_j - s_i) s_i / (c^2 + s_i^2), so
    /// cost(i, j) = |f_ij| sqrt((c^2 + s_i^2) / (c^2 + s_0^2)) s_0 mean_rows |z|.
    fn exact_costs(c: f64, fine: &[f64], z: &[f32], d: usize, cost: GitsCost) -> Vec<f64> {
        let rows = z.len() / d;
        let norm: f64 = z
            .chunks(d)
            .map(|r| match cost {
                GitsCost::L2 => r.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt(),
                GitsCost::L1 => r.iter().map(|&v| (v as f64).abs()).sum(),
            })
            .sum::<f64>()
            / rows as f64;
        let c2 = c * c;
        let points = fine.len();
        let mut costs = vec![f64::NAN; points * points];
        for i in 0..points {
            let (si, scale) = (
                fine[i],
                ((c2 + fine[i] * fine[i]) / (c2 + fine[0] * fine[0])).sqrt(),
            );
            for j in i + 1..points {
                let sj = fine[j];
                let f = 1.0 + (sj - si) * si / (c2 + si * si)
                    - ((c2 + sj * sj) / (c2 + si * si)).sqrt();
                costs[i * points + j] = f.abs() * scale * fine[0] * norm;
            }
        }
        costs
    }

    fn edm(steps: usize, end: ScheduleEnd) -> Vec<f64> {
        Schedule::Edm { rho: 7.0 }
            .sigmas(steps, 0.002, 80.0, end)
            .unwrap()
    }

    #[test]
    fn gaussian_costs_match_closed_form() {
        let (c, d, rows) = (0.5, 3, 16);
        let z = noise(3, rows, d);
        for (fine, cost) in [
            (edm(12, ScheduleEnd::SigmaMin), GitsCost::L2),
            (edm(12, ScheduleEnd::SigmaMin), GitsCost::L1),
            (edm(10, ScheduleEnd::Zero), GitsCost::L2),
        ] {
            let options = GitsOptions {
                cost,
                teacher_substeps: 200,
                ..GitsOptions::default()
            };
            let got = gits_costs(&gaussian(c, d), &fine, &z, &options).unwrap();
            let want = exact_costs(c, &fine, &z, d, cost);
            let points = fine.len();
            assert_eq!(got.len(), points * points);
            // Relative: the teacher's Euler error (~1 / substeps); absolute: f32
            // rounding of states of size ~ s_0 |z|.
            let scale = fine[0] * z.iter().map(|&v| (v as f64).abs()).sum::<f64>() / rows as f64;
            for i in 0..points {
                for j in 0..points {
                    let (g, w) = (got[i * points + j], want[i * points + j]);
                    if j <= i {
                        assert!(g.is_nan(), "({i}, {j}) should be NaN, got {g}");
                        continue;
                    }
                    assert!(
                        (g - w).abs() <= 1e-2 * w + 5e-6 * scale,
                        "{cost:?} cost({i}, {j}): {g} vs exact {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn gaussian_schedule_matches_brute_force_on_exact_costs() {
        let (c, d, rows) = (0.5, 3, 8);
        let z = noise(5, rows, d);
        let fine = edm(8, ScheduleEnd::SigmaMin);
        let points = fine.len();
        for cost in [GitsCost::L2, GitsCost::L1] {
            let exact = exact_costs(c, &fine, &z, d, cost);
            for coefficient in [1.0, 1.15] {
                let options = GitsOptions {
                    coefficient,
                    cost,
                    teacher_substeps: 200,
                };
                for steps in 1..points {
                    let got = gits_schedule(&gaussian(c, d), &fine, steps, &z, &options).unwrap();
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
        let (d, rows) = (2, 4);
        let fine = edm(20, ScheduleEnd::Zero);
        let got = gits_schedule(
            &gaussian(0.5, d),
            &fine,
            5,
            &noise(9, rows, d),
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
            self.0.d
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
        let d = 2;
        let den = gaussian(0.5, d);
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
        match gits_schedule(&Broken(gaussian(0.5, d)), &fine, 3, &z, &options) {
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
