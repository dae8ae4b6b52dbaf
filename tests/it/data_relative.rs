//! The data-relative measures end to end: exact distances to the data along
//! streamed trajectories (checked against brute force), the DDIM descent
//! bound, the mean-shift identity, batch-size invariance of the streamed
//! tables, the projection experiment, and the new data loaders in a run.

use crate::common::run_experiment as run;
use crate::common::run_to;
use geotraj::data::{Dataset, read_npy_f32};
use geotraj::records::{Column, Table, read_parquet};
use geotraj::workbench::context::device::DeviceChoice;
use geotraj::workbench::execute::RunOptions;
use tempfile::tempdir;

const MEASURED: &str = r#"
name = "measured"
seed = 5
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
jump = true
identity = 3
lowdim = true
views = 3
[[figure]]
kind = "low-dim"
[[figure]]
kind = "error-histogram"
[[figure]]
kind = "nu"
[[figure]]
kind = "distance-to-data"
[[figure]]
kind = "jump"
[[figure]]
kind = "memorisation"
[[figure]]
kind = "identity"
"#;

fn f64s(t: &Table, name: &str) -> Vec<f64> {
    match t.column(name) {
        Some(Column::F64(v)) => v.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn brute_d1(data: &Dataset, x: &[f32]) -> f64 {
    (0..data.n)
        .map(|i| {
            data.row(i)
                .iter()
                .zip(x)
                .map(|(&y, &v)| (v as f64 - y as f64).powi(2))
                .sum::<f64>()
        })
        .fold(f64::INFINITY, f64::min)
        .sqrt()
}

#[test]
fn distances_bound_and_identity_along_streamed_trajectories() {
    let dir = tempdir().unwrap();
    let out = run_to(dir.path(), "a", MEASURED);
    let steps = read_parquet(&out.join("steps.parquet")).unwrap();
    let trajs = read_parquet(&out.join("trajectories.parquet")).unwrap();
    assert_eq!(
        steps.len(),
        10 * 9,
        "every state of every trajectory, streamed"
    );
    assert_eq!(
        trajs.column("trajectory"),
        Some(&Column::I64((0..10).collect())),
        "global trajectory indices across batches"
    );

    // Final distances against brute force on the written samples.
    let data = geotraj::data::shapes(150, 5);
    let (shape, samples) = read_npy_f32(&out.join("samples-shapes-euler-8.npy")).unwrap();
    // Samples keep the item shape (the shapes are 1 x 16 x 16 images).
    assert_eq!(shape, [10, 1, 16, 16]);
    let d1 = f64s(&trajs, "final_d1");
    for i in 0..10 {
        let want = brute_d1(&data, &samples[i * data.d..(i + 1) * data.d]);
        assert!(
            (d1[i] - want).abs() <= 1e-9 * want.max(1.0),
            "{} vs {want}",
            d1[i]
        );
    }
    // Euler is DDIM: the descent bound of Permenter & Yuan holds at every step.
    let bound = f64s(&steps, "ddim_bound_ratio");
    assert!(bound.iter().filter(|v| v.is_finite()).count() >= 10 * 7);
    assert!(
        bound.iter().all(|v| v.is_nan() || *v <= 1.0 + 1e-5),
        "{bound:?}"
    );
    // nu at sigma = 80 is about sqrt(d) * 80 / (80 sqrt(d)) = 1.
    let nu = f64s(&steps, "nu");
    assert!((nu[0] - 1.0).abs() < 0.1, "nu_0 = {}", nu[0]);
    // The mean-shift identity on the first 3 trajectories only.
    let ident = f64s(&trajs, "max_identity_error");
    assert!(ident[..3].iter().all(|e| *e < 1e-3), "{ident:?}");
    assert!(ident[3..].iter().all(|e| e.is_nan()));
    // The jump lands nearer the end than the state, at every step but the last.
    let (x_end, r_end) = (
        f64s(&steps, "dist_to_end"),
        f64s(&steps, "denoised_to_final"),
    );
    let better = (0..steps.len())
        .filter(|&k| r_end[k].is_finite() && k % 9 < 7)
        .filter(|&k| r_end[k] < x_end[k])
        .count();
    assert!(better >= 10 * 7 * 9 / 10, "{better}");

    // Low-dimensional structure: cumulative ratios in [0, 1], and the 3-D
    // view of the first 3 trajectories starts at the origin and ends on the
    // chord axis at the chord's length.
    let e2 = f64s(&trajs, "explained_2");
    assert!(
        e2.iter().all(|v| (0.99..=1.0 + 1e-12).contains(v)),
        "{e2:?}"
    );
    let views = read_parquet(&out.join("views.parquet")).unwrap();
    assert_eq!(views.len(), 3 * 9);
    let (c1, c2, c3) = (f64s(&views, "c1"), f64s(&views, "c2"), f64s(&views, "c3"));
    let chord = f64s(&trajs, "chord");
    for i in 0..3 {
        assert_eq!((c1[i * 9], c2[i * 9], c3[i * 9]), (0.0, 0.0, 0.0));
        assert!((c1[i * 9 + 8] - chord[i]).abs() < 1e-3 * chord[i]);
        assert!(c2[i * 9 + 8].abs() < 1e-3 * chord[i]);
    }

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(json["peak_memory_bytes"].as_u64().unwrap() > 1 << 20);
    for fig in [
        "error-histogram-shapes-euler-8",
        "nu-shapes",
        "jump-shapes",
        "identity-shapes",
    ] {
        assert!(
            out.join("figures").join(format!("{fig}.png")).exists(),
            "{fig}"
        );
    }

    // The same run in batches of 7 and 10 gives the same tables.
    for batch in [7, 10] {
        let other = run_to(
            dir.path(),
            &format!("b{batch}"),
            &MEASURED.replace("batch_size = 4", &format!("batch_size = {batch}")),
        );
        let s2 = read_parquet(&other.join("steps.parquet")).unwrap();
        for name in ["dist_data", "rel_error", "nu", "denoised_dist_data"] {
            let (a, b) = (f64s(&steps, name), f64s(&s2, name));
            assert!(
                a.iter()
                    .zip(&b)
                    .all(|(x, y)| x.to_bits() == y.to_bits()
                        || (x - y).abs() <= 1e-6 * x.abs().max(1.0)),
                "{name} differs with batch {batch}"
            );
        }
    }
}

#[test]
fn projection_onto_manifolds_matches_the_tangent_noise() {
    let dir = tempdir().unwrap();
    let text = r#"
name = "proj"
seed = 1
[[data]]
name = "plane"
kind = "subspace"
k = 3
ambient = 20
n = 500
[[data]]
name = "sphere"
kind = "sphere"
k = 2
ambient = 10
n = 500
radius = 2.0
[projection]
points = 300
sigma_min = 0.001
sigma_max = 1.0
sigmas = 4
"#;
    let out = run_to(dir.path(), "p", text);
    let t = read_parquet(&out.join("projection.parquet")).unwrap();
    let sig = f64s(&t, "sigma");
    let ratio = f64s(&t, "manifold_ratio");
    let data = match t.column("data") {
        Some(Column::Str(v)) => v.clone(),
        _ => panic!(),
    };
    // E|P_T eps|^2 / k = 1: the mean squared ratio is 1 up to sampling error
    // (sd of the mean about sqrt(2 / (k * 300)) < 0.07) at every sigma on the
    // plane, and at small sigma (against the reach 2) on the sphere.
    for (name, max_sigma) in [("plane", 1.0), ("sphere", 0.011)] {
        for &s in &[0.001, 0.01, 0.1, 1.0] {
            if s > max_sigma {
                continue;
            }
            let sq: Vec<f64> = (0..t.len())
                .filter(|&i| data[i] == name && (sig[i] / s - 1.0).abs() < 1e-9)
                .map(|i| ratio[i] * ratio[i])
                .collect();
            assert_eq!(sq.len(), 300);
            let mean = sq.iter().sum::<f64>() / 300.0;
            assert!((mean - 1.0).abs() < 0.25, "{name} sigma {s}: {mean}");
        }
    }
    assert!(out.join("figures/projection-manifold.png").exists());
}

#[test]
fn cifar_and_png_folder_data_run_and_report_bad_files() {
    let dir = tempdir().unwrap();
    // Two CIFAR-10 records: label byte then 3 x 32 x 32 pixels.
    let mut bin = Vec::new();
    for k in 0..2u8 {
        bin.push(k);
        bin.extend((0..3072).map(|p| ((p * 7 + k as usize * 31) % 256) as u8));
    }
    let cifar = dir.path().join("batch.bin");
    std::fs::write(&cifar, &bin).unwrap();
    let text = format!(
        r#"
name = "c"
trajectories = 2
[[data]]
kind = "cifar10"
path = {:?}
[[sampler]]
solver = "euler"
steps = 3
"#,
        cifar.display().to_string()
    );
    let out = run_to(dir.path(), "c", &text);
    let (shape, _) = read_npy_f32(&out.join("samples-cifar10-euler-3.npy")).unwrap();
    assert_eq!(shape, [2, 3, 32, 32]);

    // Any IDX image file by name (EMNIST-style), the last rows held out.
    let mut idx = vec![0u8, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 4];
    idx.extend((0..5 * 16).map(|p| (p * 3) as u8));
    let images = dir.path().join("emnist-letters-train-images-idx3-ubyte");
    std::fs::write(&images, &idx).unwrap();
    let text_idx = format!(
        r#"
name = "i"
trajectories = 2
[[data]]
kind = "idx"
images = {:?}
held_out = 2
[[sampler]]
solver = "euler"
steps = 3
"#,
        images.display().to_string()
    );
    let out = run_to(dir.path(), "i", &text_idx);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["data"][0]["n"], 3, "5 images, 2 held out");
    assert_eq!(json["data"][0]["d"], 16);

    // A truncated file is one error naming the file and the offset.
    std::fs::write(&cifar, &bin[..3073 + 100]).unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, &text).unwrap();
    let e = run(&RunOptions {
        config_path: cfg,
        device: DeviceChoice::Cpu,
        quick: false,
        out: Some(dir.path().join("bad")),
    })
    .err()
    .expect("a truncated file fails");
    assert!(e.contains("batch.bin") && e.contains("3073"), "{e}");
    assert!(!dir.path().join("bad").exists());
}
