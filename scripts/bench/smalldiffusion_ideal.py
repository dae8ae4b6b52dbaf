"""Permenter & Yuan's own ideal-denoiser sampler (smalldiffusion's
IdealDenoiser + samples, DDIM: gam = 1, mu = 0, ScheduleDDPM trailing
sigmas) on the Fashion-MNIST training set, the peer of
benches/smalldiffusion.toml. Prints the sampling time and the whole
process's time; run by scripts/bench_smalldiffusion.sh.
"""

import argparse
import time

T0 = time.perf_counter()

import torch  # noqa: E402
from fashion_mnist import TRAIN_IMAGES, images  # noqa: E402
from smalldiffusion import IdealDenoiser, ScheduleDDPM, samples  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", default=TRAIN_IMAGES)
    p.add_argument("--trajectories", type=int, default=200)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    data = images(a.images)
    model = IdealDenoiser(data)
    sigmas = ScheduleDDPM().sample_sigmas(a.steps)
    t = time.perf_counter()
    with torch.no_grad():
        *_, x0 = samples(model, sigmas, gam=1.0, mu=0.0, batchsize=a.trajectories)
    sampling = time.perf_counter() - t
    assert torch.isfinite(x0).all()
    print(
        f"smalldiffusion IdealDenoiser: {a.trajectories} x {a.steps} DDIM on {data.shape[0]} images, "
        f"{torch.get_num_threads()} threads: sampling {sampling:.2f} s, "
        f"process {time.perf_counter() - T0:.2f} s (torch {torch.__version__})"
    )


if __name__ == "__main__":
    main()
