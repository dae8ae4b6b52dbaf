//! `[export]`: the exported states and denoiser outputs are the run's own
//! (their norms are the steps table's), do not depend on the batch size,
//! and read back in both formats.

use crate::common::{numeric, parse_config, run_to};
use geotraj::data::{check_safetensors, read_npy_f32};
use geotraj::records::read_parquet;
use tempfile::tempdir;

const RUN: &str = r#"
name = "export"
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
trajectories = 6
what = ["states", "denoised", "evals"]
"#;

fn norm(v: &[f32]) -> f64 {
    v.iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn exported_states_are_the_runs_own() {
    let tmp = tempdir().unwrap();
    let out = run_to(tmp.path(), "npy", RUN);
    let (shape, x) = read_npy_f32(&out.join("states-shapes-heun-4.npy")).unwrap();
    assert_eq!(shape, [6, 5, 1, 16, 16]);
    let (dshape, den) = read_npy_f32(&out.join("denoised-shapes-heun-4.npy")).unwrap();
    assert_eq!(dshape, shape);
    let (eshape, _) = read_npy_f32(&out.join("evals-shapes-heun-4.npy")).unwrap();
    assert_eq!(
        eshape,
        [6, 7, 1, 16, 16],
        "Heun: 2 evaluations a step, 1 on the last"
    );
    let (sshape, samples) = read_npy_f32(&out.join("samples-shapes-heun-4.npy")).unwrap();
    assert_eq!(sshape, [10, 1, 16, 16], "samples keep the item shape");

    let steps = read_parquet(&out.join("steps.parquet")).unwrap();
    let (traj, step) = (numeric(&steps, "trajectory"), numeric(&steps, "step"));
    let (norm_x, norm_d) = (numeric(&steps, "norm_x"), numeric(&steps, "norm_denoised"));
    let d = 256;
    for row in 0..traj.len() {
        let (i, n) = (traj[row] as usize, step[row] as usize);
        if i >= 6 {
            continue;
        }
        let at = (i * 5 + n) * d;
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-12);
        assert!(rel(norm(&x[at..at + d]), norm_x[row]) < 1e-6, "x {i} {n}");
        if norm_d[row].is_finite() {
            assert!(rel(norm(&den[at..at + d]), norm_d[row]) < 1e-6, "D {i} {n}");
        } else {
            assert!(den[at..at + d].iter().all(|v| v.is_nan()), "D {i} {n}");
        }
        if n == 4 {
            assert_eq!(&x[at..at + d], &samples[i * d..(i + 1) * d]);
        }
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("export-shapes-heun-4.json")).unwrap())
            .unwrap();
    assert_eq!(meta["sigma"].as_array().unwrap().len(), 5);
    assert_eq!(meta["item_shape"], serde_json::json!([1, 16, 16]));
    assert_eq!(meta["files"]["states"], "states-shapes-heun-4.npy");

    // One trajectory a batch: the same bytes.
    let one = run_to(
        tmp.path(),
        "one",
        &RUN.replace("batch_size = 4", "batch_size = 1"),
    );
    for f in ["states", "denoised", "evals"] {
        let name = format!("{f}-shapes-heun-4.npy");
        assert_eq!(
            std::fs::read(out.join(&name)).unwrap(),
            std::fs::read(one.join(&name)).unwrap(),
            "{name}"
        );
    }

    // The safetensors file holds the same values and the schedule.
    let st = run_to(
        tmp.path(),
        "st",
        &RUN.replace("[export]", "[export]\nformat = \"safetensors\""),
    );
    let path = st.join("trajectories-shapes-heun-4.safetensors");
    let tensors = check_safetensors(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let start = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let tensor = |name: &str| {
        let t = tensors.iter().find(|t| t.name == name).unwrap();
        (t.shape.clone(), &bytes[start + t.begin..start + t.end])
    };
    let (xs, xb) = tensor("x");
    assert_eq!(xs, [6, 5, 1, 16, 16]);
    let raw = std::fs::read(out.join("states-shapes-heun-4.npy")).unwrap();
    assert_eq!(xb, &raw[raw.len() - xb.len()..]);
    let (ss, sb) = tensor("sigma");
    assert_eq!(ss, [5]);
    let sigma: Vec<f64> = sb
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let listed: Vec<f64> = meta["sigma"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(sigma, listed);
    assert!(String::from_utf8_lossy(&bytes[8..start]).contains("\"sampler\":\"heun-4\""));
}

#[test]
fn export_settings_name_their_key() {
    let err = |from: &str, to: &str| parse_config(&RUN.replace(from, to)).unwrap_err();
    assert!(err("trajectories = 6", "trajectories = 0").starts_with("export.trajectories"));
    assert!(err("trajectories = 6", "trajectories = 11").starts_with("export.trajectories"));
    let e = err("what = [\"states\", \"denoised\", \"evals\"]", "what = []");
    assert!(e.starts_with("export.what"), "{e}");
    let e = err("\"evals\"]", "\"evals\", \"states\"]");
    assert!(e.starts_with("export.what") && e.contains("twice"), "{e}");
    let e = err("what = [", "format = \"hdf5\"\nwhat = [");
    assert!(e.contains("hdf5"), "{e}");
}

const SWEEP: &str = r#"
name = "sweep-export"
trajectories = 12
batch_size = 5
[[data]]
kind = "shapes"
n = 200
[schedule]
kind = "edm"
[quality]
reference = false
pca_dim = 4
[sweep]
sampler = ["euler", "gradient-estimation"]
steps = [3]
gamma = [2.0]
[export]
png = true
"#;

/// Every PNG of `dir` loads back as the .npy's rows, to one grey level.
fn png_folder_matches(dir: &std::path::Path, npy: &std::path::Path) {
    let (shape, values) = read_npy_f32(npy).unwrap();
    let folder = geotraj::data::load_png_folder(dir).unwrap();
    assert_eq!(folder.n, shape[0]);
    assert_eq!(folder.item_shape, shape[1..]);
    for (p, v) in folder.rows.iter().zip(&values) {
        let clamped = v.clamp(-1.0, 1.0);
        assert!((p - clamped).abs() <= 1.0 / 255.0 + 1e-6, "{p} vs {v}");
    }
}

#[test]
fn sweeps_export_every_cells_samples_and_png_folders() {
    let tmp = tempdir().unwrap();
    let out = run_to(tmp.path(), "sweep", SWEEP);
    for cell in ["euler-edm-3", "gradient-estimation-gamma2-edm-3"] {
        let npy = out.join(format!("samples-shapes-{cell}.npy"));
        let (shape, _) = read_npy_f32(&npy).unwrap();
        assert_eq!(shape, [12, 1, 16, 16], "{cell}");
        png_folder_matches(&out.join(format!("samples-shapes-{cell}")), &npy);
    }
    // A trajectory run writes its cases' PNG folders the same way.
    let run = run_to(
        tmp.path(),
        "traj",
        &RUN.replace("what = [", "png = true\nwhat = ["),
    );
    png_folder_matches(
        &run.join("samples-shapes-heun-4"),
        &run.join("samples-shapes-heun-4.npy"),
    );
    let listed = std::fs::read_dir(run.join("samples-shapes-heun-4")).unwrap();
    let mut names: Vec<String> = listed
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.first().map(String::as_str), Some("000000.png"));
    assert_eq!(names.len(), 10);
}

#[test]
fn sweep_and_png_export_settings_name_their_key() {
    let e = parse_config(&SWEEP.replace("png = true", "what = [\"states\"]")).unwrap_err();
    assert!(e.starts_with("export.what") && e.contains("sweep"), "{e}");
    let toy = SWEEP.replace("kind = \"shapes\"\nn = 200", "kind = \"swiss-roll\"");
    let e = parse_config(&toy).unwrap_err();
    assert!(
        e.starts_with("export.png") && e.contains("swiss-roll"),
        "{e}"
    );
}
