#!/usr/bin/env bash
# Run the corpus-dedup benchmark suite. Results land in bench/out/ (ignored by git).
#
#   bench/run_dedup_bench.sh              # Reuters + BBC side by side with the peers (~6 min)
#   bench/run_dedup_bench.sh --scale      # also the 100k / 1M generated corpora (~15 min more)
#   bench/run_dedup_bench.sh --criterion  # also the criterion hot-loop benchmarks (~2 min)
#
# Extra arguments after the flags go to dedup_peers.py (e.g. --repeat 5).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
data="$repo/../shared/data"
scale=0
crit=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) scale=1; shift ;;
    --criterion) crit=1; shift ;;
    *) break ;;
  esac
done
cd "$repo"
python3 bench/dedup_peers.py "$data/reuters21578.jsonl.gz" "$@"
python3 bench/dedup_peers.py "$data/bbc-news.jsonl.gz" "$@"
if [[ $scale == 1 ]]; then
  python3 bench/scale.py
fi
if [[ $crit == 1 ]]; then
  cargo bench -p overlap --bench hot_loops
  python3 bench/criterion_summary.py
fi
