#!/usr/bin/env bash
# The test command: installs the Debian packages the tests use, then runs
# every test of the workspace in the release profile (the one profile the
# binary uses too, so the stack is compiled once).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --release --workspace "$@"
