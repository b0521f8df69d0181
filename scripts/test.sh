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

# The semantic model (scripts/make-model.sh: idempotent, offline except PyPI; about 15 minutes on two
# busy cores the first time). With it built, its tests must run rather than skip.
scripts/make-model.sh
export OVERLAP_REQUIRE_MODEL=1

# One build profile (release) for everything: the integration tests run the real binary on real corpora.
cargo nextest run --workspace --release --no-fail-fast
cargo test --workspace --release --doc

# Browser tests of the HTML report: the real binary writes reports, headless Chromium (driven by
# playwright-core, which downloads no browser) opens them.
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "error: Chromium is missing ($chromium) and the report's browser tests need it." >&2
  echo "  Install it with: sudo apt-get install -y chromium   (Debian/Ubuntu; .ci/run does this)" >&2
  echo "  or point CHROMIUM_PATH at a Chromium or Chrome binary." >&2
  exit 1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: Node.js 20+ and npm are needed for the report's browser tests (tests/browser)." >&2
  exit 1
fi
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
