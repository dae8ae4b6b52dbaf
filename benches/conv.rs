//! 3x3 convolutions at the shapes of geotraj's Fashion-MNIST U-Net
//! (training batch 128) and of the DDPM CIFAR-10 U-Net (batch 16): forward
//! alone, and forward + backward (input and weight gradients) through
//! burn's autodiff, beside a square GEMM of the same run (the peak they are
//! held to). The PyTorch peer is scripts/bench/conv_torch.py, run after
//! this by scripts/bench_conv.sh.
//!
//!     cargo bench --bench conv
//!     GEOTRAJ_BENCH_DEVICE=wgpu cargo bench --bench conv
//!
//! GFLOP/s count 2 B C_out H W C_in 9 per forward; forward + backward
//! counts three times that (output, input and weight gradients).

mod common;

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Distribution, Tensor};
use common::{device, time};
use geotraj::data::rng;
use geotraj::sampling::host;

/// (what, batch, channels in = out, height = width).
const SHAPES: [(&str, usize, usize, usize); 6] = [
    ("fashion U-Net level 1", 128, 32, 28),
    ("fashion U-Net level 2", 128, 64, 14),
    ("fashion U-Net level 3", 128, 64, 7),
    ("DDPM CIFAR-10 32x32", 16, 128, 32),
    ("DDPM CIFAR-10 16x16", 16, 256, 16),
    ("DDPM CIFAR-10 8x8", 16, 256, 8),
];

fn main() {
    let (dev, name) = device();
    let sq = host::upload(&rng::normal_rows(2, 0..1024, 1024), 1024, 1024, &dev);
    let s = time(2.0, 2, || {
        let _ = host::download(sq.clone().matmul(sq.clone()));
    });
    let peak = 2.0 * 1024f64.powi(3) / s / 1e9;
    println!("device: {name}");
    println!("reference: square GEMM 1024^3: {peak:.1} GFLOP/s");
    println!(
        "| shape | B x C x H x W | forward ms | GFLOP/s | % of GEMM | fwd+bwd ms | GFLOP/s | % of GEMM |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    let options = || ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
    for (what, b, c, hw) in SHAPES {
        let flops = 2.0 * (b * c * hw * hw * c * 9) as f64;
        let normal = Distribution::Normal(0.0, 1.0);
        let x = Tensor::<4>::random([b, c, hw, hw], normal, &dev);
        let w = Tensor::<4>::random([c, c, 3, 3], normal, &dev).mul_scalar(0.05);
        let bias = Tensor::<1>::zeros([c], &dev);
        let fwd = time(2.0, 2, || {
            let y = conv2d(x.clone(), w.clone(), Some(bias.clone()), options());
            let _ = y.sum().into_scalar::<f32>();
        });
        let xa = x.clone().autodiff().require_grad();
        let wa = w.clone().autodiff().require_grad();
        let ba = bias.clone().autodiff().require_grad();
        let both = time(2.0, 2, || {
            let y = conv2d(xa.clone(), wa.clone(), Some(ba.clone()), options());
            let grads = y.sum().backward();
            let gx = xa.grad(&grads).expect("input gradient");
            let _ = gx.sum().into_scalar::<f32>();
        });
        let g1 = flops / fwd / 1e9;
        let g3 = 3.0 * flops / both / 1e9;
        println!(
            "| {what} | {b}x{c}x{hw}x{hw} | {:.1} | {g1:.1} | {:.0}% | {:.1} | {g3:.1} | {:.0}% |",
            fwd * 1e3,
            100.0 * g1 / peak,
            both * 1e3,
            100.0 * g3 / peak
        );
    }
}
