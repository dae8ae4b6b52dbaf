//! GITS outputs: each data set's cost matrix and the schedules the run used,
//! as tables (gits-costs, gits-schedules) and as provenance.

use super::tables::write_table;
use crate::execute::gits::GitsWarmup;
use crate::execute::{Outcome, Run};
use geotraj_records::Table;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The warm-ups of a run (trajectory run or sweep) and the step counts it used.
pub fn warmups(run: &Run) -> (Vec<&GitsWarmup>, Vec<usize>) {
    let all = match &run.outcome {
        Outcome::Trajectory(t) => t.gits.iter().collect(),
        Outcome::Sweep(s) => s.gits.iter().collect(),
        Outcome::Projection(_) => Vec::new(),
    };
    (all, run.plan.gits_steps())
}

fn costs_table(warmups: &[&GitsWarmup]) -> Table {
    let (mut data, mut i_col, mut j_col) = (Vec::new(), Vec::new(), Vec::new());
    let (mut si, mut sj, mut cost) = (Vec::new(), Vec::new(), Vec::new());
    for w in warmups {
        let points = w.fine.len();
        for i in 0..points {
            for j in i + 1..points {
                data.push(w.data.clone());
                i_col.push(i as i64);
                j_col.push(j as i64);
                si.push(w.fine[i]);
                sj.push(w.fine[j]);
                cost.push(w.costs[i * points + j]);
            }
        }
    }
    Table::new()
        .with_str("data", data)
        .with_i64("i", i_col)
        .with_i64("j", j_col)
        .with_f64("sigma_i", si)
        .with_f64("sigma_j", sj)
        .with_f64("cost", cost)
}

fn schedules_table(warmups: &[&GitsWarmup], steps: &[usize]) -> anyhow::Result<Table> {
    let (mut data, mut steps_col, mut k_col) = (Vec::new(), Vec::new(), Vec::new());
    let (mut sigma, mut grid_index) = (Vec::new(), Vec::new());
    for w in warmups {
        for &n in steps {
            for (k, s) in w.sigmas(n)?.into_iter().enumerate() {
                data.push(w.data.clone());
                steps_col.push(n as i64);
                k_col.push(k as i64);
                sigma.push(s);
                let at = w.fine.iter().position(|&f| f == s).expect("a grid point");
                grid_index.push(at as i64);
            }
        }
    }
    Ok(Table::new()
        .with_str("data", data)
        .with_i64("steps", steps_col)
        .with_i64("k", k_col)
        .with_f64("sigma", sigma)
        .with_i64("grid_index", grid_index))
}

/// Writes gits-costs and gits-schedules (Parquet and CSV), if the run used GITS.
pub fn write(
    experiment: &str,
    warmups: &[&GitsWarmup],
    steps: &[usize],
    tables: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    if warmups.is_empty() {
        return Ok(Vec::new());
    }
    let mut written = write_table(experiment, &costs_table(warmups), tables, "gits-costs")?;
    written.extend(write_table(
        experiment,
        &schedules_table(warmups, steps)?,
        tables,
        "gits-schedules",
    )?);
    Ok(written)
}

/// For run.json: how each warm-up was made and the schedules it gave.
pub fn provenance(warmups: &[&GitsWarmup], steps: &[usize]) -> Value {
    Value::Array(
        warmups
            .iter()
            .map(|w| {
                let schedules: serde_json::Map<String, Value> = steps
                    .iter()
                    .filter_map(|&n| w.sigmas(n).ok().map(|s| (n.to_string(), json!(s))))
                    .collect();
                json!({
                    "data": w.data,
                    "warmup_trajectories": w.warmup,
                    "teacher": w.teacher,
                    "cost": w.cost,
                    "coefficient": w.coefficient,
                    "grid": w.fine,
                    "from_cache": w.from_cache,
                    "cache_file": w.cache_file.as_ref().map(|p| p.display().to_string()),
                    "seconds": w.seconds,
                    "schedules": schedules,
                })
            })
            .collect(),
    )
}
