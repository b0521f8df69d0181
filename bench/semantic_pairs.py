#!/usr/bin/env python3
"""How the static model's document embeddings spread over a corpus: the groundwork of `dedup --semantic`.

    models/.venv/bin/python bench/semantic_pairs.py ../shared/data/reuters21578.jsonl.gz [--binary ...] [--model ...]

Embeds every document with `overlap embed`, then reports, for the raw unit vectors and for vectors
centred on the corpus mean (then renormalized): quantiles of the cosine of 200,000 random pairs (seed 0)
and the exact number of document pairs at cosine >= 0.9, 0.95 and 0.98 (brute force, numpy).
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def report(name, V):
    n = len(V)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, n, 200000), rng.integers(0, n, 200000)
    q = np.quantile((V[i] * V[j]).sum(1), [0.5, 0.9, 0.99, 0.999])
    counts = {0.9: 0, 0.95: 0, 0.98: 0}
    cols = np.arange(n)[None, :]
    for s in range(0, n, 2000):
        M = V[s : s + 2000] @ V.T
        upper = cols > np.arange(s, min(n, s + 2000))[:, None]
        for t in counts:
            counts[t] += int(((M >= t) & upper).sum())
    print(f"{name}: random-pair cosine median {q[0]:.3f}, 90% {q[1]:.3f}, 99% {q[2]:.3f}, 99.9% {q[3]:.3f}; "
          + ", ".join(f"pairs >= {t}: {c}" for t, c in counts.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--binary", default=str(REPO / "target" / "release" / "overlap"))
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / "e.jsonl"
        cmd = [args.binary, "embed", args.corpus, "--out", str(out), "--quiet", "--on-error", "skip"]
        if args.model:
            cmd += ["--model", args.model]
        subprocess.run(cmd, check=True)
        V = np.array([json.loads(l)["embedding"] for l in out.open()], dtype=np.float32)
    print(f"{args.corpus}: {len(V)} documents")
    report("raw", V)
    C = V - V.mean(0)
    C /= np.linalg.norm(C, axis=1, keepdims=True) + 1e-12
    report("centred", C)


if __name__ == "__main__":
    main()
