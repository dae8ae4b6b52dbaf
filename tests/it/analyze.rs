//! `run-experiment analyze`: a run's exported trajectories, analysed from
//! the file with the run's experiment (or its data file), give the run's
//! own tables, data-relative measures included, and a report; bad files
//! give one error and write nothing.

use crate::common::run_to;
use geotraj::records::{Column, read_parquet};
use geotraj::workbench::analyze::{AnalyzeArgs, analyze};
use std::path::{Path, PathBuf};
use tempfile::tempdir;

const RUN: &str = r#"
name = "analyzed"
trajectories = 10
batch_size = 4
[[data]]
kind = "shapes"
n = 200
[schedule]
kind = "edm"
[[sampler]]
solver = "heun"
steps = 4
[measures]
distance = true
jump = true
lowdim = true
views = 3
[[figure]]
kind = "nu"
[export]
FORMAT
"#;

fn args(file: PathBuf, out: &Path) -> AnalyzeArgs {
    AnalyzeArgs::new(file, out.to_path_buf())
}

/// Every column `b` measured (not all null) equals `a`'s, but the
/// experiment's name.
fn same_columns(a: &Path, b: &Path) {
    let (ta, tb) = (read_parquet(a).unwrap(), read_parquet(b).unwrap());
    assert_eq!(ta.names(), tb.names(), "one schema");
    for (name, col) in tb.columns() {
        let measured = match col {
            Column::F64(x) => x.iter().any(|v| !v.is_nan()),
            Column::OptI64(x) => x.iter().any(Option::is_some),
            Column::Bool(x) => x.iter().any(Option::is_some),
            _ => name != "experiment",
        };
        if !measured {
            continue;
        }
        let theirs = ta.column(name).unwrap_or_else(|| panic!("{name}"));
        match (col, theirs) {
            (Column::F64(x), Column::F64(y)) => {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    assert!(
                        u == v || (u.is_nan() && v.is_nan()),
                        "{name}[{i}]: {u} vs {v}"
                    );
                }
            }
            _ => assert_eq!(col, theirs, "{name}"),
        }
    }
}

/// Every column equal, NaN equal to NaN.
fn same_table(a: &Path, b: &Path) {
    let (ta, tb) = (read_parquet(a).unwrap(), read_parquet(b).unwrap());
    let names: Vec<&str> = ta.columns().map(|(n, _)| n).collect();
    assert_eq!(names, tb.columns().map(|(n, _)| n).collect::<Vec<_>>());
    for (name, col) in ta.columns() {
        let other = tb.column(name).unwrap();
        match (col, other) {
            (Column::F64(x), Column::F64(y)) => {
                assert_eq!(x.len(), y.len(), "{name}");
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    assert!(
                        u == v || (u.is_nan() && v.is_nan()),
                        "{name}[{i}]: {u} vs {v}"
                    );
                }
            }
            _ => assert_eq!(col, other, "{name}"),
        }
    }
}

#[test]
fn analysing_an_export_gives_the_runs_own_tables() {
    let tmp = tempdir().unwrap();
    let run = run_to(tmp.path(), "npy", &RUN.replace("FORMAT", ""));
    // With the run's experiment: its data set, measures and figures.
    let out = tmp.path().join("a-npy");
    let mut a = args(run.join("states-shapes-heun-4.npy"), &out);
    a.config = Some(tmp.path().join("npy.toml"));
    let written = analyze(&a).unwrap();
    for f in [
        "figures/curvature-shapes.png",
        "figures/nu-shapes.png",
        "figures/README.md",
        "views.parquet",
        "samples-shapes-heun-4.npy",
    ] {
        assert!(written.iter().any(|p| p.ends_with(f)), "{f}");
    }
    for table in ["steps.parquet", "trajectories.parquet", "views.parquet"] {
        same_table(&run.join(table), &out.join(table));
    }
    let report = std::fs::read_to_string(out.join("figures/README.md")).unwrap();
    assert!(
        report.contains("Reproduce: `run-experiment analyze"),
        "{report}"
    );
    assert!(report.contains("memorised"), "{report}");

    // Without an experiment: the geometry and low-dimensional columns are
    // the run's; the data-relative ones are not computed.
    let st = run_to(
        tmp.path(),
        "st",
        &RUN.replace("FORMAT", "format = \"safetensors\""),
    );
    let out = tmp.path().join("a-st");
    analyze(&args(
        st.join("trajectories-shapes-heun-4.safetensors"),
        &out,
    ))
    .unwrap();
    same_columns(&run.join("steps.parquet"), &out.join("steps.parquet"));
    let steps = read_parquet(&out.join("steps.parquet")).unwrap();
    let nu = crate::common::numeric(&steps, "nu");
    assert!(nu.iter().all(|v| v.is_nan()), "not measured: null");
    assert!(
        crate::common::numeric(&steps, "top2_error")
            .iter()
            .any(|v| !v.is_nan())
    );

    // States alone: the denoising-trajectory columns are NaN.
    let bare = run_to(
        tmp.path(),
        "bare",
        &RUN.replace("FORMAT", "what = [\"states\"]"),
    );
    let out = tmp.path().join("a-bare");
    analyze(&args(bare.join("states-shapes-heun-4.npy"), &out)).unwrap();
    let steps = read_parquet(&out.join("steps.parquet")).unwrap();
    let Some(Column::F64(d)) = steps.column("norm_denoised") else {
        panic!("norm_denoised")
    };
    assert!(d.iter().all(|v| v.is_nan()));
    let Some(Column::F64(x)) = steps.column("norm_x") else {
        panic!("norm_x")
    };
    assert!(x.iter().all(|v| v.is_finite()));
}

/// Trajectories of another program: a bare .npy with --sigma, against a
/// data file given with --data, measured as a run on that file measures them.
#[test]
fn a_bare_npy_with_sigma_flags_and_a_data_file() {
    let tmp = tempdir().unwrap();
    let (n, d) = (300, 8);
    let rows: Vec<f32> = (0..n * d)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.8)
        .collect();
    let data = tmp.path().join("points.npy");
    let mut b = Vec::new();
    geotraj::data::encode_npy_f32(&mut b, &[n, d], &rows).unwrap();
    std::fs::write(&data, b).unwrap();
    let experiment = format!(
        "name = \"own\"\ntrajectories = 6\nbatch_size = 4\n\
         [[data]]\nname = \"pts\"\nkind = \"npy\"\npath = \"{}\"\n\
         [schedule]\nkind = \"edm\"\n[[sampler]]\nsolver = \"euler\"\nsteps = 5\n\
         [measures]\ndistance = true\njump = true\nlowdim = true\n\
         [export]\nwhat = [\"states\"]\n",
        data.display()
    );
    let run = run_to(tmp.path(), "own", &experiment);
    // The states as another program would hand them over: no sidecar.
    let sidecar: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("export-pts-euler-5.json")).unwrap(),
    )
    .unwrap();
    let sigma: Vec<f64> = serde_json::from_value(sidecar["sigma"].clone()).unwrap();
    let alone = tmp.path().join("theirs");
    std::fs::create_dir(&alone).unwrap();
    std::fs::copy(run.join("states-pts-euler-5.npy"), alone.join("x.npy")).unwrap();
    let out = tmp.path().join("analysed");
    let mut a = args(alone.join("x.npy"), &out);
    let e = analyze(&a).unwrap_err();
    assert!(format!("{e:#}").contains("--sigma"), "{e:#}");
    a.sigma = Some(sigma);
    a.data = Some(data);
    analyze(&a).unwrap();
    // Labels differ (the file names none); every measured value agrees,
    // except NaN where the run had D(x_n) and the file has not.
    let (mine, theirs) = (
        read_parquet(&run.join("steps.parquet")).unwrap(),
        read_parquet(&out.join("steps.parquet")).unwrap(),
    );
    for name in ["dist_data", "nu", "norm_x", "deviation", "top2_error"] {
        let bits = |t| -> Vec<u64> {
            let v = crate::common::numeric(t, name);
            v.iter()
                .map(|x| if x.is_nan() { 1 } else { x.to_bits() })
                .collect()
        };
        assert_eq!(bits(&mine), bits(&theirs), "{name}");
    }
    let t = read_parquet(&out.join("trajectories.parquet")).unwrap();
    assert!(t.column("memorised").is_some());
    let e = {
        let mut a = args(alone.join("x.npy"), &tmp.path().join("bad-d"));
        a.sigma = Some(vec![80.0, 1.0, 0.0]);
        analyze(&a).unwrap_err()
    };
    assert!(format!("{e:#}").contains("3 sigmas for 6 states"), "{e:#}");
}

#[test]
fn bad_trajectory_files_give_one_error_and_write_nothing() {
    let tmp = tempdir().unwrap();
    let run = run_to(
        tmp.path(),
        "r",
        &RUN.replace("FORMAT", "what = [\"states\"]"),
    );
    let states = run.join("states-shapes-heun-4.npy");
    let sidecar = run.join("export-shapes-heun-4.json");
    let meta = std::fs::read_to_string(&sidecar).unwrap();
    let bytes = std::fs::read(&states).unwrap();
    let (_, values) = geotraj::data::read_npy_f32(&states).unwrap();
    let case = |name: &str, data: Vec<u8>, meta: String| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("states-x.npy"), data).unwrap();
        std::fs::write(dir.join("export-x.json"), meta).unwrap();
        let out = dir.join("out");
        let e = analyze(&args(dir.join("states-x.npy"), &out)).unwrap_err();
        assert!(!out.exists(), "{name}");
        format!("{e:#}")
    };
    let npy = |shape: &[usize], v: &[f32]| {
        let mut b = Vec::new();
        geotraj::data::encode_npy_f32(&mut b, shape, v).unwrap();
        b
    };
    let e = case("rank", npy(&[values.len()], &values), meta.clone());
    assert!(e.contains("shape"), "{e}");
    let mut six: serde_json::Value = serde_json::from_str(&meta).unwrap();
    six["sigma"].as_array_mut().unwrap().insert(0, 99.0.into());
    let e = case("sigmas", bytes.clone(), six.to_string());
    assert!(e.contains("6 sigmas for 5 states"), "{e}");
    let mut nan = values.clone();
    nan[3 * 5 * 256 + 2 * 256 + 7] = f32::NAN;
    let e = case("nan", npy(&[10, 5, 1, 16, 16], &nan), meta.clone());
    assert!(e.contains("trajectory 3, step 2"), "{e}");
    let e = case(
        "truncated",
        bytes[..bytes.len() - 100].to_vec(),
        meta.clone(),
    );
    assert!(e.contains("states-x.npy"), "{e}");
    let e = case("no-sigma", bytes, "{}".into());
    assert!(e.contains("sigma"), "{e}");
}
