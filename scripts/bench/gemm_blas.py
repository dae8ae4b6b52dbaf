"""The BLAS peers of benches/gemm.rs: numpy (OpenBLAS) and PyTorch (its
CPU BLAS) at the same f32 shapes, median of repeated runs."""

import argparse

import numpy as np
import torch
from timing import median_time

SHAPES = [
    ("scores, batch 200 (X Y^T, one 4096-row block)", 200, 784, 4096),
    ("scores, batch 256", 256, 784, 4096),
    ("scores, batch 1024", 1024, 784, 4096),
    ("weighted sum, batch 200 (P Y)", 200, 4096, 784),
    ("square", 1024, 1024, 1024),
    ("conv 3x3, 64 -> 64 at 14x14, batch 16 (im2col)", 3136, 576, 64),
    ("conv 3x3, 128 -> 128 at 32x32, batch 1 (im2col)", 1024, 1152, 128),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    print(f"numpy {np.__version__} ({cfg.get('name')} {cfg.get('version')}), torch {torch.__version__}, {a.threads} threads")
    print("| shape | m x k x n | numpy GFLOP/s | torch GFLOP/s |")
    print("|---|---|---:|---:|")
    rng = np.random.default_rng(0)
    for what, m, k, n in SHAPES:
        flops = 2.0 * m * k * n
        A = rng.standard_normal((m, k), dtype=np.float32)
        B = rng.standard_normal((k, n), dtype=np.float32)
        C = np.empty((m, n), dtype=np.float32)
        tn = median_time(lambda: np.matmul(A, B, out=C), budget=1.5, min_runs=3)
        TA, TB = torch.from_numpy(A), torch.from_numpy(B)
        TC = torch.empty(m, n)
        tt = median_time(lambda: torch.matmul(TA, TB, out=TC), budget=1.5, min_runs=3)
        print(f"| {what} | {m}x{k}x{n} | {flops / tn / 1e9:.1f} | {flops / tt / 1e9:.1f} |")


if __name__ == "__main__":
    main()
