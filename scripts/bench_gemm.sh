#!/usr/bin/env bash
# f32 GEMM at geotraj's shapes: burn flex, the gemm crate and matrixmultiply
# (benches/gemm.rs), then numpy's OpenBLAS and PyTorch at the same shapes,
# one after the other on this machine. Needs a venv with numpy and torch
# (VENV, default ~/.cache/geotraj/venv-fixtures); run by a developer.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-$HOME/.cache/geotraj/venv-fixtures}
cargo bench --bench gemm
OPENBLAS_NUM_THREADS=$(nproc) "$VENV/bin/python" scripts/bench/gemm_blas.py --threads "$(nproc)"
