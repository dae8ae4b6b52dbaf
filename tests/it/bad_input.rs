//! Every kind of bad input ends in one clear error naming the key, file or
//! byte offset.

use crate::common::run_experiment as run;
use crate::common::{cpu, noise};
use geotraj::sampling::{Denoiser, Device, SampleError, SampleOptions, Solver, Tensor, sample};
use geotraj::workbench::context::device::DeviceChoice;
use geotraj::workbench::execute::RunOptions;
use std::path::Path;
use tempfile::tempdir;

const GOOD: &str = r#"
name = "tiny"
trajectories = 4
[[data]]
kind = "two-moons"
n = 100
[schedule]
kind = "edm"
[[sampler]]
solver = "euler"
steps = 3
"#;

fn parse_err(text: &str) -> String {
    crate::common::parse_config(text).unwrap_err()
}

#[test]
fn good_config_parses() {
    let c = crate::common::parse_config(GOOD).unwrap();
    assert_eq!(c.batch_size, 64);
    assert_eq!(c.schedule.sigma_max, 80.0);
}

#[test]
fn config_errors_name_the_key() {
    let e = parse_err(&GOOD.replace("trajectories = 4", "trajectories = 4\ntrajectorys = 5"));
    assert!(e.contains("trajectorys"), "{e}");
    let e = parse_err(&GOOD.replace("steps = 3", "steps = \"three\""));
    assert!(e.contains("steps") && e.contains("invalid type"), "{e}");
    let e = parse_err(&GOOD.replace("kind = \"edm\"", "kind = \"edm\"\nsigma_min = 90.0"));
    assert!(e.starts_with("schedule.sigma_max"), "{e}");
    let e = parse_err(&GOOD.replace("steps = 3", "steps = 0"));
    assert!(e.starts_with("sampler[0].steps"), "{e}");
    let e = parse_err(&GOOD.replace("solver = \"euler\"", "solver = \"rk45\""));
    assert!(
        e.starts_with("sampler[0].solver") && e.contains("rk45"),
        "{e}"
    );
    let e = parse_err(&GOOD.replace("n = 100", "n = 100\nwidth = 3"));
    assert!(e.contains("width"), "{e}");
    let e = parse_err(&GOOD.replace("kind = \"two-moons\"", "kind = \"three-moons\""));
    assert!(e.contains("three-moons"), "{e}");
    let e = parse_err(&GOOD.replace("trajectories = 4", "trajectories = 0"));
    assert!(e.starts_with("trajectories"), "{e}");
    let e = parse_err(&GOOD.replace("name = \"tiny\"", "name = \"a/b\""));
    assert!(e.starts_with("name"), "{e}");
    let e = parse_err(&GOOD.replace("kind = \"edm\"", "kind = \"explicit\"\nsigmas = [1.0, 2.0]"));
    assert!(e.starts_with("schedule.sigmas"), "{e}");
}

#[test]
fn data_measure_and_projection_errors_name_the_key() {
    let e = parse_err(&format!("{GOOD}[measures]\njump = true\n"));
    assert!(e.starts_with("measures.jump"), "{e}");
    let e = parse_err(&format!(
        "{}[measures]\nidentity = 2\n",
        GOOD.replace("solver = \"euler\"", "solver = \"heun\"")
    ));
    assert!(
        e.starts_with("measures.identity") && e.contains("heun"),
        "{e}"
    );
    let e = parse_err(&format!("{GOOD}[measures]\nmemorised_ratio = 1.5\n"));
    assert!(e.starts_with("measures.memorised_ratio"), "{e}");
    let e = parse_err(&format!("{GOOD}[[figure]]\nkind = \"nu\"\n"));
    assert!(e.contains("measures.distance"), "{e}");
    let e = parse_err(&GOOD.replace("n = 100", "n = 100\nheld_out = 10"));
    assert!(e.starts_with("data[0].held_out"), "{e}");
    let sphere = "name = \"p\"\n[[data]]\nkind = \"sphere\"\nk = 3\nambient = 3\n[projection]\n";
    let e = parse_err(sphere);
    assert!(e.starts_with("data[0].ambient") && e.contains('4'), "{e}");
    let e = parse_err(&format!("{GOOD}[projection]\n"));
    assert!(
        e.starts_with("data[0].kind") && e.contains("manifold"),
        "{e}"
    );
    let e = parse_err(&sphere.replace("ambient = 3", "ambient = 8").replace(
        "[projection]\n",
        "[projection]\nsigma_min = 2.0\nsigma_max = 1.0\n",
    ));
    assert!(e.starts_with("projection.sigma_min"), "{e}");
}

fn run_config(dir: &Path, text: &str) -> Result<(), String> {
    let path = dir.join("exp.toml");
    std::fs::write(&path, text).unwrap();
    run(&RunOptions {
        config_path: path,
        device: DeviceChoice::Cpu,
        quick: false,
        out: Some(dir.join("out")),
    })
    .map(|_| ())
}

#[test]
fn data_file_errors_name_file_and_offset() {
    let dir = tempdir().unwrap();
    // An IDX image file cut short inside its pixel data.
    let mnist = dir.path().join("mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    let mut idx = vec![0u8, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28];
    idx.extend(vec![7u8; 1000]);
    std::fs::write(mnist.join("train-images-idx3-ubyte"), &idx).unwrap();
    let labels = [0u8, 0, 8, 1, 0, 0, 0, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    std::fs::write(mnist.join("train-labels-idx1-ubyte"), labels).unwrap();
    let cfg = GOOD.replace(
        "kind = \"two-moons\"\nn = 100",
        &format!(
            "kind = \"mnist-idx\"\npath = {:?}",
            mnist.display().to_string()
        ),
    );
    let e = run_config(dir.path(), &cfg).unwrap_err();
    assert!(
        e.contains("train-images-idx3-ubyte") && e.contains("byte 1016"),
        "{e}"
    );

    let npy = dir.path().join("bad.npy");
    std::fs::write(&npy, b"\x93NUMPX\x01\x00").unwrap();
    let cfg = GOOD.replace(
        "kind = \"two-moons\"\nn = 100",
        &format!("kind = \"npy\"\npath = {:?}", npy.display().to_string()),
    );
    let e = run_config(dir.path(), &cfg).unwrap_err();
    assert!(e.contains("bad.npy") && e.contains("byte 0"), "{e}");
}

#[test]
fn noise_file_of_the_wrong_shape_is_rejected() {
    let dir = tempdir().unwrap();
    let path = dir.path().join("noise.npy");
    geotraj::records::write_npy(&path, &[4, 3], &[0.0; 12]).unwrap();
    let cfg = format!("{GOOD}\n[noise]\nfile = {:?}\n", path.display().to_string());
    let e = run_config(dir.path(), &cfg).unwrap_err();
    assert!(
        e.contains("noise.npy") && e.contains("[4, 3]") && e.contains("x 2"),
        "{e}"
    );
}

/// Returns NaN below a threshold sigma, as a diverging network would.
struct Diverging(Device);

impl Denoiser for Diverging {
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
        if sigma < 1.0 {
            x.mul_scalar(f64::NAN)
        } else {
            x.mul_scalar(0.5)
        }
    }
    fn dim(&self) -> usize {
        3
    }
    fn device(&self) -> Device {
        self.0.clone()
    }
    fn describe(&self) -> String {
        "diverging".into()
    }
}

#[test]
fn nan_mid_run_names_step_and_sigma() {
    let sigmas = [10.0, 3.0, 0.5, 0.1, 0.0];
    let e = sample(
        &Diverging(cpu()),
        Solver::Euler,
        &sigmas,
        &noise(5, 3),
        SampleOptions::batch(2),
        &mut || {},
    )
    .unwrap_err();
    assert_eq!(
        e,
        SampleError::NonFinite {
            what: "denoiser output",
            trajectory: 0,
            step: 2,
            sigma: 0.5
        }
    );
    assert!(e.to_string().contains("step 2"));
}
