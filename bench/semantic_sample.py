#!/usr/bin/env python3
"""A random sample of the pairs that `reuse --semantic` relates and the lexical run does not, with
their passages' text, for reading by hand (bench/RESULTS.md 8.10, 8.14).

    python3 bench/semantic_sample.py CORPUS.jsonl --lexical LEX_OUT --semantic SEM_OUT [--seed 11] [--n 20]

Prints the number of pairs related only by meaning, then `--n` of them drawn with
`random.seed(SEED)` (`random.sample` over the pairs sorted as in `pairs.jsonl`), each with its
passages (kind, score, both sides' text, cut to `--width` characters). Stdlib only.
"""

import argparse
import json
import random
from pathlib import Path


def pairs(out):
    with open(Path(out) / "pairs.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--lexical", required=True, help="output folder of the run without --semantic")
    ap.add_argument("--semantic", required=True, help="output folder of the run with --semantic")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--width", type=int, default=300)
    args = ap.parse_args()
    lexical = {(p["a"], p["b"]) for p in pairs(args.lexical)}
    only = [p for p in pairs(args.semantic) if (p["a"], p["b"]) not in lexical]
    print(f"related only by meaning: {len(only)}")
    random.seed(args.seed)
    sample = random.sample(only, min(args.n, len(only)))
    want = {p["a"] for p in sample} | {p["b"] for p in sample}
    texts = {}
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["id"] in want:
                texts[d["id"]] = d["text"]
    cut = lambda s: " ".join(s.split())[: args.width]
    for i, p in enumerate(sample, 1):
        print(f"\n=== {i}. {p['a']}  ~  {p['b']}  score {p['score']:.3f}")
        for q in p["passages"]:
            a, b = texts[p["a"]], texts[p["b"]]
            print(f"  [{q['kind']} {q['score']:.2f}]")
            print(f"    A: {cut(a[q['a'][0]:q['a'][1]])}")
            print(f"    B: {cut(b[q['b'][0]:q['b'][1]])}")


if __name__ == "__main__":
    main()
