#!/usr/bin/env python3
"""The overlap Python package vs rensa and datasketch, from Python strings, in one run.

    python3 bench/python_peers.py [CORPUS] [--repeat 3] [--batch 1000] [--reinstall]

CORPUS defaults to <repo>/../shared/data/reuters21578.jsonl.gz. In one run it:

1. creates/uses bench/.venv with the pinned peers (bench/requirements.txt, as bench/dedup_peers.py) and
   installs the package from this tree into it (`pip install ./crates/overlap-py`; `--reinstall` forces a
   rebuild);
2. computes the exact truth: every pair with true word-5-gram Jaccard >= 0.8 (groundtruth.py, on the
   shingle sets of overlap_text.py, the Python port of overlap's tokenizer);
3. signatures, texts in, signatures out (128 permutations): `overlap.signatures(texts)` (with the
   machine's threads, and with one); rensa's batch API `RMinHash.digest_matrix_from_token_sets`; and
   datasketch `MinHash.bulk`. The peers take token lists, so their time from strings includes Python
   tokenization and shingling (overlap_text.py, timed once and added);
4. streaming dedup, documents added in batches of `--batch`: `overlap.Deduplicator.add`; rensa
   `RMinHashDeduplicator` (`add` per document, LSH, 16 bands); datasketch `MinHashLSH` query then
   insert per document (candidates checked by the MinHash estimate, as its users do). Recall and
   precision of the duplicate pairs each finds against the exact truth (a cluster's pairs: every two
   members of an exact group, and every member of two groups joined by a near pair);
5. prints a table and writes bench/out/python_peers/<corpus>/results.{md,json}.

Times are the best of `--repeat` runs (datasketch: one run); all in this process, after a warm-up.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

if __name__ == "__main__":
    benchenv.ensure_venv()  # re-executes this script inside bench/.venv

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import groundtruth  # noqa: E402
import overlap_text as ot  # noqa: E402
from benchenv import OUT, REPO, VENV_PY, log, rel  # noqa: E402

THRESHOLD = 0.8
NUM_PERM = 128
RENSA_BANDS = 16


def install_overlap(force: bool) -> None:
    try:
        if force:
            raise ImportError
        import overlap  # noqa: F401
    except ImportError:
        log("installing the package: pip install ./crates/overlap-py")
        t = time.perf_counter()
        r = subprocess.run(
            [str(VENV_PY), "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps",
             str(REPO / "crates" / "overlap-py")],
            capture_output=True, text=True,
        )
        if r.returncode != 0:
            raise SystemExit(f"pip install ./crates/overlap-py failed:\n{r.stderr[-3000:]}")
        log(f"  installed in {time.perf_counter() - t:.0f} s")
        os.execv(str(VENV_PY), [str(VENV_PY), *[a for a in sys.argv if a != "--reinstall"]])


def best(repeat: int, fn):
    out, t_best = None, float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def cluster_pairs(groups: dict[int, list[int]], near: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Every pair a list of exact groups and near edges between group firsts implies."""
    pairs = set()
    for members in groups.values():
        for k, x in enumerate(members):
            for y in members[k + 1 :]:
                pairs.add((min(x, y), max(x, y)))
    for a, b in near:
        for x in groups.get(a, [a]):
            for y in groups.get(b, [b]):
                if x != y:
                    pairs.add((min(x, y), max(x, y)))
    return pairs


def score(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> dict:
    hit = len(found & truth)
    return {
        "pairs": len(found),
        "recall": hit / len(truth) if truth else 1.0,
        "precision": hit / len(found) if found else 1.0,
    }


def score_docs(flagged: set[int], truth_docs: set[int]) -> dict:
    """Documents flagged as duplicating an earlier one, against those that truly do."""
    hit = len(flagged & truth_docs)
    return {
        "flagged": len(flagged),
        "recall": hit / len(truth_docs) if truth_docs else 1.0,
        "precision": hit / len(flagged) if flagged else 1.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(benchenv.DATA / "reuters21578.jsonl.gz"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--reinstall", action="store_true")
    a = ap.parse_args()
    install_overlap(a.reinstall)
    import numpy as np
    import overlap
    from datasketch import MinHash, MinHashLSH
    from rensa import RMinHash, RMinHashDeduplicator

    versions = benchenv.package_versions(["overlap", "rensa", "datasketch", "numpy"])
    ids, texts = ot.read_corpus(a.corpus)
    n = len(texts)
    index_of = {d: i for i, d in enumerate(ids)}
    log(f"{n} documents from {rel(a.corpus)}; {versions}")

    # Python-side preparation the peers need (tokens, shingle strings), timed once.
    t = time.perf_counter()
    toks = [ot.tokens(x) for x in texts]
    t_tok = time.perf_counter() - t
    t = time.perf_counter()
    shingles = [ot.shingle_strings(x) for x in toks]
    t_shingle = time.perf_counter() - t
    t = time.perf_counter()
    encoded = [[s.encode("utf-8") for s in sh] for sh in shingles]
    t_encode = time.perf_counter() - t
    prep = t_tok + t_shingle

    log("exact truth (all pairs with Jaccard >= 0.8)")
    sets = [ot.shingle_hash_set(s) for s in shingles]
    truth = set(groundtruth.all_pairs(sets, THRESHOLD))
    del sets
    log(f"  {len(truth)} true pairs")

    rows = []
    overlap.signatures(texts[:100])  # warm-up (thread pool start)
    t_ov, sig = best(a.repeat, lambda: overlap.signatures(texts))
    t_ov1, _ = best(a.repeat, lambda: overlap.signatures(texts, threads=1))
    assert sig.shape == (n, NUM_PERM)
    t_rb, _ = best(a.repeat, lambda: RMinHash.digest_matrix_from_token_sets(shingles, NUM_PERM, 42))
    t_ds, _ = best(1, lambda: [m.digest() for m in MinHash.bulk(encoded, num_perm=NUM_PERM)])
    rows += [
        ("signatures", f"overlap.signatures (threads={overlap._native.default_threads()})", t_ov, t_ov, None),
        ("signatures", "overlap.signatures (threads=1)", t_ov1, t_ov1, None),
        ("signatures", "rensa RMinHash.digest_matrix_from_token_sets", t_rb + prep, t_rb, None),
        ("signatures", "datasketch MinHash.bulk", t_ds + prep + t_encode, t_ds, None),
    ]

    # Each streaming run returns the documents it flags as duplicating an earlier one (at the time
    # they are added) and, where the tool reports them, the duplicate pairs it finds.
    def run_overlap():
        d = overlap.Deduplicator(threshold=THRESHOLD)
        flagged = set()
        for s in range(0, n, a.batch):
            answers = d.add(ids[s : s + a.batch], texts[s : s + a.batch])
            flagged.update(s + k for k, x in enumerate(answers) if x is not None)
        groups: dict[int, list[int]] = {}
        near = []
        for p in d.pairs():
            x, y = index_of[p["a"]], index_of[p["b"]]
            if p["kind"] == "exact":
                groups.setdefault(x, [x]).append(y)
            else:
                near.append((x, y))
        return flagged, cluster_pairs(groups, near)

    def run_rensa():
        # rensa indexes only the documents it keeps, so it reports no pairs among duplicates.
        ms = RMinHash.from_token_sets(shingles, num_perm=NUM_PERM, seed=42)
        d = RMinHashDeduplicator(threshold=THRESHOLD, num_perm=NUM_PERM, use_lsh=True, num_bands=RENSA_BANDS)
        flagged = {i for i, m in enumerate(ms) if not d.add(str(i), m)}
        return flagged, None

    def run_datasketch():
        ms = MinHash.bulk(encoded, num_perm=NUM_PERM)
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        found = set()
        for i, m in enumerate(ms):
            for j in lsh.query(m):
                if m.jaccard(ms[j]) >= THRESHOLD:
                    found.add((j, i))
            lsh.insert(i, m)
        return {i for _, i in found}, found

    truth_docs = {j for _, j in truth}

    def scored(result):
        flagged, pairs = result
        return {"docs": score_docs(flagged, truth_docs), "pairs": score(pairs, truth) if pairs is not None else None}

    t_od, res_o = best(a.repeat, run_overlap)
    t_rd, res_r = best(a.repeat, run_rensa)
    t_dd, res_d = best(1, run_datasketch)
    rows += [
        ("streaming dedup", f"overlap.Deduplicator (batches of {a.batch})", t_od, t_od, scored(res_o)),
        ("streaming dedup", "rensa RMinHashDeduplicator (16 bands)", t_rd + prep, t_rd, scored(res_r)),
        ("streaming dedup", "datasketch MinHashLSH query+insert", t_dd + prep + t_encode, t_dd, scored(res_d)),
    ]

    lines = [
        f"Corpus {rel(a.corpus)}: {n} documents, {len(truth)} true pairs (Jaccard >= 0.8); "
        f"Python tokenization + shingling for the peers: {prep:.2f} s (+ {t_encode:.2f} s UTF-8 encoding for datasketch). "
        f"Versions: {versions}. Load average at start: {benchenv.machine()['loadavg_at_start']:.1f}.",
        "",
        f"{len(truth_docs)} documents truly duplicate an earlier one.",
        "",
        "| task | tool | s from strings | s in the tool | overlap faster by | duplicate documents: recall / precision | duplicate pairs: recall / precision |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    base = {"signatures": t_ov, "streaming dedup": t_od}
    for task, tool, e2e, inner, sc in rows:
        docs_col = f"{sc['docs']['recall']:.4f} / {sc['docs']['precision']:.4f}" if sc else ""
        pairs_col = f"{sc['pairs']['recall']:.4f} / {sc['pairs']['precision']:.4f}" if sc and sc["pairs"] else ""
        lines.append(f"| {task} | {tool} | {e2e:.3f} | {inner:.3f} | {e2e / base[task]:.1f}x | {docs_col} | {pairs_col} |")
    table = "\n".join(lines)
    print(table)
    out_dir = OUT / "python_peers" / Path(a.corpus).name.split(".")[0]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.md").write_text(table + "\n")
    (out_dir / "results.json").write_text(
        json.dumps(
            {
                "corpus": rel(a.corpus),
                "documents": n,
                "true_pairs": len(truth),
                "prep_s": prep,
                "encode_s": t_encode,
                "versions": versions,
                "machine": benchenv.machine(),
                "rows": [
                    {"task": r[0], "tool": r[1], "from_strings_s": r[2], "tool_s": r[3], "score": r[4]}
                    for r in rows
                ],
            },
            indent=1,
        )
    )
    log(f"wrote {rel(out_dir / 'results.md')}")
    _ = np


if __name__ == "__main__":
    main()
