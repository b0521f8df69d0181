#!/usr/bin/env bash
# Parquet read throughput against JSONL on Reuters-21578 (19,043 documents), one thread.
#
#   bench/parquet_read.sh [REPEAT]     # default 5; results in bench/out/parquet_read.json
#
# Converts the shared Reuters JSONL.gz into Parquet with the Rust writer (zstd and snappy, row groups
# of 2,500 rows, every field a string column), then runs `overlap sketch --threads 1` and
# `overlap dedup --no-deduped --threads 1` on each input REPEAT times and keeps the best. The read
# cost is the sketch run's wall time minus the time spent tokenizing, shingling and hashing (which
# is the same work whatever the input format).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
data="$repo/../shared/data/reuters21578.jsonl.gz"
repeat="${1:-5}"
out="$repo/bench/out/parquet"
mkdir -p "$out"
cd "$repo"
cargo build --release -q -p overlap-cli --bin overlap --example jsonl_to_parquet
bin="$repo/target/release/overlap"
for codec in zstd snappy; do
  "$repo/target/release/examples/jsonl_to_parquet" "$data" "$out/reuters-$codec.parquet" "$codec" 2500
done
python3 - "$bin" "$repeat" "$out" "$data" <<'PY'
import json, os, subprocess, sys
bin, repeat, out, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
inputs = {"jsonl.gz": data, "parquet zstd": f"{out}/reuters-zstd.parquet",
          "parquet snappy": f"{out}/reuters-snappy.parquet"}
results = {}
for name, path in inputs.items():
    sketch, dedup = [], []
    for _ in range(repeat):
        s = json.loads(subprocess.run([bin, "sketch", path, "--threads", "1", "--json", "--out",
                                       f"{out}/signatures.jsonl"], check=True,
                                      capture_output=True).stdout)
        sketch.append((s["wall_s"], s["wall_s"] - s["tokenize_s"] - s["shingle_s"] - s["minhash_s"]))
        d = json.loads(subprocess.run([bin, "dedup", path, "--threads", "1", "--no-deduped", "--json",
                                       "--out", f"{out}/dedup"], check=True,
                                      capture_output=True).stdout)
        dedup.append(d["timings_ms"]["read_sketch"] / 1000)
    wall, rest = min(sketch)
    mb = os.path.getsize(path) / 1e6
    results[name] = {"file_mb": round(mb, 2), "sketch_wall_s": round(wall, 3),
                     "read_parse_write_s": round(rest, 3),
                     "docs_per_s_read": round(19043 / rest), "dedup_read_sketch_s": round(min(dedup), 3)}
    print(f"{name:15} {mb:6.1f} MB  sketch {wall:.3f} s  of which read+parse+write {rest:.3f} s "
          f"({19043 / rest:,.0f} docs/s)  dedup read_sketch {min(dedup):.3f} s")
json.dump(results, open(f"{out}/../parquet_read.json", "w"), indent=2)
PY
