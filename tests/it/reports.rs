//! The per-run report (figures/README.md, report.json) against numbers
//! recomputed here from the run's tables, and `run-experiment --all` over a
//! folder with a good and a bad experiment.

use crate::common::run_experiment as run;
use geotraj::records::{Column, Table, read_parquet};
use geotraj::workbench::context::device::DeviceChoice;
use geotraj::workbench::execute::{Outcome, Run, RunOptions};
use geotraj::workbench::report::publish as write;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::tempdir;

const MEASURED: &str = r#"# a small run with every data measure
name = "reported"
description = "report test"
seed = 2
trajectories = 10
batch_size = 4
[[data]]
kind = "shapes"
n = 150
[denoiser]
chunk = 64
[schedule]
kind = "edm"
[[sampler]]
solver = "euler"
steps = 8
[measures]
distance = true
identity = 3
lowdim = true
views = 3
[[figure]]
kind = "error-histogram"
[[figure]]
kind = "low-dim"
"#;

const SWEEP: &str = r#"
name = "reported-sweep"
seed = 1
trajectories = 16
batch_size = 8
[[data]]
kind = "gmm"
n = 300
components = 4
dim = 3
[denoiser]
kind = "analytic"
[schedule]
kind = "log-linear"
sigma_max = 20.0
[sweep]
sampler = ["ddim", "gradient-estimation"]
steps = [5, 10]
gamma = [2.0]
[quality]
reference = false
"#;

fn run_to(dir: &Path, name: &str, text: &str) -> (Run, PathBuf, PathBuf) {
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(&cfg, text).unwrap();
    let out = dir.join(name);
    let mut r = run(&RunOptions {
        config_path: cfg.clone(),
        device: DeviceChoice::Cpu,
        quick: false,
        out: Some(out.clone()),
    })
    .unwrap();
    write(&mut r, &[]).unwrap();
    (r, cfg, out)
}

fn f64s(t: &Table, name: &str) -> Vec<f64> {
    match t.column(name) {
        Some(Column::F64(v)) => v.clone(),
        Some(Column::I64(v)) => v.iter().map(|&x| x as f64).collect(),
        other => panic!("{name}: {other:?}"),
    }
}

/// The median of the finite values (mean of the middle two for an even count).
fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    assert!(n > 0);
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// The cells of the key-number row with this measure and case.
fn row(readme: &str, measure: &str, case: &str) -> Vec<String> {
    let esc = |s: &str| s.replace('|', "\\|");
    let start = format!("| {} | {} |", esc(measure), esc(case));
    let line = readme
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no row {start:?} in\n{readme}"));
    // Escaped pipes inside cells have no space before them.
    line.trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().replace("\\|", "|"))
        .collect()
}

/// The leading number of a table cell such as "0.0812 at σ 3.120".
fn leading(cell: &str) -> f64 {
    cell.split_whitespace().next().unwrap().parse().unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

fn key<'a>(json: &'a serde_json::Value, measure: &str, case: &str) -> &'a serde_json::Value {
    json["key_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["measure"] == measure && k["case"] == case)
        .unwrap_or_else(|| panic!("no key number {measure:?} / {case:?}"))
}

#[test]
fn report_shows_the_runs_numbers_config_and_figures() {
    let dir = tempdir().unwrap();
    let (r, _cfg, out) = run_to(dir.path(), "reported", MEASURED);
    assert!(!r.plan.quick);
    let figures = out.join("figures");
    let readme = std::fs::read_to_string(figures.join("README.md")).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(figures.join("report.json")).unwrap()).unwrap();

    // Sections in order.
    let at = |s: &str| {
        readme
            .find(s)
            .unwrap_or_else(|| panic!("no {s:?} in\n{readme}"))
    };
    assert!(
        readme.starts_with("# reported\n\nreport test\n"),
        "{readme}"
    );
    assert!(readme.contains("run-experiment ") && readme.contains("reported.toml`"));
    assert!(!readme.contains("--quick"));
    let order = [
        "## Key numbers",
        "| measure | case | geotraj | papers | source |",
        "## Summary",
        "## Figures",
        "## Config",
        "## Provenance",
    ];
    for w in order.windows(2) {
        assert!(at(w[0]) < at(w[1]), "{} before {}", w[0], w[1]);
    }

    // Key numbers, recomputed from the written tables.
    let case = "shapes / euler-8";
    let trajs = read_parquet(&out.join("trajectories.parquet")).unwrap();
    let dev = median(&f64s(&trajs, "max_rel_deviation"));
    let shown = leading(&row(&readme, "max deviation / chord (median)", case)[2]);
    assert!(close(shown, dev, 1e-3), "{shown} vs {dev}");
    let k = key(&json, "max deviation / chord (median)", case);
    assert!(close(k["value"].as_f64().unwrap(), dev, 1e-12));
    assert_eq!(k["papers"], "≈ 0.003160 (14 / 4430)");
    let ex2 = median(&f64s(&trajs, "explained_2"));
    let k = key(
        &json,
        "explained variance of the top 2 components (median)",
        case,
    );
    assert!(close(k["value"].as_f64().unwrap(), ex2, 1e-12));
    assert!(k["source"].as_str().unwrap().starts_with("qualitative"));

    // The peak of the per-step median relative error and its sigma.
    let steps = read_parquet(&out.join("steps.parquet")).unwrap();
    let (step, sigma, rel) = (
        f64s(&steps, "step"),
        f64s(&steps, "sigma"),
        f64s(&steps, "rel_error"),
    );
    let points = step.iter().copied().fold(0.0, f64::max) as usize + 1;
    let medians: Vec<f64> = (0..points)
        .map(|n| {
            let at: Vec<f64> = (0..step.len())
                .filter(|&i| step[i] == n as f64)
                .map(|i| rel[i])
                .collect();
            if at.iter().any(|v| v.is_finite()) {
                median(&at)
            } else {
                f64::NAN
            }
        })
        .collect();
    let (peak_n, peak) = medians
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .fold((0, f64::NAN), |(bn, bv), (n, &v)| {
            if bv.is_nan() || v > bv {
                (n, v)
            } else {
                (bn, bv)
            }
        });
    let peak_sigma = sigma[peak_n];
    let m = "peak median |D(x_n) − proj_K(x_n)| / dist_K(x_n)";
    let cell = &row(&readme, m, case)[2];
    assert!(close(leading(cell), peak, 1e-3), "{cell} vs {peak}");
    let at_sigma: f64 = cell.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(close(at_sigma, peak_sigma, 1e-3), "{cell} vs {peak_sigma}");
    assert!(close(
        key(&json, m, case)["value"].as_f64().unwrap(),
        peak,
        1e-12
    ));

    // report.json holds the README's rows.
    assert_eq!(json["name"], "reported");
    assert_eq!(json["quick"], false);
    assert!(json["commit"].is_string() && json["started_unix"].is_u64());
    let keys = json["key_numbers"].as_array().unwrap();
    assert!(keys.len() >= 8, "{keys:?}");
    for k in keys {
        let cells = row(
            &readme,
            k["measure"].as_str().unwrap(),
            k["case"].as_str().unwrap(),
        );
        assert_eq!(cells[2], k["text"].as_str().unwrap());
        assert_eq!(cells[3], k["papers"].as_str().unwrap());
    }

    // The config verbatim.
    let config = &readme[at("## Config")..at("## Provenance")];
    assert!(
        config.contains(&format!("```toml\n{}\n```", MEASURED.trim_end())),
        "{config}"
    );

    // Every image link is a file, and every PNG of the run is linked.
    let links: Vec<&str> = readme
        .split("![")
        .skip(1)
        .map(|s| &s[s.find("](").unwrap() + 2..s.find(')').unwrap()])
        .collect();
    assert!(
        links.contains(&"error-histogram-shapes-euler-8.png"),
        "{links:?}"
    );
    for l in &links {
        assert!(figures.join(l).is_file(), "{l}");
    }
    let mut pngs: Vec<String> = std::fs::read_dir(&figures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    pngs.sort();
    let mut linked: Vec<String> = links.iter().map(|s| s.to_string()).collect();
    linked.sort();
    assert_eq!(pngs, linked);
    assert!(readme.contains(&out.join("run.json").display().to_string()));
}

#[test]
fn sweep_report_sets_fd_beside_the_papers_fid() {
    let dir = tempdir().unwrap();
    let (r, _cfg, out) = run_to(dir.path(), "sweep", SWEEP);
    let readme = std::fs::read_to_string(out.join("figures/README.md")).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("figures/report.json")).unwrap()).unwrap();
    let rows = match &r.outcome {
        Outcome::Sweep(s) => &s.rows,
        _ => panic!("a sweep"),
    };
    let fd = |name: &str| {
        rows.iter()
            .find(|r| r.cell.sampler == name && r.cell.steps == 10)
            .unwrap()
            .fd
    };
    let (ddim, g2) = (fd("ddim"), fd("gradient-estimation"));
    // FD-PCA values stand alone: only FID sits beside the papers' FIDs.
    let k = key(&json, "FD-PCA at N = 10", "gmm / ddim");
    assert!(close(k["value"].as_f64().unwrap(), ddim, 1e-12));
    assert_eq!(k["papers"], "—");
    let k = key(
        &json,
        "FD-PCA at N = 10",
        "gmm / gradient-estimation(gamma=2, mu=0)",
    );
    assert!(close(k["value"].as_f64().unwrap(), g2, 1e-12));
    assert_eq!(k["papers"], "—");
    let k = &json["key_numbers"][0];
    assert_eq!(k["measure"], "FD-PCA(DDIM) / FD-PCA(γ = 2) at N = 10");
    assert!(close(k["value"].as_f64().unwrap(), ddim / g2, 1e-12));
    // No N = 5 rows: only the papers' N.
    assert!(!readme.contains("N = 5"), "{readme}");
    assert!(readme.contains("not FID on Inception features"), "{readme}");
}

const GOOD: &str = r#"
name = "good"
description = "a tiny run"
seed = 1
trajectories = 4
[[data]]
kind = "eight-gaussians"
n = 200
[[sampler]]
solver = "euler"
steps = 3
"#;

#[test]
fn all_runs_every_experiment_and_reports_failures() {
    let dir = tempdir().unwrap();
    let cat = dir.path().join("cat");
    std::fs::create_dir_all(&cat).unwrap();
    std::fs::write(cat.join("a-good.toml"), GOOD).unwrap();
    std::fs::write(cat.join("b-bad.toml"), format!("bogus_key = 1\n{GOOD}")).unwrap();
    std::fs::write(
        cat.join("c-good.toml"),
        GOOD.replace("\"good\"", "\"good2\""),
    )
    .unwrap();
    std::fs::write(cat.join("notes.txt"), "not an experiment").unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_run-experiment"))
        .args(["--all"])
        .arg(&cat)
        .args(["--device", "cpu", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("[1/3] good: a tiny run") && stderr.contains("[3/3] good2: a tiny run"),
        "{stderr}"
    );
    assert!(stderr.contains("[1/3 good] "), "{stderr}");
    assert!(stderr.contains("[2/3] b-bad failed:") && stderr.contains("bogus_key"));
    let table = &stdout[stdout.find("| experiment").expect(&stdout)..];
    let line = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| {name} ")))
            .unwrap_or_else(|| panic!("{table}"))
            .to_string()
    };
    assert!(line("good").contains("| ok "), "{table}");
    assert!(line("good2").contains("| ok "), "{table}");
    let bad = line("b-bad");
    assert!(
        bad.contains("failed: ") && bad.contains("bogus_key"),
        "{bad}"
    );
    assert!(line("good").contains("max deviation / chord (median), eight-gaussians / euler-3: "));
    for name in ["good", "good2"] {
        assert!(out.join(name).join("run.json").is_file());
        assert!(out.join(name).join("figures/README.md").is_file());
    }
    assert!(!out.join("b-bad").exists());

    // Exactly one of FILE and --all.
    let clap = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_run-experiment"))
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(clap(&[]), Some(2));
    assert_eq!(clap(&["x.toml", "--all", "dir"]), Some(2));
}
