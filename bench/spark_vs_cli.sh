#!/usr/bin/env bash
# The Spark job under local[2] beside the CLI on one corpus: wall time, summary.json's per-stage
# timings (and the Spark job's finer steps), and whether clusters.jsonl and pairs.jsonl are the same
# bytes.
#
#   python3 bench/gen_corpus.py --docs 100000 --name gen-100k      # bench/out/gen-100k.jsonl.gz
#   bench/spark_vs_cli.sh bench/out/gen-100k.jsonl.gz
#
# Needs the CLI (cargo build --release -p overlap-cli) and the venv of scripts/test-python.sh
# (target/py-venv: the package, pyspark, Java 17+). VENV overrides the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="$1"
venv="${VENV:-target/py-venv}"
out="$(mktemp -d "${TMPDIR:-/tmp}/spark-vs-cli.XXXXXX")"
trap 'rm -rf "$out"' EXIT
stages() {
  "$venv/bin/python" -c 'import json,sys; t=json.load(open(sys.argv[1]))["timings_ms"]; print(" ".join(f"{k}={v/1000:.2f}s" for k,v in t.items()))' "$1/summary.json"
}
start=$(date +%s.%N)
target/release/overlap dedup "$corpus" --out "$out/cli" --quiet
cli_wall=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
PYSPARK_PYTHON="$venv/bin/python" "$venv/bin/python" -m overlap.spark dedup "$corpus" --out "$out/spark" \
  --master 'local[2]' --quiet
spark_wall=$(echo "$(date +%s.%N) - $start" | bc)
echo "corpus: $corpus ($("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["documents"]["accepted"])' "$out/cli/summary.json") documents)"
echo "cli:   wall ${cli_wall}s  $(stages "$out/cli")"
echo "spark: wall ${spark_wall}s  $(stages "$out/spark")"
# The Spark job's finer steps: wall time up to each Spark action, where the lazy work runs.
"$venv/bin/python" -c 'import json,sys; s=json.load(open(sys.argv[1]))["spark"]; print("spark steps: " + ", ".join(f"{k} {v/1000:.1f}s" for k,v in s["steps_ms"].items()) + "; components rounds " + str(s["components_rounds"]))' "$out/spark/summary.json"
for f in clusters.jsonl pairs.jsonl; do
  if cmp -s "$out/cli/$f" "$out/spark/$f"; then echo "$f: identical"; else echo "$f: DIFFERENT"; fi
done
