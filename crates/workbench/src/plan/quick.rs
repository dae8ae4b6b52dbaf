//! `--quick`: a small version of the experiment, from the file's `[quick]`
//! table or its defaults (16 trajectories, 2,000 data rows, 60 training
//! steps, a sweep's own step counts).

use super::keys::bad;
use crate::config::{Config, ConfigError, QuickConfig};

pub(super) fn check(q: &QuickConfig) -> Result<(), ConfigError> {
    for (key, v) in [
        ("quick.trajectories", q.trajectories),
        ("quick.data_limit", q.data_limit),
        ("quick.train_steps", q.train_steps),
    ] {
        if v == Some(0) {
            return Err(bad(key, "must be at least 1"));
        }
    }
    if let Some(steps) = &q.steps
        && (steps.is_empty() || steps.contains(&0))
    {
        return Err(bad("quick.steps", "must list step counts of at least 1"));
    }
    Ok(())
}

/// The config with `[quick]` applied.
pub(super) fn shrink(mut c: Config) -> Config {
    c.trajectories = c.trajectories.min(c.quick.trajectories.unwrap_or(16));
    let limit = c.quick.data_limit.unwrap_or(2000);
    for d in &mut c.data {
        d.limit = Some(d.limit.map_or(limit, |l| l.min(limit)));
    }
    if let (Some(sweep), Some(steps)) = (&mut c.sweep, &c.quick.steps) {
        sweep.steps = steps.clone();
    }
    if let Some(t) = &mut c.train {
        t.steps = t.steps.min(c.quick.train_steps.unwrap_or(60));
        t.warmup = t.warmup.min(t.steps);
    }
    if c.uses_gits() {
        let mut g = c.schedule.gits();
        g.warmup = g.warmup.min(c.trajectories.max(1));
        c.schedule.gits = Some(g);
    }
    c
}
