//! `run-experiment analyze`: a run's exported trajectories, analysed from
//! the file, give the run's own tables; bad files give one error and write
//! nothing.

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
[export]
FORMAT
"#;

fn args(file: PathBuf, out: &Path) -> AnalyzeArgs {
    AnalyzeArgs {
        file,
        meta: None,
        out: out.to_path_buf(),
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
    let out = tmp.path().join("a-npy");
    let written = analyze(&args(run.join("states-shapes-heun-4.npy"), &out)).unwrap();
    assert!(
        written
            .iter()
            .any(|p| p.ends_with("figures/curvature-shapes.png"))
    );
    same_table(&run.join("steps.parquet"), &out.join("steps.parquet"));
    same_table(
        &run.join("trajectories.parquet"),
        &out.join("trajectories.parquet"),
    );

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
    same_table(&run.join("steps.parquet"), &out.join("steps.parquet"));

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
