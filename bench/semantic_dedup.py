#!/usr/bin/env python3
"""Measurements of `overlap dedup --semantic` (stdlib only; runs the release binary).

    python3 bench/semantic_dedup.py threshold --reprint bench/out/reprint-s1
    python3 bench/semantic_dedup.py recall ../shared/data/reuters21578.jsonl.gz ../shared/data/bbc-news.jsonl.gz

threshold: on a reprint corpus with known truth (bench/reprint_gen.py), which document pairs
`--semantic --semantic-search exact` finds at each cosine threshold: recall per reprint class
(syndicate, light, heavy, rewrite, update: whole-document versions of one story) and precision (the
share of found pairs that are two versions of one story), beside MinHash `dedup` on the same corpus.

recall: on each corpus, the pairs found by LSH (default bands) against brute force (`exact`) at
each threshold, with wall times: the recall of the LSH candidates.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "overlap"
WHOLE = ("syndicate", "light", "heavy", "rewrite", "update")


def run(args):
    t = time.perf_counter()
    out = subprocess.run([str(BIN)] + args, check=True, capture_output=True, text=True)
    return json.loads(out.stdout), time.perf_counter() - t


def pairs(folder, kind="near"):
    got = {}
    with open(Path(folder) / "pairs.jsonl") as f:
        for line in f:
            p = json.loads(line)
            if p["kind"] == kind:
                got[(p["a"], p["b"])] = p.get("cosine", p.get("jaccard"))
    return got


def semantic(corpus, out, threshold, search, extra=()):
    return run(["dedup", str(corpus), "--out", str(out), "--no-deduped", "--json", "--semantic",
                "--semantic-threshold", str(threshold), "--semantic-search", search, *extra])


def threshold_study(a):
    folder = Path(a.reprint)
    corpus = folder / "corpus.jsonl"
    truth = json.load(open(folder / "truth.json"))
    docs = truth["documents"]

    def story(d):
        return docs[d]["story"]

    def whole(d):
        return docs[d]["mode"] in WHOLE + ("origin",)

    positives = {}
    for label, st in truth["stories"].items():
        ds = sorted(d for d in st["docs"] if whole(d))
        for i in range(len(ds)):
            for j in range(i + 1, len(ds)):
                x, y = ds[i], ds[j]
                modes = sorted((docs[x]["mode"], docs[y]["mode"]))
                if "origin" in modes:
                    cls = modes[0] if modes[1] == "origin" else modes[1]
                else:
                    cls = "two reprints"
                positives[(x, y)] = cls
    with tempfile.TemporaryDirectory() as tmp:
        low = min(a.thresholds)
        _, wall = semantic(corpus, Path(tmp) / "x", low, "exact")
        found = pairs(Path(tmp) / "x")
        mh, _ = run(["dedup", str(corpus), "--out", str(Path(tmp) / "m"), "--no-deduped", "--json"])
        minhash = pairs(Path(tmp) / "m")
        exact = pairs(Path(tmp) / "x", "exact")
    key = lambda p: tuple(sorted(p))
    found = {key(p): c for p, c in found.items()}
    minhash = set(key(p) for p in minhash) | set(key(p) for p in exact)
    classes = [c for c in WHOLE + ("two reprints",) if c in set(positives.values())]
    print(f"reprint corpus {folder}: {len(docs)} documents, {len(positives)} same-story pairs of "
          f"whole versions; brute force at {low}: {wall:.2f} s")
    print("| found by | " + " | ".join(f"{c} ({sum(v == c for v in positives.values())})"
                                    for c in classes) + " | all | pairs found | precision |")
    print("|---" * (len(classes) + 4) + "|")

    def row(name, got):
        cells = []
        for c in classes:
            want = [p for p, v in positives.items() if v == c]
            cells.append(f"{sum(key(p) in got for p in want) / max(1, len(want)):.3f}")
        hit = sum(key(p) in got for p in positives)
        tp = sum(1 for p in got if p in {key(q) for q in positives})
        same = sum(1 for p in got if story(p[0]) == story(p[1]))
        print(f"| {name} | " + " | ".join(cells) + f" | {hit / len(positives):.3f} | {len(got)} | "
              f"{tp / max(1, len(got)):.3f} (same story {same / max(1, len(got)):.3f}) |")

    # exact copies are pairs too (they are found by both)
    for t in a.thresholds:
        got = {p for p, c in found.items() if c >= t} | set(key(p) for p in exact)
        row(f"`--semantic` cosine >= {t}", got)
    row("MinHash `dedup` (J >= 0.8)", minhash)


def recall_study(a):
    print("| corpus | threshold | pairs (brute force) | pairs (LSH) | pair recall | pairs in one LSH cluster | removed near (brute force / LSH) | LSH candidates | bands x bits | LSH wall s | brute force wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for corpus in a.corpora:
        name = Path(corpus).name
        with tempfile.TemporaryDirectory() as tmp:
            for t in a.thresholds:
                xs, xw = semantic(corpus, Path(tmp) / "x", t, "exact", ["--threads", str(a.threads)])
                truth = pairs(Path(tmp) / "x")
                ls, lw = semantic(corpus, Path(tmp) / "l", t, "lsh", ["--threads", str(a.threads)])
                got = pairs(Path(tmp) / "l")
                assert set(got) <= set(truth), "LSH found a pair brute force did not"
                rec = len(got) / len(truth) if truth else 1.0
                cluster = {}
                with open(Path(tmp) / "l" / "clusters.jsonl") as f:
                    for line in f:
                        c = json.loads(line)
                        cluster[c["id"]] = c["cluster"]
                together = sum(cluster[x] == cluster[y] for x, y in truth) / max(1, len(truth))
                docs = ls["documents"]["accepted"]
                print(f"| {name} | {t} | {len(truth)} | {len(got)} | {rec:.4f} | "
                      f"{together:.4f} | {xs['documents']['removed_near']} / {ls['documents']['removed_near']} | "
                      f"{ls['pairs']['candidates']} | {ls['parameters']['lsh_bands']} x "
                      f"{ls['parameters']['rows']} | {lw:.2f} ({docs / lw:,.0f} docs/s) | "
                      f"{xw:.2f} |")
                sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    t = sub.add_parser("threshold")
    t.add_argument("--reprint", required=True, help="a folder written by bench/reprint_gen.py")
    t.add_argument("--thresholds", type=float, nargs="+", default=[0.8, 0.85, 0.9, 0.95, 0.98])
    r = sub.add_parser("recall")
    r.add_argument("corpora", nargs="+")
    r.add_argument("--thresholds", type=float, nargs="+", default=[0.85, 0.9, 0.95])
    r.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"build the binary first: cargo build --release -p overlap-cli ({BIN})")
    threshold_study(a) if a.what == "threshold" else recall_study(a)


if __name__ == "__main__":
    main()
