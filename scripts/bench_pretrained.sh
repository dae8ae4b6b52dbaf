#!/usr/bin/env bash
# The forward pass of the DDPM CIFAR-10 U-Net and of EDM's CIFAR-10 DDPM++ in
# geotraj (flex CPU backend) and in
# the reference PyTorch code, one after the other on this machine. Needs a
# venv with torch (VENV, default ~/.cache/geotraj/venv-fixtures) and a
# checkout of ermongroup/ddim (DDIM, default /tmp/ddim), of NVlabs/edm (EDM,
# default /tmp/edm) and of mseitzer/pytorch-fid (PFID, default /tmp/pytorch-fid); run by a developer,
# not by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-$HOME/.cache/geotraj/venv-fixtures}
DDIM=${DDIM:-/tmp/ddim}
EDM=${EDM:-/tmp/edm}
PFID=${PFID:-/tmp/pytorch-fid}
BATCH=${BATCH:-64}
GEOTRAJ_BENCH_BATCH=$BATCH cargo bench --bench pretrained_unet
"$VENV/bin/python" scripts/bench/ddpm_torch.py --ddim "$DDIM" --threads "$(nproc)" --batch "$BATCH" --edm "$EDM" --pytorch-fid "$PFID"
