"""Documents that share 2-5 human-paraphrased passages inside otherwise unrelated articles: a DEV set
built from the shared data only, and its evaluation (stdlib only, plus the overlap binary).

    python3 bench/paraphrase_passages.py gen --out bench/out/para [--seed 1]
    target/release/overlap reuse bench/out/para/corpus.jsonl --out bench/out/para-reuse [--semantic]
    python3 bench/paraphrase_passages.py eval --truth bench/out/para/truth.json --out bench/out/para-reuse

Hosts: BBC News and Reuters-21578 articles (../shared/data), the Reuters ones with 120+ words; a host
is used once, and hosts that `overlap reuse` relates to another host of the pool, or that are exact or
near copies of one, are left out first (so a host pair shares nothing before insertion).

Passages: STS Benchmark news pairs (../shared/data/sts-news.jsonl.gz) whose human score is at least
4 ("the two sentences are mostly or completely equivalent"): text1 goes into one host, text2 into the
other (sides drawn at random). A passage is one or two such sentence pairs (consecutive in the
passage, each pair used once in the whole corpus), inserted at a sentence boundary of its host.
Positive host pairs get 2 to 5 passages (evenly); negative host pairs get none, or "decoys": STS
pairs scored 1 to 2.5 (one topic, other facts: "mostly not equivalent"), which must not relate them.

Truth (`truth.json`): the positive pairs with each passage's character (code point) offsets in both
documents, and the negative pairs. `eval` scores `pairs.jsonl` of a reuse run: pair precision, recall
(by number of passages) and F1 over every reported pair, and the PAN character measures
(bench/reuse_metrics.py: precision, recall, granularity, plagdet) of the passages of the positive
pairs against the inserted passages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from reuse_metrics import pan_measures  # noqa: E402

DATA = HERE.parent / ".." / "shared" / "data"


def read_jsonl_gz(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# Words whose period ends an abbreviation, not a sentence ("the U.S. Treasury", "Martin Luther King
# Jr. said", "Acme Inc. shares"): a passage put after one would sit inside a host sentence.
ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Za-z]\.)+|\b(?:Mr|Mrs|Ms|Dr|Jr|Sr|St|Prof|Rev|Gov|Sen|Rep|Gen|Lt|Col|Sgt|Capt"
    r"|Inc|Co|Corp|Ltd|Bros|No|Nos|vs|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    r"|Mt|Ft|Ave|Blvd)\.)$"
)


def sentence_boundaries(text):
    """Character positions where a passage may go: after a sentence end followed by a space or a
    line break and then a sentence's first character (a capital, a digit or an opening quote), never
    after an abbreviation's period, and never at the very start (headlines come first)."""
    out = []
    for m in re.finditer(r"[.!?][\"')]?(\s+)", text):
        pos = m.end(1)
        if not 40 < pos < len(text) - 1:
            continue
        if not (text[pos].isupper() or text[pos].isdigit() or text[pos] in "\"'(\u201c\u2018"):
            continue
        word_end = text[max(0, m.start() - 12) : m.start() + 1]
        if text[m.start()] == "." and ABBREVIATION.search(word_end):
            continue
        out.append(pos)
    return sorted(set(out))


def cap(s):
    s = s.strip()
    return s[:1].upper() + s[1:] if s else s


def end_sentence(s):
    s = cap(s)
    return s if s[-1:] in ".!?\"'" else s + "."


def insert(text, passages, rng):
    """Insert each passage at a distinct sentence boundary; returns the new text and each passage's
    (start, end) in it, in the order given."""
    bounds = sentence_boundaries(text)
    if len(bounds) < len(passages):
        return None
    where = sorted(rng.sample(bounds, len(passages)))
    order = list(range(len(passages)))
    rng.shuffle(order)
    pieces, spans, last = [], [None] * len(passages), 0
    pos = 0
    for w, i in zip(where, order):
        pieces.append(text[last:w])
        pos += w - last
        p = passages[i]
        sep = "\n\n" if text[w - 1] == "\n" else " "
        sep = "" if text[w - 1].isspace() else sep
        pieces.append(sep)
        pos += len(sep)
        spans[i] = (pos, pos + len(p))
        pieces.append(p)
        pos += len(p)
        tail = "\n\n" if text[w - 1] == "\n" else " "
        pieces.append(tail)
        pos += len(tail)
        last = w
    pieces.append(text[last:])
    out = "".join(pieces)
    for (s, e), p in zip(spans, passages):
        assert out[s:e] == p
    return out, spans


def host_pool(binary, rng, n_reuters):
    bbc = read_jsonl_gz(DATA / "bbc-news.jsonl.gz")
    reuters = [r for r in read_jsonl_gz(DATA / "reuters21578.jsonl.gz")
               if len(r["text"].split()) >= 120]
    rng.shuffle(reuters)
    pool = [{"id": "bbc:" + str(r["id"]), "text": r["text"]} for r in bbc]
    pool += [{"id": "reuters:" + str(r["id"]), "text": r["text"]} for r in reuters[:n_reuters]]
    # Leave out every host related to another one of the pool (copies, one story told twice).
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "pool.jsonl"
        corpus.write_text("".join(json.dumps(r) + "\n" for r in pool))
        # Looser than the defaults (one shared anchor, more words rare), and same-story links by
        # meaning at a low cosine: a host pair that shares text or tells one story would be a true
        # pair the truth does not hold.
        subprocess.run([binary, "reuse", str(corpus), "--out", str(Path(tmp) / "r"), "--quiet",
                        "--min-shared-anchors", "1", "--rare-word-docs", "400",
                        "--same-story", "--same-story-threshold", "0.75"], check=True)
        related = set()
        for name in ("pairs.jsonl", "same_story.jsonl"):
            for line in (Path(tmp) / "r" / name).read_text().splitlines():
                p = json.loads(line)
                related.update([p["a"], p["b"]])
        subprocess.run([binary, "dedup", str(corpus), "--out", str(Path(tmp) / "d"), "--quiet",
                        "--no-deduped", "--threshold", "0.5"], check=True)
        for line in (Path(tmp) / "d" / "pairs.jsonl").read_text().splitlines():
            p = json.loads(line)
            related.update([p["a"], p["b"]])
    return [r for r in pool if r["id"] not in related]


def gen(args):
    rng = random.Random(args.seed)
    hosts = host_pool(args.binary, rng, args.reuters)
    rng.shuffle(hosts)
    sts = read_jsonl_gz(DATA / "sts-news.jsonl.gz")
    # A sentence of one STS pair can recur, or nearly, in another (deft-news repeats itself): keep
    # pairs whose sentences share no word 5-gram with an earlier kept pair's, so that the inserted
    # passages relate only the hosts they were put in.
    seen, kept = set(), []
    for r in sorted(sts, key=lambda r: (r["id1"], r["id2"])):
        grams = set()
        for t in (r["text1"], r["text2"]):
            w = re.findall(r"\w+", t.lower())
            grams.update(tuple(w[i:i + 5]) for i in range(max(1, len(w) - 4)))
        if grams & seen:
            continue
        seen |= grams
        kept.append(r)
    para = [r for r in kept if r["score"] >= 4.0]
    decoy = [r for r in kept if 1.0 <= r["score"] <= 2.5]
    rng.shuffle(para)
    rng.shuffle(decoy)

    def passage(pool, m):
        a, b = [], []
        for _ in range(m):
            r = pool.pop()
            x, y = end_sentence(r["text1"]), end_sentence(r["text2"])
            if rng.random() < 0.5:
                x, y = y, x
            a.append(x)
            b.append(y)
        return " ".join(a), " ".join(b)

    docs, positives, negatives = [], [], []
    h = 0
    kinds = [("positive", k) for k in (2, 3, 4, 5) for _ in range(args.per_k)]
    kinds += [("decoy", 0)] * args.decoys + [("empty", 0)] * args.empties
    rng.shuffle(kinds)
    for kind, k in kinds:
        while True:
            if h + 2 > len(hosts):
                raise SystemExit("not enough hosts")
            ha, hb = hosts[h], hosts[h + 1]
            h += 2
            if kind == "empty":
                ta, tb, spans = ha["text"], hb["text"], []
                break
            pool = para if kind == "positive" else decoy
            n = k if kind == "positive" else rng.randint(2, 4)
            ms = [1 if rng.random() < args.single else 2 for _ in range(n)]
            if sum(ms) > len(pool):
                raise SystemExit(f"not enough STS pairs for {kind}")
            ps = [passage(pool, m) for m in ms]
            ia = insert(ha["text"], [p[0] for p in ps], rng)
            ib = insert(hb["text"], [p[1] for p in ps], rng)
            if ia is None or ib is None:
                continue  # too few sentences; these pairs are spent, the hosts too
            ta, sa = ia
            tb, sb = ib
            spans = [{"a": list(x), "b": list(y), "sentences": m}
                     for x, y, m in zip(sa, sb, ms)]
            break
        ida, idb = f"pp{len(docs):04d}", f"pp{len(docs) + 1:04d}"
        docs.append({"id": ida, "host": ha["id"], "text": ta})
        docs.append({"id": idb, "host": hb["id"], "text": tb})
        entry = {"a": ida, "b": idb, "kind": kind, "passages": spans}
        (positives if kind == "positive" else negatives).append(entry)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "corpus.jsonl", "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    truth = {"seed": args.seed, "documents": len(docs), "positives": positives,
             "negatives": negatives}
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(f"{len(docs)} documents, {len(positives)} positive pairs, {len(negatives)} negative "
          f"pairs ({args.decoys} with decoys); {len(para)} paraphrase pairs left unused",
          file=sys.stderr)


def evaluate(truth, pairs):
    pos = {(p["a"], p["b"]): p for p in truth["positives"]}
    found = {}
    for p in pairs:
        key = (p["a"], p["b"]) if (p["a"], p["b"]) in pos else (p["b"], p["a"])
        found[key] = p
    tp = sum(1 for k in found if k in pos)
    fp = len(found) - tp
    prec = tp / len(found) if found else 0.0
    rec = tp / len(pos) if pos else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    by_k = {}
    for key, p in pos.items():
        k = len(p["passages"])
        hit, n = by_k.get(k, (0, 0))
        by_k[k] = (hit + (key in found), n + 1)
    decoy_fp = sum(1 for n in truth["negatives"] if n["kind"] == "decoy"
                   and ((n["a"], n["b"]) in found or (n["b"], n["a"]) in found))
    cases, dets = {}, {}
    for key, p in pos.items():
        cases[key] = [(tuple(s["a"]), tuple(s["b"])) for s in p["passages"]]
        if key in found:
            f = found[key]
            flip = f["a"] != key[0]
            dets[key] = [((q["b"][0], q["b"][1]), (q["a"][0], q["a"][1])) if flip
                         else ((q["a"][0], q["a"][1]), (q["b"][0], q["b"][1]))
                         for q in f["passages"]]
    pan = pan_measures(cases, dets)
    return {
        "pairs": {"true": len(pos), "reported": len(found), "tp": tp, "fp": fp,
                  "decoy_fp": decoy_fp, "precision": prec, "recall": rec, "f1": f1},
        "recall_by_passages": {str(k): v[0] / v[1] for k, v in sorted(by_k.items())},
        "passages": pan,
    }


def eval_cmd(args):
    truth = json.loads(Path(args.truth).read_text())
    pairs = [json.loads(line) for line in (Path(args.out) / "pairs.jsonl").read_text().splitlines()]
    res = evaluate(truth, pairs)
    if args.json:
        print(json.dumps(res, indent=1))
        return
    p, pan = res["pairs"], res["passages"]
    print(f"pairs: {p['true']} true, {p['reported']} reported, precision {p['precision']:.3f} "
          f"recall {p['recall']:.3f} F1 {p['f1']:.3f} ({p['fp']} false, {p['decoy_fp']} decoy pairs)")
    print("recall by passages: " + ", ".join(f"{k}: {v:.3f}" for k, v in
                                            res["recall_by_passages"].items()))
    print(f"passages: precision {pan['precision']:.3f} recall {pan['recall']:.3f} granularity "
          f"{pan['granularity']:.3f} plagdet {pan['plagdet']:.3f} ({pan['cases']} cases, "
          f"{pan['detections']} detections)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--per-k", type=int, default=25, help="positive pairs per passage count 2..5")
    g.add_argument("--decoys", type=int, default=60)
    g.add_argument("--empties", type=int, default=120)
    g.add_argument("--single", type=float, default=0.6, help="share of one-sentence passages")
    g.add_argument("--reuters", type=int, default=1500, help="Reuters hosts in the pool")
    g.add_argument("--binary", default=str(HERE.parent / "target" / "release" / "overlap"))
    e = sub.add_parser("eval")
    e.add_argument("--truth", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    (gen if args.cmd == "gen" else eval_cmd)(args)


if __name__ == "__main__":
    main()
