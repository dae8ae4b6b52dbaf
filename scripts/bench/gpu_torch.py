"""The PyTorch peer of the wgpu benchmarks (scripts/bench_gpu.sh): the
optimal denoiser of the Fashion-MNIST training set (scores from one GEMM
per 4096-row block, an online log-sum-exp and a second GEMM, in f32) and
the two-nearest-neighbour search (the same GEMM, top-2), at the batches and
sigmas of benches/optimal_denoiser.rs, beside a plain GEMM of the same
shape, on a CUDA device (or the CPU with --device cpu).
"""

import argparse

import torch
from fashion_mnist import TRAIN_IMAGES, images
from timing import median_time

CHUNK = 4096


def optimal(x, blocks, half_norms, sigma):
    inv = 1.0 / (sigma * sigma)
    m = l = acc = None
    for y, h in zip(blocks, half_norms):
        logits = (x @ y.T - h) * inv
        cm = logits.max(dim=1, keepdim=True).values
        if m is None:
            p = (logits - cm).exp()
            m, l, acc = cm, p.sum(1, keepdim=True), p @ y
        else:
            mn = torch.maximum(m, cm)
            scale = (m - mn).exp()
            p = (logits - mn).exp()
            m, l, acc = mn, l * scale + p.sum(1, keepdim=True), acc * scale + p @ y
    return acc / l


def nearest(x, blocks, half_norms):
    best = []
    for k, (y, h) in enumerate(zip(blocks, half_norms)):
        v, i = (x @ y.T - h).topk(2, dim=1)
        best.append((v, i + k * CHUNK))
    v = torch.cat([b[0] for b in best], 1)
    i = torch.cat([b[1] for b in best], 1)
    top = v.topk(2, dim=1).indices
    return i.gather(1, top)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", default=TRAIN_IMAGES)
    p.add_argument("--device", default="cuda")
    p.add_argument("--batches", default="64,256,1024")
    a = p.parse_args()
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else None
    torch.backends.cuda.matmul.allow_tf32 = False  # f32 GEMMs, as geotraj's error bounds assume
    data = images(a.images).flatten(1).to(dev)
    n, d = data.shape
    blocks = list(data.split(CHUNK))
    half_norms = [0.5 * (b.double() ** 2).sum(1).float() for b in blocks]
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print(f"torch {torch.__version__} on {name}; data {n} x {d}, chunk {CHUNK}")
    print("| batch | what | ms | GFLOP/s | % of GEMM |")
    print("|---:|---|---:|---:|---:|")
    for b in map(int, a.batches.split(",")):
        flops = 2.0 * b * n * d
        x0 = data[:b].clone()

        def row(what, secs, f, gemm):
            g = f / secs / 1e9
            print(f"| {b} | {what} | {secs * 1e3:.1f} | {g:.1f} | {100 * g / gemm:.0f}% |")
            return g

        s = median_time(lambda: [x0 @ y.T for y in blocks], sync=sync)
        gemm = row("plain GEMM in blocks", s, flops, flops / s / 1e9)
        for sigma in (80.0, 0.002):
            torch.manual_seed(1)
            q = x0 + sigma * torch.randn_like(x0)
            s = median_time(lambda: optimal(q, blocks, half_norms, sigma), sync=sync)
            row(f"optimal denoiser, sigma = {sigma} (online softmax, 2 GEMMs)", s, 2 * flops, gemm)
            s = median_time(lambda: nearest(q, blocks, half_norms), sync=sync)
            row(f"nearest neighbours, queries at sigma = {sigma} (top-2, f32 scores)", s, flops, gemm)


if __name__ == "__main__":
    main()
