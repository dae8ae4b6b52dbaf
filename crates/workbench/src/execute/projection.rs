//! Permenter & Yuan's "denoising is approximately projection", on manifolds
//! of known dimension k and reach: x_sigma = x_0 + sigma eps for fresh clean
//! points x_0, then the exact projection onto the manifold M, the nearest
//! point of the finite sample K, and the optimal denoiser of K, each compared
//! with x_0 in units of sigma sqrt(k) (the tangent part of the noise).

use crate::config::{Config, ProjectionConfig};
use crate::context::LoadedData;
use crate::context::load::manifold_law;
use crate::context::noise::Keyed;
use anyhow::Context as _;
use geotraj_data::{Manifold, Nearest};
use geotraj_denoise::{NearestNeighbours, OptimalDenoiser};
use geotraj_metrics::band;
use geotraj_records::Table;
use geotraj_sampling::{Denoiser, StepNoise, host};

/// Added to the seed for the clean points, so they are not rows of K.
const CLEAN_SEED: u64 = 0x2545_F491_4F6C_DD1D;

/// Per-sigma medians (and 10-90 % bands) of one manifold.
pub struct ProjectionCurve {
    pub data: String,
    pub k: usize,
    pub ambient: usize,
    pub n: usize,
    pub reach: f64,
    pub sigmas: Vec<f64>,
    /// (column, band over points) for every ratio column.
    pub bands: Vec<(&'static str, geotraj_metrics::Band)>,
}

pub struct ProjectionResult {
    /// One row per (data, sigma, point).
    pub table: Table,
    pub curves: Vec<ProjectionCurve>,
}

/// The ratio columns, in table order.
pub const RATIO_COLUMNS: &[&str] = &[
    "manifold_ratio",
    "data_ratio",
    "denoiser_ratio",
    "denoiser_vs_projection",
    "normal_ratio",
];

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Ratios for every (point, sigma) of one manifold, point-major.
fn one(
    config: &Config,
    p: &ProjectionConfig,
    loaded: &LoadedData,
    law: &Manifold,
    device: &burn::tensor::Device,
) -> anyhow::Result<(Table, ProjectionCurve)> {
    let sigmas = p.sigma_grid();
    let (m, s) = (p.points, sigmas.len());
    let d = law.ambient;
    let k = law.intrinsic_dim() as f64;
    let clean = law.sample(m, config.seed.wrapping_add(CLEAN_SEED));
    let noise = Keyed::new(config.seed);
    let den = OptimalDenoiser::new(
        loaded.data.clone(),
        device.clone(),
        config.denoiser.optimal_options(),
    );
    // The search reads the denoiser's uploaded blocks: one copy of K.
    let nn = NearestNeighbours::from_blocks(den.blocks());
    let mut cols = vec![vec![f64::NAN; m * s]; RATIO_COLUMNS.len()];
    let mut eps = vec![0.0f32; d];
    for (si, &sigma) in sigmas.iter().enumerate() {
        let mut noisy = vec![0.0f32; m * d];
        for j in 0..m {
            noise.fill(j, si, &mut eps);
            for (c, (x0, e)) in clean.row(j).iter().zip(&eps).enumerate() {
                noisy[j * d + c] = (*x0 as f64 + sigma * *e as f64) as f32;
            }
        }
        let near: Vec<Nearest> = nn
            .query(&noisy, m)
            .with_context(|| format!("data \"{}\"", loaded.label))?;
        let denoised = host::download(den.denoise(host::upload(&noisy, m, d, device), sigma));
        let scale = sigma * k.sqrt();
        let normal_scale = sigma * ((d as f64 - k).max(1.0)).sqrt();
        for j in 0..m {
            let f = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
            let x = f(&noisy[j * d..(j + 1) * d]);
            let x0 = f(clean.row(j));
            let pm = law.project(&x);
            let pk = f(loaded.data.row(near[j].i1));
            let dn = f(&denoised[j * d..(j + 1) * d]);
            let dm = dist(&x, &pm);
            let at = j * s + si;
            cols[0][at] = dist(&pm, &x0) / scale;
            cols[1][at] = dist(&pk, &x0) / scale;
            cols[2][at] = dist(&dn, &x0) / scale;
            cols[3][at] = dist(&dn, &pm) / dm;
            cols[4][at] = dm / normal_scale;
        }
    }
    let rows = m * s;
    let mut table = Table::new()
        .with_str("data", vec![loaded.label.clone(); rows])
        .with_str("manifold", vec![law.name(); rows])
        .with_i64("k", vec![law.intrinsic_dim() as i64; rows])
        .with_i64("ambient", vec![d as i64; rows])
        .with_i64("n", vec![loaded.data.n as i64; rows])
        .with_f64("reach", vec![law.reach(); rows])
        .with_i64("point", (0..rows).map(|r| (r / s) as i64).collect())
        .with_f64("sigma", (0..rows).map(|r| sigmas[r % s]).collect());
    let mut bands = Vec::new();
    for (name, col) in RATIO_COLUMNS.iter().zip(cols) {
        bands.push((*name, band(&col, s, 0.1, 0.9)));
        table = table.with_f64(name, col);
    }
    Ok((
        table,
        ProjectionCurve {
            data: loaded.label.clone(),
            k: law.intrinsic_dim(),
            ambient: d,
            n: loaded.data.n,
            reach: law.reach(),
            sigmas,
            bands,
        },
    ))
}

pub fn run_projection(
    config: &Config,
    p: &ProjectionConfig,
    data: &[LoadedData],
    device: &burn::tensor::Device,
) -> anyhow::Result<ProjectionResult> {
    let mut table = Table::new();
    let mut curves = Vec::new();
    for (dcfg, loaded) in config.data.iter().zip(data) {
        let law = manifold_law(&dcfg.source, config.seed)
            .expect("validated: projection data are manifolds")?;
        let (t, c) = one(config, p, loaded, &law, device)?;
        table.append(t)?;
        curves.push(c);
    }
    Ok(ProjectionResult { table, curves })
}
