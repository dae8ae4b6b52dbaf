//! The binary on a tiny config: the files, their columns, and run.json; and
//! a failing run that leaves nothing behind.

use geotraj::records::{Column, read_parquet};
use std::path::Path;
use std::process::{Command, Output};
use tempfile::tempdir;

const TINY: &str = r#"
name = "tiny"
seed = 3
trajectories = 6
batch_size = 4
[[data]]
kind = "eight-gaussians"
n = 300
[[data]]
name = "img"
kind = "shapes"
n = 200
[schedule]
kind = "edm"
[[sampler]]
solver = "euler"
steps = 5
[[sampler]]
solver = "heun"
steps = 4
"#;

/// Runs the binary on the CPU with `--out`.
fn run_bin(cfg: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_run-experiment"))
        .arg(cfg)
        .args(["--device", "cpu", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn binary_writes_tables_figures_and_provenance() {
    let dir = tempdir().unwrap();
    let cfg = dir.path().join("tiny.toml");
    std::fs::write(&cfg, TINY).unwrap();
    let out = dir.path().join("out");
    let o = run_bin(&cfg, &out);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("heun-4") && stdout.contains("eight-gaussians"),
        "{stdout}"
    );

    let steps = read_parquet(&out.join("steps.parquet")).unwrap();
    // 2 data sets x (6 trajectories x 6 points + 6 x 5 points).
    assert_eq!(steps.len(), 2 * (6 * 6 + 6 * 5));
    for col in [
        "data",
        "sampler",
        "nfe",
        "trajectory",
        "step",
        "sigma",
        "rel_deviation",
        "cos_eps_to_end",
    ] {
        assert!(steps.column(col).is_some(), "missing column {col}");
    }
    match steps.column("nfe").unwrap() {
        Column::I64(v) => assert!(v.contains(&5) && v.contains(&7)),
        _ => panic!("nfe is an integer column"),
    }
    let trajs = read_parquet(&out.join("trajectories.parquet")).unwrap();
    assert_eq!(trajs.len(), 2 * 2 * 6);
    assert!(out.join("steps.csv").exists() && out.join("trajectories.csv").exists());
    assert!(out.join("samples-img-heun-4.npy").exists());
    for fig in [
        "deviation-img",
        "magnitudes-eight-gaussians",
        "samples-eight-gaussians",
    ] {
        assert!(
            out.join("figures").join(format!("{fig}.png")).exists(),
            "{fig}.png"
        );
        assert!(
            out.join("figures").join(format!("{fig}.svg")).exists(),
            "{fig}.svg"
        );
    }
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["config"]["name"], "tiny");
    assert_eq!(run["cases"].as_array().unwrap().len(), 4);
    assert!(run["device"].as_str().unwrap().starts_with("cpu"));
    assert!(run["git_commit"].is_string() && run["geotraj_version"].is_string());
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty());

    // Same config and seed: the same tables.
    let out2 = dir.path().join("out2");
    let o = run_bin(&cfg, &out2);
    assert!(o.status.success());
    // (CSV bytes: NaN cells make a float comparison of the tables useless.)
    for f in ["steps.csv", "trajectories.csv"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(out2.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn failing_run_writes_nothing() {
    let dir = tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, TINY.replace("steps = 5", "steps = 0")).unwrap();
    let out = dir.path().join("out");
    let o = run_bin(&cfg, &out);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("sampler[0].steps") && stderr.contains("bad.toml"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn noise_file_sets_the_starting_points() {
    use crate::common::run_experiment as run;
    use geotraj::workbench::context::device::DeviceChoice;
    use geotraj::workbench::execute::RunOptions;
    let dir = tempdir().unwrap();
    let z: Vec<f32> = (0..5 * 2).map(|k| (k as f32 - 4.5) / 3.0).collect();
    let path = dir.path().join("noise.npy");
    geotraj::records::write_npy(&path, &[5, 2], &z).unwrap();
    let cfg = dir.path().join("n.toml");
    let text = TINY
        .replace("trajectories = 6", "trajectories = 4")
        .replace("[[data]]\nname = \"img\"\nkind = \"shapes\"\nn = 200\n", "")
        + &format!("[noise]\nfile = {:?}\n", path.display().to_string());
    std::fs::write(&cfg, text).unwrap();
    let r = run(&RunOptions {
        config_path: cfg,
        device: DeviceChoice::Cpu,
        quick: false,
        out: Some(dir.path().join("out")),
    })
    .unwrap();
    for case in &r.trajectories().unwrap().cases {
        let t = &case.head;
        for i in 0..4 {
            for k in 0..2 {
                assert_eq!(t.state(i, 0)[k], (80.0 * z[i * 2 + k] as f64) as f32);
            }
        }
    }
}

/// Experiments are named as users name them; the version names the commit;
/// `--help` shows examples; a successful run prints nothing on stderr,
/// `--device auto` on a headless machine included.
#[test]
fn experiments_by_name_version_help_and_a_quiet_stderr() {
    use geotraj::workbench::cli::find_experiment;
    let want = Path::new("experiments/curvature.toml");
    assert_eq!(find_experiment(Path::new("curvature")).unwrap(), want);
    assert_eq!(find_experiment(Path::new("curvature.toml")).unwrap(), want);
    let e = find_experiment(Path::new("curvatur")).unwrap_err();
    assert!(e.contains("quickstart") && e.contains("curvature"), "{e}");
    let e = find_experiment(Path::new("elsewhere/curvature.toml")).unwrap_err();
    assert!(e.starts_with("elsewhere/curvature.toml: no such"), "{e}");

    let bin = env!("CARGO_BIN_EXE_run-experiment");
    let v = Command::new(bin).arg("--version").output().unwrap();
    let v = String::from_utf8_lossy(&v.stdout);
    assert!(v.contains("(commit "), "{v}");
    let h = Command::new(bin).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&h.stdout).contains("Examples:"));
    let h = Command::new(bin)
        .args(["analyze", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&h.stdout).contains("--sigma"));

    let dir = tempdir().unwrap();
    let cfg = dir.path().join("tiny.toml");
    std::fs::write(&cfg, TINY).unwrap();
    let o = Command::new(bin)
        .arg(&cfg)
        .args(["--device", "auto", "--out"])
        .arg(dir.path().join("out"))
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    assert!(o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.lines().any(|l| l.contains("error")),
        "stderr of a successful run: {stderr}"
    );
}
