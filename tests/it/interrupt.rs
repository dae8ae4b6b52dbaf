//! Runs killed at several moments (SIGTERM and SIGKILL, while sampling,
//! writing or swapping folders in) leave the previous complete output or
//! the new complete one, never a mix; SIGTERM leaves no temporaries, and
//! what SIGKILL leaves is swept by the next run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUN: &str = r#"
name = "interrupted"
seed = SEED
trajectories = 1500
batch_size = 100
[[data]]
kind = "two-moons"
n = 1500
[schedule]
kind = "edm"
[[sampler]]
solver = "heun"
steps = 12
[[sampler]]
solver = "euler"
steps = 24
"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_run-experiment"))
}

fn config(dir: &Path, seed: u64) -> PathBuf {
    let p = dir.join(format!("seed{seed}.toml"));
    std::fs::write(&p, RUN.replace("SEED", &seed.to_string())).unwrap();
    p
}

fn args(cfg: &Path, out: &Path) -> Vec<String> {
    [
        cfg.display().to_string(),
        "--device".into(),
        "cpu".into(),
        "--out".into(),
        out.display().to_string(),
    ]
    .into()
}

fn run_whole(cfg: &Path, out: &Path) -> Duration {
    let t0 = Instant::now();
    let s = bin()
        .args(args(cfg, out))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(s.success());
    t0.elapsed()
}

/// The run's reproducible files (tables, arrays, figures), path -> bytes;
/// run.json and the report hold timings and are compared by presence.
fn contents(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(out).unwrap().display().to_string();
            if p.is_dir() {
                stack.push(p);
            } else if rel.ends_with(".csv") || rel.ends_with(".npy") {
                m.insert(rel, std::fs::read(&p).unwrap());
            } else {
                m.insert(rel, Vec::new());
            }
        }
    }
    m
}

/// Entries whose names mark them as temporaries, anywhere under `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.contains(".tmp") {
                found.push(e.path().display().to_string());
            } else if e.path().is_dir() {
                stack.push(e.path());
            }
        }
    }
    found
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let q = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &q);
        } else {
            std::fs::copy(&p, &q).unwrap();
        }
    }
}

#[test]
fn killed_runs_leave_the_old_output_or_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (cfg_old, cfg_new) = (config(root, 1), config(root, 2));
    let (ref_old, ref_new) = (root.join("ref-old"), root.join("ref-new"));
    run_whole(&cfg_old, &ref_old);
    let whole = run_whole(&cfg_new, &ref_new);
    let (old, new) = (contents(&ref_old), contents(&ref_new));
    assert_ne!(old, new, "the two seeds must give different tables");

    let mut outcomes = BTreeMap::new();
    // The last moment is after the run ends (it must then be the new output).
    let moments: [f64; 7] = [0.1, 0.35, 0.6, 0.8, 0.9, 0.97, f64::INFINITY];
    for (i, frac) in moments.into_iter().enumerate() {
        for signal in ["TERM", "KILL"] {
            let case = root.join(format!("case{i}-{signal}"));
            let out = case.join("out");
            copy_dir(&ref_old, &out);
            let mut child = bin()
                .args(args(&cfg_new, &out))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            if frac.is_finite() {
                std::thread::sleep(whole.mul_f64(frac));
                let _ = Command::new("kill")
                    .args([format!("-{signal}"), child.id().to_string()])
                    .status();
            }
            let status = child.wait().unwrap();
            let got = contents(&out);
            let which = if got == old {
                "old"
            } else if got == new {
                "new"
            } else {
                panic!(
                    "{signal} at {frac} of the run left a mixed folder: {:?}",
                    got.keys()
                );
            };
            *outcomes.entry(which).or_insert(0) += 1;
            if signal == "TERM" {
                // 143 from the handler; killed by the signal itself only
                // if it came before main installed the handler.
                use std::os::unix::process::ExitStatusExt;
                assert!(
                    status.success() || status.code() == Some(143) || status.signal() == Some(15),
                    "{signal} at {frac}: {status:?}"
                );
                assert_eq!(temporaries(&case), Vec::<String>::new(), "TERM at {frac}");
            } else {
                // The next run into the same place sweeps what SIGKILL left.
                run_whole(&cfg_new, &out);
                assert_eq!(contents(&out), new);
                assert_eq!(
                    temporaries(&case),
                    Vec::<String>::new(),
                    "after KILL at {frac}"
                );
            }
        }
    }
    // The moments span the run: some kills keep the old folder, the last the new.
    assert!(outcomes.get("old").is_some_and(|&n| n > 0), "{outcomes:?}");
    assert!(outcomes.get("new").is_some_and(|&n| n > 0), "{outcomes:?}");
}
