#!/usr/bin/env bash
# The GPU benchmark, one command on a machine with a hardware GPU: the
# optimal denoiser, the nearest-neighbour search (benches/optimal_denoiser.rs)
# and the U-Net forward passes (benches/pretrained_unet.rs) on wgpu, then
# PyTorch-CUDA doing the same jobs in the same run (scripts/bench/gpu_torch.py,
# scripts/bench/ddpm_torch.py --device cuda). Needs Fashion-MNIST
# (scripts/setup.sh), a venv with CUDA torch (VENV) and checkouts of
# ermongroup/ddim (DDIM) and NVlabs/edm (EDM); the PyTorch half is skipped,
# saying why, where one is missing. Run by a developer, not by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-$HOME/.cache/geotraj/venv-fixtures}
DDIM=${DDIM:-/tmp/ddim}
EDM=${EDM:-/tmp/edm}
BATCH=${BATCH:-64}
echo "== geotraj on wgpu"
GEOTRAJ_BENCH_DEVICE=wgpu cargo bench --bench optimal_denoiser
GEOTRAJ_BENCH_DEVICE=wgpu GEOTRAJ_BENCH_BATCH=$BATCH cargo bench --bench pretrained_unet
GEOTRAJ_BENCH_DEVICE=wgpu cargo bench --bench conv
echo "== PyTorch on CUDA"
if ! "$VENV/bin/python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "skipped: $VENV/bin/python has no CUDA torch (set VENV to a venv with torch built for CUDA)"
  exit 0
fi
"$VENV/bin/python" scripts/bench/gpu_torch.py --device cuda
"$VENV/bin/python" scripts/bench/conv_torch.py --device cuda
if [ -d "$DDIM" ] && [ -d "$EDM" ]; then
  "$VENV/bin/python" scripts/bench/ddpm_torch.py --ddim "$DDIM" --edm "$EDM" --device cuda --batch "$BATCH"
else
  echo "U-Net peer skipped: no checkout of ermongroup/ddim at $DDIM or NVlabs/edm at $EDM"
fi
