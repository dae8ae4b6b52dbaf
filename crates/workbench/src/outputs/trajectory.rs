//! A trajectory run's own outputs: the samples of every case, the
//! standard figures per data set (deviation, curvature, distance to the
//! end, magnitudes; 2-D scatter), the figures and tables its measures ask
//! for, and its summary table.

use super::style::{band_of, figure};
use crate::config::{Config, FigureKind};
use crate::context::{LoadedData, OutputDirs};
use crate::execute::case::Case;
use geotraj_metrics::Measures;
use geotraj_plots::{Figure, Scatter, render};
use std::path::PathBuf;

/// The standard figures of one data set, one band set per sampler.
fn figures_for(data: &str, cases: &[&Case]) -> Vec<(String, Figure)> {
    let measured: Vec<(&str, &Measures)> = cases
        .iter()
        .map(|c| (c.sampler.as_str(), &c.measures))
        .collect();
    standard_figures(data, &measured)
}

/// Deviation, curvature, distance to the end and magnitudes against σ, of
/// (sampler label, measures) pairs of one data set: a run's cases, or the
/// trajectories of an analysed file.
pub fn standard_figures(data: &str, cases: &[(&str, &Measures)]) -> Vec<(String, Figure)> {
    let both = |col: &str, dcol: &str| {
        cases
            .iter()
            .flat_map(|(s, m)| {
                [
                    band_of(m, col, format!("{s} x_n")),
                    band_of(m, dcol, format!("{s} D(x_n)")),
                ]
            })
            .collect::<Vec<_>>()
    };
    let mut mags = Vec::new();
    for (s, m) in cases {
        mags.push(band_of(m, "norm_x", format!("{s} |x_n|")));
        mags.push(band_of(m, "norm_eps", format!("{s} |eps_n|")));
        mags.push(band_of(m, "norm_denoised", format!("{s} |D(x_n)|")));
    }
    mags.push(band_of(cases[0].1, "sigma_sqrt_d", "sigma sqrt(d)".into()));
    // x_n and D(x_n) deviate on scales ~100x apart: each gets its own
    // figure and axis, so both curves read (Chen et al., Fig. 2b).
    let one = |col: &str, what: &str| {
        cases
            .iter()
            .map(|(s, m)| band_of(m, col, format!("{s} {what}")))
            .collect::<Vec<_>>()
    };
    vec![
        (
            format!("deviation-{data}"),
            figure(
                format!("{data}: deviation of x_n from its chord (median, 10-90%)"),
                "deviation / chord length",
                false,
                one("rel_deviation", "x_n"),
            ),
        ),
        (
            format!("deviation-denoised-{data}"),
            figure(
                format!("{data}: deviation of D(x_n) from its chord (median, 10-90%)"),
                "deviation / chord length",
                false,
                one("denoised_rel_deviation", "D(x_n)"),
            ),
        ),
        (
            format!("curvature-{data}"),
            figure(
                format!("{data}: turning angle between steps (median, 10-90%)"),
                "degrees",
                false,
                both("turning_deg", "denoised_turning_deg"),
            ),
        ),
        (
            format!("distance-to-end-{data}"),
            figure(
                format!("{data}: distance to the final point (median, 10-90%)"),
                "distance",
                true,
                both("dist_to_end", "denoised_dist_to_end"),
            ),
        ),
        (
            format!("magnitudes-{data}"),
            figure(
                format!("{data}: magnitudes (median, 10-90%)"),
                "norm",
                true,
                mags,
            ),
        ),
    ]
}

/// For 2-D data: the data set and the final samples of each sampler.
fn scatter_for(all: &[LoadedData], data: &str, cases: &[&Case]) -> Option<(String, Figure)> {
    let loaded = all.iter().find(|l| l.label == data)?;
    if loaded.data.d != 2 {
        return None;
    }
    let xy = |rows: &[f32]| -> (Vec<f64>, Vec<f64>) {
        rows.chunks(2).map(|p| (p[0] as f64, p[1] as f64)).unzip()
    };
    let (x, y) = xy(&loaded.data.rows);
    let mut points = vec![Scatter {
        label: "data".into(),
        x,
        y,
    }];
    for c in cases {
        let (x, y) = xy(&c.final_samples);
        points.push(Scatter {
            label: format!("{} samples", c.sampler),
            x,
            y,
        });
    }
    Some((
        format!("samples-{data}"),
        Figure {
            title: format!("{data}: data and final samples"),
            x_label: "x1".into(),
            y_label: "x2".into(),
            log_x: false,
            log_y: false,
            reverse_x: false,
            points,
            equal_aspect: true,
            ..Figure::default()
        },
    ))
}

/// The trajectory run's tables, samples and standard figures.
pub fn write(
    config: &Config,
    data: &[LoadedData],
    cases: &[Case],
    dirs: &OutputDirs,
) -> anyhow::Result<Vec<PathBuf>> {
    let all = cases;
    let mut written = Vec::new();
    written.extend(super::jump_quality::write(
        &config.name,
        all,
        &dirs.tables,
        &dirs.figures,
    )?);
    if config.measures.lowdim {
        written.extend(super::lowdim::write_views(&config.name, all, &dirs.tables)?);
    }
    for c in all {
        written.extend(super::samples::write(
            config,
            &super::samples::Samples {
                data: &c.data,
                label: &c.sampler,
                item_shape: &c.item_shape,
                values: &c.final_samples,
            },
            &dirs.tables,
        )?);
        written.extend(c.exported.iter().cloned());
    }
    // Per data label of the cases (analyze has cases without loaded data).
    let mut labels: Vec<&str> = all.iter().map(|c| c.data.as_str()).collect();
    labels.dedup();
    for label in labels {
        let cases: Vec<&Case> = all.iter().filter(|c| c.data == label).collect();
        let mut figs = figures_for(label, &cases);
        figs.extend(scatter_for(data, label, &cases));
        if config.figure.iter().any(|f| f.kind == FigureKind::LowDim) {
            figs.extend(super::lowdim::figures(label, &cases));
        }
        figs.extend(super::data_figures::figures(
            config,
            label,
            cases[0].d(),
            &cases,
        ));
        for (stem, fig) in figs {
            written.extend(render(&fig, &dirs.figures.join(stem))?);
        }
    }
    Ok(written)
}

/// Key numbers per case, medians over trajectories, and the measures' lines.
pub fn summary(config: &Config, cases: &[Case]) -> String {
    let median = |c: &Case, name: &str| {
        c.measures
            .trajectory_median(name)
            .expect("a per-trajectory measure named here exists")
    };
    let mut s = format!(
        "{:<16} {:<12} {:>5} {:>14} {:>14} {:>12} {:>7} {:>7} {:>8}\n",
        "data",
        "sampler",
        "NFE",
        "max dev/chord",
        "D max dev/ch",
        "straightness",
        "x mono",
        "D mono",
        "seconds"
    );
    for c in cases {
        s += &format!(
            "{:<16} {:<12} {:>5} {:>14.5} {:>14.5} {:>12.6} {:>7.3} {:>7.3} {:>8.2}\n",
            c.data,
            c.sampler,
            c.nfe(),
            median(c, "max_rel_deviation"),
            median(c, "denoised_max_rel_deviation"),
            median(c, "straightness"),
            median(c, "monotone_share"),
            median(c, "denoised_monotone_share"),
            c.seconds
        );
    }
    s += "(medians over trajectories; mono = share of steps over which the distance to the end does not grow)\n";
    if config.measures.lowdim {
        s += &super::lowdim::summary(cases);
    }
    s + &super::jump_quality::summary(cases)
}
