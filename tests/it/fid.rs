//! `run-experiment fid` end to end: a weights file in pytorch-fid's key
//! names (values from a formula; the network's parity with pytorch-fid is
//! the denoise crate's test), image arrays, statistics files both ways.

use std::path::Path;
use std::sync::Mutex;

use clap::Parser;
use geotraj::denoise::pretrained::FidInception;
use geotraj::records::{ArrayStream, Dtype, write_npy};
use geotraj::workbench::fid::{FidArgs, fid};
use tempfile::tempdir;

/// Every tensor the FID Inception reads, with arbitrary but fixed values.
fn write_weights(path: &Path) {
    let names = Mutex::new(Vec::new());
    FidInception::from_formula(
        &|name, shape| {
            names
                .lock()
                .unwrap()
                .push((name.to_string(), shape.to_vec()));
            vec![0.0; shape.iter().product()]
        },
        &geotraj::sampling::Device::flex(),
    );
    let names = names.into_inner().unwrap();
    let arrays: Vec<(&str, Dtype, Vec<usize>)> = names
        .iter()
        .map(|(n, s)| (n.as_str(), Dtype::F32, s.clone()))
        .collect();
    let mut out = ArrayStream::safetensors(path, &arrays, &[]).unwrap();
    for (name, shape) in &names {
        let n: usize = shape.iter().product();
        let fan_in: usize = shape[1..].iter().product::<usize>().max(1);
        let values: Vec<f32> = (0..n)
            .map(|k| {
                let u = ((k * 7919 + name.len() * 104_729) % 1000) as f32 / 1000.0 - 0.5;
                if name.ends_with("running_var") || name.ends_with("bn.weight") {
                    1.0 + 0.2 * u
                } else if shape.len() == 4 {
                    u * (24.0 / fan_in as f32).sqrt()
                } else {
                    0.1 * u
                }
            })
            .collect();
        out.write(name, 0, &values).unwrap();
    }
    out.finish().unwrap();
}

fn images(path: &Path, n: usize, shift: f32) {
    let d = 3 * 16 * 16;
    let v: Vec<f32> = (0..n * d)
        .map(|k| {
            ((k as f32 * 0.013 + shift * (k / d) as f32).sin() * 0.9 + shift * 0.1).clamp(-1.0, 1.0)
        })
        .collect();
    write_npy(path, &[n, 3, 16, 16], &v).unwrap();
}

fn args(line: &str) -> FidArgs {
    FidArgs::try_parse_from(std::iter::once("fid").chain(line.split_whitespace())).unwrap()
}

#[test]
fn fid_between_images_and_statistics_files_agrees_both_ways() {
    let tmp = tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n).display().to_string();
    write_weights(&tmp.path().join("inception.safetensors"));
    images(&tmp.path().join("a.npy"), 12, 0.5);
    images(&tmp.path().join("b.npy"), 10, -0.7);
    let w = format!(
        "--weights {} --dims 64 --device cpu --batch-size 5",
        p("inception.safetensors")
    );
    let value = |line: String| -> f64 {
        fid(&args(&line))
            .unwrap()
            .strip_prefix("FID: ")
            .unwrap()
            .parse()
            .unwrap()
    };
    let from_images = value(format!("{} {} {w}", p("a.npy"), p("b.npy")));
    assert!(from_images > 1e-3, "{from_images}");
    // Statistics written, then read in place of the images: the same number.
    for (set, out) in [("a.npy", "a.npz"), ("b.npy", "b.npz")] {
        let line = fid(&args(&format!("{} --save-stats {} {w}", p(set), p(out)))).unwrap();
        assert!(line.starts_with("wrote"), "{line}");
    }
    let from_stats = value(format!("{} {} {w}", p("a.npz"), p("b.npz")));
    let mixed = value(format!("{} {} {w}", p("a.npy"), p("b.npz")));
    assert_eq!(from_stats, from_images);
    assert_eq!(mixed, from_images);
    // A set against itself.
    assert!(value(format!("{} {} {w}", p("a.npy"), p("a.npz"))).abs() < 1e-9);
}

#[test]
fn fid_refuses_what_it_cannot_compare_with_one_clear_error() {
    let tmp = tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n).display().to_string();
    images(&tmp.path().join("a.npy"), 4, 0.5);
    let err = |line: String| fid(&args(&line)).unwrap_err().to_string();
    let e = err(format!(
        "{} {} --weights {}",
        p("a.npy"),
        p("a.npy"),
        p("none.pth")
    ));
    assert!(
        e.contains("pt_inception-2015-12-05-6726825d.pth") && e.contains("github.com"),
        "{e}"
    );
    let e = err(format!(
        "{} {} --weights x --dims 100",
        p("a.npy"),
        p("a.npy")
    ));
    assert!(e.contains("--dims"), "{e}");
    let e = err(format!("{} --weights x", p("a.npy")));
    assert!(e.contains("--save-stats"), "{e}");
    // Items that are not images.
    write_npy(&tmp.path().join("flat.npy"), &[4, 5], &[0.1; 20]).unwrap();
    std::fs::write(tmp.path().join("w.pth"), b"not a checkpoint").unwrap();
    let e = fid(&args(&format!(
        "{} --save-stats {} --weights {}",
        p("flat.npy"),
        p("s.npz"),
        p("w.pth")
    )))
    .unwrap_err();
    let e = format!("{e:#}");
    assert!(e.contains("FID needs images") && e.contains("[5]"), "{e}");
    images(&tmp.path().join("b.npy"), 4, 0.5);
    let e = fid(&args(&format!(
        "{} --save-stats {} --weights {}",
        p("b.npy"),
        p("s.npz"),
        p("w.pth")
    )))
    .unwrap_err();
    let e = format!("{e:#}");
    assert!(e.contains("w.pth"), "{e}");
}

#[test]
fn a_sweep_reports_fid_against_reference_statistics() {
    let tmp = tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n).display().to_string();
    write_weights(&tmp.path().join("inception.safetensors"));
    // Reference statistics of a few gray 16 x 16 images, as pytorch-fid's file.
    let d = 16 * 16;
    let v: Vec<f32> = (0..6 * d)
        .map(|k| (k * 37 % 101) as f32 / 50.0 - 1.0)
        .collect();
    write_npy(&tmp.path().join("ref.npy"), &[6, 1, 16, 16], &v).unwrap();
    let line = fid(&args(&format!(
        "{} --save-stats {} --weights {} --device cpu",
        p("ref.npy"),
        p("ref.npz"),
        p("inception.safetensors")
    )))
    .unwrap();
    assert!(line.starts_with("wrote"), "{line}");
    let config = format!(
        r#"
name = "fid-sweep"
seed = 3
trajectories = 4
batch_size = 4
[[data]]
kind = "shapes"
n = 50
[schedule]
kind = "edm"
[sweep]
sampler = ["euler"]
steps = [3]
[quality]
reference = false
features = "inception"
inception_weights = "{}"
reference_stats = "{}"
"#,
        p("inception.safetensors"),
        p("ref.npz")
    );
    let out = crate::common::run_to(tmp.path(), "sweep", &config);
    let t = geotraj::records::read_parquet(&out.join("sweep.parquet")).unwrap();
    let fd = crate::common::numeric(&t, "fd");
    assert_eq!(fd.len(), 1);
    assert!(fd[0].is_finite() && fd[0] > 0.0, "{fd:?}");
    let report = std::fs::read_to_string(out.join("figures/README.md")).unwrap();
    assert!(report.contains("FID at N = 3"), "{report}");
    assert!(!report.contains("in PCA features"), "{report}");
}

#[test]
fn a_sweep_reports_fd_in_the_features_of_a_classifier_trained_and_cached_here() {
    let tmp = tempdir().unwrap();
    let config = |data: &str| {
        format!(
            r#"
name = "classifier-sweep"
seed = 2
trajectories = 8
batch_size = 8
[[data]]
{data}
[schedule]
kind = "edm"
[sweep]
sampler = ["euler", "heun"]
steps = [4]
[quality]
reference = false
features = "classifier"
"#
        )
    };
    let shapes = config("kind = \"shapes\"\nn = 300");
    let first = crate::common::run_to(tmp.path(), "first", &shapes);
    let fd = |out: &Path| {
        crate::common::numeric(
            &geotraj::records::read_parquet(&out.join("sweep.parquet")).unwrap(),
            "fd",
        )
    };
    let a = fd(&first);
    assert_eq!(a.len(), 2);
    assert!(a.iter().all(|v| v.is_finite() && *v > 0.0), "{a:?}");
    let report = std::fs::read_to_string(first.join("figures/README.md")).unwrap();
    assert!(
        report.contains("FD-classifier at N = 4") && report.contains("classifier trained here"),
        "{report}"
    );
    // The cached classifier gives the same numbers and the same report.
    let second = crate::common::run_to(tmp.path(), "second", &shapes);
    assert_eq!(fd(&second), a);
    // Data without labels has nothing to train on; data that is not images
    // has no image features.
    let v: Vec<f32> = (0..20 * 64)
        .map(|k| ((k % 13) as f32 / 6.5) - 1.0)
        .collect();
    write_npy(&tmp.path().join("images.npy"), &[20, 1, 8, 8], &v).unwrap();
    let npy = format!(
        "kind = \"npy\"\npath = \"{}\"",
        tmp.path().join("images.npy").display()
    );
    let e = crate::common::fail_to(tmp.path(), "unlabelled", &config(&npy));
    assert!(e.contains("has no labels"), "{e}");
    let e = crate::common::fail_to(
        tmp.path(),
        "not-images",
        &config("kind = \"gmm\"\nn = 200\ndim = 4"),
    );
    assert!(e.contains("classifier\" needs images"), "{e}");
}
