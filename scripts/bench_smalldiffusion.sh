#!/usr/bin/env bash
# 200 DDIM trajectories x 20 steps of the Fashion-MNIST optimal denoiser in
# geotraj (benches/configs/smalldiffusion.toml, whole process) and in
# Permenter & Yuan's smalldiffusion (IdealDenoiser + samples), one after the
# other on this machine; then the optimal-denoiser and GEMM benchmarks of the
# same run. Needs Fashion-MNIST (scripts/setup.sh) and a venv with torch and
# smalldiffusion (VENV, default ~/.cache/geotraj/venv-fixtures); run by a
# developer, not by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-$HOME/.cache/geotraj/venv-fixtures}
cargo build --release --bin run-experiment
bin=$(cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/run-experiment
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
"$bin" benches/configs/smalldiffusion.toml --device cpu --out "$tmp/run" > "$tmp/log.txt"
end=$(date +%s.%N)
sampling=$("$VENV/bin/python" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(c["seconds"] for c in r["cases"]))' "$tmp/run/run.json")
geo=$("$VENV/bin/python" -c "print($end - $start)")
printf 'geotraj: sampling %.2f s, process %.2f s\n' "$sampling" "$geo"
"$VENV/bin/python" scripts/bench/smalldiffusion_ideal.py --threads "$(nproc)"
