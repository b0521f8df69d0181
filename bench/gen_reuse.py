#!/usr/bin/env python3
"""A reuse corpus that scales to millions of documents, with planted reprints (stdlib only).

    python3 bench/gen_reuse.py --docs 1000000 [--name reuse-1M] [--seed 1] [--reprints 0.1]
    python3 bench/gen_reuse.py --score OUT_DIR --name reuse-1M     # pair precision/recall/F1

Writes bench/out/<name>.jsonl.gz ({id, source, text}) and bench/out/<name>.truth.tsv.gz
(`copy_id  source_id  kind`), streaming, in bounded memory.

Why word-level text: documents drawn from one small pool of real sentences share n-grams by chance
(each sentence would recur dozens of times in a million documents), so the candidate pairs of the
anchor index would grow with the square of the corpus. Here words are drawn from a Zipfian vocabulary
of 200,000 made-up words, so that, as in real news, a run of 5 content words recurs only when a
document reuses another's text.

- 40 outlets (the `source` field), each with a 12-word footer line that half its documents carry
  (per-source boilerplate, to be masked).
- Originals: 6 to 30 sentences of 8 to 25 words.
- Planted reprints, a `--reprints` fraction of the documents, each of an original among the last
  200,000, by another outlet, in equal shares:
  verbatim (the whole text), light (2% of the words substituted), heavy (15% substituted, inserted or
  deleted, and the sentences shuffled), partial (a new article quoting 2 to 4 consecutive sentences
  of the original verbatim).
- `--score DIR` reads DIR/pairs.jsonl: a related pair is correct when its documents belong to one
  story (an original and its reprints); recall is over the planted (reprint, original) pairs.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
KINDS = ["verbatim", "light", "heavy", "partial"]
WINDOW = 200_000


def vocabulary(rng: random.Random, n: int = 200_000) -> tuple[list[str], list[float]]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["an", "er", "in", "on", "st"]
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    vocab = sorted(words)
    rng.shuffle(vocab)
    cum = list(itertools.accumulate(1.0 / (r + 10) ** 1.05 for r in range(n)))
    return vocab, cum


def generate(a) -> None:
    rng = random.Random(a.seed)
    vocab, cum = vocabulary(rng)
    total = cum[-1]

    def words(k: int) -> list[str]:
        return rng.choices(vocab, cum_weights=cum, k=k)

    def sentence() -> str:
        return " ".join(words(rng.randint(8, 25))) + "."

    outlets = 40
    footers = [" ".join(words(12)) for _ in range(outlets)]
    n_reprints = int(a.docs * a.reprints)
    left = {"original": a.docs - n_reprints, "reprint": n_reprints}
    window: list[tuple[str, int, list[str]]] = []
    truth = []
    t0 = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    corpus = OUT / f"{a.name}.jsonl.gz"
    n_orig = n_rep = 0
    with gzip.open(corpus, "wt", encoding="utf-8", compresslevel=1) as f:
        for i in range(a.docs):
            kind = "original"
            if window and rng.random() * (left["original"] + left["reprint"]) >= left["original"]:
                kind = "reprint"
            if left[kind] == 0:
                kind = "original" if kind == "reprint" else "reprint"
            left[kind] -= 1
            outlet = rng.randrange(outlets)
            if kind == "original":
                doc_id = f"o{n_orig}"
                n_orig += 1
                sents = [sentence() for _ in range(rng.randint(6, 30))]
                if len(window) < WINDOW:
                    window.append((doc_id, outlet, sents))
                else:
                    window[rng.randrange(WINDOW)] = (doc_id, outlet, sents)
            else:
                src_id, src_outlet, src = window[rng.randrange(len(window))]
                outlet = (src_outlet + 1 + rng.randrange(outlets - 1)) % outlets
                how = KINDS[n_rep % len(KINDS)]
                doc_id = f"r{n_rep}"
                n_rep += 1
                if how == "verbatim":
                    sents = list(src)
                elif how == "light":
                    w = " ".join(src).split()
                    for _ in range(max(1, len(w) // 50)):
                        w[rng.randrange(len(w))] = rng.choices(vocab, cum_weights=cum)[0]
                    sents = [" ".join(w)]
                elif how == "heavy":
                    sents = list(src)
                    rng.shuffle(sents)
                    w = " ".join(sents).split()
                    for _ in range(max(1, len(w) * 15 // 100)):
                        op = rng.randrange(3)
                        j = rng.randrange(len(w))
                        if op == 0:
                            w[j] = rng.choices(vocab, cum_weights=cum)[0]
                        elif op == 1:
                            w.insert(j, rng.choices(vocab, cum_weights=cum)[0])
                        elif len(w) > 20:
                            del w[j]
                    sents = [" ".join(w)]
                else:
                    k = rng.randint(2, 4)
                    at = rng.randrange(max(1, len(src) - k + 1))
                    quoted = src[at:at + k]
                    sents = [sentence() for _ in range(rng.randint(4, 12))]
                    pos = rng.randrange(len(sents) + 1)
                    sents[pos:pos] = quoted
                truth.append((doc_id, src_id, how))
            text = "\n\n".join(sents)
            if rng.random() < 0.5:
                text += "\n\n" + footers[outlet]
            f.write(json.dumps({"id": doc_id, "source": f"outlet{outlet}", "text": text}))
            f.write("\n")
            if i and i % 200_000 == 0:
                print(f"{i} documents ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    with gzip.open(OUT / f"{a.name}.truth.tsv.gz", "wt", encoding="utf-8") as f:
        f.write("copy_id\tsource_id\tkind\n")
        for row in truth:
            f.write("\t".join(row) + "\n")
    del total
    print(f"wrote {corpus} ({a.docs} documents, {corpus.stat().st_size / 2**20:.0f} MiB, {len(truth)} reprints) "
          f"in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def score(a) -> None:
    story: dict[str, str] = {}
    planted = []
    with gzip.open(OUT / f"{a.name}.truth.tsv.gz", "rt") as f:
        next(f)
        for line in f:
            copy, src, how = line.rstrip("\n").split("\t")
            story[copy] = src
            planted.append((copy, src, how))
    found = set()
    related = correct = 0
    with open(Path(a.score) / "pairs.jsonl") as f:
        for line in f:
            p = json.loads(line)
            x, y = p["a"], p["b"]
            related += 1
            if story.get(x, x) == story.get(y, y):
                correct += 1
            found.add((x, y))
            found.add((y, x))
    by_kind: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
    for copy, src, how in planted:
        by_kind[how][0] += (copy, src) in found
        by_kind[how][1] += 1
    hits = sum(h for h, _ in by_kind.values())
    recall = hits / max(1, len(planted))
    precision = correct / max(1, related)
    f1 = 2 * precision * recall / max(1e-12, precision + recall)
    print(json.dumps({
        "related_pairs": related, "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
        "recall_by_kind": {k: round(h / max(1, n), 4) for k, (h, n) in by_kind.items()},
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--name")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reprints", type=float, default=0.1)
    ap.add_argument("--score", help="score DIR/pairs.jsonl against the truth of --name")
    a = ap.parse_args()
    a.name = a.name or f"reuse-{a.docs}"
    if a.score:
        score(a)
    else:
        generate(a)


if __name__ == "__main__":
    main()
