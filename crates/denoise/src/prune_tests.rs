//! Pruning along trajectories changes costs, never answers: the same bits
//! with and without proofs, whatever the batch split.

use crate::{NearestNeighbours, OptimalDenoiser, OptimalOptions};
use geotraj_data::{Dataset, rng};
use geotraj_sampling::{Denoiser, Device, host};
use std::sync::Arc;

/// `clusters` centres with `per` points each at distance ~`spread` around
/// them, in d dimensions.
fn clustered(seed: u64, clusters: usize, per: usize, d: usize, spread: f32) -> Arc<Dataset> {
    let centres = rng::normal_rows(seed, 0..clusters, d);
    let noise = rng::normal_rows(seed + 1, 0..clusters * per, d);
    let rows: Vec<f32> = (0..clusters * per)
        .flat_map(|i| {
            let c = &centres[(i / per) * d..(i / per + 1) * d];
            let z = &noise[i * d..(i + 1) * d];
            c.iter()
                .zip(z)
                .map(|(&c, &z)| 3.0 * c + spread * z)
                .collect::<Vec<_>>()
        })
        .collect();
    let n = clusters * per;
    Arc::new(Dataset::new(rows, n, d, vec![d], None, "clustered").unwrap())
}

/// Paths x_n = y_k + sigma_n z shrinking onto data points, one path that
/// jumps between far random states, one sitting on a data point, and one
/// walking in small steps from one cluster to a far one (its old proofs
/// keep a positive radius long after they stop deciding).
fn paths(data: &Dataset, points: usize) -> (Vec<f32>, usize) {
    let d = data.d;
    let sigmas: Vec<f32> = (0..points)
        .map(|n| 3.0 * (0.0003f32 / 3.0).powf(n as f32 / (points - 1) as f32))
        .collect();
    let mut x = Vec::new();
    for (p, k) in [0, 17, 123, 250, 399].into_iter().enumerate() {
        let z = rng::normal_rows(70 + p as u64, 0..1, d);
        for &s in &sigmas {
            x.extend(data.row(k).iter().zip(&z).map(|(&y, &e)| y + s * e));
        }
    }
    x.extend(rng::normal_rows(80, 0..points, d).iter().map(|v| 5.0 * v));
    for _ in 0..points {
        x.extend_from_slice(data.row(42));
    }
    let (a, b) = (data.row(3), data.row(data.n - 3));
    for n in 0..points {
        let t = n as f32 / (points - 1) as f32;
        x.extend(a.iter().zip(b).map(|(&a, &b)| (1.0 - t) * a + t * b));
    }
    (x, 8)
}

#[test]
fn path_queries_equal_independent_queries() {
    let data = clustered(1, 80, 25, 24, 0.4);
    let points = 30;
    let (x, n_paths) = paths(&data, points);
    for chunk in [64, 4096] {
        let nn = NearestNeighbours::new(data.clone(), Device::flex(), chunk);
        let want = nn.query(&x, n_paths * points).unwrap();
        let (got, counts) = nn.query_paths(&x, n_paths, points).unwrap();
        assert_eq!(got, want, "chunk {chunk}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.d1.to_bits(), w.d1.to_bits());
            assert_eq!(g.d2.to_bits(), w.d2.to_bits());
        }
        assert_eq!(counts.len(), points);
        assert!(counts.iter().all(|c| c.rows == n_paths));
        // The first states are all screened; the shrinking paths and the
        // resting one are proved at small sigma; the jumping one never is.
        assert_eq!(counts[0].screened, n_paths);
        let late = &counts[points - 5..];
        assert!(late.iter().all(|c| c.screened <= 2), "{late:?}");
        assert!(late[4].skipped_fraction(data.n) > 0.5, "{:?}", late[4]);
    }
    let nn = NearestNeighbours::new(data.clone(), Device::flex(), 64);
    assert!(nn.query_paths(&x, n_paths, points + 1).is_err());
    assert!(nn.query_paths(&x, usize::MAX, 2).is_err());
}

/// Euler (DDIM) steps of the optimal denoiser, its proofs carried between
/// calls, against the same states denoised with no proof at all.
#[test]
fn denoiser_proofs_keep_every_bit() {
    let data = clustered(2, 40, 25, 32, 0.3);
    let d = data.d;
    let cpu = Device::flex();
    let options = OptimalOptions {
        chunk: 96,
        ..Default::default()
    };
    let proved = OptimalDenoiser::new(data.clone(), cpu.clone(), options);
    let plain = OptimalDenoiser::from_blocks(proved.blocks(), options);
    let split = OptimalDenoiser::from_blocks(proved.blocks(), options);
    let b = 8;
    let steps = 40;
    let sigmas: Vec<f64> = (0..=steps)
        .map(|n| 20.0 * (1e-4f64 / 20.0).powf(n as f64 / steps as f64))
        .collect();
    let mut x: Vec<f32> = rng::normal_rows(3, 0..b, d)
        .iter()
        .map(|v| v * sigmas[0] as f32)
        .collect();
    for w in sigmas.windows(2) {
        let (s, t) = (w[0], w[1]);
        let xt = host::upload(&x, b, d, &cpu);
        let a = host::download(proved.denoise_rows(xt.clone(), s, 0));
        let want = host::download(plain.denoise(xt, s));
        assert_eq!(a, want, "sigma {s}");
        // The same trajectories in two batches (rows 0..3 and 3..8).
        let mut parts = Vec::new();
        for (first, rows) in [(0, 0..3), (3, 3..8)] {
            let xr = host::upload(&x[rows.start * d..rows.end * d], rows.len(), d, &cpu);
            parts.extend(host::download(split.denoise_rows(xr, s, first)));
        }
        assert_eq!(parts, want, "sigma {s}, split");
        x = x
            .iter()
            .zip(&a)
            .map(|(&xi, &di)| (xi as f64 + (t - s) * (xi as f64 - di as f64) / s) as f32)
            .collect();
    }
    let stats = proved.pruning_stats();
    assert_eq!(stats.len(), steps);
    let small: Vec<_> = stats.iter().filter(|(s, _)| *s < 0.01).collect();
    assert!(!small.is_empty());
    for (s, c) in &small {
        assert_eq!(c.rows, b);
        assert!(c.screened < b, "sigma {s}: {c:?}");
        assert!(c.skipped_fraction(data.n) > 0.3, "sigma {s}: {c:?}");
    }
    // Large sigma is wide: everything scored.
    let (s, c) = stats.last().unwrap();
    assert_eq!(
        (c.screened, c.skipped_fraction(data.n)),
        (b, 0.0),
        "sigma {s}"
    );
    assert_eq!(plain.narrow_stats().0, proved.narrow_stats().0);
}

/// States walking in small steps between far clusters at a small fixed σ:
/// old proofs keep a positive radius long after they stop deciding.
#[test]
fn walking_states_are_screened_again_when_proofs_run_out() {
    let data = clustered(4, 80, 25, 32, 0.3);
    let d = data.d;
    let cpu = Device::flex();
    let options = OptimalOptions {
        chunk: 256,
        ..Default::default()
    };
    let proved = OptimalDenoiser::new(data.clone(), cpu.clone(), options);
    let plain = OptimalDenoiser::from_blocks(proved.blocks(), options);
    let ends = [(0, data.n - 1), (30, 1500), (777, 12)];
    let steps = 60;
    let sigma = 0.05;
    for n in 0..=steps {
        let t = n as f32 / steps as f32;
        let x: Vec<f32> = ends
            .iter()
            .flat_map(|&(a, b)| {
                let (a, b) = (data.row(a), data.row(b));
                a.iter()
                    .zip(b)
                    .map(|(&a, &b)| (1.0 - t) * a + t * b)
                    .collect::<Vec<_>>()
            })
            .collect();
        let xt = host::upload(&x, ends.len(), d, &cpu);
        let got = host::download(proved.denoise_rows(xt.clone(), sigma, 0));
        let want = host::download(plain.denoise(xt, sigma));
        assert_eq!(got, want, "step {n}");
    }
    let (_, c) = proved.pruning_stats()[0];
    assert_eq!(c.rows, ends.len() * (steps + 1));
    assert!(c.screened > ends.len() && c.screened < c.rows / 2, "{c:?}");
}
