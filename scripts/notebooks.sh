#!/usr/bin/env bash
# The notebook check, timed on its own in CI: a Python venv with the pinned
# readers (created once, under the cache folder), quick runs of the
# experiments whose tables the notebooks and checks read, every table read
# with the oldest supported pyarrow, polars, pandas and duckdb
# (scripts/check_tables.py), then every notebook of notebooks-data/examples
# executed headless on those tables. A schema change that breaks a notebook
# fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
venv="${GEOTRAJ_NOTEBOOK_VENV:-$HOME/.cache/geotraj/venv-notebooks}"
stamp="$venv/.requirements"
if ! cmp -s scripts/notebooks-requirements.txt "$stamp" 2>/dev/null; then
    # Debian splits venv support off python3.
    if ! python3 -c "import ensurepip" 2>/dev/null; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/notebooks-requirements.txt
    cp scripts/notebooks-requirements.txt "$stamp"
fi
echo "notebooks: venv ready after $(( $(date +%s) - start ))s"
bin="${CARGO_TARGET_DIR:-target}/release/run-experiment"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
for e in curvature learned-vs-optimal error-model samplers swissroll low-dim projection gits denoising-jump; do
    "$bin" "$e" --quick --device cpu --out "$data/$e" > "$data/$e.log" 2>&1 || { cat "$data/$e.log"; exit 1; }
done
echo "notebooks: quick runs done after $(( $(date +%s) - start ))s"
"$venv/bin/python" scripts/check_tables.py "$data"/*/
GEOTRAJ_DATA="$data" "$venv/bin/python" - <<'PY'
import pathlib, sys, nbformat
from nbclient import NotebookClient
books = sorted(pathlib.Path("notebooks-data/examples").glob("*.ipynb"))
for book in books:
    nb = nbformat.read(book, as_version=4)
    # Run in the notebook's folder; outputs stay in memory, the file unchanged.
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(book.parent)}}).execute()
    print(f"notebooks: {book.name} ran")
if not books:
    sys.exit("notebooks: none found")
PY
echo "notebooks: took $(( $(date +%s) - start ))s"
