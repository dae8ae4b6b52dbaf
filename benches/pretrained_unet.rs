//! One forward pass of the DDPM CIFAR-10 U-Net (35.7M parameters, the DDIM
//! code base's configs/cifar10.yml), of EDM's CIFAR-10 DDPM++ (55.7M) and of
//! pytorch-fid's Inception-v3 (21.8M, CIFAR-10 images resized to 299 x 299)
//! with random weights, at batch 64 by default, beside a plain GEMM of the same FLOP count on the same device:
//! the machine's matmul speed is the ceiling the network's convolutions
//! could reach.
//!
//!     cargo bench --bench pretrained_unet
//!     GEOTRAJ_BENCH_DEVICE=wgpu GEOTRAJ_BENCH_BATCH=64 cargo bench --bench pretrained_unet
//!     scripts/bench_pretrained.sh   # this and the reference PyTorch model, same machine
//!
//! FLOPs: 2 per multiply-add of the convolutions, linear layers and
//! attention products (`flops_per_image`, equal to torch's FlopCounterMode:
//! 12.44 GFLOP per 32 x 32 image).

mod common;

use common::{device, time};
use geotraj::data::normal_rows;
use geotraj::denoise::pretrained::{
    DdpmConfig, DdpmUnet, FidInception, SongConfig, SongUnet, flops_per_image,
};
use geotraj::sampling::Tensor;
use geotraj::sampling::host::{download, upload};

fn main() {
    let batch: usize = std::env::var("GEOTRAJ_BENCH_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(64);
    let (device, name) = device();
    let config = DdpmConfig::cifar10();
    let net = DdpmUnet::random(&config, 0, &device).expect("the CIFAR-10 config is valid");
    let flops = flops_per_image(&config) as f64 * batch as f64;
    let d = config.dim();
    let x = upload(&normal_rows(1, 0..batch, d), batch, d, &device);
    let secs = time(10.0, 3, || {
        let y = net.forward(x.clone(), 500.0);
        download(y);
    });
    println!("device: {name}");
    println!(
        "DDPM CIFAR-10 U-Net, {} parameters, {:.2} GFLOP per image, batch {batch}: {:.3} s per forward, {:.1} images/s, {:.1} GFLOP/s",
        net.parameters(),
        flops_per_image(&config) as f64 / 1e9,
        secs,
        batch as f64 / secs,
        flops / secs / 1e9
    );
    // EDM's CIFAR-10 DDPM++ (SongUNet), the network Chen et al. measured.
    let edm = SongUnet::random(&SongConfig::ddpmpp_cifar10(), 0, &device)
        .expect("the DDPM++ config is valid");
    let images = x.clone().reshape([batch, 3, 32, 32]);
    let noise = vec![0.25; batch];
    let secs_edm = time(10.0, 3, || {
        let y = edm.forward_images(images.clone(), &noise, None);
        download(y.reshape([batch, d]));
    });
    println!(
        "EDM DDPM++ CIFAR-10 (SongUNet), {} parameters, batch {batch}: {:.3} s per forward, {:.1} images/s",
        edm.parameters(),
        secs_edm,
        batch as f64 / secs_edm
    );
    // pytorch-fid's Inception-v3 on CIFAR-10-sized images (resized to 299 x 299).
    let inception = FidInception::random(0, &device);
    let pixels = images.clone().abs().clamp(0.0, 1.0);
    let secs_fid = time(10.0, 3, || {
        download(inception.features(pixels.clone()));
    });
    println!(
        "FID Inception-v3, {} parameters, batch {batch} of 32 x 32 images: {:.3} s per forward, {:.1} images/s",
        inception.parameters(),
        secs_fid,
        batch as f64 / secs_fid
    );
    // A square GEMM of about the same FLOPs, for the device's matmul ceiling.
    let n = ((flops / 2.0).cbrt() as usize).clamp(256, 4096);
    let a: Tensor<2> = upload(&normal_rows(2, 0..n, n), n, n, &device);
    let gemm = time(10.0, 3, || {
        download(a.clone().matmul(a.clone()));
    });
    let gemm_flops = 2.0 * (n as f64).powi(3);
    println!(
        "GEMM {n} x {n} x {n}: {:.3} s, {:.1} GFLOP/s",
        gemm,
        gemm_flops / gemm / 1e9
    );
}
