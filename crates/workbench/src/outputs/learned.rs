//! Outputs of a run with a learned denoiser: the training loss curve (table
//! and figure), the learned-vs-optimal distances (table and one figure per
//! sampler), their summary lines and run.json record.

use super::style::{fmt_num, line};
use super::tables::write_table;
use crate::execute::learned_vs_optimal::{Gaps, NAMES, band};
use crate::execute::model::Model;
use geotraj_plots::{Band, Figure, render};
use geotraj_records::Table;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Legend labels of the four distances.
const LABELS: [&str; 4] = [
    "|x_n - x*_n|",
    "|D_theta(x_n) - D*(x*_n)|",
    "|D_theta(x_n) - D*(x_n)|",
    "|D_theta(x*_n) - D*(x*_n)|",
];

pub fn write(
    experiment: &str,
    model: Option<&Model>,
    gaps: &[Gaps],
    tables: &Path,
    figures: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    if let Some(m) = model
        && let Some(t) = &m.training
        && !t.losses.is_empty()
    {
        let table = Table::new()
            .with_i64("step", t.losses.iter().map(|p| p.step as i64).collect())
            .with_f64("loss", t.losses.iter().map(|p| p.loss).collect())
            .with_f64("grad_norm", t.losses.iter().map(|p| p.grad_norm).collect())
            .with_f64("seconds", t.losses.iter().map(|p| p.seconds).collect());
        written.extend(write_table(experiment, &table, tables, "training-loss")?);
        let fig = Figure {
            title: format!("training loss: {}", m.network),
            x_label: "step".into(),
            y_label: "EDM loss (mean per element)".into(),
            log_y: true,
            series: vec![line(
                "loss".into(),
                t.losses.iter().map(|p| p.step as f64).collect(),
                t.losses.iter().map(|p| p.loss).collect(),
            )],
            ..Figure::default()
        };
        written.extend(render(&fig, &figures.join("training-loss"))?);
    }
    if gaps.is_empty() {
        return Ok(written);
    }
    let mut table = Table::new();
    for g in gaps {
        table.append(gap_table(g))?;
    }
    written.extend(write_table(
        experiment,
        &table,
        tables,
        "learned-vs-optimal",
    )?);
    for g in gaps {
        let series: Vec<Band> = (0..4)
            .map(|k| {
                let b = band(g, k);
                Band {
                    label: LABELS[k].into(),
                    x: g.sigma.clone(),
                    mid: b.mid,
                    lo: b.lo,
                    hi: b.hi,
                }
            })
            .collect();
        let fig = Figure {
            title: format!("learned vs optimal denoiser, same noise: {}", g.sampler),
            x_label: "sigma".into(),
            y_label: "L2 distance (median, 10-90 %)".into(),
            log_x: true,
            reverse_x: true,
            series,
            ..Figure::default()
        };
        let stem = figures.join(format!("learned-vs-optimal-{}", g.sampler));
        written.extend(render(&fig, &stem)?);
    }
    Ok(written)
}

fn gap_table(g: &Gaps) -> Table {
    let points = g.steps.len();
    let rows = g.n * points;
    let mut t = Table::new()
        .with_str("learned", vec![g.learned.clone(); rows])
        .with_str("optimal", vec![g.optimal.clone(); rows])
        .with_str("sampler", vec![g.sampler.clone(); rows])
        .with_i64(
            "trajectory",
            (0..rows).map(|r| (r / points) as i64).collect(),
        )
        .with_i64(
            "step",
            (0..rows).map(|r| g.steps[r % points] as i64).collect(),
        )
        .with_f64("sigma", (0..rows).map(|r| g.sigma[r % points]).collect());
    for (k, name) in NAMES.iter().enumerate() {
        t = t.with_f64(name, g.values[k].clone());
    }
    t
}

/// How close the learned and the optimal denoiser are on the same states,
/// median ‖D_θ(x_n) − D*(x_n)‖: (sigma, value) where they are closest, and
/// the values at the largest and the smallest recorded sigma.
pub fn agreement(g: &Gaps) -> ((f64, f64), f64, f64) {
    let mid = band(g, 2).mid;
    let closest = (0..mid.len())
        .filter(|&j| mid[j].is_finite())
        .min_by(|&a, &b| mid[a].total_cmp(&mid[b]))
        .map_or((f64::NAN, f64::NAN), |j| (g.sigma[j], mid[j]));
    let at = |j: Option<usize>| j.map_or(f64::NAN, |j| mid[j]);
    (
        closest,
        at((!mid.is_empty()).then_some(0)),
        at(mid.len().checked_sub(1)),
    )
}

pub fn summary(model: Option<&Model>, gaps: &[Gaps]) -> String {
    let mut s = String::new();
    if let Some(m) = model {
        s += &match &m.training {
            Some(t) => format!(
                "network: {}, {} parameters, {} steps in {:.1} min ({} this run), final loss {}; {}\n",
                m.network,
                m.parameters,
                t.steps,
                t.seconds / 60.0,
                t.steps_now,
                fmt_num(t.losses.last().map_or(f64::NAN, |p| p.loss)),
                m.dir.display()
            ),
            None => format!("network: {} (pretrained); {}\n", m.network, m.dir.display()),
        };
    }
    for g in gaps {
        let ((sigma, best), first, last) = agreement(g);
        let (s0, s1) = (
            g.sigma.first().copied().unwrap_or(f64::NAN),
            g.sigma.last().copied().unwrap_or(f64::NAN),
        );
        s += &format!(
            "learned vs optimal ({}): median |D_theta(x_n) - D*(x_n)| {} at sigma {}, closest {} at sigma {}, {} at sigma {}; final |x_N - x*_N|/sqrt(d) {}\n",
            g.sampler,
            fmt_num(first),
            fmt_num(s0),
            fmt_num(best),
            fmt_num(sigma),
            fmt_num(last),
            fmt_num(s1),
            fmt_num(g.final_gap),
        );
    }
    s
}

pub fn provenance(model: Option<&Model>) -> serde_json::Value {
    match model {
        None => serde_json::Value::Null,
        Some(m) => {
            let t = m.training.as_ref();
            json!({
                "dir": m.dir,
                "defined_by": m.defined_by,
                "network": m.network,
                "pretrained": t.is_none(),
                "spec": t.map(|t| &t.spec),
                "parameters": m.parameters,
                "data": m.data,
                "steps": t.map(|t| t.steps),
                "steps_this_run": t.map(|t| t.steps_now),
                "train_seconds": t.map(|t| t.seconds),
                "final_loss": t.and_then(|t| t.losses.last().map(|p| p.loss)),
            })
        }
    }
}
