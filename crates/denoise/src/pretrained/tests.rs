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

pub(super) fn fixture(name: &str) -> PathBuf {
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
        ..DdpmConfig::cifar10()
    }
}

pub(super) fn tensor<const D: usize>(
    shape: &[usize],
    values: Vec<f32>,
    device: &Device,
) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape.to_vec()), device)
}

pub(super) fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn tiny_unet(device: &Device) -> DdpmUnet {
    let w = read_weights(&fixture("ddim-tiny.ckpt")).unwrap();
    assert_eq!(w.format, "torch zip");
    DdpmUnet::load(&tiny_config(), Layout::Ddim, &w, None, device).unwrap()
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
    let net = DdpmUnet::load(&tiny_config(), Layout::Ddim, &legacy, None, &device).unwrap();
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
    let e = DdpmUnet::load(&wrong, Layout::Ddim, &w, None, &device)
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
    let e = DdpmUnet::load(&fewer, Layout::Ddim, &w, None, &device)
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
    let e = DdpmUnet::load(&bad, Layout::Ddim, &w, None, &device)
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
    let net = DdpmUnet::load(
        &tiny_config(),
        Layout::Ddim,
        &nest(&["module."]),
        None,
        &device,
    )
    .unwrap();
    assert_eq!(net.parameters(), 285_667);
    let two = nest(&["model.", "ema."]);
    let e = DdpmUnet::load(&tiny_config(), Layout::Ddim, &two, None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("several networks") && e.contains("\"ema.\""),
        "{e}"
    );
    assert!(DdpmUnet::load(&tiny_config(), Layout::Ddim, &two, Some("ema."), &device).is_ok());
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
    let e = DdpmUnet::load(&tiny_config(), Layout::Ddim, &other, None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no tensor named \"conv_in.weight\""), "{e}");
}

#[test]
fn timestep_embedding_flips_and_shifts_as_diffusers() {
    let device = Device::flex();
    let e = |flip, shift| -> Vec<f32> {
        timestep_embedding(&[5.0], 4, flip, shift, &device)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
    };
    // Half 2: shift 1 gives frequencies 1 and 1e-4; shift 0 gives 1 and 1e-2.
    let (a, b) = (e(false, 1), e(true, 0));
    assert!((a[1] - (5e-4f64).sin() as f32).abs() < 1e-7);
    assert!(
        (b[0] - 5f64.cos() as f32).abs() < 1e-6 && (b[3] - (0.05f64).sin() as f32).abs() < 1e-6
    );
}

#[test]
fn timestep_embedding_is_ddpms() {
    let e: Vec<f32> = timestep_embedding(&[0.0, 3.0], 8, false, 1, &Device::flex())
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

fn diffusers_unet(name: &str, rename: bool, device: &Device) -> DdpmUnet {
    let dir = fixture(name);
    let config =
        ddpm_config_from_diffusers(&std::fs::read_to_string(dir.join("config.json")).unwrap())
            .unwrap();
    let mut w = read_weights(&dir.join("diffusion_pytorch_model.safetensors")).unwrap();
    assert_eq!(w.format, "safetensors");
    if rename {
        // The attention names of checkpoints saved before diffusers 0.15.
        let old = [
            ("to_q", "query"),
            ("to_k", "key"),
            ("to_v", "value"),
            ("to_out.0", "proj_attn"),
        ];
        w.tensors = std::mem::take(&mut w.tensors)
            .into_iter()
            .map(|(mut k, t)| {
                for (new, dep) in old {
                    k = k.replace(&format!(".{new}."), &format!(".{dep}."));
                }
                (k, t)
            })
            .collect();
        assert!(w.tensors.keys().any(|k| k.contains(".query.")));
    }
    DdpmUnet::load(&config, Layout::Diffusers, &w, None, device).unwrap()
}

#[test]
fn diffusers_unet2d_models_match_the_reference() {
    let device = Device::flex();
    let io = fixture("diffusers-io.npz");
    let (xs, x) = read_npz_f32(&io, Some("x")).unwrap();
    let (_, t) = read_npz_f32(&io, Some("t")).unwrap();
    let t: Vec<f64> = t.iter().map(|&v| f64::from(v)).collect();
    for (name, rename) in [
        ("diffusers-ddpm", false),
        ("diffusers-ddpm", true),
        ("diffusers-variant", false),
    ] {
        let net = diffusers_unet(name, rename, &device);
        let (_, want) = read_npz_f32(&io, Some(&name.replace('-', "_"))).unwrap();
        let got = net
            .forward_images(tensor(&xs, x.clone(), &device), &t)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        let err = max_abs_diff(&got, &want);
        eprintln!("{name} (old attention names: {rename}): max |out - reference| = {err:e}");
        assert!(err < 2e-5, "{name}: max |out - reference| = {err}");
    }
}

#[test]
fn diffusers_configs_outside_the_ddpm_family_are_refused_by_key() {
    let text = std::fs::read_to_string(fixture("diffusers-ddpm/config.json")).unwrap();
    let c = ddpm_config_from_diffusers(&text).unwrap();
    assert_eq!(
        (c.ch, c.ch_mult.as_slice(), c.attn_resolutions.as_slice()),
        (32, &[1, 1][..], &[4][..])
    );
    assert_eq!(
        (c.attention_head_dim, c.flip_sin_to_cos, c.freq_shift),
        (None, false, 1)
    );
    let edit = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        ddpm_config_from_diffusers(&text.replace(from, to)).unwrap_err()
    };
    let e = edit("\"act_fn\": \"silu\"", "\"act_fn\": \"gelu\"");
    assert!(e.contains("act_fn = \"gelu\" is not supported"), "{e}");
    let e = edit(
        "\"class_embed_type\": null",
        "\"class_embed_type\": \"timestep\"",
    );
    assert!(e.contains("class_embed_type"), "{e}");
    let e = edit("\"AttnUpBlock2D\"", "\"UpBlock2D\"");
    assert!(
        e.contains("down_block_types[1] = \"AttnDownBlock2D\""),
        "{e}"
    );
    let e = edit(
        "\"_class_name\": \"UNet2DModel\"",
        "\"_class_name\": \"UNet2DConditionModel\"",
    );
    assert!(e.contains("only UNet2DModel"), "{e}");
    let e = edit("\"sample_size\": 8", "\"sample_size\": \"8\"");
    assert!(e.contains("sample_size"), "{e}");
    assert!(
        ddpm_config_from_diffusers("{")
            .unwrap_err()
            .contains("not JSON")
    );
}

#[test]
fn a_config_far_larger_than_the_file_allocates_nothing_from_it() {
    // 2^20 channels would ask for terabytes; the loader records the
    // mismatches without allocating them.
    let w = read_weights(&fixture("ddim-tiny.ckpt")).unwrap();
    let huge = DdpmConfig {
        ch: 1 << 20,
        norm_groups: 32,
        ..tiny_config()
    };
    let e = DdpmUnet::load(&huge, Layout::Ddim, &w, None, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("the config needs [4194304, 1048576]"), "{e}");
}
