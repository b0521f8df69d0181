#!/usr/bin/env python3
"""Template-cluster corpora for the memory bounds of dedup: N documents that are the same WORDS
words with one word of their own inserted at a random place (calendar pages, product pages).

    python3 bench/gen_template.py 100000 > /tmp/template100000.jsonl
    python3 bench/gen_template.py 20000 --words 200 --seed 1 > /tmp/template20000.jsonl

The whole corpus is one true cluster: every pair has Jaccard >= 0.95 on word 5-grams.
"""
import argparse
import json
import random
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("documents", type=int)
    ap.add_argument("--words", type=int, default=200, help="template length (default 200)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    r = random.Random(args.seed)
    vocab = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(3, 9))) for _ in range(5000)]
    template = [r.choice(vocab) for _ in range(args.words)]
    out = sys.stdout
    for i in range(args.documents):
        words = list(template)
        words.insert(r.randrange(len(words) + 1), f"u{i}x")
        out.write(json.dumps({"id": f"t{i}", "text": " ".join(words)}) + "\n")


if __name__ == "__main__":
    main()
