//! The optimal denoiser against a direct f64 computation, including small
//! sigma where f32 cancellation in |x|^2 - 2<x,y> + |y|^2 would pick the
//! wrong nearest point.

use crate::common::{cpu, optimal_f64};
use geotraj::data::{Dataset, rng, shapes};
use geotraj::denoise::{OptimalDenoiser, OptimalOptions};
use geotraj::sampling::{Denoiser, host};
use std::sync::Arc;

/// Shapes plus near-duplicates of the first 200 items (distance ~0.05), so
/// that small-sigma softmaxes really have to separate close points.
fn data() -> Arc<Dataset> {
    let base = shapes(1200, 11);
    let d = base.d;
    let mut rows = base.rows.clone();
    for i in 0..200 {
        let z = rng::normal_rows(99, i..i + 1, d);
        rows.extend(base.row(i).iter().zip(&z).map(|(&y, &e)| y + 0.003 * e));
    }
    Arc::new(
        Dataset::new(
            rows,
            1400,
            d,
            base.item_shape.clone(),
            None,
            "shapes+near-duplicates",
        )
        .unwrap(),
    )
}

/// Queries near data points and midway between near-duplicate pairs.
fn queries(data: &Dataset, sigma: f64) -> Vec<f32> {
    let d = data.d;
    let mut q = Vec::new();
    for (k, i) in [0usize, 5, 17, 333, 1100].iter().enumerate() {
        let z = rng::normal_rows(5, k..k + 1, d);
        q.extend(
            data.row(*i)
                .iter()
                .zip(&z)
                .map(|(&y, &e)| (y as f64 + sigma * e as f64) as f32),
        );
    }
    for (k, i) in [3usize, 42, 150].iter().enumerate() {
        let z = rng::normal_rows(6, k..k + 1, d);
        let twin = data.row(1200 + i);
        q.extend(
            data.row(*i).iter().zip(twin).zip(&z).map(|((&a, &b), &e)| {
                (0.5 * (a as f64 + b as f64) + 0.1 * sigma * e as f64) as f32
            }),
        );
    }
    q
}

#[test]
fn matches_direct_f64_at_every_noise_level() {
    let data = data();
    let d = data.d;
    for chunk in [256, 4096] {
        let den = OptimalDenoiser::new(
            data.clone(),
            cpu(),
            OptimalOptions {
                chunk,
                ..Default::default()
            },
        );
        for (sigma, tol) in [(80.0, 1e-5), (1.0, 2e-4), (0.01, 1e-5), (0.002, 1e-5)] {
            let q = queries(&data, sigma);
            let b = q.len() / d;
            let out = host::download(den.denoise(host::upload(&q, b, d, &cpu()), sigma));
            for r in 0..b {
                let want = optimal_f64(&data, &q[r * d..(r + 1) * d], sigma);
                let err = out[r * d..(r + 1) * d]
                    .iter()
                    .zip(&want)
                    .map(|(&a, b)| (a as f64 - b).abs())
                    .fold(0.0, f64::max);
                assert!(
                    err < tol,
                    "sigma {sigma}, chunk {chunk}, query {r}: max error {err:e}"
                );
            }
        }
    }
}

#[test]
fn midpoint_of_near_duplicates_mixes_them_at_small_sigma() {
    // At a point equidistant from two close data points the exact weights are
    // 1/2 each, a case that f32 squared distances get arbitrarily wrong.
    let data = data();
    let d = data.d;
    let (a, b) = (data.row(42), data.row(1242));
    let mid: Vec<f32> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| ((x as f64 + y as f64) / 2.0) as f32)
        .collect();
    let den = OptimalDenoiser::new(data.clone(), cpu(), OptimalOptions::default());
    let out = host::download(den.denoise(host::upload(&mid, 1, d, &cpu()), 0.002));
    let want = optimal_f64(&data, &mid, 0.002);
    let err = out
        .iter()
        .zip(&want)
        .map(|(&o, w)| (o as f64 - w).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-5, "max error {err:e}");
    let (rows, cands) = den.narrow_stats();
    assert!(
        rows == 1 && cands >= 2,
        "exact path used: {rows} rows, {cands} candidates"
    );
}
