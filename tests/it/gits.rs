//! GITS schedules in runs: a sweep over schedules and a trajectory run with
//! schedule.kind = "gits"; the schedules are drawn from the grid, do not
//! depend on the batch size, are cached and reused exactly, and beat EDM's
//! schedule for Euler at few steps on a Gaussian mixture.

use crate::common::numeric;
use geotraj::records::{Column, Table, read_parquet};
use std::path::Path;
use std::process::Command;
use tempfile::tempdir;

fn sweep_config(batch: usize) -> String {
    format!(
        r#"
name = "gits-test"
seed = 3
trajectories = 32
batch_size = {batch}
[[data]]
kind = "gmm"
n = 400
components = 4
dim = 4
std = 0.3
denoiser = "analytic"
[schedule]
kind = "edm"
sigma_max = 80.0
end = "zero"
[schedule.gits]
grid_steps = 24
warmup = 48
[sweep]
sampler = ["euler", "ipndm"]
steps = [4, 6]
schedule = ["edm", "gits"]
"#
    )
}

fn run(config: &str, dir: &Path, out: &str) -> serde_json::Value {
    let cfg = dir.join(format!("{out}.toml"));
    std::fs::write(&cfg, config).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_run-experiment"))
        .arg(&cfg)
        .args(["--device", "cpu", "--out"])
        .arg(dir.join(out))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(dir.join(out).join("run.json")).unwrap()).unwrap()
}

fn strs(t: &Table, name: &str) -> Vec<String> {
    match t.column(name).unwrap() {
        Column::Str(v) => v.clone(),
        _ => panic!("{name} is a string column"),
    }
}

#[test]
fn gits_sweep_schedules_come_from_the_grid_and_are_cached() {
    let dir = tempdir().unwrap();
    let first = run(&sweep_config(8), dir.path(), "a");
    let w = &first["gits"][0];
    assert_eq!(w["from_cache"], false);
    let grid: Vec<f64> = serde_json::from_value(w["grid"].clone()).unwrap();
    assert_eq!(grid.len(), 25, "24 grid steps to sigma_min, then 0");
    for steps in [4usize, 6] {
        let s: Vec<f64> =
            serde_json::from_value(w["schedules"][steps.to_string()].clone()).unwrap();
        assert_eq!(s.len(), steps + 1);
        assert_eq!((s[0], s[steps]), (80.0, 0.0));
        assert!(s.iter().all(|v| grid.contains(v)), "{s:?} not on the grid");
        assert!(s.windows(2).all(|p| p[1] < p[0]));
    }

    // The sweep's GITS rows use those schedules; one table row per cell.
    let out = dir.path().join("a");
    let sweep = read_parquet(&out.join("sweep.parquet")).unwrap();
    assert_eq!(sweep.len(), 2 * 2 * 2);
    let sched = read_parquet(&out.join("gits-schedules.parquet")).unwrap();
    assert_eq!(sched.len(), 5 + 7);
    let costs = read_parquet(&out.join("gits-costs.parquet")).unwrap();
    assert_eq!(costs.len(), 25 * 24 / 2);
    assert!(numeric(&costs, "cost").iter().all(|c| c.is_finite()));

    // GITS beats EDM's schedule for Euler at 4 and 6 steps (the paper's
    // claim, on a mixture whose exact denoiser leaves no learning error).
    let (schedule, sampler) = (strs(&sweep, "schedule"), strs(&sweep, "sampler"));
    let (steps, err) = (numeric(&sweep, "steps"), numeric(&sweep, "solver_error"));
    let find = |sc: &str, sa: &str, n: f64| {
        (0..sweep.len())
            .find(|&i| schedule[i] == sc && sampler[i] == sa && steps[i] == n)
            .map(|i| err[i])
            .unwrap()
    };
    for n in [4.0, 6.0] {
        assert!(
            find("gits", "euler", n) < find("edm", "euler", n),
            "Euler {n} steps: GITS {} vs EDM {}",
            find("gits", "euler", n),
            find("edm", "euler", n)
        );
    }

    // The second run reads the cost matrix from the cache and repeats the
    // tables exactly; a third with another batch size changes nothing.
    let cache = out.join("cache/gits");
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    let again = run(&sweep_config(8), dir.path(), "a");
    assert_eq!(again["gits"][0]["from_cache"], true);
    assert_eq!(again["gits"][0]["schedules"], w["schedules"]);
    let resweep = read_parquet(&out.join("sweep.parquet")).unwrap();
    assert_eq!(numeric(&resweep, "solver_error"), err);
    let other = run(&sweep_config(5), dir.path(), "b");
    assert_eq!(other["gits"][0]["from_cache"], false);
    assert_eq!(other["gits"][0]["schedules"], w["schedules"]);

    // A changed setting misses the cache instead of reusing a stale matrix.
    let changed = sweep_config(8).replace("warmup = 48", "warmup = 40");
    let third = run(&changed, dir.path(), "a");
    assert_eq!(third["gits"][0]["from_cache"], false);
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 2);
}

#[test]
fn trajectory_runs_take_gits_schedules() {
    let dir = tempdir().unwrap();
    let config = r#"
name = "gits-traj"
trajectories = 8
[[data]]
kind = "gmm"
n = 300
dim = 2
[schedule]
kind = "gits"
sigma_max = 20.0
end = "sigma-min"
[schedule.gits]
grid_steps = 16
warmup = 16
cost = "l2"
cache = false
[[sampler]]
solver = "heun"
steps = 5
"#;
    let r = run(config, dir.path(), "t");
    let w = &r["gits"][0];
    assert!(w["cache_file"].is_null());
    let s: Vec<f64> = serde_json::from_value(w["schedules"]["5"].clone()).unwrap();
    let used: Vec<f64> = serde_json::from_value(r["cases"][0]["sigmas"].clone()).unwrap();
    assert_eq!(used, s);
    assert_eq!((s.len(), s[0], s[5]), (6, 20.0, 0.002));
    assert!(!dir.path().join("t/cache").exists());
}

#[test]
fn bad_gits_settings_name_their_key() {
    let base = |extra: &str, schedule: &str| {
        format!(
            "name = \"g\"\ntrajectories = 4\n[[data]]\nkind = \"two-moons\"\n\
             [schedule]\nkind = \"{schedule}\"\n{extra}\n[[sampler]]\nsolver = \"euler\"\nsteps = 5\n"
        )
    };
    let err = |extra: &str| crate::common::parse_config(&base(extra, "gits")).unwrap_err();
    assert!(err("[schedule.gits]\ncost = \"l3\"").starts_with("schedule.gits.cost"));
    assert!(err("[schedule.gits]\nteacher = \"ddpm\"").starts_with("schedule.gits.teacher"));
    assert!(err("[schedule.gits]\nteacher = \"rk4\"").starts_with("schedule.gits.teacher"));
    assert!(err("[schedule.gits]\ngrid = \"gits\"").starts_with("schedule.gits.grid"));
    assert!(err("[schedule.gits]\nwarmup = 0").starts_with("schedule.gits.warmup"));
    assert!(err("[schedule.gits]\ncoefficient = -1.0").starts_with("schedule.gits.coefficient"));
    assert!(err("[schedule.gits]\ngrid_steps = 4").starts_with("sampler[0].steps"));
    assert!(err("[schedule.gits]\nspeed = 2").contains("speed"));
    let unused =
        crate::common::parse_config(&base("[schedule.gits]\nwarmup = 8", "edm")).unwrap_err();
    assert!(unused.starts_with("schedule.gits:"), "{unused}");
    assert!(crate::common::parse_config(&base("", "gits")).is_ok());
    let analytic = crate::common::parse_config(
        "name = \"g\"\ntrajectories = 4\n[[data]]\nkind = \"two-moons\"\ndenoiser = \"analytic\"\n\
         [[sampler]]\nsolver = \"euler\"\nsteps = 5\n",
    )
    .unwrap_err();
    assert!(analytic.starts_with("data[0].denoiser"), "{analytic}");
}
