"""Exact all-pairs Jaccard similarity join over shingle sets (no sampling, no approximation).

AllPairs with prefix filtering (Bayardo et al., 2007): order every set by a global order (rarest shingle
first), process sets by increasing size, and index only each set's prefix of `|x| - ceil(t|x|) + 1`
shingles. Two sets with Jaccard >= t must share a shingle within their prefixes, so probing the index
with each prefix finds every qualifying pair; a size filter (|y| >= t|x|) prunes more; each candidate is
then verified exactly. The threshold test is done in integers (`J >= p/q` iff `q*inter >= p*union`),
which agrees with overlap's `shared as f64 / union as f64 >= threshold` for any realistic set size.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from math import ceil


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def all_pairs(sets: list[set[int]], threshold: float) -> dict[tuple[int, int], float]:
    """Every pair (i, j), i < j, of non-empty sets with Jaccard >= threshold, with its Jaccard."""
    import numpy as np

    t = Fraction(str(threshold))
    p, q = t.numerator, t.denominator
    sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    total = int(sizes.sum())
    flat = np.fromiter((h for s in sets for h in s), dtype=np.uint64, count=total)
    doc_of = np.repeat(np.arange(len(sets), dtype=np.uint64), sizes)
    # Global order: rarest shingle first, ties by value.
    uniq, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    del flat
    by_rarity = np.lexsort((uniq, counts))
    rank_of = np.empty(len(uniq), dtype=np.uint64)
    rank_of[by_rarity] = np.arange(len(uniq), dtype=np.uint64)
    # Each document's shingle ranks, sorted, contiguous.
    keyed = np.sort((doc_of << np.uint64(32)) | rank_of[inverse.ravel()])
    ranks = (keyed & np.uint64(0xFFFFFFFF)).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    del keyed, doc_of, inverse

    index: dict[int, list[int]] = defaultdict(list)
    result: dict[tuple[int, int], float] = {}
    for x in sorted((i for i in range(len(sets)) if sets[i]), key=lambda i: len(sets[i])):
        sx = sets[x]
        size = len(sx)
        overlap_needed = ceil(t * size)  # also the smallest |y| (<= |x|) that can reach the threshold
        prefix_len = size - overlap_needed + 1
        s0 = int(starts[x])
        seen = set()
        for r in ranks[s0 : s0 + prefix_len].tolist():
            bucket = index[r]
            for y in bucket:
                if y in seen:
                    continue
                seen.add(y)
                sy = sets[y]
                if len(sy) < overlap_needed:
                    continue
                inter = len(sx & sy)
                union = size + len(sy) - inter
                if q * inter >= p * union:
                    a, b = (x, y) if x < y else (y, x)
                    result[(a, b)] = inter / union
            bucket.append(x)
    return result
