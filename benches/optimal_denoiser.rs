//! The optimal denoiser and the exact nearest-neighbour search on
//! Fashion-MNIST (60,000 x 784) against a plain GEMM of the same shape in
//! the same column blocks, measured in the same run on the same device and
//! on the same uploaded data (the searcher shares the denoiser's blocks).
//!
//!     cargo bench --bench optimal_denoiser
//!     GEOTRAJ_BENCH_DEVICE=wgpu GEOTRAJ_BENCH_BATCHES=64,256,1024 cargo bench --bench optimal_denoiser
//!
//! FLOPs counted as GEMM FLOPs: scores X Y^T are 2 B n d; the wide regime
//! adds the weighted sum P Y (another 2 B n d); the exact regime and the
//! nearest-neighbour search re-score a few candidates on the host (not
//! counted). The plain GEMM downloads each block's output, as the searches
//! download each block's scores. Peak resident memory (VmHWM) is the
//! process's, data set and device copies included (on the CPU device).

mod common;

use common::{device, time};
use geotraj::data::{FASHION_MNIST_DIR, Split, load_mnist_dir, rng};
use geotraj::denoise::{NearestNeighbours, OptimalDenoiser, OptimalOptions};
use geotraj::sampling::{Denoiser, host};
use std::path::Path;
use std::sync::Arc;

/// The process's peak resident set (VmHWM) in MiB, where /proc has it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
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
        .unwrap_or_else(|_| "64,256,1024".into())
        .split(',')
        .map(|s| s.trim().parse().expect("batch sizes are integers"))
        .collect();
    let options = OptimalOptions::default();
    let den = OptimalDenoiser::new(data.clone(), dev.clone(), options);
    // One upload: the searcher and the plain GEMM read the denoiser's blocks.
    let blocks = den.blocks();
    let nn = NearestNeighbours::from_blocks(blocks.clone());
    let sq = host::upload(&rng::normal_rows(2, 0..1024, 1024), 1024, 1024, &dev);
    let s = time(2.0, 2, || {
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
    println!("| batch | what | ms | GFLOP/s | % of GEMM |");
    println!("|---:|---|---:|---:|---:|");
    for &b in &batches {
        let gemm_flops = 2.0 * b as f64 * n as f64 * d as f64;
        let row = |what: &str, s: f64, flops: f64, gemm: f64| {
            let g = flops / s / 1e9;
            println!(
                "| {b} | {what} | {:.1} | {g:.1} | {:.0}% |",
                s * 1e3,
                100.0 * g / gemm
            );
            g
        };
        let x0 = host::upload(&data.rows[..b * d], b, d, &dev);
        let s = time(2.0, 2, || {
            for k in 0..blocks.len() {
                let _ = host::download(x0.clone().matmul(blocks.transposed(k)));
            }
        });
        let gemm = gemm_flops / s / 1e9;
        row(
            &format!(
                "plain GEMM {b}x{d} · {d}x{n} in blocks of {} columns",
                options.chunk
            ),
            s,
            gemm_flops,
            gemm,
        );
        for sigma in [80.0, 0.002] {
            // Queries as a sampler meets them: data points plus sigma-noise.
            let z = rng::normal_rows(1, 0..b, d);
            let q: Vec<f32> = data.rows[..b * d]
                .iter()
                .zip(&z)
                .map(|(&y, &e)| (y as f64 + sigma * e as f64) as f32)
                .collect();
            let x = host::upload(&q, b, d, &dev);
            let before = den.narrow_stats();
            let s = time(2.0, 2, || {
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
            row(
                &format!("optimal denoiser, sigma = {sigma} ({how})"),
                s,
                flops,
                gemm,
            );
            let before = nn.stats();
            let s = time(2.0, 2, || {
                let _ = nn.query(&q, b).expect("finite queries");
            });
            let after = nn.stats();
            let per_row = (after.1 - before.1) as f64 / (after.0 - before.0) as f64;
            row(
                &format!(
                    "nearest neighbours, queries at sigma = {sigma} ({per_row:.1} candidates/row)"
                ),
                s,
                gemm_flops,
                gemm,
            );
        }
    }
    match peak_rss_mib() {
        Some(m) => println!("peak resident memory (VmHWM): {m:.0} MiB"),
        None => println!("peak resident memory: unavailable (no /proc/self/status)"),
    }
}
