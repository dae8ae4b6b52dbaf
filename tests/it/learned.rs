//! Learned denoisers through the workbench: training into the model cache,
//! reuse, the learned-vs-optimal distances, and bad model settings.

use crate::common::{numeric, run_to};
use geotraj::records::read_parquet;
use tempfile::tempdir;

const SWISS: &str = r#"
name = "train-tiny"
seed = 1
trajectories = 32
batch_size = 16

[[data]]
kind = "gmm"
n = 500
components = 4
dim = 2
spread = 2.0
std = 0.1

[denoiser]
kind = "learned"

[net]
kind = "mlp"
dim = 2
hidden = 32
depth = 2
embed = 8

[preconditioning]
kind = "edm"
sigma_data = 2.0

[train]
steps = 200
batch = 64
lr = 3e-3
warmup = 20
ema = 0.95
checkpoint_every = 100

[schedule]
kind = "edm"
end = "zero"

[[sampler]]
solver = "heun"
steps = 8
"#;

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn column(path: &std::path::Path, name: &str) -> Vec<f64> {
    numeric(&read_parquet(path).unwrap(), name)
}

#[test]
fn training_fills_the_model_cache_and_a_rerun_reuses_it() {
    let tmp = tempdir().unwrap();
    let out = run_to(tmp.path(), "train-tiny", SWISS);
    let run = json(&out.join("run.json"));
    assert_eq!(run["model"]["steps"], 200);
    assert_eq!(run["model"]["steps_this_run"], 200);
    let loss = column(&out.join("training-loss.parquet"), "loss");
    assert_eq!(loss.len(), 8, "a point every 25 steps");
    assert!(loss[7] < 0.8 * loss[0], "loss {loss:?}");
    let dir = std::path::PathBuf::from(run["model"]["dir"].as_str().unwrap());
    assert!(dir.starts_with(out.join("models")), "{}", dir.display());
    for f in [
        "model.safetensors",
        "raw.safetensors",
        "adam.safetensors",
        "train.json",
        "experiment.toml",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let samples = std::fs::read(out.join("samples-gmm-heun-8.npy")).unwrap();
    assert!(out.join("figures/training-loss.png").is_file());

    // Same config: the cached network, the same samples bit for bit.
    let again = run_to(tmp.path(), "train-tiny", SWISS);
    let run = json(&again.join("run.json"));
    assert_eq!(run["model"]["steps_this_run"], 0);
    assert_eq!(
        std::fs::read(again.join("samples-gmm-heun-8.npy")).unwrap(),
        samples
    );

    // Another step count is another model.
    let longer = SWISS.replace("steps = 200", "steps = 250");
    let run = json(&run_to(tmp.path(), "train-tiny", &longer).join("run.json"));
    assert_eq!(run["model"]["steps_this_run"], 250);
}

#[test]
fn learned_and_optimal_share_noise_and_their_four_distances_are_consistent() {
    let tmp = tempdir().unwrap();
    let train = r#"
name = "train-shapes"
seed = 0

[[data]]
kind = "shapes"
n = 200

[denoiser]
kind = "learned"

[net]
kind = "unet"
channels = 1
height = 16
width = 16
base = 8
mults = [1, 2]
groups = 4
embed = 8

[train]
steps = 10
batch = 8
"#;
    let train_path = tmp.path().join("train-shapes.toml");
    std::fs::write(&train_path, train).unwrap();
    let lvo = format!(
        r#"
name = "lvo"
seed = 0
trajectories = 6
batch_size = 6

[[data]]
name = "learned"
kind = "shapes"
n = 200
denoiser = "learned"

[[data]]
name = "optimal"
kind = "shapes"
n = 200
denoiser = "optimal"

[denoiser]
model = "{}"

[schedule]
kind = "edm"
end = "zero"

[[sampler]]
solver = "euler"
steps = 6

[measures]
learned_vs_optimal = true
"#,
        train_path.display()
    );
    let out = run_to(tmp.path(), "lvo", &lvo);
    let table = out.join("learned-vs-optimal.parquet");
    let step = column(&table, "step");
    let x_gap = column(&table, "x_gap");
    let d_gap = column(&table, "denoised_gap");
    let at_x = column(&table, "learned_vs_optimal_at_x");
    let at_star = column(&table, "learned_vs_optimal_at_x_star");
    assert_eq!(
        step.len(),
        6 * 6,
        "6 trajectories x 6 steps (Euler: one evaluation per step)"
    );
    for r in 0..step.len() {
        assert!(
            [x_gap[r], d_gap[r], at_x[r], at_star[r]]
                .iter()
                .all(|v| v.is_finite())
        );
        if step[r] == 0.0 {
            // The same noise: x_0 = x*_0, so the cross distances coincide.
            assert_eq!(x_gap[r], 0.0);
            assert_eq!(at_x[r], d_gap[r]);
            assert_eq!(at_star[r], d_gap[r]);
        }
    }
    assert!(x_gap.iter().any(|v| *v > 0.0), "the two samplers must part");
    assert!(out.join("figures/learned-vs-optimal-euler-6.png").is_file());
    assert!(out.join("models").is_dir());
}

#[test]
fn a_learned_denoiser_without_a_network_is_one_clear_error() {
    let text = SWISS.replace("[net]", "[unused]");
    let e = crate::common::parse_config(&text.replace("[unused]", "[netx]")).unwrap_err();
    assert!(e.contains("netx"), "{e}");
    let no_net = SWISS.split("[net]").next().unwrap().to_string()
        + "\n[schedule]\nkind = \"edm\"\n[[sampler]]\nsolver = \"euler\"\nsteps = 4\n";
    let e = crate::common::parse_config(&no_net).unwrap_err();
    assert!(e.contains("nothing names a network"), "{e}");
    let bad = SWISS.replace("hidden = 32", "hidden = 32\nembed_size = 3");
    assert!(
        crate::common::parse_config(&bad)
            .unwrap_err()
            .contains("embed_size")
    );
    let odd = SWISS.replace("embed = 8", "embed = 7");
    assert!(
        crate::common::parse_config(&odd)
            .unwrap_err()
            .contains("net.embed")
    );

    let tmp = tempdir().unwrap();
    let missing = SWISS.split("[net]").next().unwrap().replace(
        "[denoiser]\nkind = \"learned\"",
        &format!(
            "[denoiser]\nkind = \"learned\"\ncheckpoint = \"{}\"",
            tmp.path().join("nothing").display()
        ),
    ) + "\n[schedule]\nkind = \"edm\"\n[[sampler]]\nsolver = \"euler\"\nsteps = 4\n";
    let e = crate::common::fail_to(tmp.path(), "missing", &missing);
    assert!(
        e.contains("denoiser.checkpoint") && e.contains("nothing"),
        "{e}"
    );
    assert!(!tmp.path().join("out").exists(), "no output on failure");
}
