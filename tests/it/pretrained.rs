//! Pretrained networks through the workbench: the DDIM code base's tiny
//! fixture U-Net (tests/fixtures/pretrained) as the learned denoiser of a
//! run, beside the optimal one, and the errors a user meets.

use crate::common::{fail_to, numeric, parse_config, run_to};
use geotraj::records::read_parquet;
use std::path::{Path, PathBuf};
use tempfile::tempdir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pretrained")
        .join(name)
}

fn write_npy(path: &Path, shape: &[usize], values: &[f32]) {
    let mut bytes = Vec::new();
    geotraj::data::encode_npy_f32(&mut bytes, shape, values).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// 40 images of 3 x 8 x 8 in [-1, 1], as an .npy the data loader reads.
fn images(dir: &Path) -> PathBuf {
    let n = 40;
    let values: Vec<f32> = (0..n * 192)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
        .collect();
    let path = dir.join("images.npy");
    write_npy(&path, &[n, 3, 8, 8], &values);
    path
}

fn config(weights: &Path, data: &Path, batch: usize) -> String {
    format!(
        r#"
name = "ddpm-tiny"
seed = 3
trajectories = 4
batch_size = {batch}

[[data]]
name = "learned"
kind = "npy"
path = "{data}"
denoiser = "learned"

[[data]]
name = "optimal"
kind = "npy"
path = "{data}"
denoiser = "optimal"

[pretrained]
architecture = "ddpm"
weights = "{weights}"
network = {{ ch = 32, out_ch = 3, ch_mult = [1, 1], num_res_blocks = 1, attn_resolutions = [4], in_channels = 3, resolution = 8 }}

[schedule]
kind = "edm"
sigma_min = 0.02
sigma_max = 80.0
end = "zero"

[[sampler]]
solver = "euler"
steps = 5

[measures]
learned_vs_optimal = true
"#,
        data = data.display(),
        weights = weights.display(),
    )
}

#[test]
fn a_pretrained_ddpm_samples_and_meets_the_optimal_denoiser() {
    let tmp = tempdir().unwrap();
    let data = images(tmp.path());
    let weights = fixture("ddim-tiny.ckpt");
    let out = run_to(tmp.path(), "one", &config(&weights, &data, 4));
    let steps = read_parquet(&out.join("steps.parquet")).unwrap();
    let dist = numeric(&steps, "dist_to_end");
    assert!(!dist.is_empty() && dist.iter().all(|v| v.is_finite()));
    let gaps = read_parquet(&out.join("learned-vs-optimal.parquet")).unwrap();
    let x_gap = numeric(&gaps, "x_gap");
    assert_eq!(x_gap.len(), 4 * 5);
    // Same noise: the trajectories start together and part as the networks differ.
    assert!(
        x_gap[0] < 1e-6 && x_gap.iter().any(|&g| g > 1e-3),
        "{x_gap:?}"
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let model = &run["model"];
    assert_eq!(model["pretrained"], true, "{model}");
    assert_eq!(model["parameters"], 285_667);
    assert!(model["network"].as_str().unwrap().contains("DDPM U-Net"));
    assert!(model["final_loss"].is_null());
    // Another batch size gives the same tables, to f32 rounding: the
    // network's convolutions sum in an order that depends on the batch.
    let two = run_to(tmp.path(), "two", &config(&weights, &data, 1));
    let again = numeric(
        &read_parquet(&two.join("steps.parquet")).unwrap(),
        "dist_to_end",
    );
    let worst = again
        .iter()
        .zip(&dist)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1e-3))
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-5,
        "batch 1 vs 4: largest relative difference {worst:e}"
    );
    // The legacy f16 copy of the weights loads through the same path.
    let legacy = run_to(
        tmp.path(),
        "legacy",
        &config(&fixture("ddim-tiny-legacy.ckpt"), &data, 4),
    );
    assert!(legacy.join("steps.parquet").is_file());
}

#[test]
fn pretrained_errors_name_the_key_and_the_file() {
    let tmp = tempdir().unwrap();
    let data = images(tmp.path());
    let run = |text: String| fail_to(tmp.path(), "bad", &text);
    let e = run(config(&tmp.path().join("none.ckpt"), &data, 4));
    assert!(
        e.contains("pretrained.weights") && e.contains("none.ckpt") && e.contains("README"),
        "{e}"
    );
    // Weights of another shape than the config describes.
    let wrong = config(&fixture("ddim-tiny.ckpt"), &data, 4)
        .replace("ch_mult = [1, 1]", "ch_mult = [1, 2]");
    let e = run(wrong);
    assert!(
        e.contains("do not match the DDPM U-Net") && e.contains("down.1.block.0.conv1.weight"),
        "{e}"
    );
    // Not a checkpoint at all.
    let e = run(config(&data, &data, 4));
    assert!(
        e.contains("pretrained.weights") && e.contains("images.npy"),
        "{e}"
    );
    // Data of another size than the network.
    let small = tmp.path().join("small.npy");
    write_npy(&small, &[4, 3, 4, 4], &[0.0; 192]);
    let e = run(config(&fixture("ddim-tiny.ckpt"), &small, 4));
    assert!(
        e.contains("48 values per item") && e.contains("takes 192"),
        "{e}"
    );

    let base = config(&fixture("ddim-tiny.ckpt"), &data, 4);
    let e = parse_config(&base.replace(
        "architecture = \"ddpm\"",
        "architecture = \"ddpm\"\npreset = \"cifar10\"",
    ))
    .unwrap_err();
    assert!(
        e.contains("pretrained.network") && e.contains("keep one"),
        "{e}"
    );
    let no_net = base
        .lines()
        .filter(|l| !l.starts_with("network"))
        .collect::<Vec<_>>()
        .join("\n");
    let e = parse_config(&no_net).unwrap_err();
    assert!(e.contains("preset = \"cifar10\""), "{e}");
    let e = parse_config(
        &base
            .replace("denoiser = \"learned\"", "denoiser = \"optimal\"")
            .replace("learned_vs_optimal = true", ""),
    )
    .unwrap_err();
    assert!(e.contains("no data set uses the learned denoiser"), "{e}");
    let e = parse_config(&format!(
        "{base}\n[pretrained.schedule]\nbeta_start = 0.0\nbeta_end = 0.02\ntimesteps = 1000\n"
    ))
    .unwrap_err();
    assert!(e.contains("pretrained.schedule"), "{e}");
    let cosine = "[pretrained.schedule]\nbeta_start = 0.0001\nbeta_end = 0.03\ntimesteps = 1000\n";
    assert!(parse_config(&format!("{base}\n{cosine}")).is_ok());
    let e = parse_config(&format!(
        "{}\n{cosine}",
        base.replace("kind = \"edm\"\nsigma_min", "kind = \"ddim\"\nsigma_min")
    ))
    .unwrap_err();
    assert!(
        e.contains("schedule.kind") && e.contains("beta 0.0001 to 0.03"),
        "{e}"
    );
    let e = parse_config(&base.replace("architecture = \"ddpm\"", "architecture = \"sd\""))
        .unwrap_err();
    assert!(
        e.contains("pretrained.architecture") || e.contains("architecture"),
        "{e}"
    );
}

#[test]
fn the_pretrained_experiments_plan_full_and_quick() {
    use geotraj::workbench::plan::{Plan, RunKind};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/pretrained");
    let files = geotraj::workbench::catalogue::experiment_files(&dir).unwrap();
    assert_eq!(files.len(), 5, "{files:?}");
    for f in &files {
        for quick in [false, true] {
            let plan = Plan::load(f, quick).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(plan.config.pretrained.is_some(), "{}", f.display());
            if let RunKind::Sweep(cells) = &plan.kind {
                // Six samplers at N = 5, 10, 20, 50; quick.steps keeps 5 and 10.
                assert_eq!(cells.len(), if quick { 12 } else { 24 }, "{}", f.display());
            }
        }
    }
}

#[test]
fn a_diffusers_unet_runs_from_its_folder() {
    let tmp = tempdir().unwrap();
    let data = images(tmp.path());
    let weights = fixture("diffusers-ddpm/diffusion_pytorch_model.safetensors");
    let text = config(&weights, &data, 4)
        .replace(
            "architecture = \"ddpm\"",
            "architecture = \"ddpm\"\nlayout = \"diffusers\"",
        )
        .lines()
        .filter(|l| !l.starts_with("network"))
        .collect::<Vec<_>>()
        .join("\n");
    let out = run_to(tmp.path(), "diffusers", &text);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["model"]["parameters"], 285_667);
    // The DDIM layout's names are not in a diffusers file.
    let wrong = text.replace(
        "layout = \"diffusers\"",
        "layout = \"ddim\"\npreset = \"cifar10\"",
    );
    let e = fail_to(tmp.path(), "wrong", &wrong);
    assert!(e.contains("temb.dense.0.weight: missing"), "{e}");
}

#[test]
fn an_edm_network_runs_behind_its_preconditioning() {
    let tmp = tempdir().unwrap();
    let data = images(tmp.path());
    let weights = fixture("edm-ncsnpp-ve/network.safetensors");
    let edm = |extra: &str| {
        config(&weights, &data, 4)
            .replace(
                "architecture = \"ddpm\"",
                &format!("architecture = \"edm\"{extra}"),
            )
            .lines()
            .filter(|l| !l.starts_with("network"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let out = run_to(tmp.path(), "edm", &edm("\nclass = 2"));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["model"]["parameters"], 190_979);
    let network = run["model"]["network"].as_str().unwrap();
    assert!(
        network.contains("NCSN++") && network.contains("class 2") && network.contains("VEPrecond"),
        "{network}"
    );
    let out = run_to(tmp.path(), "keyed", &edm("\nclass = \"per-trajectory\""));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let network = run["model"]["network"].as_str().unwrap();
    assert!(
        network.contains("one class of 4 per trajectory"),
        "{network}"
    );
    for bad in ["\"each\"", "-1"] {
        let e = parse_config(&edm(&format!("\nclass = {bad}"))).unwrap_err();
        assert!(
            e.contains("pretrained.class") && e.contains("per-trajectory"),
            "{e}"
        );
    }
    let e = parse_config(&edm("\npreset = \"cifar10\"")).unwrap_err();
    assert!(
        e.contains("pretrained.preset") && e.contains("network.json"),
        "{e}"
    );
    let e = fail_to(tmp.path(), "class", &edm("\nclass = 7"));
    assert!(
        e.contains("pretrained.class: 7 is not a class of this network (4 classes)"),
        "{e}"
    );
}
