//! The memory a run will need, estimated from its plan and its data's
//! sizes, and judged against the memory there is before anything large is
//! allocated. The estimate counts what a run keeps (data, per-step
//! measures, final samples, the recorded head trajectories, covariances)
//! and the largest working set of one batch; it is stated in run.json.

use super::RunKind;
use crate::config::{Config, ConfigError};

/// Trajectories whose states are kept whole (figures, views); the same
/// count as `execute::case::HEAD_TRAJECTORIES`, which reads it from here.
pub const HEAD_TRAJECTORIES: usize = 256;
/// f64 columns of the per-step measures table, per trajectory and step.
const STEP_COLUMNS: f64 = 24.0;

/// One part of a run's memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// The keys that size it.
    pub key: String,
    pub what: &'static str,
    pub bytes: f64,
}

/// A run's memory, part by part.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimate {
    pub needs: Vec<Need>,
}

impl Estimate {
    pub fn total(&self) -> f64 {
        self.needs.iter().map(|n| n.bytes).sum()
    }

    fn add(&mut self, key: impl Into<String>, what: &'static str, bytes: f64) {
        self.needs.push(Need {
            key: key.into(),
            what,
            bytes,
        });
    }

    /// Errs, naming the largest part's keys, when the total exceeds `available`.
    pub fn check(&self, available: (f64, String)) -> Result<(), ConfigError> {
        let (limit, source) = available;
        let total = self.total();
        if total <= limit {
            return Ok(());
        }
        let top = self
            .needs
            .iter()
            .max_by(|a, b| a.bytes.total_cmp(&b.bytes))
            .expect("a total above zero has parts");
        Err(ConfigError::new(
            top.key.clone(),
            format!(
                "the run would need about {} of memory ({} of it for {}), but {} is available ({source}); \
                 lower it, or set GEOTRAJ_MAX_MEMORY (e.g. 64G) if more is free",
                human(total),
                human(top.bytes),
                top.what,
                human(limit)
            ),
        ))
    }
}

/// Bytes in binary units, three significant digits.
pub fn human(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// The memory a run may use, and where that figure came from: the data
/// loaders' cap (GEOTRAJ_MAX_MEMORY, else MemAvailable), one knob for both.
pub fn available() -> (f64, String) {
    let (bytes, source) = geotraj_data::limits::max_payload();
    (bytes as f64, source)
}

/// The estimate for a plan (its config and kind) with each data set's (rows, dimension), None
/// where not yet known (files before loading): their parts are left out.
/// f64 throughout, so no size product can overflow.
pub fn estimate(c: &Config, kind: &RunKind, dims: &[Option<(usize, usize)>]) -> Estimate {
    let mut e = Estimate::default();
    let n = c.trajectories as f64;
    let batch = (c.batch_size.min(c.trajectories.max(1))) as f64;
    let mut working: Option<Need> = None;
    let mut keep_largest = |need: Need| {
        if working.as_ref().is_none_or(|w| need.bytes > w.bytes) {
            working = Some(need);
        }
    };
    for (i, dim) in dims.iter().enumerate() {
        let Some((rows, d)) = *dim else { continue };
        let (rows, d) = (rows as f64, d as f64);
        e.add(format!("data[{i}]"), "the data set", rows * d * 4.0);
        let chunk = (c.denoiser.chunk as f64).min(rows);
        let steps_list: Vec<(String, f64)> = match kind {
            RunKind::Trajectory(samplers) => samplers
                .iter()
                .enumerate()
                .map(|(j, s)| (format!("sampler[{j}].steps"), (s.sigmas.len() - 1) as f64))
                .collect(),
            RunKind::Sweep(cells) => cells
                .iter()
                .map(|cell| ("sweep.steps".to_string(), cell.steps as f64))
                .collect(),
            RunKind::Projection(_) => Vec::new(),
        };
        for (key, steps) in steps_list {
            // Up to three evaluations per step (third-order solvers).
            let points = steps + 1.0 + 3.0 * steps;
            let both = |k: &str| format!("trajectories x {k}");
            let samples = n * d * 4.0;
            if matches!(kind, RunKind::Trajectory(_)) {
                // Every case is kept until the outputs are written.
                e.add(
                    both(&key),
                    "per-step measures",
                    n * (steps + 1.0) * STEP_COLUMNS * 8.0,
                );
                let head = n.min(HEAD_TRAJECTORIES.max(c.measures.views) as f64);
                e.add(
                    both(&key),
                    "recorded head trajectories",
                    head * points * d * 4.0,
                );
                e.add(
                    format!("trajectories x data[{i}]"),
                    "final samples",
                    samples,
                );
            }
            // A sweep judges one cell's samples at a time.
            let sweep_cell = if matches!(kind, RunKind::Sweep(_)) {
                2.0 * samples
            } else {
                0.0
            };
            keep_largest(Need {
                key: format!("batch_size x {key}"),
                what: "one batch's trajectories",
                bytes: batch * points * d * 4.0 + batch * chunk * 8.0 + sweep_cell,
            });
        }
        if c.uses_gits() {
            // The warm-up keeps every teacher trajectory until its costs are taken.
            let g = c.schedule.gits();
            let fine = g.grid_steps as f64 * g.teacher_substeps as f64;
            let grid = g.grid_steps as f64 + 1.0;
            keep_largest(Need {
                key: "schedule.gits.warmup x schedule.gits.grid_steps".into(),
                what: "the GITS warm-up's teacher trajectories",
                bytes: g.warmup as f64 * (fine + 1.0 + 3.0 * fine) * d * 4.0 + grid * grid * 8.0,
            });
        }
        if matches!(kind, RunKind::Sweep(_)) {
            let k = d.min(rows);
            e.add(
                format!("data[{i}]"),
                "the PCA of the data",
                k * k * 8.0 + k * d * 8.0,
            );
        }
    }
    if let RunKind::Projection(p) = kind {
        let ambient = dims.iter().flatten().map(|&(_, d)| d).max().unwrap_or(0) as f64;
        e.add(
            "projection.points x projection.sigmas",
            "noisy points and their projections",
            p.points as f64 * p.sigmas as f64 * ambient * 4.0 * 3.0,
        );
    }
    if let Some(w) = working {
        e.needs.push(w);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(human(512.0), "512 B");
        assert_eq!(human(1024.0), "1.0 KiB");
        assert_eq!(human(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
        assert_eq!(human(1e30), "867361737988.4 EiB");
    }
}
