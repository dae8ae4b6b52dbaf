//! Writes a finished run into its staged folders: its kind's tables,
//! samples and figures, then run.json last (which lists every file by the
//! path it will have once the folders are swapped in).

mod data_figures;
mod fields;
pub mod gits;
mod images;
mod jump_quality;
pub mod learned;
mod lowdim;
mod projection;
pub mod samples;
pub mod style;
mod sweep;
mod tables;
mod trajectory;

pub use data_figures::{ErrorCurve, error_curve};
pub use trajectory::standard_figures;

use crate::context::memory;
use crate::execute::{Outcome, Run};
use geotraj_plots::render;
use geotraj_records::write_json;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Writes everything of the run and returns the paths written, run.json
/// last. The streamed tables are finished (renamed into place) first.
pub fn write(run: &mut Run, argv: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let t0 = Instant::now();
    let dirs = run.meta.dirs.clone();
    let mut written = Vec::new();
    if let Outcome::Trajectory(t) = &mut run.outcome
        && let Some(streams) = t.streams.take()
    {
        written.extend(streams.finish()?);
    }
    let run = &*run;
    let config = &run.plan.config;
    let (tables, figures) = (&dirs.tables, &dirs.figures);
    match &run.outcome {
        Outcome::Projection(p) => {
            written.extend(projection::write(&config.name, p, tables, figures)?)
        }
        Outcome::Sweep(s) => {
            written.extend(sweep::write(config, s, tables, figures)?);
            written.extend(samples::write_sweep(config, &run.data, s, tables)?);
        }
        Outcome::Trajectory(t) if !t.cases.is_empty() => {
            written.extend(trajectory::write(config, &run.data, &t.cases, &dirs)?);
        }
        Outcome::Trajectory(_) => {}
    }
    let (warmups, steps) = gits::warmups(run);
    written.extend(gits::write(&config.name, &warmups, &steps, tables)?);
    let traj = run.trajectories();
    let cases = traj.map_or(&[][..], |t| &t.cases);
    written.extend(images::write(cases, &run.data, figures)?);
    let gaps = traj.map_or(&[][..], |t| &t.gaps);
    written.extend(learned::write(
        &config.name,
        run.model.as_ref(),
        gaps,
        tables,
        figures,
    )?);
    let fields = traj.map_or(&[][..], |t| &t.fields);
    for (stem, fig) in fields::figures(config, &run.data, cases, fields) {
        written.extend(render(&fig, &figures.join(stem))?);
    }
    // Planning keeps label-made names apart; this catches any that slip
    // through before the folder (with one file silently lost) is committed.
    let mut sorted: Vec<&PathBuf> = written.iter().collect();
    sorted.sort();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        anyhow::bail!(
            "two outputs of this run are both named {}; rename a data set or sampler",
            run.meta.staging.final_path(w[0]).display()
        );
    }
    let provenance = provenance(run, argv, t0.elapsed().as_secs_f64(), &written);
    let path = tables.join("run.json");
    write_json(&path, &provenance)?;
    written.push(path);
    Ok(written)
}

fn provenance(
    run: &Run,
    argv: &[String],
    write_seconds: f64,
    written: &[PathBuf],
) -> serde_json::Value {
    let cases = run.trajectories().map_or(&[][..], |t| &t.cases);
    let sweep = match &run.outcome {
        Outcome::Sweep(s) => Some(s),
        _ => None,
    };
    let (warmups, steps) = gits::warmups(run);
    let case_records: Vec<_> = cases
        .iter()
        .map(|c| {
            json!({
                "data": c.data,
                "sampler": c.sampler,
                "solver": c.solver,
                "trajectories": c.n,
                "steps": c.steps(),
                "nfe": c.nfe(),
                "sigmas": c.sigmas(),
                "seconds": c.seconds,
                "measure_seconds": c.measure_seconds,
                "optimal_exact_rows": c.exact_rows,
                "optimal_exact_candidates": c.exact_candidates,
                "optimal_pruning": c.pruning.iter().map(|p| json!({
                    "sigma": p.sigma,
                    "evaluations": p.evaluations,
                    "screened": p.screened,
                    "skipped_fraction": p.skipped_fraction,
                })).collect::<Vec<_>>(),
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
        "started_unix": run.meta.started_unix,
        "device": run.meta.device,
        "threads": rayon::current_num_threads(),
        "config": serde_json::to_value(&run.plan.config).unwrap_or(serde_json::Value::Null),
        "data": data,
        "cases": case_records,
        "gits": gits::provenance(&warmups, &steps),
        "model": learned::provenance(run.model.as_ref()),
        "references": sweep.map(|s| s.references.iter().map(|r| json!({
            "data": r.data,
            "sigma_start": r.sigma_start,
            "sigma_end": r.sigma_end,
            "final_jump": r.final_jump,
            "nfe": r.nfe,
            "accepted_steps": r.accepted,
            "rejected_steps": r.rejected,
            "seconds": r.seconds,
        })).collect::<Vec<_>>()),
        "peak_memory_bytes": memory::peak_rss_bytes(),
        "memory_estimate_bytes": run.meta.memory_estimate,
        "timings": {
            "load_seconds": run.meta.load_seconds,
            "sampling_seconds": cases.iter().map(|c| c.seconds).sum::<f64>()
                + sweep.map_or(0.0, |s| s.rows.iter().map(|r| r.seconds).sum::<f64>()),
            "write_seconds": write_seconds,
        },
        "outputs": written
            .iter()
            .map(|p| run.meta.staging.final_path(p).display().to_string())
            .collect::<Vec<_>>(),
    })
}

/// The run's summary: its kind's table and lines.
pub fn summary(run: &Run) -> String {
    let config = &run.plan.config;
    let model = run.model.as_ref();
    match &run.outcome {
        Outcome::Sweep(s) => sweep::summary(s),
        Outcome::Projection(p) => projection::summary(p),
        Outcome::Trajectory(t) if t.cases.is_empty() => learned::summary(model, &t.gaps),
        Outcome::Trajectory(t) => {
            trajectory::summary(config, &t.cases)
                + &learned::summary(model, &t.gaps)
                + &data_figures::summary(config, &t.cases)
        }
    }
}
