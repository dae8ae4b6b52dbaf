#!/usr/bin/env bash
# Installs what geotraj's tests and experiments need from Debian:
# - dataset-fashion-mnist: the Fashion-MNIST IDX files (experiments/curvature.toml)
# - mesa-vulkan-drivers, libvulkan1: a software Vulkan driver, so the wgpu
#   tests run on machines without a GPU
# Packages already present are not fetched again.
set -euo pipefail
packages=(dataset-fashion-mnist mesa-vulkan-drivers libvulkan1)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
