//! A sweep's tables, figures and printed summary.

use super::samples::sampler_label;
use super::style::line;
use super::tables::write_table;
use crate::config::{Config, FigureConfig, FigureKind, QualityFeatures};
use crate::execute::schema::param_columns;
use crate::execute::sweep::{SweepResult, SweepRow, schedule_lists};
use geotraj_plots::{Band, Figure, render};
use geotraj_records::Table;
use std::path::{Path, PathBuf};

/// One row per (data, cell): `sampler` the cell's label, `solver` the
/// method, each solver parameter its own column (null where unused).
pub fn sweep_table(rows: &[SweepRow]) -> Table {
    let col = |f: &dyn Fn(&SweepRow) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
    let mut t = Table::new()
        .with_str("data", rows.iter().map(|r| r.data.clone()).collect())
        .with_str(
            "sampler",
            rows.iter().map(|r| sampler_label(&r.cell)).collect(),
        )
        .with_str(
            "solver",
            rows.iter()
                .map(|r| r.cell.solver.name().to_string())
                .collect(),
        );
    // The parameters the solver ran with (defaults included), row by row.
    let params: Vec<_> = rows.iter().map(|r| r.cell.solver.params()).collect();
    for (name, column) in param_columns(&params) {
        t.push(name, column);
    }
    t.with_str(
        "schedule",
        rows.iter()
            .map(|r| r.cell.schedule.name().to_string())
            .collect(),
    )
    .with_i64("steps", rows.iter().map(|r| r.cell.steps as i64).collect())
    .with_i64("nfe", rows.iter().map(|r| r.nfe as i64).collect())
    .with_f64("solver_error", col(&|r| r.solver_error))
    .with_f64("solver_error_max", col(&|r| r.solver_error_max))
    .with_f64("fd", col(&|r| r.fd))
    .with_f64("sw2", col(&|r| r.sw2))
    .with_f64("log_likelihood", col(&|r| r.log_likelihood))
    .with_f64("seconds", col(&|r| r.seconds))
}

/// A group of rows drawn as one line: same data, sampler and schedule.
fn line_key(r: &SweepRow) -> (String, String, &'static str) {
    (
        r.data.clone(),
        r.cell.solver.describe(),
        r.cell.schedule.name(),
    )
}

fn groups(rows: &[SweepRow]) -> Vec<Vec<&SweepRow>> {
    let mut out: Vec<Vec<&SweepRow>> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|g| line_key(g[0]) == line_key(r)) {
            Some(g) => g.push(r),
            None => out.push(vec![r]),
        }
    }
    out
}

/// The least-squares slope of -ln(solver error) against ln(NFE): the
/// measured convergence order of each sampler (at least two finite points).
pub fn fitted_orders(rows: &[SweepRow]) -> Table {
    let (mut data, mut sampler, mut schedule, mut order, mut points) =
        (vec![], vec![], vec![], vec![], vec![]);
    for g in groups(rows) {
        let pts: Vec<(f64, f64)> = g
            .iter()
            .filter(|r| r.solver_error.is_finite() && r.solver_error > 0.0)
            .map(|r| ((r.nfe as f64).ln(), r.solver_error.ln()))
            .collect();
        let slope = if pts.len() < 2 {
            f64::NAN
        } else {
            let m = pts.len() as f64;
            let (mx, my) = (
                pts.iter().map(|p| p.0).sum::<f64>() / m,
                pts.iter().map(|p| p.1).sum::<f64>() / m,
            );
            let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
            if sxx > 0.0 { sxy / sxx } else { f64::NAN }
        };
        let (d, _, k) = line_key(g[0]);
        data.push(d);
        sampler.push(sampler_label(&g[0].cell));
        schedule.push(k.to_string());
        order.push(-slope);
        points.push(pts.len() as i64);
    }
    Table::new()
        .with_str("data", data)
        .with_str("sampler", sampler)
        .with_str("schedule", schedule)
        .with_f64("fitted_order", order)
        .with_i64("points", points)
}

fn measure(r: &SweepRow, name: &str) -> f64 {
    match name {
        "solver_error" => r.solver_error,
        "fd" => r.fd,
        "sw2" => r.sw2,
        "log_likelihood" => r.log_likelihood,
        _ => r.seconds,
    }
}

/// The figures a sweep's config asks for, one per data set (the schedule
/// figure once).
fn sweep_figures(config: &Config, result: &SweepResult) -> Vec<(String, Figure)> {
    let mut out = Vec::new();
    let labels: Vec<String> = config.data.iter().map(|d| d.label()).collect();
    let many_schedules = config
        .sweep
        .as_ref()
        .and_then(|s| s.schedule.as_ref())
        .is_some_and(|s| s.len() > 1);
    for f in &config.figure {
        match f.kind {
            FigureKind::ScheduleSigmas => {
                let series = schedule_lists(&result.rows)
                    .into_iter()
                    .map(|(kind, steps, sigmas)| {
                        let x = (0..sigmas.len()).map(|i| i as f64).collect();
                        line(format!("{} N={steps}", kind.name()), x, sigmas)
                    })
                    .collect();
                out.push((
                    "schedules".to_string(),
                    Figure {
                        title: "noise schedules (sigma = 0 not drawn)".into(),
                        x_label: "step n".into(),
                        y_label: "sigma_n".into(),
                        log_y: true,
                        series,
                        ..Figure::default()
                    },
                ));
            }
            FigureKind::ErrorVsNfe | FigureKind::QualityVsNfe | FigureKind::QualityVsGamma => {
                for data in &labels {
                    out.extend(measure_figure(f, result, data, many_schedules));
                }
            }
            _ => {}
        }
    }
    out
}

fn measure_figure(
    f: &FigureConfig,
    result: &SweepResult,
    data: &str,
    many_schedules: bool,
) -> Option<(String, Figure)> {
    let default = if f.kind == FigureKind::ErrorVsNfe {
        "solver_error"
    } else {
        "fd"
    };
    let m = f.measure.as_deref().unwrap_or(default);
    let rows: Vec<SweepRow> = result
        .rows
        .iter()
        .filter(|r| r.data == data)
        .cloned()
        .collect();
    let series: Vec<Band> = if f.kind == FigureKind::QualityVsGamma {
        let mut steps: Vec<usize> = rows
            .iter()
            .filter(|r| r.cell.gamma.is_some())
            .map(|r| r.cell.steps)
            .collect();
        steps.sort_unstable();
        steps.dedup();
        steps
            .iter()
            .map(|&n| {
                let pts: Vec<&SweepRow> = rows
                    .iter()
                    .filter(|r| r.cell.steps == n && r.cell.gamma.is_some())
                    .collect();
                line(
                    format!("N = {n}"),
                    pts.iter()
                        .map(|r| r.cell.gamma.unwrap_or(f64::NAN))
                        .collect(),
                    pts.iter().map(|r| measure(r, m)).collect(),
                )
            })
            .collect()
    } else {
        groups(&rows)
            .into_iter()
            .map(|g| {
                let label = if many_schedules {
                    format!(
                        "{} {}",
                        g[0].cell.solver.describe(),
                        g[0].cell.schedule.name()
                    )
                } else {
                    g[0].cell.solver.describe()
                };
                line(
                    label,
                    g.iter().map(|r| r.nfe as f64).collect(),
                    g.iter().map(|r| measure(r, m)).collect(),
                )
            })
            .collect()
    };
    if series.is_empty() {
        return None;
    }
    let (stem, x_label, log_x) = match f.kind {
        FigureKind::QualityVsGamma => (format!("{m}-vs-gamma-{data}"), "gamma", false),
        _ => (
            format!("{m}-vs-nfe-{data}"),
            "denoiser evaluations (NFE)",
            true,
        ),
    };
    Some((
        stem,
        Figure {
            title: format!("{data}: {m}"),
            x_label: x_label.into(),
            y_label: measure_label(m, result.features),
            log_x,
            log_y: m != "log_likelihood",
            series,
            ..Figure::default()
        },
    ))
}

/// Writes the sweep's tables and figures; returns the paths.
pub fn write(
    config: &Config,
    result: &SweepResult,
    tables: &Path,
    figures: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    written.extend(write_table(
        &config.name,
        &sweep_table(&result.rows),
        tables,
        "sweep",
    )?);
    written.extend(write_table(
        &config.name,
        &fitted_orders(&result.rows),
        tables,
        "orders",
    )?);
    for (stem, fig) in sweep_figures(config, result) {
        written.extend(render(&fig, &figures.join(stem))?);
    }
    Ok(written)
}

/// The printed table: one line per cell.
pub fn summary(result: &SweepResult) -> String {
    let mut s = format!(
        "{:<14} {:<36} {:<14} {:>5} {:>5} {:>12} {:>10} {:>10} {:>8}\n",
        "data",
        "sampler",
        "schedule",
        "steps",
        "NFE",
        "solver err",
        result.features.label(),
        "SW2",
        "seconds"
    );
    for r in &result.rows {
        s += &format!(
            "{:<14} {:<36} {:<14} {:>5} {:>5} {:>12.4e} {:>10.4} {:>10.4} {:>8.2}\n",
            r.data,
            r.cell.solver.describe(),
            r.cell.schedule.name(),
            r.cell.steps,
            r.nfe,
            r.solver_error,
            r.fd,
            r.sw2,
            r.seconds
        );
    }
    s
}

/// A sweep measure as an axis label: what it is, not only its column name.
fn measure_label(m: &str, features: QualityFeatures) -> String {
    match (m, features) {
        ("fd", QualityFeatures::Pca) => {
            "FD-PCA: Frechet distance in PCA features (lower is better)".into()
        }
        ("fd", QualityFeatures::Inception) => {
            "FID: Frechet distance in Inception-v3 features (lower is better)".into()
        }
        ("fd", QualityFeatures::Classifier) => {
            "FD-classifier: Frechet distance in classifier features (lower is better)".into()
        }
        _ => measure_name(m),
    }
}

fn measure_name(m: &str) -> String {
    match m {
        "sw2" => "sliced Wasserstein-2 to held-out data".into(),
        "solver_error" => "solver error |x_N - x_N^ref| / sqrt(d)".into(),
        "solver_error_max" => "largest solver error / sqrt(d)".into(),
        "log_likelihood" => "mean log-density of the samples".into(),
        other => other.into(),
    }
}
