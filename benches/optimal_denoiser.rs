//! The optimal denoiser on Fashion-MNIST (60,000 x 784) against a plain GEMM
//! of the same shape, measured in the same run on the same device.
//!
//!     cargo bench --bench optimal_denoiser
//!     GEOTRAJ_BENCH_DEVICE=wgpu GEOTRAJ_BENCH_BATCHES=64,256,1024 cargo bench --bench optimal_denoiser
//!
//! FLOPs counted as GEMM FLOPs: scores X Y^T are 2 B n d; the wide regime
//! adds the weighted sum P Y (another 2 B n d); the exact regime re-scores a
//! few candidates on the host (not counted).

use geotraj::data::{FASHION_MNIST_DIR, Split, load_mnist_dir, rng};
use geotraj::denoise::{OptimalDenoiser, OptimalOptions};
use geotraj::sampling::{Denoiser, Device, Tensor, host};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Median seconds of `f` over at least 3 runs and about 2 s, after a warm-up.
fn time(mut f: impl FnMut()) -> f64 {
    f();
    let mut t = Vec::new();
    let start = Instant::now();
    while t.len() < 3 || (start.elapsed().as_secs_f64() < 2.0 && t.len() < 20) {
        let s = Instant::now();
        f();
        t.push(s.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn device() -> (Device, String) {
    match std::env::var("GEOTRAJ_BENCH_DEVICE").as_deref() {
        Ok("wgpu") => {
            let d = Device::wgpu_options().init().expect("a wgpu adapter");
            let name = d
                .identity()
                .map_or("wgpu".into(), |i| format!("wgpu: {}", i.name));
            (d, name)
        }
        _ => (
            Device::flex(),
            format!("cpu (flex, {} threads)", rayon::current_num_threads()),
        ),
    }
}

fn main() {
    let data = match load_mnist_dir(Path::new(FASHION_MNIST_DIR), Split::Train, "fashion-mnist") {
        Ok(d) => Arc::new(d),
        Err(e) => {
            eprintln!("benchmark needs Fashion-MNIST (bash scripts/setup.sh): {e}");
            std::process::exit(1);
        }
    };
    let (dev, name) = device();
    let (n, d) = (data.n, data.d);
    let batches: Vec<usize> = std::env::var("GEOTRAJ_BENCH_BATCHES")
        .unwrap_or_else(|_| "256".into())
        .split(',')
        .map(|s| s.trim().parse().expect("batch sizes are integers"))
        .collect();
    let options = OptimalOptions::default();
    let den = OptimalDenoiser::new(data.clone(), dev.clone(), options);
    let yt: Tensor<2> = host::upload(&data.rows, n, d, &dev).transpose();
    let yt = host::upload(&host::download(yt), d, n, &dev);
    // The same GEMM in the denoiser's column blocks: no 61 MB output to write.
    let blocks: Vec<Tensor<2>> = (0..n)
        .step_by(options.chunk)
        .map(|s| yt.clone().narrow(1, s, options.chunk.min(n - s)))
        .map(|b| host::upload(&host::download(b.clone()), d, b.dims()[1], &dev))
        .collect();
    let sq = host::upload(&rng::normal_rows(2, 0..1024, 1024), 1024, 1024, &dev);
    let s = time(|| {
        let _ = host::download(sq.clone().matmul(sq.clone()));
    });
    println!(
        "reference: square GEMM 1024^3: {:.1} GFLOP/s",
        2.0 * 1024f64.powi(3) / s / 1e9
    );
    println!(
        "device: {name}; data: {} ({n} x {d}); chunk {}",
        data.source, options.chunk
    );
    println!("| batch | what | ms | GFLOP/s |");
    println!("|---:|---|---:|---:|");
    for &b in &batches {
        let gemm_flops = 2.0 * b as f64 * n as f64 * d as f64;
        let x0 = host::upload(&data.rows[..b * d], b, d, &dev);
        let s = time(|| {
            let _ = host::download(x0.clone().matmul(yt.clone()));
        });
        println!(
            "| {b} | plain GEMM {b}x{d} · {d}x{n} | {:.1} | {:.1} |",
            s * 1e3,
            gemm_flops / s / 1e9
        );
        let s = time(|| {
            for blk in &blocks {
                let _ = host::download(x0.clone().matmul(blk.clone()));
            }
        });
        println!(
            "| {b} | plain GEMM, same shape in blocks of {} columns | {:.1} | {:.1} |",
            options.chunk,
            s * 1e3,
            gemm_flops / s / 1e9
        );
        for sigma in [80.0, 1.0, 0.002] {
            // Queries as a sampler meets them: data points plus sigma-noise.
            let z = rng::normal_rows(1, 0..b, d);
            let q: Vec<f32> = data.rows[..b * d]
                .iter()
                .zip(&z)
                .map(|(&y, &e)| (y as f64 + sigma * e as f64) as f32)
                .collect();
            let x = host::upload(&q, b, d, &dev);
            let before = den.narrow_stats();
            let s = time(|| {
                let _ = host::download(den.denoise(x.clone(), sigma));
            });
            let after = den.narrow_stats();
            let exact = after.0 > before.0;
            let flops = if exact { gemm_flops } else { 2.0 * gemm_flops };
            let how = if exact {
                let per_row = (after.1 - before.1) as f64 / (after.0 - before.0) as f64;
                format!("exact re-scoring, {per_row:.1} candidates/row")
            } else {
                "online softmax, 2 GEMMs".to_string()
            };
            println!(
                "| {b} | optimal denoiser, sigma = {sigma} ({how}) | {:.1} | {:.1} |",
                s * 1e3,
                flops / s / 1e9
            );
        }
    }
}
