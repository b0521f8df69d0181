#!/usr/bin/env python3
"""The quote-truth pairs that `overlap reuse` misses, and how many of them `overlap align --corpus`
relates on the same two posts (a gap between the two commands).

  python3 bench/quote_misses.py bench/out/quote-truth.jsonl OUT/pairs.jsonl ../shared/data/20newsgroups.jsonl.gz

Prints the misses, those that quote one post's text (not `repeated`, see bench/quote_truth.py), how
many of those `align` relates, and the same for a random 40 of all misses (seed 1). Uses
target/release/overlap.
"""
import json
import random
import subprocess
import sys


def related(corpus, t):
    r = subprocess.run(["target/release/overlap", "align", "--json", "--corpus", corpus, t["source"], t["reply"]],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["related"]


def main(truth_path, pairs_path, corpus):
    truth = [json.loads(l) for l in open(truth_path)]
    found = {frozenset((p["a"], p["b"])) for p in map(json.loads, open(pairs_path))}
    miss = [t for t in truth if frozenset((t["source"], t["reply"])) not in found]
    one = [t for t in miss if not t.get("repeated")]
    one_related = [t for t in one if related(corpus, t)]
    print(f"{len(miss)} misses; {len(one)} quote one post's text, align relates {len(one_related)} of them")
    random.seed(1)
    sample = random.sample(miss, min(40, len(miss)))
    rel = [t for t in sample if related(corpus, t)]
    print(f"random {len(sample)} of all misses: align relates {len(rel)}, "
          f"{sum(bool(t.get('repeated')) for t in rel)} of them repeated text")
    for t in one_related:
        print(f"  {t['quote_words']:>3} words  {t['source']}  {t['reply']}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
