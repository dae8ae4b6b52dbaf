#!/usr/bin/env python3
"""The reference side of benches/pretrained_unet.rs: one forward pass of the
DDIM code base's CIFAR-10 `Model` (ermongroup/ddim models/diffusion.py,
configs/cifar10.yml), EDM's DDPM++ and pytorch-fid's InceptionV3 with
random weights, in PyTorch on the CPU.

    venv/bin/python scripts/bench/ddpm_torch.py --ddim /tmp/ddim --threads 2 --batch 64
"""

import argparse
import importlib.util
import types
from pathlib import Path

import torch
from timing import median_time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ddim", required=True, help="a checkout of ermongroup/ddim")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU peer (scripts/bench_gpu.sh)")
    p.add_argument("--edm", help="a checkout of NVlabs/edm: also time its CIFAR-10 DDPM++ (SongUNet)")
    p.add_argument("--pytorch-fid", help="a checkout of mseitzer/pytorch-fid: also time its InceptionV3 (random weights)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    spec = importlib.util.spec_from_file_location("ddim_diffusion", Path(args.ddim) / "models" / "diffusion.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cfg = types.SimpleNamespace(
        data=types.SimpleNamespace(image_size=32, channels=3),
        model=types.SimpleNamespace(
            type="simple", in_channels=3, out_ch=3, ch=128, ch_mult=[1, 2, 2, 2], num_res_blocks=2,
            attn_resolutions=[16], dropout=0.1, resamp_with_conv=True,
        ),
        diffusion=types.SimpleNamespace(num_diffusion_timesteps=1000),
    )
    dev = torch.device(args.device)
    model = mod.Model(cfg).eval().to(dev)
    x = torch.randn(args.batch, 3, 32, 32, device=dev)
    t = torch.full((args.batch,), 500.0, device=dev)
    secs = timed(lambda: model(x, t), dev)
    flops = 12_443_713_536 * args.batch
    where = f"CPU ({args.threads} threads)" if dev.type == "cpu" else torch.cuda.get_device_name(dev)
    print(
        f"PyTorch {torch.__version__} {where}, DDPM U-Net, batch {args.batch}: {secs:.3f} s per forward, "
        f"{args.batch / secs:.1f} images/s, {flops / secs / 1e9:.1f} GFLOP/s"
    )
    if args.edm:
        import sys
        from torch.utils.flop_counter import FlopCounterMode

        sys.path.insert(0, args.edm)
        from training import networks

        edm = networks.SongUNet(img_resolution=32, in_channels=3, out_channels=3, augment_dim=9,
                                model_channels=128, channel_mult=[2, 2, 2], num_blocks=4, attn_resolutions=[16],
                                embedding_type="positional", encoder_type="standard", decoder_type="standard",
                                channel_mult_noise=1, resample_filter=[1, 1]).eval().to(dev)
        noise = torch.full((args.batch,), 0.25, device=dev)
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            edm(x[:1], noise[:1], None)
        per_image = counter.get_total_flops()
        secs = timed(lambda: edm(x, noise, None), dev)
        print(
            f"PyTorch EDM DDPM++ (SongUNet), {sum(p.numel() for p in edm.parameters())} parameters, "
            f"{per_image / 1e9:.2f} GFLOP per image, batch {args.batch}: {secs:.3f} s per forward, "
            f"{args.batch / secs:.1f} images/s, {per_image * args.batch / secs / 1e9:.1f} GFLOP/s"
        )
    if args.pytorch_fid:
        inception_bench(args, x)


def timed(f, dev=torch.device("cpu")):
    """Median seconds per forward pass, without autograd."""
    sync = torch.cuda.synchronize if dev.type == "cuda" else None
    with torch.no_grad():
        return median_time(f, budget=10.0, min_runs=3, sync=sync)


def inception_bench(args, x):
    import sys
    from torch.utils.flop_counter import FlopCounterMode

    sys.path.insert(0, str(Path(args.pytorch_fid) / "src"))
    from pytorch_fid import inception as pfid

    # fid_inception_v3 loads its download: hand it a freshly initialised state dict instead.
    spec = importlib.util.spec_from_file_location("fid_fixture", Path(__file__).parents[1] / "fixtures" / "fid.py")
    fixture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixture)
    state = fixture.fresh_state_dict(pfid)
    pfid.load_state_dict_from_url = lambda *a, **k: state
    model = pfid.InceptionV3().eval().to(x.device)
    images = x.abs().clamp(0, 1)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(images[:1])
    per_image = counter.get_total_flops()
    secs = timed(lambda: model(images), x.device)
    print(
        f"PyTorch pytorch-fid InceptionV3, {sum(p.numel() for p in model.parameters())} parameters, "
        f"{per_image / 1e9:.2f} GFLOP per image, batch {args.batch} of 32 x 32: {secs:.3f} s per forward, "
        f"{args.batch / secs:.1f} images/s, {per_image * args.batch / secs / 1e9:.1f} GFLOP/s"
    )


if __name__ == "__main__":
    main()
