//! Writes a finished run: tables, samples, figures, then run.json last.
//! Every file is written under a temporary name and renamed into place.

use crate::config::FigureKind;
use crate::run::{Case, Run};
use geotraj_plots::{Band, Figure, Scatter, render};
use geotraj_records::{write_json, write_npy};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where a run's files go.
#[derive(Debug, Clone)]
pub struct OutputDirs {
    pub tables: PathBuf,
    pub figures: PathBuf,
    /// Shared by runs: GITS cost matrices.
    pub cache: PathBuf,
    /// Shared by runs: trained networks.
    pub models: PathBuf,
}

impl OutputDirs {
    /// notebooks-data/NAME, reports/NAME and notebooks-data/cache, or
    /// everything under `out`.
    pub fn new(name: &str, out: Option<&Path>) -> Self {
        match out {
            Some(dir) => Self {
                tables: dir.to_path_buf(),
                figures: dir.join("figures"),
                cache: dir.join("cache"),
                models: dir.join("models"),
            },
            None => Self {
                tables: Path::new("notebooks-data").join(name),
                figures: Path::new("reports").join(name),
                cache: Path::new("notebooks-data").join("cache"),
                models: Path::new("notebooks-data").join("models"),
            },
        }
    }
}

pub(crate) fn band(case: &Case, column: &str, label: String) -> Band {
    let b = case
        .measures
        .band(column, 0.1, 0.9)
        .expect("a measure named in outputs.rs exists");
    Band {
        label,
        x: case.measures.sigma.clone(),
        mid: b.mid,
        lo: b.lo,
        hi: b.hi,
    }
}

pub(crate) fn figure(title: String, y_label: &str, log_y: bool, series: Vec<Band>) -> Figure {
    Figure {
        title,
        x_label: "sigma".into(),
        y_label: y_label.into(),
        log_x: true,
        log_y,
        reverse_x: true,
        series,
        ..Figure::default()
    }
}

/// The standard figures of one data set, one band set per sampler.
fn figures_for(data: &str, cases: &[&Case]) -> Vec<(String, Figure)> {
    let both = |col: &str, dcol: &str| {
        cases
            .iter()
            .flat_map(|c| {
                [
                    band(c, col, format!("{} x_n", c.sampler)),
                    band(c, dcol, format!("{} D(x_n)", c.sampler)),
                ]
            })
            .collect::<Vec<_>>()
    };
    let mut mags = Vec::new();
    for c in cases {
        mags.push(band(c, "norm_x", format!("{} |x_n|", c.sampler)));
        mags.push(band(c, "norm_eps", format!("{} |eps_n|", c.sampler)));
        mags.push(band(c, "norm_denoised", format!("{} |D(x_n)|", c.sampler)));
    }
    mags.push(band(cases[0], "sigma_sqrt_d", "sigma sqrt(d)".into()));
    vec![
        (
            format!("deviation-{data}"),
            figure(
                format!("{data}: deviation from the chord / chord length (median, 10-90%)"),
                "relative deviation",
                false,
                both("rel_deviation", "denoised_rel_deviation"),
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
fn scatter_for(run: &Run, data: &str, cases: &[&Case]) -> Option<(String, Figure)> {
    let loaded = run.data.iter().find(|l| l.label == data)?;
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

/// Writes everything and returns the paths written: run.json, then the
/// report (figures/README.md, report.json and, without `--out`, the index
/// reports/README.md) last. The streamed tables are finished (renamed into
/// place) first.
pub fn write(run: &mut Run, argv: &[String]) -> Result<Vec<PathBuf>, String> {
    let t0 = Instant::now();
    let dirs = &run.dirs.clone();
    let mut written = Vec::new();
    if let Some(streams) = run.streams.take() {
        written.extend(streams.finish()?);
    }
    let run = &*run;
    if let Some(p) = &run.projection {
        written.extend(crate::projection_outputs::write(
            p,
            &dirs.tables,
            &dirs.figures,
        )?);
    }
    if let Some(sweep) = &run.sweep {
        written.extend(crate::sweep_outputs::write(
            &run.config,
            sweep,
            &dirs.tables,
            &dirs.figures,
        )?);
    }
    if !run.cases.is_empty() {
        written.extend(write_cases(run, dirs)?);
    }
    written.extend(crate::gits_outputs::write(run, &dirs.tables)?);
    written.extend(crate::image_outputs::write(run, &dirs.figures)?);
    written.extend(crate::learned_outputs::write(
        run,
        &dirs.tables,
        &dirs.figures,
    )?);
    for (stem, fig) in crate::field_figures::figures(run) {
        written.extend(render(&fig, &dirs.figures.join(stem)).map_err(|e| e.to_string())?);
    }
    let provenance = provenance(run, argv, t0.elapsed().as_secs_f64(), &written);
    let path = dirs.tables.join("run.json");
    write_json(&path, &provenance).map_err(|e| e.to_string())?;
    written.push(path.clone());
    let report = crate::report::write(run, &written, &path)?;
    written.extend(report);
    Ok(written)
}

/// The trajectory run's tables, samples and standard figures.
fn write_cases(run: &Run, dirs: &OutputDirs) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    written.extend(crate::jump_quality::write(
        &run.cases,
        &dirs.tables,
        &dirs.figures,
    )?);
    if run.config.measures.lowdim {
        written.extend(crate::lowdim_outputs::write_views(
            &run.cases,
            &dirs.tables,
        )?);
    }
    for c in &run.cases {
        let path = dirs
            .tables
            .join(format!("samples-{}-{}.npy", c.data, c.sampler));
        write_npy(&path, &[c.n, c.d()], &c.final_samples).map_err(|e| e.to_string())?;
        written.push(path);
    }
    for loaded in &run.data {
        let cases: Vec<&Case> = run
            .cases
            .iter()
            .filter(|c| c.data == loaded.label)
            .collect();
        let mut figs = figures_for(&loaded.label, &cases);
        figs.extend(scatter_for(run, &loaded.label, &cases));
        if run
            .config
            .figure
            .iter()
            .any(|f| f.kind == FigureKind::LowDim)
        {
            figs.extend(crate::lowdim_outputs::figures(&loaded.label, &cases));
        }
        figs.extend(crate::data_figures::figures(
            &run.config,
            &loaded.label,
            loaded.data.d,
            &cases,
        ));
        for (stem, fig) in figs {
            written.extend(render(&fig, &dirs.figures.join(stem)).map_err(|e| e.to_string())?);
        }
    }
    Ok(written)
}

fn provenance(
    run: &Run,
    argv: &[String],
    write_seconds: f64,
    written: &[PathBuf],
) -> serde_json::Value {
    let cases: Vec<_> = run
        .cases
        .iter()
        .map(|c| {
            json!({
                "data": c.data,
                "sampler": c.sampler,
                "solver": c.solver.describe(),
                "trajectories": c.n,
                "steps": c.steps(),
                "nfe": c.nfe(),
                "sigmas": c.sigmas(),
                "seconds": c.seconds,
                "measure_seconds": c.measure_seconds,
                "optimal_exact_rows": c.exact_rows,
                "optimal_exact_candidates": c.exact_candidates,
            })
        })
        .collect();
    let data: Vec<_> = run
        .data
        .iter()
        .map(|l| {
            json!({
                "label": l.label,
                "source": l.data.source,
                "n": l.data.n,
                "d": l.data.d,
                "item_shape": l.data.item_shape,
            })
        })
        .collect();
    json!({
        "geotraj_version": env!("CARGO_PKG_VERSION"),
        "git_commit": env!("GEOTRAJ_GIT_COMMIT"),
        "command": argv,
        "started_unix": run.started_unix,
        "device": run.device,
        "threads": rayon::current_num_threads(),
        "config": serde_json::to_value(&run.config).unwrap_or(serde_json::Value::Null),
        "data": data,
        "cases": cases,
        "gits": crate::gits_outputs::provenance(run),
        "model": crate::learned_outputs::provenance(run),
        "references": run.sweep.as_ref().map(|s| s.references.iter().map(|r| json!({
            "data": r.data,
            "sigma_start": r.sigma_start,
            "sigma_end": r.sigma_end,
            "final_jump": r.final_jump,
            "nfe": r.nfe,
            "accepted_steps": r.accepted,
            "rejected_steps": r.rejected,
            "seconds": r.seconds,
        })).collect::<Vec<_>>()),
        "peak_memory_bytes": crate::memory::peak_rss_bytes(),
        "timings": {
            "load_seconds": run.load_seconds,
            "sampling_seconds": run.cases.iter().map(|c| c.seconds).sum::<f64>()
                + run.sweep.as_ref().map_or(0.0, |s| s.rows.iter().map(|r| r.seconds).sum::<f64>()),
            "write_seconds": write_seconds,
        },
        "outputs": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    })
}

/// Key numbers per case, medians over trajectories.
pub fn summary(run: &Run) -> String {
    if let Some(sweep) = &run.sweep {
        return crate::sweep_outputs::summary(sweep);
    }
    if let Some(p) = &run.projection {
        return crate::projection_outputs::summary(p);
    }
    if run.cases.is_empty() {
        return crate::learned_outputs::summary(run);
    }
    let median = |c: &Case, name: &str| {
        c.measures
            .trajectory_median(name)
            .expect("a per-trajectory measure named in outputs.rs exists")
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
    for c in &run.cases {
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
    if run.config.measures.lowdim {
        s += &crate::lowdim_outputs::summary(&run.cases);
    }
    s += &crate::jump_quality::summary(&run.cases);
    s += &crate::learned_outputs::summary(run);
    s + &crate::data_figures::summary(&run.config, &run.cases)
}
