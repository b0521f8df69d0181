#!/usr/bin/env python3
"""Graded reuse on the Clough & Stevenson corpus: overlap align vs plain word 3-gram containment.

    python3 bench/eval_clough.py [--json] [--in-corpus] [--binary target/release/overlap] [--data ../shared/data]

Data: <repo>/../shared/data/clough-reuse.jsonl.gz, 95 records {id1 (Wikipedia source), id2 (answer),
text1, text2, label in cut / light / heavy / non}; the 5 sources are shared by 19 answers each.

For every record, overlap's pair score comes from
    overlap align SOURCE.txt ANSWER.txt --json
(the two texts alone, in temporary files; a = source, b = answer), or with --in-corpus from
    overlap align --corpus TMP.jsonl ID1 ID2 --json
where TMP.jsonl holds the 5 sources and 95 answers as {id, text}: the pair aligned as `reuse` over
those 100 documents would align it (corpus rarity weights, boilerplate masked). Text that many answers
copied from one source is frequent in that corpus, so in-corpus scores are lower (AUC 0.9672 against
0.9818 alone at b9fbacc). Reported:
  * per class: mean and median score, coverage_b (answer characters inside aligned passages),
    coverage_a, share of records called related, and whether the means order cut > light > heavy > non;
  * ROC AUC of the score (and of coverage_b) for separating reuse (cut, light, heavy) from non, and
    per class against non;
  * the same AUC for the baseline: word 3-gram containment |3g(answer) & 3g(source)| / |3g(answer)|
    over sets of 3-grams of lowercased \\w+ words (the project's issue quotes about 0.964);
  * PAN character precision, recall, granularity and plagdet (reuse_metrics.pan_measures) of overlap's
    passages on the `cut` answers (and, for information, on `light` and `heavy`).

Truth passages for the PAN measures (derived, since the corpus has no passage annotation): the
maximal common word sequences of at least 8 words between answer and source. Words are runs of
[a-z0-9] in the lowercased texts (so the corpus' mojibake, e.g. "â\\x80\\x9c" for a quote, separates
words instead of forming them). Every maximal run (not extendable left or right) of >= 8 equal words is
a candidate; candidates are taken longest first, each trimmed to the answer words not already covered
by a taken one and kept if >= 8 words remain (so each answer word is in at most one case, while one
source stretch copied twice gives two cases). A case's spans run from the first character of its first
word to the last character of its last word in each text (code-point offsets). Consequence: a copied
sentence with one changed word gives two cases; a detection spanning both still has granularity 1 and
loses only the changed word's characters in precision.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from reuse_metrics import clean_json, fmt, pan_measures, roc_auc, table  # noqa: E402

LABELS = ["cut", "light", "heavy", "non"]
MIN_RUN = 8


def load(data_dir: Path):
    path = data_dir / "clough-reuse.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ------------------------------------------------------------------------------- baseline

def words3(text):
    w = re.findall(r"\w+", text.lower())
    return set(zip(w, w[1:], w[2:]))


def containment3(answer, source):
    ga = words3(answer)
    if not ga:
        return 0.0
    return len(ga & words3(source)) / len(ga)


# ------------------------------------------------------------------------------- truth passages

def tokens(text):
    """[(word, start, end)] with words = runs of [a-z0-9] of the lowercased text."""
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"[a-z0-9]+", text.lower())]


def common_runs(answer, source, min_words=MIN_RUN):
    """Truth cases: list of ((src_start, src_end), (ans_start, ans_end)) character spans."""
    A = tokens(answer)
    S = tokens(source)
    aw = [t[0] for t in A]
    sw = [t[0] for t in S]
    pos = defaultdict(list)
    for j, w in enumerate(sw):
        pos[w].append(j)
    cands = []
    for i, w in enumerate(aw):
        for j in pos.get(w, ()):
            if i > 0 and j > 0 and aw[i - 1] == sw[j - 1]:
                continue  # not the start of a maximal run
            k = 0
            while i + k < len(aw) and j + k < len(sw) and aw[i + k] == sw[j + k]:
                k += 1
            if k >= min_words:
                cands.append((k, i, j))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    covered = [False] * len(aw)
    runs = []
    for k, i, j in cands:
        x = i
        while x < i + k:
            if covered[x]:
                x += 1
                continue
            y = x
            while y < i + k and not covered[y]:
                y += 1
            if y - x >= min_words:
                for z in range(x, y):
                    covered[z] = True
                off = x - i
                runs.append((x, j + off, y - x))
            x = y
    out = []
    for i, j, k in sorted(runs):
        out.append(((S[j][1], S[j + k - 1][2]), (A[i][1], A[i + k - 1][2])))
    return out


# ------------------------------------------------------------------------------- overlap

# Extra arguments of every `overlap align` call (--align-args, e.g. "--semantic").
ALIGN_ARGS: list[str] = []
# With --in-corpus, each pair is aligned as `reuse` would align it inside the 100-document corpus
# (`align --corpus`: corpus rarity weights, boilerplate masked); by default as two documents alone
# (`align A B`, what the integration test `align_clough` measures).
IN_CORPUS = False


def run_align(binary, corpus, a, b):
    if IN_CORPUS:
        pair = ["--corpus", str(corpus), a, b]
    else:
        files = corpus.parent / "files"
        pair = [str(files / f"{a}.txt"), str(files / f"{b}.txt")]
    cmd = [str(binary), "align", *pair, "--json", *ALIGN_ARGS]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout).strip()[:300]}
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError as e:
        return {"error": f"bad JSON from overlap align: {e}"}


def has_align(binary):
    if not Path(binary).exists():
        return False, f"no binary at {binary}"
    p = subprocess.run([str(binary), "--help"], capture_output=True, text=True)
    if not re.search(r"^\s+align\b", p.stdout, re.M):
        return False, "the binary has no `align` command yet"
    return True, ""


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, None
    return statistics.mean(vals), statistics.median(vals)


def evaluate(records, binary, threads=2, use_overlap=True):
    res = {"records": len(records), "counts": {l: sum(1 for r in records if r["label"] == l) for l in LABELS}}
    # baseline
    base = [containment3(r["text2"], r["text1"]) for r in records]
    by = defaultdict(list)
    for r, v in zip(records, base):
        by[r["label"]].append(v)
    pos = by["cut"] + by["light"] + by["heavy"]
    res["baseline"] = {
        "name": "word 3-gram containment of the answer in the source",
        "auc_reuse_vs_non": roc_auc(pos, by["non"]),
        "auc_vs_non": {l: roc_auc(by[l], by["non"]) for l in ("cut", "light", "heavy")},
        "per_class": {l: dict(zip(("mean", "median"), stats(by[l]))) for l in LABELS},
    }
    res["baseline"]["order_holds"] = ordered([res["baseline"]["per_class"][l]["mean"] for l in LABELS])
    if not use_overlap:
        return res
    ok, why = has_align(binary)
    if not ok:
        res["overlap"] = {"available": False, "reason": why}
        return res
    with tempfile.TemporaryDirectory(prefix="clough-") as td:
        corpus = Path(td) / "clough.jsonl"
        files = Path(td) / "files"
        files.mkdir()
        seen = {}
        with open(corpus, "w", encoding="utf-8") as f:
            for r in records:
                for i, t in ((r["id1"], r["text1"]), (r["id2"], r["text2"])):
                    if i in seen:
                        if seen[i] != t:
                            raise SystemExit(f"id {i} has two different texts")
                        continue
                    seen[i] = t
                    (files / f"{i}.txt").write_text(t, encoding="utf-8")
                    f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
        with ThreadPoolExecutor(max_workers=threads) as ex:
            outs = list(ex.map(lambda r: run_align(binary, corpus, r["id1"], r["id2"]), records))
    errors = [o["error"] for o in outs if "error" in o]
    if len(errors) == len(outs):
        res["overlap"] = {"available": False, "reason": errors[0]}
        return res
    ov = {"available": True, "errors": len(errors), "error_examples": errors[:3]}
    fields = ("score", "coverage_b", "coverage_a")
    vals = {f: defaultdict(list) for f in fields}
    related = defaultdict(list)
    for r, o in zip(records, outs):
        if "error" in o:
            continue
        for f in fields:
            vals[f][r["label"]].append(float(o.get(f) or 0.0))
        related[r["label"]].append(bool(o.get("related")))
    ov["per_class"] = {
        l: {
            "score_mean": stats(vals["score"][l])[0], "score_median": stats(vals["score"][l])[1],
            "coverage_b_mean": stats(vals["coverage_b"][l])[0], "coverage_b_median": stats(vals["coverage_b"][l])[1],
            "coverage_a_mean": stats(vals["coverage_a"][l])[0],
            "related": (sum(related[l]) / len(related[l])) if related[l] else None,
        } for l in LABELS}
    ov["order_holds_score_mean"] = ordered([ov["per_class"][l]["score_mean"] for l in LABELS])
    ov["order_holds_score_median"] = ordered([ov["per_class"][l]["score_median"] for l in LABELS])
    ov["order_holds_coverage_b_mean"] = ordered([ov["per_class"][l]["coverage_b_mean"] for l in LABELS])
    for f in ("score", "coverage_b"):
        p = vals[f]["cut"] + vals[f]["light"] + vals[f]["heavy"]
        ov[f"auc_{f}_reuse_vs_non"] = roc_auc(p, vals[f]["non"])
        ov[f"auc_{f}_vs_non"] = {l: roc_auc(vals[f][l], vals[f]["non"]) for l in ("cut", "light", "heavy")}
    related_all = [x for l in ("cut", "light", "heavy") for x in related[l]]
    ov["related_accuracy"] = (sum(related_all) + sum(1 for x in related["non"] if not x)) / \
        max(1, len(related_all) + len(related["non"]))
    # PAN on cut (and light/heavy for information)
    pan = {}
    for lab in ("cut", "light", "heavy"):
        cases, dets = {}, {}
        unrelated = 0
        for r, o in zip(records, outs):
            if r["label"] != lab or "error" in o:
                continue
            key = (r["id1"], r["id2"])
            cases[key] = common_runs(r["text2"], r["text1"])
            if o.get("related"):
                dets[key] = [((int(p["a"][0]), int(p["a"][1])), (int(p["b"][0]), int(p["b"][1])))
                             for p in o.get("passages") or []]
            else:
                unrelated += 1
        m = pan_measures(cases, dets)
        m["answers"] = len(cases)
        m["answers_without_case"] = sum(1 for v in cases.values() if not v)
        m["answers_not_related"] = unrelated
        pan[lab] = m
    ov["pan"] = pan
    res["overlap"] = ov
    return res


def ordered(means):
    return all(a is not None and b is not None and a > b for a, b in zip(means, means[1:]))


def report(res):
    out = [f"Clough & Stevenson: {res['records']} answers ("
           + ", ".join(f"{l} {res['counts'][l]}" for l in LABELS) + ")"]
    b = res["baseline"]
    out.append(f"BASELINE {b['name']}: ROC AUC reuse vs non {fmt(b['auc_reuse_vs_non'], 4)} "
               f"(cut {fmt(b['auc_vs_non']['cut'])}, light {fmt(b['auc_vs_non']['light'])}, "
               f"heavy {fmt(b['auc_vs_non']['heavy'])}); means ordered cut > light > heavy > non: {b['order_holds']}")
    out.append(table([[l, b["per_class"][l]["mean"], b["per_class"][l]["median"]] for l in LABELS],
                     ["class", "mean", "median"]))
    ov = res.get("overlap")
    if not ov or not ov.get("available"):
        out.append(f"OVERLAP: not evaluated ({(ov or {}).get('reason', 'disabled')})")
        return "\n".join(out)
    out.append(f"OVERLAP align: ROC AUC of score reuse vs non {fmt(ov['auc_score_reuse_vs_non'], 4)} "
               f"(cut {fmt(ov['auc_score_vs_non']['cut'])}, light {fmt(ov['auc_score_vs_non']['light'])}, "
               f"heavy {fmt(ov['auc_score_vs_non']['heavy'])}); of coverage_b {fmt(ov['auc_coverage_b_reuse_vs_non'], 4)}; "
               f"related accuracy {fmt(ov['related_accuracy'])}; errors {ov['errors']}")
    out.append(f"  order cut > light > heavy > non: score means {ov['order_holds_score_mean']}, "
               f"score medians {ov['order_holds_score_median']}, coverage_b means {ov['order_holds_coverage_b_mean']}")
    rows = [[l, v["score_mean"], v["score_median"], v["coverage_b_mean"], v["coverage_b_median"], v["coverage_a_mean"],
             v["related"]] for l, v in ov["per_class"].items()]
    out.append(table(rows, ["class", "score mean", "median", "cov_b mean", "median", "cov_a mean", "related"]))
    out.append(f"  PAN on answers vs derived truth (maximal common runs >= {MIN_RUN} words):")
    rows = [[l, m["precision"], m["recall"], m["granularity"], m["plagdet"], m["cases"], m["detections"],
             m["answers_not_related"]] for l, m in ov["pan"].items()]
    out.append(table(rows, ["class", "precision", "recall", "granularity", "plagdet", "cases", "dets", "not related"]))
    for e in ov.get("error_examples", []):
        out.append("  error: " + e)
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--binary", default=str(REPO / "target" / "release" / "overlap"))
    ap.add_argument("--baseline-only", action="store_true", help="skip overlap")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    ap.add_argument("--in-corpus", action="store_true",
                    help="align each pair inside the corpus (align --corpus, as reuse does) instead of alone")
    ap.add_argument("--align-args", default="", help='extra arguments of overlap align, e.g. "--semantic"')
    args = ap.parse_args(argv)
    ALIGN_ARGS.extend(args.align_args.split())
    global IN_CORPUS
    IN_CORPUS = args.in_corpus
    res = evaluate(load(Path(args.data)), args.binary, args.threads, not args.baseline_only)
    print(json.dumps(clean_json(res), indent=1) if args.json else report(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
