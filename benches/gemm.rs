//! f32 GEMM at the shapes geotraj spends its time in, by every pure-Rust
//! implementation at hand, in one run: burn flex's matmul (the default CPU
//! path), the `gemm` crate it calls (with AVX-512 kernels, the workspace's
//! `x86-v4` feature) and `matrixmultiply`. The BLAS peers (OpenBLAS through
//! numpy, PyTorch's) run right after this in scripts/bench_gemm.sh.
//!
//!     cargo bench --bench gemm

mod common;

use burn::tensor::{Distribution, Tensor};
use common::time;
use geotraj::sampling::Device;

/// (what, m, k, n): C (m x n) = A (m x k) B (k x n).
const SHAPES: [(&str, usize, usize, usize); 7] = [
    (
        "scores, batch 200 (X Y^T, one 4096-row block)",
        200,
        784,
        4096,
    ),
    ("scores, batch 256", 256, 784, 4096),
    ("scores, batch 1024", 1024, 784, 4096),
    ("weighted sum, batch 200 (P Y)", 200, 4096, 784),
    ("square", 1024, 1024, 1024),
    (
        "conv 3x3, 64 -> 64 at 14x14, batch 16 (im2col)",
        3136,
        576,
        64,
    ),
    (
        "conv 3x3, 128 -> 128 at 32x32, batch 1 (im2col)",
        1024,
        1152,
        128,
    ),
];

fn main() {
    let threads = rayon::current_num_threads();
    println!("f32 GEMM, {threads} threads (GFLOP/s, median of repeated runs)");
    println!("| shape | m x k x n | burn flex | gemm crate | matrixmultiply | best |");
    println!("|---|---|---:|---:|---:|---|");
    let dev = Device::flex();
    for (what, m, k, n) in SHAPES {
        let flops = 2.0 * (m * k * n) as f64;
        let a: Vec<f32> = (0..m * k).map(|i| (i % 97) as f32 / 97.0 - 0.5).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 89) as f32 / 89.0 - 0.5).collect();
        let mut c = vec![0.0f32; m * n];
        let normal = Distribution::Normal(0.0, 1.0);
        let ta = Tensor::<2>::random([m, k], normal, &dev);
        let tb = Tensor::<2>::random([k, n], normal, &dev);
        let flex = time(1.5, 3, || {
            let _ = ta.clone().matmul(tb.clone()).into_data();
        });
        let direct = time(1.5, 3, || unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.as_mut_ptr(),
                1,
                n as isize,
                false,
                a.as_ptr(),
                1,
                k as isize,
                b.as_ptr(),
                1,
                n as isize,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                gemm::Parallelism::Rayon(threads),
            );
        });
        let mm = time(1.5, 3, || unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                k as isize,
                1,
                b.as_ptr(),
                n as isize,
                1,
                0.0,
                c.as_mut_ptr(),
                n as isize,
                1,
            );
        });
        let g = [flex, direct, mm].map(|s| flops / s / 1e9);
        let names = ["burn flex", "gemm crate", "matrixmultiply"];
        let best = (0..3).max_by(|&i, &j| g[i].total_cmp(&g[j])).unwrap_or(0);
        println!(
            "| {what} | {m}x{k}x{n} | {:.1} | {:.1} | {:.1} | {} |",
            g[0], g[1], g[2], names[best]
        );
    }
}
