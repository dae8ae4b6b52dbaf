//! Parity of the FID Inception with pytorch-fid's own `InceptionV3`, on the
//! fixtures scripts/fixtures/fid.py wrote: every weight from a formula of
//! (name, index) that numpy and this file compute bit for bit.

use burn::tensor::{Device, Tensor, TensorData};
use geotraj_data::read_npz_f32;
use geotraj_data::weights::read_weights;

use super::tests::max_abs_diff;
use super::*;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/fid")
        .join(name)
}

fn fnv1a(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// The fixture script's `unit`: 16-bit values in [−0.5, 0.5).
fn unit(name: &str, n: usize) -> impl Iterator<Item = f32> {
    let seed = fnv1a(name);
    (0..n as u64).map(move |k| {
        let mut h = k.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(seed);
        h ^= h >> 31;
        ((h >> 40) & 0xFFFF) as f32 / 65536.0 - 0.5
    })
}

/// The fixture script's `formula`, operation for operation in f32.
fn formula(name: &str, shape: &[usize]) -> Vec<f32> {
    let n = shape.iter().product();
    let u = unit(name, n);
    if name.ends_with("conv.weight") {
        let fan_in: usize = shape[1..].iter().product();
        let s = (24.0 / fan_in as f64).sqrt() as f32;
        u.map(|v| v * s).collect()
    } else if name.ends_with("bn.weight") {
        u.map(|v| 1.0 + 0.2 * v).collect()
    } else if name.ends_with("bn.running_var") {
        u.map(|v| 1.0 + 0.5 * v).collect()
    } else if name.starts_with("fc.") {
        u.map(|v| 0.01 * v).collect()
    } else {
        u.map(|v| 0.2 * v).collect()
    }
}

#[test]
fn fid_inception_matches_pytorch_fid_at_every_dims() {
    let device = Device::flex();
    let net = FidInception::from_formula(&formula, &device);
    // pytorch-fid's InceptionV3: parameters() of its blocks (no classifier).
    assert_eq!(net.parameters(), 21_785_568);
    for (set, channels) in [("rgb", 3), ("gray", 1)] {
        let (shape, pixels) = read_npz_f32(&fixture("images.npz"), Some(set)).unwrap();
        assert_eq!(shape[1], channels);
        let images = Tensor::<4>::from_data(
            TensorData::new(pixels, [shape[0], shape[1], shape[2], shape[3]]),
            &device,
        );
        for dims in FID_DIMS {
            let (_, want) =
                read_npz_f32(&fixture("features.npz"), Some(&format!("{set}_{dims}"))).unwrap();
            let got = net
                .features_at(images.clone(), dims)
                .into_data()
                .try_into_vec::<f32>()
                .unwrap();
            assert_eq!(got.len(), want.len(), "{set} {dims}");
            let err = max_abs_diff(&got, &want);
            // How far apart the images' own features are: the error must be
            // far below it for the test to see anything.
            let spread = match shape[0] {
                1 => String::new(),
                _ => format!(
                    " (images differ by up to {:e})",
                    max_abs_diff(&want[..dims], &want[dims..2 * dims])
                ),
            };
            eprintln!("{set}, {dims} dims: max |geotraj - pytorch-fid| = {err:e}{spread}");
            assert!(err < 5e-6, "{set} {dims}: {err}");
        }
    }
}

#[test]
fn the_pth_reader_holds_the_formulas_values() {
    // torch.save's legacy format, as pytorch-fid's weights file was written.
    let w = read_weights(&fixture("some-weights.pth")).unwrap();
    assert_eq!(w.format, "torch legacy");
    for (name, t) in &w.tensors {
        assert_eq!(t.values, formula(name, &t.shape), "{name}");
    }
    assert_eq!(w.tensors.len(), 5);
    assert!(
        w.other
            .iter()
            .any(|(k, _)| k == "Conv2d_1a_3x3.bn.num_batches_tracked")
    );
    // Through the network's loader: a file without the rest is refused by key.
    let e = FidInception::load(&w, None, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("Conv2d_1a_3x3.bn.bias: missing"), "{e}");
}
