"""The PyTorch peer of benches/conv.rs: the same 3x3 convolutions, forward
alone and forward + backward (input and weight gradients), median of
repeated runs, beside a square 1024^3 GEMM of the same run.
Run by scripts/bench_conv.sh after the Rust benchmark."""

import argparse

import torch
from timing import median_time

SHAPES = [
    ("fashion U-Net level 1", 128, 32, 28),
    ("fashion U-Net level 2", 128, 64, 14),
    ("fashion U-Net level 3", 128, 64, 7),
    ("DDPM CIFAR-10 32x32", 16, 128, 32),
    ("DDPM CIFAR-10 16x16", 16, 256, 16),
    ("DDPM CIFAR-10 8x8", 16, 256, 8),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else None
    sq = torch.randn(1024, 1024, device=dev)
    peak = 2 * 1024**3 / median_time(lambda: sq @ sq, sync=sync) / 1e9
    print(f"torch {torch.__version__}, {a.device}, {torch.get_num_threads()} threads")
    print(f"reference: square GEMM 1024^3: {peak:.1f} GFLOP/s")
    print("| shape | B x C x H x W | forward ms | GFLOP/s | % of GEMM | fwd+bwd ms | GFLOP/s | % of GEMM |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for what, b, c, hw in SHAPES:
        flops = 2.0 * b * c * hw * hw * c * 9
        x = torch.randn(b, c, hw, hw, device=dev)
        conv = torch.nn.Conv2d(c, c, 3, padding=1).to(dev)

        def fwd():
            with torch.no_grad():
                conv(x).sum().item()

        xa = x.clone().requires_grad_(True)

        def both():
            xa.grad = None
            conv.zero_grad(set_to_none=True)
            conv(xa).sum().backward()
            xa.grad.sum().item()

        f, fb = median_time(fwd, sync=sync), median_time(both, sync=sync)
        g1, g3 = flops / f / 1e9, 3 * flops / fb / 1e9
        print(
            f"| {what} | {b}x{c}x{hw}x{hw} | {f * 1e3:.1f} | {g1:.1f} | {100 * g1 / peak:.0f}% "
            f"| {fb * 1e3:.1f} | {g3:.1f} | {100 * g3 / peak:.0f}% |"
        )


if __name__ == "__main__":
    main()
