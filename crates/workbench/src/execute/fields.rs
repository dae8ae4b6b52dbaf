//! The eps-field figures' grids: D(x; sigma) on 25 x 25 points over a 2-D
//! data set's bounding box (padded by a fifth).

use crate::config::{Config, FigureKind};
use crate::context::Context;
use crate::context::denoisers::build_denoiser;
use anyhow::bail;

/// eps(x, sigma) on a grid over 2-D data, for the eps-field figure.
pub struct EpsField {
    pub data: String,
    pub sigma: f64,
    /// Grid points and D(x; sigma) there, as (x, y) pairs.
    pub points: Vec<(f64, f64)>,
    pub denoised: Vec<(f64, f64)>,
}

pub fn eps_fields(config: &Config, ctx: &Context) -> anyhow::Result<Vec<EpsField>> {
    const GRID: usize = 25;
    let device = &ctx.device;
    let mut out = Vec::new();
    for f in config
        .figure
        .iter()
        .filter(|f| f.kind == FigureKind::EpsField)
    {
        for (dcfg, loaded) in config.data.iter().zip(&ctx.data) {
            let ds = &loaded.data;
            if ds.d != 2 {
                continue;
            }
            let bound = |j: usize| {
                let (lo, hi) = (0..ds.n).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), i| {
                    let v = ds.row(i)[j] as f64;
                    (lo.min(v), hi.max(v))
                });
                let pad = 0.2 * (hi - lo).max(1e-6);
                (lo - pad, hi + pad)
            };
            let (bx, by) = (bound(0), bound(1));
            let at = |(lo, hi): (f64, f64), k: usize| lo + (hi - lo) * k as f64 / (GRID - 1) as f64;
            let points: Vec<(f64, f64)> = (0..GRID * GRID)
                .map(|k| (at(bx, k % GRID), at(by, k / GRID)))
                .collect();
            let flat: Vec<f32> = points
                .iter()
                .flat_map(|&(x, y)| [x as f32, y as f32])
                .collect();
            let den = build_denoiser(config, dcfg, loaded, ctx.learned.as_ref(), device);
            for &sigma in f.sigmas.iter().flatten() {
                let x = geotraj_sampling::host::upload(&flat, points.len(), 2, device);
                let d = geotraj_sampling::host::download(den.as_denoiser().denoise(x, sigma));
                if d.iter().any(|v| !v.is_finite()) {
                    bail!(
                        "figure eps-field: the denoiser of data \"{}\" is not finite at sigma {sigma}",
                        loaded.label
                    );
                }
                out.push(EpsField {
                    data: loaded.label.clone(),
                    sigma,
                    points: points.clone(),
                    denoised: d.chunks(2).map(|p| (p[0] as f64, p[1] as f64)).collect(),
                });
            }
        }
    }
    Ok(out)
}
