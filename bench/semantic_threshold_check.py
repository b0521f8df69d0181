#!/usr/bin/env python3
"""What `dedup --semantic` removes at several `--semantic-threshold`s, with pairs to check by hand.

    python3 bench/semantic_threshold_check.py ../shared/data/reuters21578.jsonl.gz \
        [--thresholds 0.9 0.93 0.95] [--sample 10] [--seed 1] [--clusters components]

For each threshold: documents removed (exact / semantic near), clusters with duplicates, the largest
cluster, and `--sample` removed near duplicates drawn at random (seeded), each shown beside the
document of its listed pair (the earlier document of its first `pairs.jsonl` line as `b`, else the
later one of its first line as `a`: in a chain of components that may be all it has) with the
cosine and the word 5-gram Jaccard, texts cut to `--chars`. The verdicts are written by hand in
bench/RESULTS.md. Needs only the standard library and target/release/overlap with the model built.
"""
import argparse
import gzip
import json
import random
import re
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OVERLAP = REPO / "target" / "release" / "overlap"
MODEL = REPO / "models" / "overlap-minilm-static"
WORD = re.compile(r"\w+")


def shingles(text, n=5):
    w = WORD.findall(text.lower())
    return {tuple(w[i:i + n]) for i in range(max(1, len(w) - n + 1))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.9, 0.93, 0.95])
    ap.add_argument("--sample", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chars", type=int, default=160)
    ap.add_argument("--clusters", choices=["components", "guarded"], default="components")
    a = ap.parse_args()
    texts = {}
    with gzip.open(a.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                texts[str(r["id"])] = r["text"]
    for t in a.thresholds:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([str(OVERLAP), "dedup", a.corpus, "--out", tmp, "--no-deduped", "--json",
                                  "--semantic", "--semantic-threshold", str(t), "--clusters", a.clusters,
                                  "--model", str(MODEL)], check=True, capture_output=True, text=True)
            s = json.loads(out.stdout)
            first_pair, later_pair = {}, {}
            with open(Path(tmp) / "pairs.jsonl") as f:
                for line in f:
                    p = json.loads(line)
                    if p["kind"] == "near":
                        first_pair.setdefault(p["b"], (p["a"], p["cosine"]))
                        # In a chain a removed document may be only the earlier one of its pairs.
                        later_pair.setdefault(p["a"], (p["b"], p["cosine"]))
            removed = []
            with open(Path(tmp) / "clusters.jsonl") as f:
                for line in f:
                    c = json.loads(line)
                    if c["reason"] == "near":
                        removed.append(c["id"])
        d, c = s["documents"], s["clusters"]
        print(f"\n## threshold {t} ({a.clusters}): removed {d['removed_exact'] + d['removed_near']} "
              f"({d['removed_exact']} exact, {d['removed_near']} near); {c['with_duplicates']} clusters "
              f"with duplicates, largest {c['largest']}; split_by_guard {c['split_by_guard']}")
        rng = random.Random(a.seed)
        for i, b in enumerate(sorted(rng.sample(removed, min(a.sample, len(removed))))):
            other, cos = first_pair.get(b) or later_pair[b]
            j = shingles(texts[other]), shingles(texts[b])
            jac = len(j[0] & j[1]) / max(1, len(j[0] | j[1]))
            cut = lambda x: " ".join(x.split())[:a.chars]
            print(f"{i + 1}. {other} ~ {b}: cosine {cos:.3f}, 5-gram Jaccard {jac:.2f}")
            print(f"   A: {cut(texts[other])}")
            print(f"   B: {cut(texts[b])}")


if __name__ == "__main__":
    main()
