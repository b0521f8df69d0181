#!/usr/bin/env bash
# The whole test suite: unit, property, snapshot and integration tests (on ../shared/data), doc tests.
# Run from anywhere; it works from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/data ]; then
  echo "error: ../shared/data is missing; the test corpora must sit beside the repository" >&2
  exit 1
fi

# One build profile (release) for everything: the integration tests run the real binary on real corpora.
cargo nextest run --workspace --release --no-fail-fast
cargo test --workspace --release --doc
