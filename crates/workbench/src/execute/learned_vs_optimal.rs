//! Learned vs optimal (Chen et al., Obs. 4 and Fig. 14): with the same noise,
//! the learned network's trajectory x_n and the optimal denoiser's x*_n, and
//! four distances at every step: ‖x_n − x*_n‖, ‖D_θ(x_n) − D*(x*_n)‖,
//! ‖D_θ(x_n) − D*(x_n)‖ and ‖D_θ(x*_n) − D*(x*_n)‖. The last two evaluate
//! each denoiser on the other's states; they are measured on the first batch
//! of trajectories (each case keeps it whole).

use super::case::Case;
use crate::config::Config;
use crate::context::Context;
use crate::context::denoisers::{LearnedDenoiser, build_denoiser};
use crate::plan::learned::pair;
use anyhow::bail;
use geotraj_metrics::distance;
use geotraj_sampling::host::{download, upload};

/// Column names of the four distances, in the catalogue's order.
pub const NAMES: [&str; 4] = [
    "x_gap",
    "denoised_gap",
    "learned_vs_optimal_at_x",
    "learned_vs_optimal_at_x_star",
];

/// The four distances of one sampler, per recorded step and trajectory.
pub struct Gaps {
    pub learned: String,
    pub optimal: String,
    pub sampler: String,
    pub d: usize,
    /// Steps with a denoiser evaluation at the state, and their sigmas.
    pub steps: Vec<usize>,
    pub sigma: Vec<f64>,
    /// Trajectories measured.
    pub n: usize,
    /// values[k]: distance NAMES[k], n x steps.len(), trajectory-major.
    pub values: [Vec<f64>; 4],
    /// Median over the trajectories of ‖x_N − x*_N‖ / √d.
    pub final_gap: f64,
}

pub fn compute(
    config: &Config,
    ctx: &Context,
    cases: &[Case],
    learned: &LearnedDenoiser,
) -> anyhow::Result<Vec<Gaps>> {
    let (data, device) = (&ctx.data, &ctx.device);
    let Some((li, oi)) = pair(config) else {
        return Ok(Vec::new());
    };
    let (ll, ol) = (&data[li], &data[oi]);
    let optimal = build_denoiser(config, &config.data[oi], ol, None, device);
    let optimal = optimal.as_denoiser();
    let mut out = Vec::new();
    for lc in cases.iter().filter(|c| c.data == ll.label) {
        let Some(oc) = cases
            .iter()
            .find(|c| c.data == ol.label && c.sampler == lc.sampler)
        else {
            continue;
        };
        if lc.sigmas() != oc.sigmas() {
            bail!(
                "measures.learned_vs_optimal: sampler {} has different schedules on \"{}\" and \"{}\" (a GITS schedule is fitted per data set; use another schedule)",
                lc.sampler,
                ll.label,
                ol.label
            );
        }
        let (lh, oh) = (&lc.head, &oc.head);
        let (m, d) = (lh.n.min(oh.n), lh.d);
        let at_state = |h: &geotraj_sampling::Trajectories| -> Vec<(usize, usize)> {
            (0..h.nfe())
                .filter(|&e| h.eval_at_state[e])
                .map(|e| (h.eval_step[e], e))
                .collect()
        };
        let pairs: Vec<((usize, usize), (usize, usize))> =
            at_state(lh).into_iter().zip(at_state(oh)).collect();
        let points = pairs.len();
        let mut gaps = Gaps {
            learned: ll.label.clone(),
            optimal: ol.label.clone(),
            sampler: lc.sampler.clone(),
            d,
            steps: pairs.iter().map(|p| p.0.0).collect(),
            sigma: pairs.iter().map(|p| lh.sigmas[p.0.0]).collect(),
            n: m,
            values: std::array::from_fn(|_| vec![f64::NAN; m * points]),
            final_gap: {
                let last = lh.steps();
                let gaps: Vec<f64> = (0..m)
                    .map(|i| distance(lh.state(i, last), oh.state(i, last)) / (d as f64).sqrt())
                    .collect();
                geotraj_metrics::band(&gaps, 1, 0.5, 0.5).mid[0]
            },
        };
        for (j, ((step, le), (_, oe))) in pairs.into_iter().enumerate() {
            let sigma = lh.sigmas[step];
            let rows = |h: &geotraj_sampling::Trajectories| -> Vec<f32> {
                (0..m)
                    .flat_map(|i| h.state(i, step).iter().copied())
                    .collect()
            };
            let (x, x_star) = (rows(lh), rows(oh));
            let star_at_x = download(optimal.denoise(upload(&x, m, d, device), sigma));
            // Rows are trajectories 0..m, as they were sampled.
            let theta_at_star =
                download(learned.denoise_rows(upload(&x_star, m, d, device), sigma, 0));
            if star_at_x
                .iter()
                .chain(&theta_at_star)
                .any(|v| !v.is_finite())
            {
                bail!(
                    "measures.learned_vs_optimal: a denoiser output is not finite at sigma {sigma} (step {step}, sampler {})",
                    lc.sampler
                );
            }
            for i in 0..m {
                let r = i * d..(i + 1) * d;
                let theta_x = lh.eval(i, le);
                let star_xs = oh.eval(i, oe);
                let v = &mut gaps.values;
                v[0][i * points + j] = distance(lh.state(i, step), oh.state(i, step));
                v[1][i * points + j] = distance(theta_x, star_xs);
                v[2][i * points + j] = distance(theta_x, &star_at_x[r.clone()]);
                v[3][i * points + j] = distance(&theta_at_star[r], star_xs);
            }
        }
        out.push(gaps);
    }
    Ok(out)
}

/// Median and 10–90 % band over trajectories of distance k at every step.
pub fn band(g: &Gaps, k: usize) -> geotraj_metrics::Band {
    geotraj_metrics::band(&g.values[k], g.steps.len(), 0.1, 0.9)
}
