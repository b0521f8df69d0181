"""Single-threaded MinHash signature throughput of the Python peers, on the shingles of one corpus.

`python sketch_throughput.py CORPUS OUT.json [--repeat N]`, run with RAYON_NUM_THREADS=1 (rensa's batch
APIs use Rayon). Shingles come from overlap_text.py (the port of overlap's tokenizer), built once; the
timed loops start from the list of shingle strings of each document and end with its signature:

- rensa RMinHash / CMinHash: `m = RMinHash(num_perm=128, seed=42); m.update(shingles); m.digest()` per
  document (the documented per-document use);
- rensa RMinHash.digest_matrix_from_token_sets: its batch API (one call for the corpus);
- rensa rho (digest_matrix_from_token_sets_rho): rensa's fastest path, which *samples* token positions
  and is not full-set MinHash (listed for completeness, not used for the ratio);
- datasketch MinHash: `MinHash(num_perm=128).update_batch(bytes shingles); digest()` (the shingles'
  UTF-8 encoding, which datasketch requires, is timed separately).

Each loop runs `--repeat` times; the best time is kept. The Python preprocessing (read + tokenize +
shingle) is timed once, so that end-to-end figures can be formed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import overlap_text as ot  # noqa: E402

NUM_PERM = 128


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--datasketch-repeat", type=int, default=1)
    ap.add_argument("--no-datasketch", action="store_true", help="skip datasketch (slow)")
    a = ap.parse_args()

    t0 = time.perf_counter()
    _, texts = ot.read_corpus(a.corpus)
    t1 = time.perf_counter()
    toks = [ot.tokens(t) for t in texts]
    t2 = time.perf_counter()
    shingles = [ot.shingle_strings(t) for t in toks]
    t3 = time.perf_counter()
    del texts, toks
    distinct = sum(len(set(s)) for s in shingles)
    result = {
        "documents": len(shingles),
        "shingle_strings": sum(len(s) for s in shingles),
        "distinct_shingles": distinct,
        "prep_s": {"read": t1 - t0, "tokenize": t2 - t1, "shingle_strings": t3 - t2},
        "sketch_s": {},
        "notes": {},
    }
    sk = result["sketch_s"]

    try:
        from rensa import CMinHash, RMinHash

        def rensa_loop(cls):
            def run():
                for sh in shingles:
                    m = cls(num_perm=NUM_PERM, seed=42)
                    m.update(sh)
                    m.digest()

            return run

        sk["rensa RMinHash update+digest"] = best_of(a.repeat, rensa_loop(RMinHash))
        sk["rensa CMinHash update+digest"] = best_of(a.repeat, rensa_loop(CMinHash))
        sk["rensa RMinHash.digest_matrix_from_token_sets (batch)"] = best_of(
            a.repeat, lambda: RMinHash.digest_matrix_from_token_sets(shingles, NUM_PERM, 42)
        )
        sk["rensa rho digest_matrix_from_token_sets_rho (samples tokens)"] = best_of(
            a.repeat, lambda: RMinHash.digest_matrix_from_token_sets_rho(shingles, NUM_PERM, 42)
        )
        result["notes"]["rensa rho digest_matrix_from_token_sets_rho (samples tokens)"] = (
            "not full-set MinHash: samples token positions (rensa README); not used for the ratio"
        )
    except Exception as e:  # report, never drop silently
        result["notes"]["rensa"] = f"failed: {type(e).__name__}: {e}"

    try:
        if a.no_datasketch:
            raise StopIteration
        from datasketch import MinHash

        t = time.perf_counter()
        encoded = [[s.encode("utf-8") for s in sh] for sh in shingles]
        result["prep_s"]["datasketch_encode"] = time.perf_counter() - t

        def ds_loop():
            for b in encoded:
                m = MinHash(num_perm=NUM_PERM)
                m.update_batch(b)
                m.digest()

        sk["datasketch MinHash update_batch+digest"] = best_of(a.datasketch_repeat, ds_loop)
    except StopIteration:
        pass
    except Exception as e:
        result["notes"]["datasketch"] = f"failed: {type(e).__name__}: {e}"

    Path(a.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
