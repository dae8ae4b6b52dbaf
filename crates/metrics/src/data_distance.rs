//! Measures relative to the data set K (Permenter & Yuan's error model,
//! memorisation, Chen et al.'s denoising jump), computed from exact nearest
//! neighbours found elsewhere. x_n: states, r_n = D(x_n; sigma_n).

pub use crate::columns::Columns;
use crate::columns::gather;
use crate::vec::{distance, nanmax, norm, norm32};
use geotraj_data::{Dataset, Nearest};
use geotraj_sampling::Trajectories;
use rayon::prelude::*;

/// Per-step columns added by [`data_measures`], in table order.
pub const DATA_STEP_COLUMNS: &[&str] = &[
    "dist_data",
    "nu",
    "rel_error",
    "ddim_bound_ratio",
    "denoised_dist_data",
];

/// Per-trajectory columns added by [`data_measures`], in table order.
pub const DATA_TRAJECTORY_COLUMNS: &[&str] = &[
    "final_nearest",
    "final_d1",
    "final_d2",
    "final_d1_over_d2",
    "memorised",
    "max_ddim_bound_ratio",
    "min_nu",
    "max_nu",
];

/// What the data-relative measures of one batch of trajectories need.
pub struct DataInputs<'a> {
    pub trajectories: &'a Trajectories,
    pub data: &'a Dataset,
    /// Nearest data points of every state, n x (steps + 1), trajectory-major.
    pub states: &'a [Nearest],
    /// Nearest data points of r_n, same layout; None when not searched.
    /// Entries of steps without an evaluation at x_n are ignored.
    pub denoised: Option<&'a [Nearest]>,
    /// x_{n+1} is the DDIM (Euler) step from x_n, so the descent bound applies.
    pub euler: bool,
    /// A final sample with d1/d2 below this is memorised.
    pub memorised_ratio: f64,
}

/// One trajectory's step values (by column) and trajectory values.
fn one(inp: &DataInputs, i: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let t = inp.trajectories;
    let points = t.steps() + 1;
    let near = &inp.states[i * points..(i + 1) * points];
    let sqrt_d = (t.d as f64).sqrt();
    let dist: Vec<f64> = near.iter().map(|n| n.d1).collect();
    let nu: Vec<f64> = dist
        .iter()
        .zip(&t.sigmas)
        .map(|(&d1, &s)| sqrt_d * s / d1)
        .collect();
    let mut rel = vec![f64::NAN; points];
    let mut bound = vec![f64::NAN; points];
    let mut den_dist = vec![f64::NAN; points];
    for (n, r) in t.denoised(i) {
        let proj = inp.data.row(near[n].i1);
        // eta_n = |r_n - proj_K(x_n)| / dist_K(x_n): B's relative error.
        let eta = distance(r, proj) / dist[n];
        rel[n] = eta;
        if inp.euler && n + 1 < points && t.sigmas[n] > 0.0 {
            // x_{n+1} - proj = a (x_n - proj) + (1 - a)(r_n - proj), so
            // dist_K(x_{n+1}) <= (a + (1 - a) eta_n) dist_K(x_n).
            let a = t.sigmas[n + 1] / t.sigmas[n];
            let b = (a + (1.0 - a) * eta) * dist[n];
            // A zero bound (last step to sigma = 0 with D = proj_K) leaves
            // only f32 rounding in dist_K(x_{n+1}): no ratio to report.
            if b > 0.0 {
                bound[n] = dist[n + 1] / b;
            }
        }
        if let Some(dn) = inp.denoised {
            den_dist[n] = dn[i * points + n].d1;
        }
    }
    let last = near[points - 1];
    let ratio = last.d1 / last.d2;
    let finite_nu = nu.iter().copied().filter(|v| v.is_finite() && *v > 0.0);
    let (min_nu, max_nu) =
        finite_nu.fold((f64::NAN, f64::NAN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let traj = vec![
        last.i1 as f64,
        last.d1,
        last.d2,
        ratio,
        f64::from(u8::from(ratio < inp.memorised_ratio)),
        nanmax(&bound),
        min_nu,
        max_nu,
    ];
    (vec![dist, nu, rel, bound, den_dist], traj)
}

/// The data-relative measures of every trajectory in `inp`.
pub fn data_measures(inp: &DataInputs) -> Columns {
    let t = inp.trajectories;
    let points = t.steps() + 1;
    assert_eq!(inp.states.len(), t.n * points, "one Nearest per state");
    let each: Vec<_> = (0..t.n).into_par_iter().map(|i| one(inp, i)).collect();
    gather(&each, DATA_STEP_COLUMNS, DATA_TRAJECTORY_COLUMNS)
}

/// The Gaussian mean shift m_sigma(x) = sum_i w_i y_i, w = softmax(-|x - y_i|^2 / 2 sigma^2),
/// by brute force in f64 over every data point: an independent reference
/// for the optimal denoiser (no GEMM, no screening).
pub fn mean_shift(data: &Dataset, x: &[f32], sigma: f64) -> Vec<f64> {
    let d = data.d;
    let dist2: Vec<f64> = (0..data.n)
        .into_par_iter()
        .map(|i| {
            data.row(i)
                .iter()
                .zip(x)
                .map(|(&y, &v)| {
                    let t = v as f64 - y as f64;
                    t * t
                })
                .sum()
        })
        .collect();
    let best = dist2.iter().copied().fold(f64::INFINITY, f64::min);
    let inv = 0.5 / (sigma * sigma);
    let mut acc = vec![0.0f64; d];
    let mut total = 0.0;
    for (i, &q) in dist2.iter().enumerate() {
        let w = (-(q - best) * inv).exp();
        if w == 0.0 {
            continue;
        }
        total += w;
        for (a, &y) in acc.iter_mut().zip(data.row(i)) {
            *a += w * y as f64;
        }
    }
    acc.iter().map(|a| a / total).collect()
}

/// Chen et al.'s identity for trajectory `i` of an Euler run with the optimal
/// denoiser: x_{n+1} = (s'/s) x_n + (1 - s'/s) m_s(x_n). Per step n (NaN at
/// the last point), |x_{n+1} - that convex combination| / |x_{n+1}|.
pub fn identity_errors(t: &Trajectories, i: usize, data: &Dataset) -> Vec<f64> {
    let points = t.steps() + 1;
    let mut out = vec![f64::NAN; points];
    for (n, o) in out.iter_mut().enumerate().take(points - 1) {
        let (s, s_next) = (t.sigmas[n], t.sigmas[n + 1]);
        if s <= 0.0 {
            continue;
        }
        let a = s_next / s;
        let m = mean_shift(data, t.state(i, n), s);
        let next = t.state(i, n + 1);
        let gap: Vec<f64> = next
            .iter()
            .zip(t.state(i, n))
            .zip(&m)
            .map(|((&y, &x), &mv)| y as f64 - (a * x as f64 + (1.0 - a) * mv))
            .collect();
        *o = norm(&gap) / norm32(next).max(f64::MIN_POSITIVE);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Dataset {
        Dataset::new(vec![0.0, 0.0, 4.0, 0.0, 0.0, 3.0], 3, 2, vec![2], None, "t").unwrap()
    }

    fn brute(data: &Dataset, x: &[f32]) -> Nearest {
        let mut d: Vec<(f64, usize)> = (0..data.n).map(|i| (distance(x, data.row(i)), i)).collect();
        d.sort_by(|a, b| a.partial_cmp(b).unwrap());
        Nearest {
            i1: d[0].1,
            d1: d[0].0,
            i2: d[1].1,
            d2: d[1].0,
        }
    }

    /// A two-step Euler trajectory toward the point (4, 0), made by hand.
    fn trajectory() -> Trajectories {
        let sigmas = vec![2.0, 1.0, 0.0];
        // x0 = (6, 2); r0 = (4.5, 0.5); x1 = x0 + (1 - 2)(x0 - r0)/2 = (5.25, 1.25)
        // r1 = (4, 0.25); x2 = r1.
        Trajectories {
            n: 1,
            d: 2,
            sigmas,
            states: vec![6.0, 2.0, 5.25, 1.25, 4.0, 0.25],
            evals: vec![4.5, 0.5, 4.0, 0.25],
            eval_sigma: vec![2.0, 1.0],
            eval_step: vec![0, 1],
            eval_at_state: vec![true, true],
        }
    }

    #[test]
    fn error_model_columns_match_hand_values() {
        let ds = data();
        let t = trajectory();
        let states: Vec<Nearest> = (0..3).map(|n| brute(&ds, t.state(0, n))).collect();
        let (step, traj) = data_measures(&DataInputs {
            trajectories: &t,
            data: &ds,
            states: &states,
            denoised: None,
            euler: true,
            memorised_ratio: 1.0 / 3.0,
        });
        let col = |name: &str| &step.iter().find(|(n, _)| *n == name).unwrap().1;
        let d0 = (4.0f64 + 4.0).sqrt(); // (6,2) to (4,0)
        assert!((col("dist_data")[0] - d0).abs() < 1e-12);
        assert!((col("nu")[0] - 2f64.sqrt() * 2.0 / d0).abs() < 1e-12);
        assert_eq!(col("nu")[2], 0.0);
        // r0 = (4.5, 0.5) vs proj (4, 0).
        assert!((col("rel_error")[0] - 0.5f64.sqrt() / d0).abs() < 1e-12);
        // The descent bound holds with room to spare on this trajectory.
        let b = col("ddim_bound_ratio");
        assert!(b[0] <= 1.0 + 1e-12 && b[1] <= 1.0 + 1e-12, "{b:?}");
        assert!(col("denoised_dist_data").iter().all(|v| v.is_nan()));
        let tv = |name: &str| traj.iter().find(|(n, _)| *n == name).unwrap().1[0];
        assert_eq!(tv("final_nearest"), 1.0);
        assert!((tv("final_d1") - 0.25).abs() < 1e-12);
        assert_eq!(tv("memorised"), 1.0);
    }

    #[test]
    fn descent_bound_is_a_theorem() {
        // Random Euler steps toward random denoiser outputs: the bound's ratio
        // never exceeds 1 when the nearest neighbours are exact.
        let mut s = geotraj_data::Stream::new(3, 0);
        let n = 40;
        let rows: Vec<f32> = (0..n * 3).map(|_| s.normal() as f32).collect();
        let ds = Dataset::new(rows, n, 3, vec![3], None, "r").unwrap();
        for _ in 0..200 {
            let x0: Vec<f32> = (0..3).map(|_| 3.0 * s.normal() as f32).collect();
            let r0: Vec<f32> = (0..3).map(|_| s.normal() as f32).collect();
            let (s0, s1) = (1.5, 0.4 + s.uniform());
            let a = s1 / s0;
            let x1: Vec<f32> = x0
                .iter()
                .zip(&r0)
                .map(|(&x, &r)| (a * x as f64 + (1.0 - a) * r as f64) as f32)
                .collect();
            let t = Trajectories {
                n: 1,
                d: 3,
                sigmas: vec![s0, s1],
                states: [x0.clone(), x1.clone()].concat(),
                evals: r0.clone(),
                eval_sigma: vec![s0],
                eval_step: vec![0],
                eval_at_state: vec![true],
            };
            let states = [brute(&ds, &x0), brute(&ds, &x1)];
            let (step, _) = data_measures(&DataInputs {
                trajectories: &t,
                data: &ds,
                states: &states,
                denoised: None,
                euler: true,
                memorised_ratio: 0.5,
            });
            let b = step[3].1[0];
            assert!(b <= 1.0 + 1e-6, "bound ratio {b}");
        }
    }

    #[test]
    fn mean_shift_limits_and_identity() {
        let ds = data();
        // Tiny bandwidth: the nearest point; huge bandwidth: the data mean.
        let m = mean_shift(&ds, &[3.9, 0.1], 1e-3);
        assert!((m[0] - 4.0).abs() < 1e-12 && m[1].abs() < 1e-12);
        let m = mean_shift(&ds, &[3.9, 0.1], 1e6);
        assert!((m[0] - 4.0 / 3.0).abs() < 1e-9 && (m[1] - 1.0).abs() < 1e-9);
        // An Euler trajectory built from the f64 mean shift meets the identity.
        let sig = [2.0, 1.0, 0.5];
        let mut states = vec![5.0f32, 2.0];
        for k in 0..2 {
            let x: Vec<f32> = states[k * 2..k * 2 + 2].to_vec();
            let m = mean_shift(&ds, &x, sig[k]);
            let a = sig[k + 1] / sig[k];
            states.extend(
                x.iter()
                    .zip(&m)
                    .map(|(&v, &mv)| (a * v as f64 + (1.0 - a) * mv) as f32),
            );
        }
        let t = Trajectories {
            n: 1,
            d: 2,
            sigmas: sig.to_vec(),
            states,
            evals: vec![],
            eval_sigma: vec![],
            eval_step: vec![],
            eval_at_state: vec![],
        };
        let e = identity_errors(&t, 0, &ds);
        assert!(e[0] < 1e-7 && e[1] < 1e-7 && e[2].is_nan(), "{e:?}");
        // A perturbed step is caught.
        let mut t2 = t.clone();
        t2.states[2] += 0.01;
        assert!(identity_errors(&t2, 0, &ds)[0] > 1e-3);
    }
}
