//! Figures a config asks for by kind, and the summary lines of the
//! data-relative measures: Permenter & Yuan's error model, Chen et al.'s
//! denoising jump, direction and mean-shift identity, memorisation.

use super::style::{band, figure};
use crate::config::{Config, FigureKind};
use crate::execute::case::Case;
use geotraj_metrics::nanmax;
use geotraj_plots::{Figure, Heatmap, Lines, histogram2d, linear_edges, log_edges};

/// Bins of the error histogram along each axis.
const BINS: usize = 48;

/// The figures a config asks for, for the cases of one data set.
pub fn figures(config: &Config, data: &str, d: usize, cases: &[&Case]) -> Vec<(String, Figure)> {
    let mut out = Vec::new();
    for f in &config.figure {
        match f.kind {
            FigureKind::ErrorHistogram => {
                for c in cases {
                    if let Some(fig) = error_histogram(c) {
                        out.push((format!("error-histogram-{data}-{}", c.sampler), fig));
                    }
                }
            }
            FigureKind::Nu => out.push((
                format!("nu-{data}"),
                // Linear: nu stays near 1 over most of the schedule, where a
                // log axis would show a single tick.
                figure(
                    format!("{data}: nu = sqrt(d) sigma / dist_K(x_n) (median, 10-90%)"),
                    "nu",
                    false,
                    cases
                        .iter()
                        .map(|c| band(c, "nu", c.sampler.clone()))
                        .collect(),
                ),
            )),
            FigureKind::DistanceToData => {
                let mut series = Vec::new();
                for c in cases {
                    series.push(band(c, "dist_data", format!("{} dist_K(x_n)", c.sampler)));
                    if config.measures.jump {
                        series.push(band(
                            c,
                            "denoised_dist_data",
                            format!("{} dist_K(D(x_n))", c.sampler),
                        ));
                    }
                }
                series.push(band(cases[0], "sigma_sqrt_d", format!("sigma sqrt({d})")));
                out.push((
                    format!("distance-to-data-{data}"),
                    figure(
                        format!("{data}: distance to the data set (median, 10-90%)"),
                        "distance",
                        true,
                        series,
                    ),
                ));
            }
            FigureKind::Jump => out.push((
                format!("jump-{data}"),
                figure(
                    format!("{data}: distance to the final sample x_N (median, 10-90%)"),
                    "distance to x_N",
                    true,
                    cases
                        .iter()
                        .flat_map(|c| {
                            [
                                band(c, "dist_to_end", format!("{} x_n", c.sampler)),
                                band(c, "denoised_to_final", format!("{} D(x_n)", c.sampler)),
                            ]
                        })
                        .collect(),
                ),
            )),
            FigureKind::Memorisation => out.push((
                format!("memorisation-{data}"),
                memorisation(config, data, cases),
            )),
            FigureKind::Direction => out.push((
                format!("direction-{data}"),
                figure(
                    format!("{data}: cos(eps_n, x_n - x_N) (median, 10-90%)"),
                    "cosine",
                    false,
                    cases
                        .iter()
                        .map(|c| band(c, "cos_eps_to_end", c.sampler.clone()))
                        .collect(),
                ),
            )),
            FigureKind::Identity => out.push((
                format!("identity-{data}"),
                figure(
                    format!("{data}: mean-shift identity error of each Euler step (checked trajectories)"),
                    "|x_n+1 - convex combination| / |x_n+1|",
                    true,
                    cases
                        .iter()
                        .map(|c| band(c, "identity_error", c.sampler.clone()))
                        .collect(),
                ),
            )),
            _ => {}
        }
    }
    out
}

/// The relative error against sigma over every state with an evaluation,
/// as a 2-D histogram, with trajectory 0 drawn over it.
fn error_histogram(c: &Case) -> Option<Figure> {
    let m = &c.measures;
    let rel = m.step_values("rel_error")?;
    let points = m.points;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (k, &r) in rel.iter().enumerate() {
        let s = c.sigmas()[k % points];
        if r.is_finite() && s > 0.0 {
            xs.push(s);
            ys.push(r);
        }
    }
    if xs.is_empty() {
        return None;
    }
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(0.0, f64::max);
    let mut sorted = ys.clone();
    sorted.sort_by(f64::total_cmp);
    let top = sorted[(sorted.len() - 1) * 99 / 100].max(1e-6) * 1.05;
    // One bin per step of the schedule would leave gaps; a log grid does not.
    let x_edges = log_edges(lo / 1.05, hi * 1.05, BINS);
    let y_edges = linear_edges(0.0, top, BINS);
    let counts = histogram2d(&xs, &ys, &x_edges, &y_edges);
    // The y axis ends at the 99th percentile: say how many states lie above.
    let above = ys.iter().filter(|&&y| y > top).count();
    let path: Vec<(f64, f64)> = (0..points)
        .map(|n| (c.sigmas()[n], rel[n]))
        .filter(|(s, r)| *s > 0.0 && r.is_finite())
        .collect();
    Some(Figure {
        title: format!(
            "{}, {}: |D(x_n) - proj_K(x_n)| / dist_K(x_n) over {} trajectories",
            c.data, c.sampler, c.n
        ),
        x_label: "sigma".into(),
        y_label: if above > 0 {
            format!("relative error (axis cut at the 99th percentile; {above} states above)")
        } else {
            "relative error".into()
        },
        log_x: true,
        reverse_x: true,
        heatmap: Some(Heatmap {
            label: "states per cell".into(),
            x_edges,
            y_edges,
            counts,
            log_counts: true,
        }),
        lines: vec![Lines {
            label: "trajectory 0".into(),
            paths: vec![path],
            arrows: false,
        }],
        ..Figure::default()
    })
}

/// The share of final samples whose d1/d2 is at most each ratio, with the
/// memorisation threshold.
fn memorisation(config: &Config, data: &str, cases: &[&Case]) -> Figure {
    let mut lines = Vec::new();
    for c in cases {
        let mut r: Vec<f64> = c
            .measures
            .trajectory_values("final_d1_over_d2")
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        r.sort_by(f64::total_cmp);
        let n = r.len() as f64;
        let path = r
            .iter()
            .enumerate()
            .map(|(i, &v)| (v, (i + 1) as f64 / n))
            .collect();
        lines.push(Lines {
            label: c.sampler.clone(),
            paths: vec![path],
            arrows: false,
        });
    }
    let t = config.measures.memorised_ratio;
    lines.push(Lines {
        label: format!("memorised below d1/d2 = {t:.3}"),
        paths: vec![vec![(t, 0.0), (t, 1.0)]],
        arrows: false,
    });
    Figure {
        title: format!("{data}: nearest / second-nearest training distance of final samples"),
        x_label: "d1 / d2".into(),
        y_label: "share of samples at most".into(),
        lines,
        ..Figure::default()
    }
}

/// Per-step medians over trajectories of |D(x_n) - proj_K(x_n)| / dist_K(x_n)
/// and their peak (Permenter & Yuan's ideal-denoiser figure), shared by the
/// summary and the report.
pub struct ErrorCurve {
    pub median: Vec<f64>,
    /// The first step of the largest finite median (0 with a NaN peak when none is finite).
    pub peak_step: usize,
    pub peak: f64,
}

/// The error curve of a case measured with `measures.distance`, else None.
pub fn error_curve(c: &Case) -> Option<ErrorCurve> {
    let median = c.measures.band("rel_error", 0.5, 0.5)?.mid;
    let (peak_step, peak) = median
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .fold((0, f64::NAN), |(ai, av), (i, &v)| {
            if av.is_nan() || v > av {
                (i, v)
            } else {
                (ai, av)
            }
        });
    Some(ErrorCurve {
        median,
        peak_step,
        peak,
    })
}

/// Chen et al.'s Obs. 3 in one line: from which sigma on the medians of
/// |D(x_n) - x_N| and of |x_n - x_N| stay within 1 % of the median |x_N|.
fn jump_line(c: &Case) -> String {
    let m = &c.measures;
    let scale = m.trajectory_median("final_norm").expect("geometry column");
    let from = |col: &str| {
        let mid = m.band(col, 0.5, 0.5).expect("geometry column").mid;
        let mut at = None;
        for n in (0..mid.len()).rev() {
            if mid[n].is_nan() {
                continue;
            }
            if mid[n] > 0.01 * scale {
                break;
            }
            at = Some(c.sigmas()[n]);
        }
        at.map_or("never".to_string(), |s| format!("sigma {s:.4}"))
    };
    format!(
        "{} {}: within 1% of |x_N| from x_N: D(x_n) from {}, x_n from {}\n",
        c.data,
        c.sampler,
        from("denoised_to_final"),
        from("dist_to_end")
    )
}

/// Key numbers of the data measures, one line per case.
pub fn summary(config: &Config, cases: &[Case]) -> String {
    let mc = &config.measures;
    if !mc.distance && mc.identity == 0 {
        return String::new();
    }
    let mut s = String::new();
    if mc.distance {
        s += &format!(
            "\n{:<16} {:<12} {:>9} {:>10} {:>10} {:>9} {:>12} {:>11} {:>10}\n",
            "data",
            "sampler",
            "final d1",
            "d1/d2",
            "memorised",
            "peak err",
            "at sigma",
            "nu range",
            "DDIM bound"
        );
    }
    for c in cases {
        let m = &c.measures;
        if mc.distance {
            let median = |name: &str| m.trajectory_median(name).expect("distance columns");
            let mem = m.trajectory_values("memorised").expect("distance columns");
            let share = mem.iter().sum::<f64>() / mem.len() as f64;
            let ErrorCurve {
                peak_step: at,
                peak,
                ..
            } = error_curve(c).expect("distance columns");
            let bound = nanmax(
                m.trajectory_values("max_ddim_bound_ratio")
                    .expect("distance columns"),
            );
            s += &format!(
                "{:<16} {:<12} {:>9.4} {:>10.4} {:>9.1}% {:>9.4} {:>12.4} {:>5.2}-{:<5.2} {:>10}\n",
                c.data,
                c.sampler,
                median("final_d1"),
                median("final_d1_over_d2"),
                100.0 * share,
                peak,
                c.sigmas()[at],
                median("min_nu"),
                median("max_nu"),
                if bound.is_nan() {
                    "-".to_string()
                } else {
                    format!("{bound:.6}")
                }
            );
        }
        if mc.jump {
            s += &jump_line(c);
        }
        if mc.identity > 0
            && let Some(e) = m.trajectory_values("max_identity_error")
        {
            let worst = nanmax(e);
            s += &format!(
                "{} {}: mean-shift identity, largest relative error over {} trajectories: {worst:.3e}\n",
                c.data,
                c.sampler,
                mc.identity.min(c.n)
            );
        }
    }
    if mc.distance {
        s += "(medians over trajectories; peak err = largest median relative error; DDIM bound = largest dist_K(x_n+1) / bound, at most 1 (+ f32 rounding) by the theorem)\n";
    }
    s
}
