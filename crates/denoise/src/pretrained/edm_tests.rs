//! Parity of EDM's networks with EDM itself, on the fixtures that
//! scripts/fixtures/pretrained.py wrote (tiny networks built, pickled and
//! exported with EDM's own code), and the classes a conditional network
//! is given.

use burn::tensor::Device;
use geotraj_data::read_npz_f32;
use geotraj_data::weights::read_weights;
use geotraj_sampling::Denoiser;

use super::tests::{fixture, max_abs_diff, tensor};
use super::*;

fn edm_denoiser(name: &str, device: &Device) -> crate::Preconditioned<EdmNetwork> {
    let dir = fixture(name);
    let cfg =
        edm_config_from_json(&std::fs::read_to_string(dir.join("network.json")).unwrap()).unwrap();
    let w = read_weights(&dir.join("network.safetensors")).unwrap();
    let unet = EdmUnet::load(&cfg, &w, None, device).unwrap();
    // EDM's parameter counts (buffers left out), as the fixture script printed them.
    let want = match name {
        "edm-ddpmpp-vp" => 189_491,
        "edm-ncsnpp-ve" => 190_979,
        "edm-adm-edm" => 641_891,
        _ => 189_347,
    };
    assert_eq!(unet.parameters(), want, "{name}");
    let classes = match cfg.arch.label_dim() {
        0 => Classes::None,
        _ => Classes::Fixed(2),
    };
    let EdmPreconditioning::Formula(preconditioning) = cfg.preconditioning else {
        panic!("{name}: {:?}", cfg.preconditioning)
    };
    crate::Preconditioned {
        net: EdmNetwork { unet, classes },
        preconditioning,
    }
}

/// D of one row at σ.
fn denoise_row(den: &dyn Denoiser, row: &[f32], sigma: f32, device: &Device) -> Vec<f32> {
    den.denoise(
        tensor(&[1, row.len()], row.to_vec(), device),
        f64::from(sigma),
    )
    .into_data()
    .try_into_vec::<f32>()
    .unwrap()
}

#[test]
fn edm_song_unets_behind_their_preconditioning_match_edm() {
    let device = Device::flex();
    let io = fixture("edm-io.npz");
    let (xs, x) = read_npz_f32(&io, Some("x")).unwrap();
    let (_, sigma) = read_npz_f32(&io, Some("sigma")).unwrap();
    let d: usize = xs[1..].iter().product();
    for name in [
        "edm-ddpmpp-vp",
        "edm-ncsnpp-ve",
        "edm-ddpmpp-edm",
        "edm-adm-edm",
    ] {
        let den = edm_denoiser(name, &device);
        let (_, want) = read_npz_f32(&io, Some(&name.replace('-', "_"))).unwrap();
        for (i, &s) in sigma.iter().enumerate() {
            let got = denoise_row(&den, &x[i * d..(i + 1) * d], s, &device);
            let err = max_abs_diff(&got, &want[i * d..(i + 1) * d]);
            let scale = want[i * d..(i + 1) * d]
                .iter()
                .fold(0f32, |m, v| m.max(v.abs()));
            eprintln!("{name} at sigma {s}: max |D - EDM| = {err:e} (values up to {scale})");
            assert!(err < 2e-5 * (1.0 + s), "{name} at sigma {s}: {err}");
        }
    }
}

#[test]
fn edm_exports_outside_song_unet_are_refused_by_key() {
    let text = std::fs::read_to_string(fixture("edm-ddpmpp-vp/network.json")).unwrap();
    let c = edm_config_from_json(&text).unwrap();
    assert_eq!(
        c.preconditioning,
        EdmPreconditioning::Formula(crate::Preconditioning::VP)
    );
    let EdmArch::Song(song) = &c.arch else {
        panic!("{c:?}")
    };
    assert_eq!((song.augment_dim, song.model_channels), (9, 16));
    let e = edm_config_from_json(&text.replace("\"SongUNet\"", "\"UNetModel\"")).unwrap_err();
    assert!(e.contains("model_type \"UNetModel\""), "{e}");
    let e = edm_config_from_json(&text.replace("VPPrecond", "VPrecond")).unwrap_err();
    assert!(e.contains("class_name \"VPrecond\""), "{e}");
    let e = edm_config_from_json(
        &text.replace("\"init_kwargs\": {", "\"init_kwargs\": {\"M\": 1000.5,"),
    )
    .unwrap_err();
    assert!(e.contains("init_kwargs.M"), "{e}");
    let e = edm_config_from_json(&text.replace("\"standard\"", "\"skip\"")).unwrap();
    let w = read_weights(&fixture("edm-ddpmpp-vp/network.safetensors")).unwrap();
    let err = EdmUnet::load(&e, &w, None, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("encoder_type \"skip\""), "{err}");
}

/// From the fixture, with EDM's stored table (as the workbench loads it).
fn iddpm_denoiser(classes: Classes, device: &Device) -> IddpmPrecond {
    let dir = fixture("edm-iddpm-adm");
    let cfg =
        edm_config_from_json(&std::fs::read_to_string(dir.join("network.json")).unwrap()).unwrap();
    let EdmPreconditioning::Iddpm { c1, c2, m } = cfg.preconditioning else {
        panic!("{:?}", cfg.preconditioning)
    };
    let w = read_weights(&dir.join("network.safetensors")).unwrap();
    let unet = EdmUnet::load(&cfg, &w, None, device).unwrap();
    let computed = IddpmPrecond::new(
        EdmNetwork {
            unet,
            classes: Classes::None,
        },
        c1,
        c2,
        m,
    );
    let u = w.tensors["u"].values.clone();
    // The table computed here, against EDM's: torch's f32 sine is off by
    // an ulp at some arguments, and the recursion carries it along.
    let worst = u
        .iter()
        .zip(computed.table())
        .map(|(a, b)| ((a - b) / a.max(1e-30)).abs())
        .fold(0f32, f32::max);
    assert!(worst < 2e-5, "{worst}");
    let mut net = computed.into_network();
    net.classes = classes;
    IddpmPrecond::with_table(net, u, m).unwrap()
}

#[test]
fn iddpm_precond_matches_edm_from_a_real_pickle() {
    let device = Device::flex();
    let den = iddpm_denoiser(Classes::None, &device);
    let u = den.table().to_vec();
    for (bad, why) in [
        (u[..u.len() - 1].to_vec(), "entries"),
        (
            [&u[..3], &[f32::NAN], &u[4..]].concat(),
            "entry 3 is not finite",
        ),
        (
            [&u[..3], &[u[5]], &u[4..]].concat(),
            "not decreasing at entry 3",
        ),
    ] {
        let e = IddpmPrecond::with_table(
            iddpm_denoiser(Classes::None, &device).into_network(),
            bad,
            1000,
        )
        .err()
        .unwrap();
        assert!(e.contains(why), "{e}");
    }
    let io = fixture("edm-iddpm-io.npz");
    let (xs, x) = read_npz_f32(&io, Some("x")).unwrap();
    let (_, sigma) = read_npz_f32(&io, Some("sigma")).unwrap();
    let (_, labels) = read_npz_f32(&io, Some("labels")).unwrap();
    let (_, index) = read_npz_f32(&io, Some("index")).unwrap();
    let (_, want) = read_npz_f32(&io, Some("denoised")).unwrap();
    let d: usize = xs[1..].iter().product();
    for (i, &s) in sigma.iter().enumerate() {
        assert_eq!(den.index(f64::from(s)), index[i] as usize, "sigma {s}");
        let den = iddpm_denoiser(Classes::Fixed(labels[i] as usize), &device);
        let got = denoise_row(&den, &x[i * d..(i + 1) * d], s, &device);
        let err = max_abs_diff(&got, &want[i * d..(i + 1) * d]);
        eprintln!(
            "iDDPM ADM at sigma {s}, class {}: max |D - EDM| = {err:e}",
            labels[i]
        );
        assert!(err < 2e-5 * (1.0 + s), "sigma {s}: {err}");
    }
}

#[test]
fn per_trajectory_classes_are_keyed_on_seed_and_index_not_on_batching() {
    let device = Device::flex();
    let den = |classes| {
        let mut d = edm_denoiser("edm-ncsnpp-ve", &device);
        d.net.classes = classes;
        d
    };
    let keyed = den(Classes::PerTrajectory { seed: 7 });
    let (first, rows, d) = (10, 6, 3 * 8 * 8);
    let x: Vec<f32> = (0..rows * d).map(|k| ((k as f32) * 0.37).sin()).collect();
    let run = |den: &crate::Preconditioned<EdmNetwork>, x: &[f32], first: usize| {
        den.denoise_rows(tensor(&[x.len() / d, d], x.to_vec(), &device), 0.7, first)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
    };
    let whole = run(&keyed, &x, first);
    // Split batches give the same rows.
    let mut split = run(&keyed, &x[..2 * d], first);
    split.extend(run(&keyed, &x[2 * d..], first + 2));
    assert!(max_abs_diff(&whole, &split) < 1e-5);
    // Row r is the network at trajectory first + r's own class.
    for r in 0..rows {
        let k = keyed_class(7, first + r, 4);
        let fixed = run(&den(Classes::Fixed(k)), &x[r * d..(r + 1) * d], 0);
        assert!(
            max_abs_diff(&whole[r * d..(r + 1) * d], &fixed) < 1e-5,
            "row {r}"
        );
    }
    // Classes are uniform over trajectories and change with the seed.
    let mut counts = [0usize; 4];
    for i in 0..4000 {
        counts[keyed_class(7, i, 4)] += 1;
    }
    assert!(
        counts.iter().all(|&c| (900..1100).contains(&c)),
        "{counts:?}"
    );
    assert!((0..64).any(|i| keyed_class(7, i, 4) != keyed_class(8, i, 4)));
    assert_eq!(keyed_class(7, 3, 1), 0);
}
