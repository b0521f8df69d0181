#!/usr/bin/env bash
# The Python package's tests: builds the CLI (the tests compare against it), creates a virtual
# environment under target/py-venv, installs the test tools and the package the way the README says
# (pip install ./crates/overlap-py), and runs pytest, Spark tests included (local[2], Java 17+).
# Run from anywhere; it works from the repository root. PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
venv=target/py-venv
if ! command -v java >/dev/null; then
  echo "error: the Spark tests need Java 17+ (java not found); e.g. sudo apt-get install -y openjdk-17-jre-headless" >&2
  exit 1
fi
cargo build --release -p overlap-cli
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet maturin pytest numpy pyarrow "pyspark==4.3.*" "pandas<3" venv-pack
# A fresh install of the package from its sources (maturin builds it in target/, so a rebuild is
# incremental).
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps ./crates/overlap-py
# From outside the source tree, so that `import overlap` is the installed package.
cd target
OVERLAP_BIN="$PWD/release/overlap" "$PWD/py-venv/bin/python" -m pytest ../crates/overlap-py/tests -q -p no:cacheprovider "$@"
