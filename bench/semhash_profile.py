#!/usr/bin/env python3
"""Where semhash's time goes, stage by stage, on the first N documents of a corpus.

    python3 bench/semhash_profile.py bench/out/sem-100k.jsonl.gz --limit 20000 [--threshold 0.9]

Installs bench/requirements-semhash.txt into bench/.venv (PyPI only, as
bench/semhash_side_by_side.py does) and re-runs itself there. Calls semhash 0.5.0's own steps in the
order `SemHash.from_records` + `self_deduplicate` call them (exact grouping, `featurize`, the usearch
index, `query_threshold`, `select_canonicals`), timing each, and prints how many queries hit the
first neighbour limit (100) and the second (1,000), after which semhash compares a record with every
selected record directly. The removed count is checked against `self_deduplicate`'s own.
"""
import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MODEL = BENCH.parent / "models" / "overlap-minilm-static"
sys.path.insert(0, str(BENCH))
from semhash_side_by_side import ensure_venv  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--limit", type=int, default=20000)
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--check", action="store_true", help="also run self_deduplicate and compare")
    a = ap.parse_args()
    ensure_venv(__file__)
    os.environ["HF_HUB_OFFLINE"] = "1"
    import numpy as np
    from model2vec import StaticModel
    from semhash import SemHash, utils
    from semhash.index import Index
    from semhash.records import group_records_by_key, prepare_records
    from semhash.datamodels import DeduplicationResult

    records = []
    with gzip.open(a.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                records.append({"id": str(r["id"]), "text": r["text"]})
                if len(records) >= a.limit:
                    break
    times = {}
    t = time.perf_counter()
    model = StaticModel.from_pretrained(str(MODEL))
    times["model load"] = time.perf_counter() - t
    t = time.perf_counter()
    dict_records, columns, was_string = prepare_records(records, ["text"])
    dedup, items = group_records_by_key(dict_records, columns)
    times["exact groups"] = time.perf_counter() - t
    t = time.perf_counter()
    emb = utils.featurize(dedup, columns, model)
    times["featurize (model2vec encode)"] = time.perf_counter() - t
    t = time.perf_counter()
    index = Index.from_vectors_and_items(vectors=emb, items=items, backend_type="usearch")
    times["usearch index build"] = time.perf_counter() - t
    th = a.threshold
    t = time.perf_counter()
    first = list(index.backend.threshold(index.vectors, threshold=1 - th, max_k=utils.NEIGHBORS_PER_QUERY))
    times["threshold query, k=100"] = time.perf_counter() - t
    capped = [i for i, (ix, _) in enumerate(first) if len(ix) >= utils.NEIGHBORS_PER_QUERY]
    t = time.perf_counter()
    again = list(index.backend.threshold(index.vectors[capped], threshold=1 - th, max_k=utils.MAX_NEIGHBORS)) if capped else []
    times[f"threshold re-query of {len(capped)} capped rows, k=1000"] = time.perf_counter() - t
    neighbors = [(ix, 1 - d) for ix, d in first]
    for i, (ix, d) in zip(capped, again):
        neighbors[i] = (ix, 1 - d)
    still = sum(1 for ix, s in neighbors if (s >= th).sum() >= utils.MAX_NEIGHBORS)
    t = time.perf_counter()
    res = DeduplicationResult._from_groups(groups=items, neighbors=neighbors, vectors=index.vectors,
                                           threshold=th, columns=columns)
    times["select_canonicals (greedy, brute force past 1,000 neighbours)"] = time.perf_counter() - t
    total = sum(times.values())
    print(f"{a.corpus}: first {len(records)} documents ({len(dedup)} distinct texts), threshold {th}")
    print("| stage | s | share |")
    print("|---|---|---|")
    for k, v in times.items():
        print(f"| {k} | {v:.2f} | {100 * v / total:.1f}% |")
    print(f"| total | {total:.2f} | |")
    print(f"queries at the 100-neighbour limit: {len(capped)}; still at the 1,000 limit (compared with every "
          f"selected record): {still}; removed {len(res.filtered)}")
    if a.check:
        t = time.perf_counter()
        sh = SemHash.from_records(records=records, columns=["text"], model=model)
        r2 = sh.self_deduplicate(threshold=th)
        print(f"semhash from_records + self_deduplicate: {time.perf_counter() - t:.2f} s, removed {len(r2.filtered)}")


if __name__ == "__main__":
    main()
