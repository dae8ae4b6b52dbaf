#!/usr/bin/env bash
# 3x3 convolutions of the U-Nets in geotraj (burn flex) and in PyTorch, one
# after the other on this machine, each beside a square GEMM of its own run.
# Needs a venv with torch (VENV, default ~/.cache/geotraj/venv-fixtures);
# run by a developer, not by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-$HOME/.cache/geotraj/venv-fixtures}
cargo bench --bench conv
"$VENV/bin/python" scripts/bench/conv_torch.py --threads "$(nproc)"
