#!/usr/bin/env python3
"""Natural passage-reuse truth from 20 Newsgroups: replies quote earlier posts with `>` lines.

Every block of consecutive quoted lines of one depth (12+ words) is traced back to the posts whose own
(unquoted) text holds it: those (source, reply) pairs share a passage verbatim (up to the replier's
line breaks and small cuts). The truth is derived from the shared corpus, never stored in the
repository; `eval` measures the recall of `overlap reuse`'s pairs.jsonl on it, by quote length.

  python3 bench/quote_truth.py build ../shared/data/20newsgroups.jsonl.gz bench/out/quote-truth.jsonl
  python3 bench/quote_truth.py eval bench/out/quote-truth.jsonl OUT/pairs.jsonl
"""
import collections
import gzip
import json
import re
import sys

WORD = re.compile(r"[^\W_]+(?:['.,][^\W_]+)*")
QUOTE = re.compile(r"^\s{0,2}((?:>\s?)+)")
N = 6            # words per gram for tracing
MIN_WORDS = 12   # shortest quote traced
COVER = 0.8      # share of a block's grams the source must hold
MAX_DF = 30      # grams in more posts than this do not propose sources (stock phrases)
REPEATED_HOLDERS = 3  # a block held by this many posts of different texts is repeated text


def words(text):
    return [w.lower() for w in WORD.findall(text)]


def split(text):
    """(unquoted words, [(depth, words of one quoted block)])."""
    own, blocks, cur, cur_depth = [], [], [], 0
    for line in text.split("\n"):
        m = QUOTE.match(line)
        depth = m.group(1).count(">") if m else 0
        body = line[m.end():] if m else line
        if depth != cur_depth:
            if cur_depth and cur:
                blocks.append((cur_depth, cur))
            cur, cur_depth = [], depth
        if depth:
            cur.extend(words(body))
        else:
            own.extend(words(body))
    if cur_depth and cur:
        blocks.append((cur_depth, cur))
    return own, blocks


def grams(ws):
    return {" ".join(ws[i:i + N]) for i in range(len(ws) - N + 1)}


def build(corpus, out):
    ids, own_grams, blocks, text_keys, quoted_grams = [], [], [], [], []
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            own, bl = split(r.get("text") or "")
            ids.append(r["id"])
            text_keys.append(hash(" ".join(words(r.get("text") or ""))))
            own_grams.append(grams(own))
            blocks.append([(d, w) for d, w in bl if len(w) >= MIN_WORDS])
            quoted_grams.append(set().union(*(grams(w) for _, w in bl)))
    index = collections.defaultdict(list)
    for d, gs in enumerate(own_grams):
        for g in gs:
            index[g].append(d)
    truth = {}
    for reply, bl in enumerate(blocks):
        for depth, ws in bl:
            gs = grams(ws)
            if not gs:
                continue
            votes = collections.Counter()
            for g in gs:
                posting = index.get(g, ())
                if len(posting) <= MAX_DF:
                    votes.update(posting)
            holders = [s for s, hits in votes.items() if s != reply and hits >= COVER * len(gs)]
            repeated = len({text_keys[s] for s in holders}) >= REPEATED_HOLDERS
            for src in holders:
                key = (min(src, reply), max(src, reply))
                prev = truth.get(key)
                if prev is None or len(ws) > prev["quote_words"]:
                    truth[key] = {"source": ids[src], "reply": ids[reply], "quote_words": len(ws), "depth": depth,
                                  "repeated": repeated and (prev is None or prev["repeated"])}
                elif not repeated:
                    prev["repeated"] = False
    # A repeated pair is `specific` when the reply also quotes (in a block of any length) a gram of
    # the source's own text held by fewer than REPEATED_HOLDERS posts of different texts: evidence
    # that the reply quotes this post, not only the text its author repeats under every post.
    for key, t in truth.items():
        if t["repeated"]:
            src, reply = (key[0], key[1]) if ids[key[0]] == t["source"] else (key[1], key[0])
            t["specific"] = any(len({text_keys[d] for d in index[g]}) < REPEATED_HOLDERS
                                for g in quoted_grams[reply] & own_grams[src])
    with open(out, "w") as f:
        for key in sorted(truth):
            f.write(json.dumps(truth[key]) + "\n")
    print(f"{len(truth)} (source, reply) pairs from {sum(len(b) for b in blocks)} quoted blocks of {MIN_WORDS}+ words")


def bucket(n):
    return "12-24" if n < 25 else "25-49" if n < 50 else "50+"


def evaluate(truth_path, pairs_path):
    truth = [json.loads(l) for l in open(truth_path)]
    found = set()
    for l in open(pairs_path):
        p = json.loads(l)
        found.add(frozenset((p["a"], p["b"])))
    by = collections.defaultdict(lambda: [0, 0])
    for t in truth:
        hit = frozenset((t["source"], t["reply"])) in found
        kind = "repeated" if t.get("repeated") else "one-post"
        kinds = ["", kind] + (["resolved"] if not t.get("repeated") or t.get("specific") else [])
        for b in ("all", bucket(t["quote_words"])):
            for k in kinds:
                by[k, b][0] += hit
                by[k, b][1] += 1
    for k, label in (("", "all pairs"), ("one-post", "quotes of one post's text"),
                     ("repeated", "quotes of text repeated in 3+ posts (signatures, FAQs)"),
                     ("resolved", "resolved: one-post quotes and repeated ones whose reply also quotes text "
                                  "of this source held by under 3 posts (needs a truth built with `specific`)")):
        print(label)
        for b in ("all", "12-24", "25-49", "50+"):
            hit, total = by[k, b]
            print(f"{b:>8}: recall {hit / max(total, 1):.3f} ({hit} of {total})")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("build", "eval"):
        sys.exit(__doc__)
    (build if sys.argv[1] == "build" else evaluate)(sys.argv[2], sys.argv[3])
