#!/usr/bin/env python3
"""Planted-pair recall for true Jaccard >= 0.82, on a random sample of the planted pairs of a corpus
too large to shingle whole in Python (bench/scale.py computes it for every pair, at 1M).

    python3 bench/planted_sample_recall.py bench/out/spill-10M OUT_DIR [--per-rate 3000] [--seed 1]

Reads <corpus>.planted.tsv.gz (from bench/gen_corpus.py), draws --per-rate pairs at random from each
edit rate, fetches the texts of those documents in one pass over <corpus>.jsonl.gz, computes their true
word 5-gram Jaccard with the Python port of overlap's tokenizer (bench/overlap_text.py: needs the
`regex` and `xxhash` packages), and counts a pair found when OUT_DIR/clusters.jsonl (an `overlap dedup`
output over that corpus) puts copy and source in one cluster. Prints recall among pairs with
J >= 0.82 per rate and overall, with a binomial standard error.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import overlap_text as ot  # noqa: E402
from groundtruth import jaccard  # noqa: E402

MIN_J = 0.82


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", help="path without .jsonl.gz, e.g. bench/out/spill-10M")
    ap.add_argument("out", type=Path, help="overlap dedup output folder over the corpus")
    ap.add_argument("--per-rate", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    by_rate: dict[str, list[tuple[str, str]]] = {}
    with gzip.open(args.corpus + ".planted.tsv.gz", "rt") as f:
        next(f)
        for line in f:
            c, s, rate, _edits, _words = line.rstrip("\n").split("\t")
            by_rate.setdefault(rate, []).append((c, s))
    rng = random.Random(args.seed)
    sample = {rate: rng.sample(rows, min(args.per_rate, len(rows))) for rate, rows in sorted(by_rate.items())}
    need = {d for rows in sample.values() for pair in rows for d in pair}

    texts: dict[str, str] = {}
    with gzip.open(args.corpus + ".jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            # gen_corpus writes {"id": ..., "text": ...}: read the id without parsing the whole line.
            head = line[: line.find('", "text"') + 1]
            if json.loads(head[7:]) in need:
                rec = json.loads(line)
                texts[rec["id"]] = rec["text"]
    cluster: dict[str, str] = {}
    with open(args.out / "clusters.jsonl") as f:
        for line in f:
            rec = json.loads(line)
            if rec["id"] in need:
                cluster[rec["id"]] = rec["cluster"]

    sets = {d: ot.shingle_hash_set(ot.shingle_strings(ot.tokens(t))) for d, t in texts.items()}
    total_hit = total = 0
    print(f"| rate | sampled | J >= {MIN_J} | found | recall |")
    print("|---|---|---|---|---|")
    for rate, rows in sample.items():
        eligible = [(c, s) for c, s in rows if jaccard(sets[c], sets[s]) >= MIN_J]
        hit = sum(cluster[c] == cluster[s] for c, s in eligible)
        total_hit += hit
        total += len(eligible)
        rec = f"{hit / len(eligible):.4f}" if eligible else "n/a"
        print(f"| {float(rate):.0%} | {len(rows)} | {len(eligible)} | {hit} | {rec} |")
    p = total_hit / total
    se = math.sqrt(p * (1 - p) / total)
    print(f"| all | {sum(map(len, sample.values()))} | {total} | {total_hit} | {p:.4f} (s.e. {se:.4f}) |")


if __name__ == "__main__":
    main()
