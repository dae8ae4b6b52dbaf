//! Synthetic data sets: 2-D toy distributions and an isotropic Gaussian.
//! Item i is drawn from its own random stream (stream id = i), so it depends
//! only on (seed, i), never on n or on thread scheduling.
//!
//! Each generator folds its own constant into the seed: otherwise, with the
//! same seed, `isotropic_gaussian` would reproduce `rng::normal_rows`
//! exactly, and a sampler's initial noise would coincide with the data.

use crate::dataset::Dataset;
use crate::rng::{Stream, normal};
use rayon::prelude::*;
use std::f64::consts::PI;

const SWISS_ROLL: u64 = 0x5357_4953_5352_4F4C;
const TWO_MOONS: u64 = 0x4D4F_4F4E_5332_0000;
const EIGHT_GAUSSIANS: u64 = 0x3847_4155_5353_0000;
const ISOTROPIC: u64 = 0x4953_4F47_4155_5353;

/// Non-finite parameters are treated as 0 so that generators cannot produce
/// NaN data sets (which `Dataset` forbids).
fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// Casts to f32 without overflowing to infinity for huge parameters.
fn to_f32(x: f64) -> f32 {
    x.clamp(-f64::from(f32::MAX), f64::from(f32::MAX)) as f32
}

/// Builds a data set whose invariants hold by construction; `n` and `d` are
/// at least 1 here, so `Dataset::new`'s checks would be redundant.
fn assemble(
    rows: Vec<f32>,
    n: usize,
    d: usize,
    labels: Option<Vec<u8>>,
    source: String,
) -> Dataset {
    Dataset {
        rows,
        n,
        d,
        item_shape: vec![d],
        labels,
        source,
    }
}

/// n 2-D points, point i computed by `f(i, stream_i)`.
fn points_2d(n: usize, seed: u64, f: impl Fn(usize, &mut Stream) -> [f64; 2] + Sync) -> Vec<f32> {
    let mut rows = vec![0.0f32; 2 * n];
    rows.par_chunks_mut(2).enumerate().for_each(|(i, out)| {
        let mut s = Stream::new(seed, i as u64);
        let [x, y] = f(i, &mut s);
        out[0] = to_f32(x);
        out[1] = to_f32(y);
    });
    rows
}

/// Swiss roll: t = 1.5π(1 + 2u), point (t cos t, t sin t) / 5 plus
/// `noise`·N(0, I). No labels (the roll has no discrete branches).
/// `n` is raised to 1 if zero.
pub fn swiss_roll(n: usize, seed: u64, noise: f64) -> Dataset {
    let n = n.max(1);
    let noise = finite_or_zero(noise);
    let rows = points_2d(n, seed ^ SWISS_ROLL, |_, s| {
        let t = 1.5 * PI * (1.0 + 2.0 * s.uniform());
        [
            t * t.cos() / 5.0 + noise * s.normal(),
            t * t.sin() / 5.0 + noise * s.normal(),
        ]
    });
    let source = format!("swiss_roll(n={n}, seed={seed}, noise={noise})");
    assemble(rows, n, 2, None, source)
}

/// Two interleaved half circles, centred on the origin: branch i mod 2
/// (0 = upper moon, 1 = lower), angle uniform on [0, π], plus
/// `noise`·N(0, I). Label = branch. `n` is raised to 1 if zero.
pub fn two_moons(n: usize, seed: u64, noise: f64) -> Dataset {
    let n = n.max(1);
    let noise = finite_or_zero(noise);
    let rows = points_2d(n, seed ^ TWO_MOONS, |i, s| {
        let theta = PI * s.uniform();
        let (x, y) = if i.is_multiple_of(2) {
            (theta.cos(), theta.sin())
        } else {
            (1.0 - theta.cos(), 0.5 - theta.sin())
        };
        // The raw moons span x in [-1, 2], y in [-0.5, 1]; shift to centre.
        [x - 0.5 + noise * s.normal(), y - 0.25 + noise * s.normal()]
    });
    let labels = (0..n).map(|i| (i % 2) as u8).collect();
    let source = format!("two_moons(n={n}, seed={seed}, noise={noise})");
    assemble(rows, n, 2, Some(labels), source)
}

/// Mixture of eight Gaussians with centres on the circle of radius 2 at
/// angles kπ/4; item i belongs to component i mod 8 and has standard
/// deviation `noise`. Label = component. `n` is raised to 1 if zero.
pub fn eight_gaussians(n: usize, seed: u64, noise: f64) -> Dataset {
    let n = n.max(1);
    let noise = finite_or_zero(noise);
    let rows = points_2d(n, seed ^ EIGHT_GAUSSIANS, |i, s| {
        let angle = (i % 8) as f64 * PI / 4.0;
        [
            2.0 * angle.cos() + noise * s.normal(),
            2.0 * angle.sin() + noise * s.normal(),
        ]
    });
    let labels = (0..n).map(|i| (i % 8) as u8).collect();
    let source = format!("eight_gaussians(n={n}, seed={seed}, noise={noise})");
    assemble(rows, n, 2, Some(labels), source)
}

/// n points from N(mean·1, std²·I) in d dimensions, item shape [d].
/// `n` and `d` are raised to 1 if zero.
pub fn isotropic_gaussian(n: usize, d: usize, mean: f64, std: f64, seed: u64) -> Dataset {
    let (n, d) = (n.max(1), d.max(1));
    let (mean, std) = (finite_or_zero(mean), finite_or_zero(std));
    let stream_seed = seed ^ ISOTROPIC;
    let mut rows = vec![0.0f32; n * d];
    rows.par_chunks_mut(d).enumerate().for_each(|(i, row)| {
        for (j, v) in row.iter_mut().enumerate() {
            *v = to_f32(mean + std * normal(stream_seed, i as u64, j as u64));
        }
    });
    let source = format!("isotropic_gaussian(n={n}, d={d}, mean={mean}, std={std}, seed={seed})");
    assemble(rows, n, d, None, source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::normal_rows;

    fn mean_of(ds: &Dataset, col: usize, rows: impl Iterator<Item = usize>) -> f64 {
        let (mut s, mut k) = (0.0, 0usize);
        for i in rows {
            s += f64::from(ds.row(i)[col]);
            k += 1;
        }
        s / k as f64
    }

    #[test]
    fn deterministic_and_prefix_stable() {
        for make in [swiss_roll, two_moons, eight_gaussians] {
            let a = make(100, 5, 0.1);
            assert_eq!(a, make(100, 5, 0.1));
            let b = make(40, 5, 0.1);
            assert_eq!(b.rows[..], a.rows[..80]);
            assert_ne!(a.rows, make(100, 6, 0.1).rows);
            assert!(
                Dataset::new(
                    a.rows.clone(),
                    a.n,
                    a.d,
                    a.item_shape.clone(),
                    a.labels.clone(),
                    "x"
                )
                .is_ok()
            );
        }
    }

    #[test]
    fn swiss_roll_geometry() {
        let ds = swiss_roll(2000, 1, 0.0);
        for i in 0..ds.n {
            let r = ds.row(i);
            let radius = 5.0 * f64::from(r[0]).hypot(f64::from(r[1]));
            assert!(
                (1.5 * PI - 1e-4..=4.5 * PI + 1e-4).contains(&radius),
                "{radius}"
            );
        }
        assert!(ds.labels.is_none());
        assert!(ds.source.contains("swiss_roll") && ds.source.contains("seed=1"));
    }

    #[test]
    fn two_moons_branches() {
        let ds = two_moons(1000, 2, 0.0);
        let labels = ds.labels.as_ref().unwrap();
        for (i, &label) in labels.iter().enumerate() {
            let (x, y) = (
                f64::from(ds.row(i)[0]) + 0.5,
                f64::from(ds.row(i)[1]) + 0.25,
            );
            let r = if label == 0 {
                x.hypot(y)
            } else {
                (x - 1.0).hypot(y - 0.5)
            };
            assert!((r - 1.0).abs() < 1e-5, "row {i}: radius {r}");
        }
        assert_eq!(labels.iter().filter(|&&l| l == 1).count(), 500);
    }

    #[test]
    fn eight_gaussians_centres_and_spread() {
        let noise = 0.05;
        let ds = eight_gaussians(8000, 3, noise);
        let labels = ds.labels.as_ref().unwrap();
        for k in 0..8 {
            let idx = || (0..ds.n).filter(move |&i| i % 8 == k);
            assert!(idx().all(|i| usize::from(labels[i]) == k));
            let angle = k as f64 * PI / 4.0;
            // 1000 points per component: the mean's standard error is noise/sqrt(1000).
            let tol = 4.0 * noise / 1000f64.sqrt();
            assert!((mean_of(&ds, 0, idx()) - 2.0 * angle.cos()).abs() < tol);
            assert!((mean_of(&ds, 1, idx()) - 2.0 * angle.sin()).abs() < tol);
        }
    }

    #[test]
    fn isotropic_gaussian_moments_and_independence_from_normal_rows() {
        let (n, d) = (20_000, 3);
        let ds = isotropic_gaussian(n, d, 2.0, 0.5, 9);
        assert_eq!(ds.item_shape, vec![d]);
        for j in 0..d {
            let m = mean_of(&ds, j, 0..n);
            assert!((m - 2.0).abs() < 4.0 * 0.5 / (n as f64).sqrt(), "{m}");
            let var = (0..n)
                .map(|i| (f64::from(ds.row(i)[j]) - m).powi(2))
                .sum::<f64>()
                / (n - 1) as f64;
            assert!(
                (var - 0.25).abs() < 4.0 * 0.25 * (2.0 / n as f64).sqrt(),
                "{var}"
            );
        }
        // Same seed must not reproduce a sampler's initial noise.
        let unit = isotropic_gaussian(4, d, 0.0, 1.0, 9);
        assert_ne!(unit.rows, normal_rows(9, 0..4, d));
    }

    #[test]
    fn degenerate_parameters_stay_valid() {
        let ds = swiss_roll(0, 1, f64::NAN);
        assert_eq!(ds.n, 1);
        assert!(ds.rows.iter().all(|v| v.is_finite()));
        let ds = isotropic_gaussian(2, 0, f64::INFINITY, 1e300, 1);
        assert_eq!(ds.d, 1);
        assert!(ds.rows.iter().all(|v| v.is_finite()));
    }
}
