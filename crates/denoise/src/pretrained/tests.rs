//! Parity with the reference code on the fixtures that
//! scripts/fixtures/pretrained.py wrote (a tiny DDPM U-Net built and run by
//! the DDIM code base itself, wrapped by k-diffusion's
//! DiscreteEpsDDPMDenoiser), loaded through the loaders users use.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};
use geotraj_data::read_npz_f32;
use geotraj_data::weights::{WeightTensor, Weights, read_weights};
use geotraj_sampling::Denoiser;

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/pretrained")
        .join(name)
}

fn array(key: &str) -> (Vec<usize>, Vec<f32>) {
    read_npz_f32(&fixture("ddim-tiny-io.npz"), Some(key)).unwrap()
}

/// The fixture's config: the DDIM YAML's model section plus data.image_size.
fn tiny_config() -> DdpmConfig {
    let text = std::fs::read_to_string(fixture("ddim-tiny.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let m = &v["model"];
    let list = |k: &str| -> Vec<usize> {
        m[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    let n = |k: &str| m[k].as_u64().unwrap() as usize;
    DdpmConfig {
        ch: n("ch"),
        out_ch: n("out_ch"),
        ch_mult: list("ch_mult"),
        num_res_blocks: n("num_res_blocks"),
        attn_resolutions: list("attn_resolutions"),
        in_channels: n("in_channels"),
        resolution: v["data"]["image_size"].as_u64().unwrap() as usize,
        resamp_with_conv: m["resamp_with_conv"].as_bool().unwrap(),
    }
}

fn tensor<const D: usize>(shape: &[usize], values: Vec<f32>, device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape.to_vec()), device)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn tiny_unet(device: &Device) -> DdpmUnet {
    let w = read_weights(&fixture("ddim-tiny.ckpt")).unwrap();
    assert_eq!(w.format, "torch zip");
    DdpmUnet::load(&tiny_config(), &w, None, device).unwrap()
}

#[test]
fn ddim_unet_matches_the_reference_model() {
    let device = Device::flex();
    let net = tiny_unet(&device);
    assert_eq!(net.parameters(), 285_667);
    let (xs, x) = array("x");
    let (_, t) = array("t");
    let (_, want) = array("eps");
    let t: Vec<f64> = t.iter().map(|&v| f64::from(v)).collect();
    let got = net.forward_images(tensor(&xs, x, &device), &t);
    let got: Vec<f32> = got.into_data().try_into_vec::<f32>().unwrap();
    let err = max_abs_diff(&got, &want);
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    eprintln!("DDPM U-Net parity: max |eps - reference| = {err:e} (outputs up to {scale})");
    // Measured: 1.2e-6 of outputs up to 1.34 (f32 throughout, on flex).
    assert!(
        err < 2e-5,
        "max |eps - reference| = {err} (outputs up to {scale})"
    );
}

#[test]
fn discrete_eps_wrapper_matches_k_diffusion() {
    let device = Device::flex();
    let denoiser =
        DiscreteEps::new(tiny_unet(&device), AlphaTable::linear(1e-4, 0.02, 1000)).unwrap();
    let (shape, xs) = array("xs");
    let (_, sigma) = array("sigma");
    let (_, want) = array("denoised");
    let d: usize = shape[1..].iter().product();
    for (i, &s) in sigma.iter().enumerate() {
        let row = xs[i * d..(i + 1) * d].to_vec();
        let got = denoiser.denoise(tensor(&[1, d], row, &device), f64::from(s));
        let got: Vec<f32> = got.into_data().try_into_vec::<f32>().unwrap();
        let err = max_abs_diff(&got, &want[i * d..(i + 1) * d]);
        // D = x − σ ε: f32 rounding of x and σ ε scales with σ.
        let tol = 2e-5 * (1.0 + s);
        eprintln!("discrete ε parity at sigma {s}: max |D - reference| = {err:e}");
        assert!(err < tol, "sigma {s}: max |D - reference| = {err} > {tol}");
    }
}

#[test]
fn sigma_to_t_interpolates_in_log_sigma_and_clamps() {
    struct Zero;
    impl EpsNetwork for Zero {
        fn eps(&self, x: Tensor<2>, _: f64) -> Tensor<2> {
            x.zeros_like()
        }
        fn dim(&self) -> usize {
            1
        }
        fn device(&self) -> Device {
            Device::flex()
        }
        fn describe(&self) -> String {
            "zero".into()
        }
    }
    let table = AlphaTable::linear(1e-4, 0.02, 1000);
    let sigmas = table.sigmas();
    let d = DiscreteEps::new(Zero, table).unwrap();
    for i in [0, 1, 437, 998, 999] {
        assert!(
            (d.sigma_to_t(sigmas[i]) - i as f64).abs() < 1e-9,
            "t at sigma_{i}"
        );
    }
    let mid = (sigmas[10].ln() * 0.75 + sigmas[11].ln() * 0.25).exp();
    assert!((d.sigma_to_t(mid) - 10.25).abs() < 1e-9);
    assert_eq!(d.sigma_to_t(sigmas[0] / 10.0), 0.0);
    assert_eq!(d.sigma_to_t(sigmas[999] * 10.0), 999.0);
    assert!(
        DiscreteEps::new(
            Zero,
            AlphaTable {
                alphas_cumprod: vec![0.5],
                name: "one".into()
            }
        )
        .is_err()
    );
}

#[test]
fn legacy_f16_checkpoint_holds_the_same_weights() {
    let zip = read_weights(&fixture("ddim-tiny.ckpt")).unwrap();
    let legacy = read_weights(&fixture("ddim-tiny-legacy.ckpt")).unwrap();
    assert_eq!(legacy.format, "torch legacy");
    assert_eq!(
        zip.tensors.keys().collect::<Vec<_>>(),
        legacy.tensors.keys().collect::<Vec<_>>()
    );
    for (k, a) in &zip.tensors {
        let b = &legacy.tensors[k];
        assert_eq!(
            (a.shape.as_slice(), b.dtype),
            (b.shape.as_slice(), "F16"),
            "{k}"
        );
        for (x, y) in a.values.iter().zip(&b.values) {
            // Round to nearest in f16: within half an ulp (2^-11 relative), or the subnormal step.
            assert!(
                (x - y).abs() <= x.abs() * 2f32.powi(-11) + 2f32.powi(-25),
                "{k}: {x} vs {y}"
            );
        }
    }
    // The f16 network runs and stays close to the f32 one.
    let device = Device::flex();
    let net = DdpmUnet::load(&tiny_config(), &legacy, None, &device).unwrap();
    let (xs, x) = array("x");
    let (_, want) = array("eps");
    let got: Vec<f32> = net
        .forward_images(tensor(&xs, x, &device), &[0.0, 437.5, 999.0])
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    assert!(max_abs_diff(&got, &want) < 0.05);
}

#[test]
fn mismatched_configs_and_files_are_refused_with_the_keys() {
    let device = Device::flex();
    let w = read_weights(&fixture("ddim-tiny.ckpt")).unwrap();
    let wrong = DdpmConfig {
        ch_mult: vec![1, 2],
        ..tiny_config()
    };
    let e = DdpmUnet::load(&wrong, &w, None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("ddim-tiny.ckpt: the weights do not match the DDPM U-Net"),
        "{e}"
    );
    assert!(e.contains("down.1.block.0.conv1.weight: shape [32, 32, 3, 3] in the file, the config needs [64, 32, 3, 3]"), "{e}");
    let fewer = DdpmConfig {
        attn_resolutions: vec![],
        ..tiny_config()
    };
    let e = DdpmUnet::load(&fewer, &w, None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("down.1.attn.0.k.bias: in the file, not in the DDPM U-Net"),
        "{e}"
    );
    let bad = DdpmConfig {
        resolution: 7,
        ..tiny_config()
    };
    let e = DdpmUnet::load(&bad, &w, None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("resolution 7 does not halve"), "{e}");

    // A nested state dict is found under its prefix; two networks need a choice.
    let nest = |prefixes: &[&str]| Weights {
        path: "nested.ckpt".into(),
        format: "torch zip",
        tensors: prefixes
            .iter()
            .flat_map(|p| {
                w.tensors
                    .iter()
                    .map(move |(k, t)| (format!("{p}{k}"), t.clone()))
            })
            .collect(),
        other: vec![],
    };
    let net = DdpmUnet::load(&tiny_config(), &nest(&["module."]), None, &device).unwrap();
    assert_eq!(net.parameters(), 285_667);
    let two = nest(&["model.", "ema."]);
    let e = DdpmUnet::load(&tiny_config(), &two, None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("several networks") && e.contains("\"ema.\""),
        "{e}"
    );
    assert!(DdpmUnet::load(&tiny_config(), &two, Some("ema."), &device).is_ok());
    let other = Weights {
        path: "x.safetensors".into(),
        format: "safetensors",
        tensors: [(
            "a".to_owned(),
            WeightTensor {
                shape: vec![1],
                dtype: "F32",
                values: vec![0.0],
            },
        )]
        .into(),
        other: vec![],
    };
    let e = DdpmUnet::load(&tiny_config(), &other, None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no tensor named \"conv_in.weight\""), "{e}");
}

#[test]
fn timestep_embedding_is_ddpms() {
    let e: Vec<f32> = timestep_embedding(&[0.0, 3.0], 8, &Device::flex())
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    assert_eq!(&e[..8], &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    // Frequencies 10^(-4k/3): 1, 0.0464, 0.00215, 0.0001.
    for (k, f) in [1.0f64, 10f64.powf(-4.0 / 3.0), 10f64.powf(-8.0 / 3.0), 1e-4]
        .iter()
        .enumerate()
    {
        assert!((f64::from(e[8 + k]) - (3.0 * f).sin()).abs() < 1e-6);
        assert!((f64::from(e[12 + k]) - (3.0 * f).cos()).abs() < 1e-6);
    }
}

#[test]
fn parameter_and_flop_counts_match_torch() {
    let text = std::fs::read_to_string(fixture("ddim-counts.json")).unwrap();
    let counts: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (name, config) in [
        ("tiny", tiny_config()),
        ("cifar10", DdpmConfig::cifar10()),
        ("celeba", DdpmConfig::celeba()),
    ] {
        let want = &counts[name];
        assert_eq!(
            flops_per_image(&config),
            want["flops_per_image"].as_u64().unwrap(),
            "{name} FLOPs"
        );
        if name != "celeba" {
            let net = DdpmUnet::random(&config, 0, &Device::flex()).unwrap();
            assert_eq!(
                net.parameters() as u64,
                want["parameters"].as_u64().unwrap(),
                "{name} parameters"
            );
        }
    }
}
