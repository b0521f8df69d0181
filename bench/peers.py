"""One peer tool, run end to end in its own process: `python peers.py TOOL CORPUS OUTDIR [--threads N]`.

Every tool gets the same shingle sets: the word 5-grams of overlap's tokenizer and normalization, as
ported in overlap_text.py (validated against `overlap sketch`). Each tool is used the way its
documentation shows, with 128 permutations and threshold 0.8:

- datasketch: `MinHash.bulk` (bytes shingles, default hash and scheme) + `MinHashLSH(threshold=0.8,
  num_perm=128)` filled in an `insertion_session`, then `query` for every document. Its LSH answer is
  the candidate set; we also report the pairs whose estimated Jaccard (`MinHash.jaccard`) is >= 0.8.
- rensa: `RMinHash(num_perm=128, seed=42)` + `update(shingles)` per document, `RMinHashLSH(threshold=0.8,
  num_perm=128, num_bands=16)`, `insert`, `query`; candidates checked with `RMinHash.jaccard >= 0.8`
  (what its `RMinHashDeduplicator` does). 16 bands x 8 rows is the choice of rensa's own examples and
  the only divisor of 128 whose S-curve has its threshold below 0.8 without flooding candidates.
- rensa-batch: the same with rensa's batch APIs (`RMinHash.from_token_sets`, `insert_many`, `query_all`).
- gaoya: `MinHashStringIndex(hash_size=32, jaccard_threshold=0.8, num_hashes=128)` with a callable
  analyzer returning the shingles, `par_bulk_insert_docs` and `par_bulk_query` (gaoya picks bands and
  rows from the S-curve and filters results by estimated Jaccard itself).
- text-dedup: its MinHash script (`text_dedup.minhash`, the documented CLI, run in-process) on a local
  Hugging Face dataset, xxh3 hashing, `--num_perm 128 --threshold 0.8 --ngram 5 --min_length 0`. It
  tokenizes by itself (lowercase, split on `\\W`), so it is given each document's normalized tokens with
  every non-word character escaped: its 5-gram sets are then in one-to-one correspondence with ours.
  It reports clusters, not pairs: pairs are all pairs inside a cluster.

Writes OUTDIR/pairs.tsv (`i<TAB>j<TAB>flag`, document positions in the corpus, flag 1 when the pair
passes the tool's own similarity check) and OUTDIR/stats.json (seconds per step).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import overlap_text as ot  # noqa: E402

NUM_PERM = 128
THRESHOLD = 0.8
NGRAM = 5
RENSA_BANDS = 16


class Steps:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = self.times.get(name, 0.0) + now - self.t
        self.t = now


def prepare(corpus: str, steps: Steps) -> tuple[list[str], list[list[str]]]:
    ids, texts = ot.read_corpus(corpus)
    steps.lap("read")
    toks = [ot.tokens(t) for t in texts]
    del texts
    steps.lap("tokenize")
    shingles = [ot.shingle_strings(t, NGRAM) for t in toks]
    steps.lap("shingle")
    return ids, shingles


def pairs_from_queries(results) -> set[tuple[int, int]]:
    pairs = set()
    for i, found in enumerate(results):
        for j in found:
            j = int(j)
            if j != i:
                pairs.add((i, j) if i < j else (j, i))
    return pairs


def run_datasketch(corpus: str, steps: Steps) -> tuple[list, dict]:
    from datasketch import MinHash, MinHashLSH

    steps.lap("import")
    _, shingles = prepare(corpus, steps)
    encoded = [[s.encode("utf-8") for s in sh] for sh in shingles]
    del shingles
    steps.lap("tool_encode")
    minhashes = MinHash.bulk(encoded, num_perm=NUM_PERM)
    del encoded
    steps.lap("tool_sketch")
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, m in enumerate(minhashes):
            session.insert(i, m)
    steps.lap("tool_index")
    candidates = pairs_from_queries(lsh.query(m) for m in minhashes)
    steps.lap("tool_query")
    out = [(i, j, int(minhashes[i].jaccard(minhashes[j]) >= THRESHOLD)) for i, j in sorted(candidates)]
    steps.lap("tool_check")
    return out, {"bands": lsh.b, "rows": lsh.r}


def run_rensa(corpus: str, steps: Steps) -> tuple[list, dict]:
    from rensa import RMinHash, RMinHashLSH

    steps.lap("import")
    _, shingles = prepare(corpus, steps)
    minhashes = []
    for sh in shingles:
        m = RMinHash(num_perm=NUM_PERM, seed=42)
        m.update(sh)
        minhashes.append(m)
    del shingles
    steps.lap("tool_sketch")
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
    for i, m in enumerate(minhashes):
        lsh.insert(i, m)
    steps.lap("tool_index")
    candidates = pairs_from_queries(lsh.query(m) for m in minhashes)
    steps.lap("tool_query")
    out = [(i, j, int(minhashes[i].jaccard(minhashes[j]) >= THRESHOLD)) for i, j in sorted(candidates)]
    steps.lap("tool_check")
    return out, {"bands": RENSA_BANDS, "rows": NUM_PERM // RENSA_BANDS}


def run_rensa_batch(corpus: str, steps: Steps) -> tuple[list, dict]:
    from rensa import RMinHash, RMinHashLSH

    steps.lap("import")
    _, shingles = prepare(corpus, steps)
    minhashes = RMinHash.from_token_sets(shingles, num_perm=NUM_PERM, seed=42)
    del shingles
    steps.lap("tool_sketch")
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
    lsh.insert_many(minhashes)
    steps.lap("tool_index")
    candidates = pairs_from_queries(lsh.query_all(minhashes))
    steps.lap("tool_query")
    out = [(i, j, int(minhashes[i].jaccard(minhashes[j]) >= THRESHOLD)) for i, j in sorted(candidates)]
    steps.lap("tool_check")
    return out, {"bands": RENSA_BANDS, "rows": NUM_PERM // RENSA_BANDS}


def run_gaoya(corpus: str, steps: Steps) -> tuple[list, dict]:
    from gaoya.minhash import MinHashStringIndex

    steps.lap("import")
    _, shingles = prepare(corpus, steps)
    index = MinHashStringIndex(
        hash_size=32,
        jaccard_threshold=THRESHOLD,
        num_bands=None,
        band_size=None,
        num_hashes=NUM_PERM,
        analyzer=lambda doc: doc,
    )
    index.par_bulk_insert_docs(list(range(len(shingles))), shingles)
    steps.lap("tool_index")
    found = pairs_from_queries(index.par_bulk_query(shingles))
    steps.lap("tool_query")
    return [(i, j, 1) for i, j in sorted(found)], {"index": str(index)}


def _escape_token(tok: str) -> str:
    """Make a token survive text-dedup's `\\W` split intact, injectively: `_` and every non-word
    character become `_<hex code>_`."""
    if tok.isalnum():
        return tok
    return "".join(c if c.isalnum() else f"_{ord(c):x}_" for c in tok)


def run_text_dedup(corpus: str, steps: Steps, threads: int, workdir: Path) -> tuple[list, dict]:
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["HF_DATASETS_CACHE"] = str(workdir / "hf-cache")
    import datasets
    import text_dedup.minhash as tdm

    steps.lap("import")
    ids, texts = ot.read_corpus(corpus)
    steps.lap("read")
    escaped = [" ".join(_escape_token(t) for t in ot.tokens(x)) for x in texts]
    del texts
    steps.lap("tokenize")
    ds_path = workdir / "dataset"
    datasets.Dataset.from_dict({"text": escaped}).save_to_disk(str(ds_path))
    del escaped
    steps.lap("tool_write_dataset")
    args = [
        "--path", str(ds_path), "--local", "--column", "text", "--output", str(workdir / "deduped"),
        "--cache_dir", str(workdir / "hf-cache"), "--num_proc", str(threads),
        "--num_perm", str(NUM_PERM), "--threshold", str(THRESHOLD), "--ngram", str(NGRAM),
        "--min_length", "0", "--hash_func", "xxh3",
    ]  # fmt: skip
    tdm.main.main(args, standalone_mode=False)
    steps.lap("tool_minhash_script")
    clusters: dict[int, list[int]] = {}
    for i in list(tdm.uf.parent):
        clusters.setdefault(tdm.uf.find(i), []).append(int(i))
    out = []
    for members in clusters.values():
        members.sort()
        out.extend((a, b, 1) for k, a in enumerate(members) for b in members[k + 1 :])
    out.sort()
    steps.lap("tool_cluster_pairs")
    b, r = tdm.optimal_param(THRESHOLD, NUM_PERM, 0.5, 0.5)
    return out, {"bands": b, "rows": r, "clusters": len(clusters), "num_proc": threads}


TOOLS = {
    "datasketch": run_datasketch,
    "rensa": run_rensa,
    "rensa-batch": run_rensa_batch,
    "gaoya": run_gaoya,
    "text-dedup": run_text_dedup,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tool", choices=sorted(TOOLS))
    ap.add_argument("corpus")
    ap.add_argument("outdir")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    out = Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    steps = Steps()
    if a.tool == "text-dedup":
        pairs, info = run_text_dedup(a.corpus, steps, a.threads, out)
    else:
        pairs, info = TOOLS[a.tool](a.corpus, steps)
    with open(out / "pairs.tsv", "w") as f:
        f.writelines(f"{i}\t{j}\t{k}\n" for i, j, k in pairs)
    steps.lap("write_pairs")
    prep = sum(v for k, v in steps.times.items() if k in ("read", "tokenize", "shingle"))
    tool = sum(v for k, v in steps.times.items() if k.startswith("tool_"))
    (out / "stats.json").write_text(
        json.dumps({"steps_s": steps.times, "prep_s": prep, "tool_s": tool, "info": info}, indent=1)
    )


if __name__ == "__main__":
    main()
