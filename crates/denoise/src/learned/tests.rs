use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor};

use super::adam::flat_params;
use super::checkpoint::{self, CheckpointError};
use super::train::{TrainOptions, TrainSpec, Trainer};
use super::{Net, NetConfig};
use crate::precondition::{Network, Preconditioning};

fn device() -> Device {
    Device::flex()
}

fn host(t: Tensor<1>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

fn params(net: &Net) -> Vec<Vec<f32>> {
    flat_params(net).into_iter().map(host).collect()
}

/// Two tight clusters in 2-D at (±1, ±0.5): a tiny GMM.
fn two_clusters(n: usize) -> Vec<f32> {
    let mut s = geotraj_data::rng::Stream::new(7, 1);
    (0..n)
        .flat_map(|i| {
            let sign = if i.is_multiple_of(2) { 1.0 } else { -1.0 };
            [
                (sign + 0.05 * s.normal()) as f32,
                (0.5 * sign + 0.05 * s.normal()) as f32,
            ]
        })
        .collect()
}

fn mlp_spec(hidden: usize, steps: usize) -> TrainSpec {
    TrainSpec {
        net: NetConfig::Mlp {
            dim: 2,
            hidden,
            depth: 2,
            embed: 8,
        },
        preconditioning: Preconditioning::Edm { sigma_data: 0.8 },
        train: TrainOptions {
            steps,
            batch: 64,
            lr: 3e-3,
            warmup: 20,
            ema: 0.99,
            clip: Some(1.0),
            p_mean: -1.2,
            p_std: 1.2,
            seed: 3,
            checkpoint_every: 0,
        },
    }
}

/// Adds `h` times the direction (one flat vector per parameter) to a module.
fn shifted(net: &Net, dir: &[Vec<f32>], h: f32) -> Net {
    struct Shift<'a> {
        dir: std::slice::Iter<'a, Vec<f32>>,
        h: f32,
    }
    impl ModuleMapper for Shift<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, t, mapper) = param.consume();
            let shape = t.shape();
            let d = self.dir.next().unwrap();
            let delta = Tensor::<1>::from_floats(d.as_slice(), &t.device()).reshape(shape);
            let moved = t.inner() + delta.mul_scalar(self.h);
            Param::from_mapped_value(id, Tensor::from_inner(moved).require_grad(), mapper)
        }
    }
    net.clone().map(&mut Shift { dir: dir.iter(), h })
}

#[test]
fn host_init_is_seeded_and_zeroes_the_output_layers() {
    let cfg = mlp_spec(16, 1).net;
    let a = params(&Net::new(&cfg, 5, &device()));
    let b = params(&Net::new(&cfg, 5, &device()));
    let c = params(&Net::new(&cfg, 6, &device()));
    assert_eq!(a, b);
    assert_ne!(a, c);
    // A fresh network outputs exactly zero (its output layer is zero), so
    // the preconditioned denoiser starts as c_skip x.
    let net = super::LearnedNet::new(Net::new(&cfg, 5, &device()), cfg, device(), "fresh");
    let x = Tensor::<2>::from_floats([[0.3, -0.2], [1.0, 2.0]], &device());
    assert!(
        host(net.forward(x, 0.1).reshape([4]))
            .iter()
            .all(|v| *v == 0.0)
    );
}

/// A two-level U-Net on 1 x height x 8 images.
fn tiny_unet(height: usize) -> NetConfig {
    NetConfig::Unet {
        channels: 1,
        height,
        width: 8,
        base: 8,
        mults: vec![1, 2],
        blocks: 1,
        groups: 4,
        embed: 8,
    }
}

#[test]
fn unet_maps_images_to_images_and_trains() {
    let spec = TrainSpec {
        net: tiny_unet(8),
        preconditioning: Preconditioning::Edm { sigma_data: 0.5 },
        train: TrainOptions {
            batch: 4,
            ..mlp_spec(8, 3).train
        },
    };
    assert_eq!(spec.problem(), None);
    let rows: Vec<f32> = (0..6 * 64).map(|i| ((i % 7) as f32 - 3.0) / 6.0).collect();
    let mut t = Trainer::new(spec, device());
    for _ in 0..3 {
        assert!(t.train_step(&rows).unwrap().is_finite());
    }
    let out = t.net.forward(
        Tensor::<2>::zeros([3, 64], &device().autodiff()),
        &[0.1, 0.2, 0.3],
    );
    assert_eq!(out.dims(), [3, 64]);
    let bad = tiny_unet(7);
    assert!(bad.problem().unwrap().contains("net.mults"));
}

#[test]
fn sizes_that_cannot_be_allocated_are_problems_not_panics() {
    let unet = |mults: Vec<usize>, side: usize, base: usize| NetConfig::Unet {
        channels: 3,
        height: side,
        width: side,
        base,
        mults,
        blocks: 1,
        groups: 1,
        embed: 8,
    };
    // 70 levels would shift 1 << 69 past usize; the side overflows the product.
    let cases = [
        (unet(vec![1; 70], 8, 8), "net.mults"),
        (unet(vec![1], usize::MAX / 2, 8), "net.dim"),
        (unet(vec![1, 2], 8, 1 << 40), "net.hidden/base"),
        (
            NetConfig::Mlp {
                dim: 2,
                hidden: 1 << 40,
                depth: 2,
                embed: 8,
            },
            "net.hidden/base",
        ),
    ];
    for (net, key) in cases {
        let p = net.problem().expect("refused");
        assert!(p.starts_with(key), "{p}");
    }
    let mut spec = mlp_spec(8, 3);
    spec.train.batch = usize::MAX;
    assert!(spec.problem().unwrap().starts_with("train.batch"));
}

#[test]
fn gradient_matches_finite_differences() {
    let rows = two_clusters(64);
    let mut t = Trainer::new(mlp_spec(8, 10), device());
    // A few steps first: at initialisation the zeroed output layer makes
    // most gradients exactly zero.
    for _ in 0..10 {
        t.train_step(&rows).unwrap();
    }
    let (_, grads) = t.loss_and_grads(&rows, 99);
    struct Collect<'a>(&'a burn::optim::GradientsParams, Vec<Vec<f32>>);
    impl burn::module::ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let g = self.0.get::<D>(p.id).unwrap();
            let n = g.shape().num_elements();
            self.1.push(host(g.reshape([n])));
        }
    }
    let mut c = Collect(&grads, Vec::new());
    t.net.visit(&mut c);
    let g = c.1;
    // A fixed pseudo-random direction u: the directional derivative g·u
    // against a central difference of the loss along u.
    let mut s = geotraj_data::rng::Stream::new(11, 2);
    let u: Vec<Vec<f32>> = g
        .iter()
        .map(|p| p.iter().map(|_| s.normal() as f32).collect())
        .collect();
    let norm: f64 = u
        .iter()
        .flatten()
        .map(|v| (*v as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    let u: Vec<Vec<f32>> = u
        .iter()
        .map(|p| p.iter().map(|v| (*v as f64 / norm) as f32).collect())
        .collect();
    let analytic: f64 = g
        .iter()
        .flatten()
        .zip(u.iter().flatten())
        .map(|(a, b)| *a as f64 * *b as f64)
        .sum();
    let loss_at = |h: f32| {
        let mut moved = Trainer::new(mlp_spec(8, 10), device());
        moved.net = shifted(&t.net, &u, h);
        moved.loss_and_grads(&rows, 99).0
    };
    let h = 1e-2;
    let numeric = (loss_at(h) - loss_at(-h)) / (2.0 * h as f64);
    assert!(
        (numeric - analytic).abs() < 0.02 * analytic.abs() + 1e-4,
        "finite difference {numeric} vs autodiff {analytic}"
    );
    assert!(analytic.abs() > 1e-3, "a degenerate direction: {analytic}");
}

#[test]
fn loss_decreases_on_a_tiny_gmm() {
    let rows = two_clusters(256);
    let mut t = Trainer::new(mlp_spec(32, 400), device());
    let mut losses = Vec::new();
    for _ in 0..400 {
        losses.push(t.train_step(&rows).unwrap());
    }
    let first: f64 = losses[..50].iter().sum::<f64>() / 50.0;
    let last: f64 = losses[350..].iter().sum::<f64>() / 50.0;
    assert!(last < 0.6 * first, "loss {first} -> {last}");
}

#[test]
fn checkpoint_round_trip_is_bit_exact_and_resume_repeats_training() {
    let rows = two_clusters(64);
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    let spec = mlp_spec(16, 6);
    let mut unbroken = Trainer::new(spec.clone(), device());
    for _ in 0..6 {
        unbroken.train_step(&rows).unwrap();
    }
    let mut first = Trainer::new(spec.clone(), device());
    for _ in 0..3 {
        first.train_step(&rows).unwrap();
    }
    first.record_point();
    checkpoint::save(&first, &ck, &[("note.txt", b"beside")]).unwrap();
    assert_eq!(std::fs::read(ck.join("note.txt")).unwrap(), b"beside");

    let loaded = checkpoint::load_learned(&ck, &spec.net, &device(), "ck").unwrap();
    assert_eq!(params(&loaded.net), params(&first.ema));

    let mut resumed = checkpoint::resume(&ck, &spec, &device()).unwrap();
    assert_eq!(resumed.step, 3);
    assert_eq!(resumed.losses.len(), 1);
    assert_eq!(params(&resumed.net.valid()), params(&first.net.valid()));
    for _ in 0..3 {
        resumed.train_step(&rows).unwrap();
    }
    assert_eq!(params(&resumed.net.valid()), params(&unbroken.net.valid()));
    assert_eq!(params(&resumed.ema), params(&unbroken.ema));

    let mut other = spec.clone();
    other.train.lr *= 2.0;
    let e = checkpoint::resume(&ck, &other, &device()).err().unwrap();
    assert!(matches!(e, CheckpointError::Spec { .. }), "{e}");
}

#[test]
fn loading_weights_of_another_architecture_lists_the_mismatches() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    let t = Trainer::new(mlp_spec(16, 1), device());
    checkpoint::save(&t, &ck, &[]).unwrap();
    let wider = mlp_spec(32, 1).net;
    let e = checkpoint::load_learned(&ck, &wider, &device(), "x")
        .err()
        .unwrap();
    let msg = e.to_string();
    assert!(
        matches!(e, CheckpointError::Mismatch { total, .. } if total > 3),
        "{msg}"
    );
    assert!(
        msg.contains("input.weight: shape [2, 32] in the config, [2, 16] in the file"),
        "{msg}"
    );
    assert!(msg.contains("model.safetensors"), "{msg}");
    let deeper = NetConfig::Mlp {
        dim: 2,
        hidden: 16,
        depth: 3,
        embed: 8,
    };
    let msg = checkpoint::load_learned(&ck, &deeper, &device(), "x")
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("blocks.2.hidden.weight: in the config, missing from the file"),
        "{msg}"
    );
    let missing = checkpoint::load_learned(&dir.path().join("none"), &wider, &device(), "x");
    assert!(
        missing
            .err()
            .unwrap()
            .to_string()
            .contains("no such checkpoint file")
    );
    // A truncated weights file: one error naming it, no panic.
    let file = ck.join(checkpoint::MODEL_FILE);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let cfg = mlp_spec(16, 1).net;
    let msg = checkpoint::load_learned(&ck, &cfg, &device(), "x")
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("model.safetensors"), "{msg}");
}
