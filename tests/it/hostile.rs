//! Hostile and degenerate input (issue 14): sizes past every limit, data
//! that overflows f32, file names that would collide, output folders that
//! are not ours, one-step runs, batch sizes. Each ends in one clear error
//! naming the key or file, decided before any output exists, or in a whole
//! run.

use crate::common::{parse_config, run_experiment};
use geotraj::records::read_parquet;
use geotraj::workbench::context::device::DeviceChoice;
use geotraj::workbench::execute::RunOptions;
use geotraj::workbench::report::publish;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tempfile::tempdir;

const TINY: &str = r#"
name = "tiny"
trajectories = 6
batch_size = 4
[[data]]
kind = "two-moons"
n = 64
[schedule]
kind = "edm"
[[sampler]]
solver = "heun"
steps = 3
"#;

fn with(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is not in the config");
    text.replacen(from, to, 1)
}

fn plan_err(text: &str) -> String {
    let t0 = Instant::now();
    let e = parse_config(text).expect_err("refused");
    // Refused by arithmetic on the numbers, not by trying to allocate.
    assert!(t0.elapsed().as_secs() < 5, "{e}");
    e
}

/// Runs `text` with --out DIR/out; the error as printed, or the folder.
fn run_in(dir: &Path, text: &str) -> Result<PathBuf, String> {
    let cfg = dir.join("x.toml");
    std::fs::write(&cfg, text).unwrap();
    let out = dir.join("out");
    let mut r = run_experiment(&RunOptions {
        config_path: cfg,
        device: DeviceChoice::Cpu,
        quick: false,
        out: Some(out.clone()),
    })?;
    publish(&mut r, &[]).map_err(|e| format!("{e:#}"))?;
    Ok(out)
}

/// Names in `dir` (not recursive), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn counts_past_their_limits_name_their_key() {
    let cases = [
        (
            "trajectories = 6",
            "trajectories = 1000000000000",
            "trajectories",
        ),
        ("steps = 3", "steps = 1000000000", "sampler[0].steps"),
        ("batch_size = 4", "batch_size = 4000000000000", "batch_size"),
        ("n = 64", "n = 10000000000", "data[0].n"),
        (
            "kind = \"two-moons\"\nn = 64",
            "kind = \"gaussian\"\nn = 1000\ndim = 1000000000000",
            "data[0].dim",
        ),
        (
            "kind = \"two-moons\"\nn = 64",
            "kind = \"sphere\"\nn = 100000000\nk = 2\nambient = 100000000",
            // 4e16 bytes of data: refused by the memory estimate.
            "data[0]",
        ),
        (
            "kind = \"edm\"",
            "kind = \"edm\"\nsigma_max = 1e300",
            "schedule.sigma_max",
        ),
        (
            "steps = 3",
            "steps = 3\n[quality]\nprojections = 100000000000",
            "quality.projections",
        ),
        (
            "steps = 3",
            "steps = 3\n[measures]\nlowdim = true\nviews = 100000000000",
            "measures.views",
        ),
    ];
    for (from, to, key) in cases {
        let e = plan_err(&with(TINY, from, to));
        assert!(e.starts_with(key), "{to}: {e}");
    }
}

#[test]
fn runs_too_large_for_memory_are_refused_with_the_estimate() {
    // 1e9 trajectories x 1001 steps of per-step measures: ~190 TB.
    let text = with(
        &with(TINY, "trajectories = 6", "trajectories = 1000000000"),
        "steps = 3",
        "steps = 1000",
    );
    let e = plan_err(&text);
    assert!(e.starts_with("trajectories x sampler[0].steps"), "{e}");
    assert!(e.contains("TiB") && e.contains("per-step measures"), "{e}");
    // A GITS warm-up of 10^9 teacher trajectories on a grid of 100 steps.
    let gits = with(
        TINY,
        "kind = \"edm\"",
        "kind = \"gits\"\n[schedule.gits]\nwarmup = 1000000000",
    );
    let e = plan_err(&gits);
    assert!(e.starts_with("schedule.gits.warmup"), "{e}");
}

#[test]
fn networks_and_grids_past_their_limits_name_their_key() {
    let gits = with(
        TINY,
        "kind = \"edm\"",
        "kind = \"gits\"\n[schedule.gits]\ngrid_steps = 100000\nteacher_substeps = 100000",
    );
    assert!(plan_err(&gits).starts_with("schedule.gits.grid_steps"));
    let net = |extra: &str| {
        with(
            TINY,
            "n = 64",
            &format!(
                "n = 64\ndenoiser = \"learned\"\n[net]\n{extra}\n[train]\nsteps = 10\nbatch = 8"
            ),
        )
    };
    let e = plan_err(&net(
        "kind = \"mlp\"\ndim = 2\nhidden = 1000000000\ndepth = 2\nembed = 8",
    ));
    assert!(e.starts_with("net.hidden"), "{e}");
    let mults = vec!["1"; 70].join(", ");
    let e = plan_err(&net(&format!(
        "kind = \"unet\"\nchannels = 1\nheight = 8\nwidth = 8\nbase = 8\nmults = [{mults}]\nblocks = 1\ngroups = 1\nembed = 8"
    )));
    assert!(e.starts_with("net.mults"), "{e}");
}

#[test]
fn labels_make_distinct_short_file_names() {
    let two = with(
        &with(
            TINY,
            "kind = \"two-moons\"",
            "name = \"a-b\"\nkind = \"two-moons\"",
        ),
        "steps = 3",
        "steps = 3\nname = \"c\"\n[[data]]\nname = \"a\"\nkind = \"two-moons\"\n[[sampler]]\nsolver = \"euler\"\nsteps = 3\nname = \"b-c\"",
    );
    let e = plan_err(&two);
    assert!(e.contains("a-b-c") && e.contains("rename"), "{e}");
    let long = with(
        TINY,
        "steps = 3",
        &format!("steps = 3\nname = \"{}\"", "x".repeat(200)),
    );
    assert!(plan_err(&long).contains("at most 64"));
    for reserved in ["cache", "models"] {
        let e = plan_err(&with(
            TINY,
            "name = \"tiny\"",
            &format!("name = \"{reserved}\""),
        ));
        assert!(e.starts_with("name") && e.contains("reserved"), "{e}");
    }
    // The default label of a solver whose name has '+' is a valid name.
    let dpm = with(TINY, "solver = \"heun\"", "solver = \"dpm++2m\"");
    parse_config(&dpm).expect("dpm++2m plans");
}

#[test]
fn one_step_runs_complete_with_every_figure() {
    let tmp = tempdir().unwrap();
    let text = with(TINY, "steps = 3", "steps = 1");
    let out = run_in(tmp.path(), &text).expect("a one-step run succeeds");
    let figures = names(&out.join("figures"));
    // The turning angle has no value with one step: its figure says so.
    let svg = std::fs::read_to_string(out.join("figures/curvature-two-moons.svg")).unwrap();
    assert!(svg.contains("nothing to draw"), "{figures:?}");
    assert!(out.join("run.json").is_file());
    // The same with an explicit one-step schedule ending at 0.
    let explicit = with(
        &with(
            TINY,
            "kind = \"edm\"",
            "kind = \"explicit\"\nsigmas = [1.0, 0.0]",
        ),
        "steps = 3\n",
        "",
    );
    let out = run_in(tmp.path(), &explicit).expect("an explicit one-step run succeeds");
    assert!(out.join("figures/curvature-two-moons.png").is_file());
}

#[test]
fn rows_whose_squares_overflow_f32_are_refused_before_sampling() {
    let tmp = tempdir().unwrap();
    let path = tmp.path().join("huge.npy");
    let rows: Vec<f32> = (0..20).map(|i| 1e20 * (1.0 + i as f32)).collect();
    let mut bytes = Vec::new();
    geotraj::data::encode_npy_f32(&mut bytes, &[10, 2], &rows).unwrap();
    std::fs::write(&path, bytes).unwrap();
    let text = with(
        TINY,
        "kind = \"two-moons\"\nn = 64",
        &format!("kind = \"npy\"\npath = {:?}", path.display().to_string()),
    );
    let e = run_in(tmp.path(), &text).unwrap_err();
    assert!(e.contains("huge.npy") && e.contains("rescale"), "{e}");
    assert_eq!(names(tmp.path()), ["huge.npy", "x.toml"]);
}

#[test]
fn an_out_folder_that_is_not_a_run_is_left_alone() {
    let tmp = tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("thesis.tex"), "mine").unwrap();
    let e = run_in(tmp.path(), TINY).unwrap_err();
    assert!(
        e.contains("thesis.tex") && e.contains("not an earlier run"),
        "{e}"
    );
    assert_eq!(names(&out), ["thesis.tex"]);
}

#[test]
fn a_failed_run_leaves_the_previous_output_whole() {
    let tmp = tempdir().unwrap();
    let out = run_in(tmp.path(), TINY).unwrap();
    let before = std::fs::read(out.join("steps.csv")).unwrap();
    // A data file that is not there fails after the folder is staged.
    let bad = with(
        TINY,
        "kind = \"two-moons\"\nn = 64",
        "kind = \"npy\"\npath = \"/nonexistent.npy\"",
    );
    assert!(run_in(tmp.path(), &bad).is_err());
    assert_eq!(std::fs::read(out.join("steps.csv")).unwrap(), before);
    assert_eq!(names(tmp.path()), ["out", "x.toml"]);
}

#[test]
fn views_and_head_figures_do_not_depend_on_the_batch_size() {
    let tmp = tempdir().unwrap();
    let base = with(
        TINY,
        "steps = 3",
        "steps = 3\n[measures]\nlowdim = true\nviews = 5",
    );
    let mut tables = Vec::new();
    for batch in [1, 4, 64] {
        let dir = tmp.path().join(format!("b{batch}"));
        std::fs::create_dir_all(&dir).unwrap();
        let text = with(&base, "batch_size = 4", &format!("batch_size = {batch}"));
        let out = run_in(&dir, &text).unwrap();
        let views = read_parquet(&out.join("views.parquet")).unwrap();
        tables.push((std::fs::read(out.join("views.csv")).unwrap(), views.len()));
    }
    assert_eq!(tables[0].1, 5 * 4, "5 views x 4 points");
    assert!(tables.iter().all(|t| t == &tables[0]));
}
