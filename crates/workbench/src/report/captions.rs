//! What each figure of a report shows and which table it comes from, by
//! the figure's file-name prefix (the rest of the name is its data set and
//! sampler), and the tables a run wrote with the two lines that load them.

/// (file-name prefix, what the figure shows, the table behind it).
const CAPTIONS: &[(&str, &str, &str)] = &[
    (
        "deviation-denoised-",
        "Deviation of the denoising trajectory D(x_n) from its chord, relative to the chord length, against sigma (median and 10-90% band over trajectories); a figure of its own, since it is tens of times the sampling trajectory's.",
        "steps (denoised_rel_deviation)",
    ),
    (
        "deviation-",
        "Deviation of the sampling trajectory x_n from its chord, relative to the chord length, against sigma (median and 10-90% band over trajectories): quasi-linear while it stays small.",
        "steps (rel_deviation)",
    ),
    (
        "curvature-",
        "Turning angle between consecutive steps of x_n and of D(x_n) (median, 10-90%).",
        "steps",
    ),
    (
        "distance-to-end-",
        "Distance of x_n and of D(x_n) to the end of their trajectory (median, 10-90%); steps where it is exactly 0 are counted in the legend, since a log axis cannot show them.",
        "steps",
    ),
    (
        "magnitudes-",
        "Norms of x_n, D(x_n) and eps_n beside sigma sqrt(d) (median, 10-90%).",
        "steps",
    ),
    (
        "samples-",
        "Final samples x_N (image data), or the data and the final samples (2-D data).",
        "samples-*.npy",
    ),
    (
        "denoised-",
        "x_n above D(x_n) at steps along the first trajectories: the denoising trajectory settles on the final image long before x_n does.",
        "none: the run's first trajectories (`[export]` writes them)",
    ),
    (
        "error-histogram-",
        "Relative error |D(x_n) - proj_K(x_n)| / dist_K(x_n) of every (trajectory, step) against sigma, with one trajectory drawn on top (Permenter & Yuan).",
        "steps (rel_error)",
    ),
    (
        "nu-",
        "nu_n = sqrt(d) sigma_n / dist_K(x_n) against sigma (median, 10-90%).",
        "steps (nu)",
    ),
    (
        "distance-to-data-",
        "Distance of x_n and D(x_n) to the nearest data point beside sigma sqrt(d).",
        "steps (dist_data, denoised_dist_data)",
    ),
    (
        "jump-quality-",
        "Fréchet distance in PCA features of x_n and of D(x_n) against held-out data at every step: jumping to D(x_n) early gives better samples (Chen et al., Obs. 3).",
        "jump-quality",
    ),
    (
        "jump-",
        "Distance to the final sample x_N of x_n and of D(x_n) (Chen et al., Obs. 3).",
        "steps (dist_to_end, denoised_to_final)",
    ),
    (
        "memorisation-",
        "Ratio of the final samples' nearest to second-nearest data distances, with the memorisation threshold.",
        "trajectories (final_d1_over_d2, memorised)",
    ),
    (
        "direction-",
        "cos(eps_n, x_n - x_N): how well the denoising direction points at the final sample (median, 10-90%).",
        "steps (cos_eps_to_end)",
    ),
    (
        "identity-",
        "Error of the mean-shift identity of each Euler step with the optimal denoiser (Chen et al.: the optimal ODE sampler is annealed mean shift).",
        "steps (identity_error)",
    ),
    (
        "top2-error-",
        "Share of each state outside the top two principal components of its own trajectory.",
        "steps (top2_error)",
    ),
    (
        "view3d-",
        "The first trajectories in 3-D: along the chord, and the top two principal components of the rest.",
        "views",
    ),
    (
        "trajectories-",
        "Sampling trajectories over the 2-D data set, from the starts x_0 to the final samples x_N (arrowheads).",
        "steps",
    ),
    (
        "eps-field-",
        "The noise prediction eps(x, sigma) on a grid at one sigma, over the data.",
        "none (computed for the figure)",
    ),
    (
        "learned-vs-optimal-",
        "Distances between the learned and the optimal denoiser's trajectories from the same noise (Chen et al., Fig. 14).",
        "learned-vs-optimal",
    ),
    (
        "training-loss",
        "The learned denoiser's training loss per step.",
        "training-loss",
    ),
    (
        "projection-",
        "Distance of the projection of a noisy point to its clean point, over sigma sqrt(k) (denoising as projection).",
        "projection",
    ),
    (
        "schedules",
        "Every schedule of the sweep: sigma_n against n.",
        "sweep (schedule, steps)",
    ),
];

/// Sweep figures are named `MEASURE-vs-nfe-DATA` / `MEASURE-vs-gamma-DATA`.
const SWEEP_MARKERS: &[(&str, &str)] = &[
    (
        "-vs-nfe-",
        "against the number of denoiser evaluations, one line per sampler and schedule",
    ),
    ("-vs-gamma-", "against gamma, one line per step count"),
];

/// One sentence on a figure and the table it comes from.
pub fn caption(stem: &str) -> String {
    for (marker, how) in SWEEP_MARKERS {
        if let Some((measure, _)) = stem.split_once(marker) {
            return format!("`{measure}` {how}. Table: `sweep`.");
        }
    }
    match CAPTIONS
        .iter()
        .find(|(prefix, _, _)| stem.starts_with(prefix))
    {
        Some((_, what, table)) => format!("{what} Table: `{table}`."),
        None => String::new(),
    }
}

/// The tables section: every Parquet table the run wrote, and how to load it.
pub fn tables_section(tables: &[String], folder: &str) -> String {
    if tables.is_empty() {
        return String::new();
    }
    let mut s = String::from("## Tables\n\n");
    s += &format!(
        "In `{folder}/` (Parquet and CSV; columns in `notebooks-data/README.md`): {}.\n\n",
        tables
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s += &format!(
        "```python\nimport polars as pl\n{} = pl.read_parquet(\"{folder}/{}.parquet\")\n```\n\n",
        tables[0].replace('-', "_"),
        tables[0]
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_is_reachable_and_sweeps_name_their_measure() {
        // A longer prefix listed after a shorter one it starts with would never match.
        for (i, (p, _, _)) in CAPTIONS.iter().enumerate() {
            for (q, _, _) in &CAPTIONS[..i] {
                assert!(!p.starts_with(q), "{p} is shadowed by {q}");
            }
        }
        assert!(caption("jump-quality-fashion").contains("jump-quality"));
        assert!(caption("jump-fashion").contains("dist_to_end"));
        assert!(caption("fd-vs-nfe-gmm").starts_with("`fd` against"));
        assert!(caption("deviation-shapes").ends_with("Table: `steps (rel_deviation)`."));
        assert!(caption("deviation-denoised-shapes").contains("D(x_n)"));
        assert_eq!(caption("something-new"), "");
    }
}
