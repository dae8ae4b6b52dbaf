//! Shared fixtures.

use geotraj::data::{Dataset, rng};
use geotraj::sampling::Denoiser;
use geotraj::sampling::{Device, SampleOptions, Solver, Trajectories, sample};

pub fn cpu() -> Device {
    Device::flex()
}

pub fn noise(n: usize, d: usize) -> Vec<f32> {
    rng::normal_rows(7, 0..n, d)
}

pub fn run(
    den: &dyn Denoiser,
    solver: Solver,
    sigmas: &[f64],
    noise: &[f32],
    batch: usize,
) -> Trajectories {
    sample(
        den,
        solver,
        sigmas,
        noise,
        SampleOptions::batch(batch),
        &mut || {},
    )
    .unwrap()
}

/// Largest |a - b| / max(1, |b|) over two equally long state buffers.
pub fn max_rel_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0f32, f32::max)
}

/// Direct f64 optimal denoiser: softmax over exact squared distances.
pub fn optimal_f64(data: &Dataset, x: &[f32], sigma: f64) -> Vec<f64> {
    let d = data.d;
    let logits: Vec<f64> = (0..data.n)
        .map(|i| {
            let y = data.row(i);
            -x.iter()
                .zip(y)
                .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
                .sum::<f64>()
                / (2.0 * sigma * sigma)
        })
        .collect();
    let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
    let total: f64 = w.iter().sum();
    let mut out = vec![0.0; d];
    for (i, wi) in w.iter().enumerate() {
        for (o, &y) in out.iter_mut().zip(data.row(i)) {
            *o += wi * y as f64 / total;
        }
    }
    out
}

/// Runs the config `text` (saved as DIR/NAME.toml) on the CPU with its
/// outputs under DIR/NAME, which it returns.
pub fn run_to(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(&cfg, text).unwrap();
    let out = dir.join(name);
    let mut r = run_experiment(&geotraj::workbench::execute::RunOptions {
        config_path: cfg,
        device: geotraj::workbench::context::device::DeviceChoice::Cpu,
        quick: false,
        out: Some(out.clone()),
    })
    .unwrap();
    geotraj::workbench::report::publish(&mut r, &[]).unwrap();
    out
}

/// Runs the config `text` (saved as DIR/NAME.toml) on the CPU, expecting
/// it to fail; returns the error as `run-experiment` prints it.
pub fn fail_to(dir: &std::path::Path, name: &str, text: &str) -> String {
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(&cfg, text).unwrap();
    run_experiment(&geotraj::workbench::execute::RunOptions {
        config_path: cfg,
        device: geotraj::workbench::context::device::DeviceChoice::Cpu,
        quick: false,
        out: Some(dir.join(name)),
    })
    .err()
    .expect("the run fails")
}

/// A numeric column of a table as f64 (integers and flags converted, null as NaN).
pub fn numeric(t: &geotraj::records::Table, name: &str) -> Vec<f64> {
    use geotraj::records::Column;
    match t.column(name) {
        Some(Column::F64(v)) => v.clone(),
        Some(Column::I64(v)) => v.iter().map(|&x| x as f64).collect(),
        Some(Column::OptI64(v)) => v.iter().map(|x| x.map_or(f64::NAN, |x| x as f64)).collect(),
        Some(Column::Bool(v)) => v
            .iter()
            .map(|x| x.map_or(f64::NAN, |b| f64::from(u8::from(b))))
            .collect(),
        other => panic!("{name}: expected a numeric column, got {other:?}"),
    }
}

/// Plans an experiment file's text as `run-experiment` does (no --quick);
/// the error as the user reads it.
pub fn parse_config(text: &str) -> Result<geotraj::workbench::config::Config, String> {
    geotraj::workbench::plan::Plan::from_toml(text, false)
        .map(|p| p.config)
        .map_err(|e| e.to_string())
}

/// Reads and plans an experiment file (no --quick).
pub fn load_config(path: &std::path::Path) -> Result<geotraj::workbench::config::Config, String> {
    geotraj::workbench::plan::Plan::load(path, false)
        .map(|p| p.config)
        .map_err(|e| e.to_string())
}

/// Runs an experiment; the error as `run-experiment` prints it.
pub fn run_experiment(
    opts: &geotraj::workbench::execute::RunOptions,
) -> Result<geotraj::workbench::execute::Run, String> {
    geotraj::workbench::execute::run(opts).map_err(|e| geotraj::workbench::message::message(&e))
}
