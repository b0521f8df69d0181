#!/usr/bin/env python3
"""Score overlap's reuse output (or its pairwise aligner) against a reprint_gen.py truth file.

    # the corpus command: overlap reuse CORPUS --out DIR, then
    python3 bench/eval_reuse.py --truth bench/out/reprint-s1/truth.json --out DIR [--json]
    # the aligner alone, on every true pair plus sampled hard negatives (no reuse output needed):
    python3 bench/eval_reuse.py --truth bench/out/reprint-s1/truth.json --align [--json]

Inputs (reuse mode, files in DIR):
  pairs.jsonl    {"a", "b", "score", "coverage_a", "coverage_b", "passages": [{"a": [s, e], "b": [s, e],
                 "score", "kind"}]}; offsets are code-point offsets into the original texts
  stories.jsonl  {"id", "story"} per document (an optional "origin" field, the id of the document the
                 engine believes first published the story, is scored when present)
  boilerplate.jsonl  optional; per-document spans are scored when lines carry "spans": {id: [[s, e], ...]}
                 (overlap reuse), or look like {"id", "spans"} / {"id", "start", "end"}, or carry
                 "occurrences"/"docs" lists with ids and spans

Measures
  pairs      precision / recall / F1 of predicted pairs against the true pairs (truth "pairs"); the
             truth's "weak" pairs (< 15 shared words) and "incidental" pairs (different stories that
             happen to share a 12-word run) are ignored either way. Recall per difficulty
             class (verbatim, light, heavy, partial: see reprint_gen.py). Every other predicted pair is
             a false positive, broken down by what the two documents have in common: same story but no
             shared text, same source (share only boilerplate), same topic group (shared vocabulary), or
             nothing. Average precision and best F1 over the predicted scores.
  stories    adjusted Rand index of the predicted story labels against the true stories (documents
             missing from stories.jsonl count as singletons).
  passages   PAN text-alignment measures (Potthast et al. 2010; see reuse_metrics.py): character
             precision, recall, granularity and plagdet = F1 / log2(1 + granularity). Cases: the true
             passages of the true pairs. Detections: the passages of predicted pairs that are true pairs
             ("on true pairs": passage quality given the pair) and of all predicted pairs except weak
             ones ("all pairs": false pairs' passages have precision 0). Also character recall per true
             passage kind / word-similarity band / pair class, and kind agreement.
  boilerplate  share of the truth's boilerplate characters covered by predicted passages (ideally 0)
             and share of predicted passage characters that are boilerplate, per source.
  origin     with "origin" in stories.jsonl: share of documents of multi-document stories whose
             predicted origin is the true one.
  offsets    predicted spans outside the text; predicted "verbatim" passages whose two texts differ
             after normalisation (a sign of byte or UTF-16 offsets).

In --align mode the pairs are the truth's true and weak pairs plus a deterministic sample of negatives
(same source, same topic group, same story without text, random), each run through
`overlap align A.txt B.txt --json` (documents written once to temporary files; --align-via corpus
uses `overlap align --corpus CORPUS A B --json`); precision is then only relative to that sample, so the
report gives the false positive rate per negative type and ROC AUC of the align score instead.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import random
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from reuse_metrics import (adjusted_rand_index, average_precision, best_f1, char_recall_by_group,  # noqa: E402
                           merge_intervals, pair_key, pan_measures, roc_auc, table, total_length, intersect,
                           fmt, clean_json)

CLASSES = ["verbatim", "light", "heavy", "partial"]


def read_jsonl(path):
    op = gzip.open if str(path).endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise SystemExit(f"{path}:{n}: {e}")


def find_corpus(truth_path: Path, given):
    if given:
        return Path(given)
    for name in ("corpus.jsonl", "corpus.jsonl.gz"):
        p = truth_path.parent / name
        if p.exists():
            return p
    return None


def norm_text(t):
    t = unicodedata.normalize("NFKC", t).casefold()
    t = t.replace("’", "'").replace("‘", "'")
    return " ".join(re.findall(r"\w+", t))


class Truth:
    def __init__(self, path):
        self.raw = json.loads(Path(path).read_text(encoding="utf-8"))
        self.docs = self.raw["documents"]
        self.pairs = {}
        for r in self.raw["pairs"]:
            self.pairs[pair_key(r["a"], r["b"])] = r
        # ignored either way: weak pairs (< 15 shared words) and incidental overlaps between stories
        self.weak = {pair_key(r["a"], r["b"]) for r in self.raw.get("weak_pairs", []) + self.raw.get("incidental_pairs", [])}
        self.no_text = {pair_key(a, b) for a, b in self.raw.get("same_story_no_text", [])}
        self.topic_of = {}
        for gi, labels in enumerate(self.raw.get("topic_groups", [])):
            for lab in labels:
                self.topic_of[lab] = gi
        # cases oriented as in the truth pair (a, b)
        self.cases = {}
        self.case_info = {}
        for key, r in self.pairs.items():
            self.cases[key] = [(tuple(p["a"]), tuple(p["b"])) for p in r["passages"]]
            self.case_info[key] = [(p["kind"], p["sim"], r["class"]) for p in r["passages"]]

    def negative_type(self, a, b):
        da, db = self.docs.get(a), self.docs.get(b)
        if da is None or db is None:
            return "unknown id"
        if da["story"] == db["story"]:
            return "same story, no shared text"
        if da["source"] == db["source"]:
            return "same source (boilerplate only)"
        ta, tb = self.topic_of.get(da["story"]), self.topic_of.get(db["story"])
        if ta is not None and ta == tb:
            return "same topic group"
        return "unrelated"


def orient(truth_pair, a, b, passages):
    """Detections of predicted pair (a, b) in the orientation of the truth pair."""
    out = []
    swap = truth_pair is not None and truth_pair["a"] == b
    for p in passages or []:
        try:
            pa, pb = (int(p["a"][0]), int(p["a"][1])), (int(p["b"][0]), int(p["b"][1]))
        except (KeyError, TypeError, IndexError, ValueError):
            continue
        if swap:
            pa, pb = pb, pa
        out.append((pa, pb, p.get("kind")))
    return out


# ------------------------------------------------------------------------------------------- scoring

def score_pairs(truth, preds, restrict_negatives=None):
    """preds: dict key -> {"a", "b", "score", "passages"} (already filtered to predicted-related)."""
    res = {}
    true_keys = set(truth.pairs)
    pred_keys = {k for k in preds if k not in truth.weak}
    tp = pred_keys & true_keys
    fp = pred_keys - true_keys
    res["true_pairs"] = len(true_keys)
    res["predicted_pairs"] = len(pred_keys)
    res["ignored_weak_predictions"] = len([k for k in preds if k in truth.weak])
    res["tp"] = len(tp)
    res["fp"] = len(fp)
    res["precision"] = len(tp) / len(pred_keys) if pred_keys else 0.0
    res["recall"] = len(tp) / len(true_keys) if true_keys else 0.0
    p, r = res["precision"], res["recall"]
    res["f1"] = 2 * p * r / (p + r) if p + r else 0.0
    per = {}
    for c in CLASSES:
        keys = [k for k, v in truth.pairs.items() if v["class"] == c]
        hit = [k for k in keys if k in pred_keys]
        per[c] = {"n": len(keys), "found": len(hit), "recall": len(hit) / len(keys) if keys else float("nan"),
                  "mean_score_found": (sum(float(preds[k].get("score") or 0) for k in hit) / len(hit)) if hit else None}
    res["per_class"] = per
    fpt = Counter(truth.negative_type(*k) for k in fp)
    res["false_positives_by_type"] = dict(fpt)
    # ranking quality over predicted scores
    ranked = sorted(pred_keys, key=lambda k: -float(preds[k].get("score") or 0))
    hits = [k in true_keys for k in ranked]
    scores = [float(preds[k].get("score") or 0) for k in ranked]
    res["average_precision"] = average_precision(hits, len(true_keys))
    f, thr, bp, br = best_f1(hits, len(true_keys), scores)
    res["best_f1"] = {"f1": f, "threshold": thr, "precision": bp, "recall": br}
    return res


def score_passages(truth, preds):
    """PAN measures and breakdowns. preds: key -> prediction record (related pairs only)."""
    det_true = {}
    det_all = {}
    kinds = {}
    for key, rec in preds.items():
        if key in truth.weak:
            continue
        tp = truth.pairs.get(key)
        ds = orient(tp, rec["a"], rec["b"], rec.get("passages"))
        det_all[key] = [(a, b) for a, b, _ in ds]
        if tp is not None:
            det_true[key] = [(a, b) for a, b, _ in ds]
            kinds[key] = ds
    out = {
        "on_true_pairs": pan_measures(truth.cases, det_true),
        "all_pairs": pan_measures(truth.cases, det_all),
    }

    def by_kind(key, i):
        kind, sim, cls = truth.case_info[key][i]
        if kind == "verbatim":
            return "verbatim"
        return "reworded sim>=0.8" if sim >= 0.8 else ("reworded 0.5-0.8" if sim >= 0.5 else "reworded sim<0.5")
    out["char_recall_by_passage"] = {g: {"recall": v, "chars": n}
                                     for g, (v, n) in sorted(char_recall_by_group(truth.cases, det_true, by_kind).items())}
    out["char_recall_by_pair_class"] = {
        g: {"recall": v, "chars": n}
        for g, (v, n) in sorted(char_recall_by_group(truth.cases, det_true,
                                                     lambda k, i: truth.case_info[k][i][2]).items())}
    # kind agreement: characters of true passages covered by a detection of the same kind
    agree = Counter()
    covered = Counter()
    for key, ds in kinds.items():
        for i, s in enumerate(truth.cases[key]):
            tk = truth.case_info[key][i][0]
            for a, b, k in ds:
                ia, ib = intersect(s[0], a), intersect(s[1], b)
                if ia and ib:
                    n = (ia[1] - ia[0]) + (ib[1] - ib[0])
                    covered[tk] += n
                    if k == tk:
                        agree[tk] += n
    out["kind_agreement"] = {k: (agree[k] / covered[k] if covered[k] else float("nan")) for k in ("verbatim", "reworded")}
    return out


def score_boilerplate(truth, preds, docs_scope=None):
    spans = defaultdict(list)
    for key, rec in preds.items():
        for p in rec.get("passages") or []:
            try:
                spans[rec["a"]].append((int(p["a"][0]), int(p["a"][1])))
                spans[rec["b"]].append((int(p["b"][0]), int(p["b"][1])))
            except (KeyError, TypeError, IndexError, ValueError):
                pass
    per_src = defaultdict(lambda: [0, 0, 0, 0])  # boiler chars, boiler covered, passage chars, passage on boiler
    scope = docs_scope if docs_scope is not None else set(truth.docs)
    for did in scope:
        info = truth.docs.get(did)
        if info is None:
            continue
        bp = [tuple(x) for x in info["boilerplate"]]
        ps = merge_intervals(spans.get(did, []))
        src = info["source"]
        per_src[src][0] += total_length(bp)
        per_src[src][2] += total_length(ps)
        cov = sum(total_length([x for x in (intersect(b, p) for p in ps) if x]) for b in bp)
        per_src[src][1] += cov
        per_src[src][3] += cov
    tot = [sum(v[i] for v in per_src.values()) for i in range(4)]
    return {
        "boilerplate_chars": tot[0],
        "boilerplate_covered": tot[1] / tot[0] if tot[0] else 0.0,
        "passage_chars_on_boilerplate": tot[3] / tot[2] if tot[2] else 0.0,
        "per_source": {s: {"boilerplate_covered": v[1] / v[0] if v[0] else 0.0,
                           "passage_chars_on_boilerplate": v[3] / v[2] if v[2] else 0.0}
                       for s, v in sorted(per_src.items())},
    }


def score_offsets(truth, preds, texts):
    bad_range = 0
    n = 0
    verb = 0
    verb_diff = 0
    misplaced = 0
    examples = []
    for key, rec in preds.items():
        la = truth.docs.get(rec["a"], {}).get("length")
        lb = truth.docs.get(rec["b"], {}).get("length")
        for p in rec.get("passages") or []:
            n += 1
            try:
                (a0, a1), (b0, b1) = p["a"], p["b"]
            except (KeyError, TypeError, ValueError):
                bad_range += 1
                continue
            if la is None or lb is None or not (0 <= a0 < a1 <= la and 0 <= b0 < b1 <= lb):
                bad_range += 1
                continue
            if texts and p.get("kind") == "verbatim":
                verb += 1
                ta = norm_text(texts[rec["a"]][a0:a1])
                tb = norm_text(texts[rec["b"]][b0:b1])
                if ta != tb:
                    verb_diff += 1
                    wa, wb = ta.split(), tb.split()
                    sim = difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()
                    ops = [(op, " ".join(wa[i1:i2]), " ".join(wb[j1:j2]))
                           for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes()
                           if op != "equal"]
                    if sim < 0.5:
                        misplaced += 1
                    if len(examples) < 4:
                        examples.append({"a": rec["a"], "b": rec["b"], "a_span": [a0, a1], "b_span": [b0, b1],
                                         "word_similarity": round(sim, 3), "differences": ops[:4]})
    return {"passages": n, "out_of_range": bad_range, "verbatim_checked": verb,
            "verbatim_texts_differ": verb_diff, "verbatim_dissimilar": misplaced, "examples": examples}


def score_stories(truth, path):
    pred = {}
    origin = {}
    for r in read_jsonl(path):
        if "id" in r:
            pred[str(r["id"])] = r.get("story", r.get("cluster"))
            if r.get("origin") is not None:
                origin[str(r["id"])] = str(r["origin"])
    ids = sorted(truth.docs)
    lt = [truth.docs[i]["story"] for i in ids]
    lp = [("__pred__", pred[i]) if i in pred and pred[i] is not None else ("__single__", i) for i in ids]
    res = {"ari": adjusted_rand_index(lt, lp), "documents": len(ids), "labelled": sum(1 for i in ids if i in pred),
           "true_stories": len(set(lt)), "predicted_stories": len(set(lp)),
           "largest_predicted": max(Counter(lp).values()) if lp else 0}
    multi = [i for i in ids if len(truth.raw["stories"][truth.docs[i]["story"]]["docs"]) > 1]
    res["ari_multi_doc_stories"] = adjusted_rand_index([truth.docs[i]["story"] for i in multi],
                                                       [lp[ids.index(i)] for i in multi]) if multi else float("nan")
    if origin:
        ok = sum(1 for i in multi if origin.get(i) == truth.raw["stories"][truth.docs[i]["story"]]["origin"])
        res["origin_accuracy"] = ok / len(multi) if multi else float("nan")
        stories_ok = 0
        stories_n = 0
        for lab, st in truth.raw["stories"].items():
            if len(st["docs"]) > 1:
                stories_n += 1
                stories_ok += origin.get(st["origin"]) == st["origin"]
        res["origin_self_identified"] = stories_ok / stories_n if stories_n else float("nan")
    return res


def parse_boilerplate(truth, path):
    """Best effort: per-document predicted boilerplate spans from boilerplate.jsonl."""
    spans = defaultdict(list)
    shapes = set()
    for r in read_jsonl(path):
        shapes.add(tuple(sorted(r.keys())))
        if isinstance(r.get("spans"), dict):  # overlap reuse: {"text", "documents", "spans": {id: [[s, e], ...]}}
            for did, sp in r["spans"].items():
                spans[str(did)] += [tuple(x[:2]) for x in sp]
        elif "id" in r and "spans" in r:
            spans[str(r["id"])] += [tuple(x[:2]) for x in r["spans"]]
        elif "id" in r and "start" in r and "end" in r:
            spans[str(r["id"])].append((r["start"], r["end"]))
        else:
            for field in ("occurrences", "docs", "documents", "instances"):
                for o in r.get(field) or []:
                    if isinstance(o, dict) and "id" in o:
                        sp = o.get("span") or o.get("spans") or ([o["start"], o["end"]] if "start" in o else None)
                        if sp and isinstance(sp[0], list):
                            spans[str(o["id"])] += [tuple(x[:2]) for x in sp]
                        elif sp:
                            spans[str(o["id"])].append(tuple(sp[:2]))
    if not spans:
        return {"parsed": False, "shapes": [list(s) for s in sorted(shapes)][:3]}
    tb = tp = pb = 0
    per = defaultdict(lambda: [0, 0, 0])
    for did, info in truth.docs.items():
        bt = [tuple(x) for x in info["boilerplate"]]
        bp = merge_intervals(spans.get(did, []))
        hit = sum(total_length([x for x in (intersect(b, p) for p in bp) if x]) for b in bt)
        tb += total_length(bt)
        pb += total_length(bp)
        tp += hit
        v = per[info["source"]]
        v[0] += total_length(bt)
        v[1] += total_length(bp)
        v[2] += hit
    return {"parsed": True, "char_recall": tp / tb if tb else float("nan"),
            "char_precision": tp / pb if pb else float("nan"), "documents_with_spans": len(spans),
            "per_source": {s: {"char_recall": v[2] / v[0] if v[0] else float("nan"),
                               "char_precision": v[2] / v[1] if v[1] else float("nan")} for s, v in sorted(per.items())}}


# ------------------------------------------------------------------------------------------- align mode

def default_binary():
    return REPO / "target" / "release" / "overlap"


def run_align(binary, corpus, a, b, files=None):
    """overlap align on two ids of the corpus, or (files given: id -> path) on two text files."""
    if files is not None:
        cmd = [str(binary), "align", str(files[a]), str(files[b]), "--json"]
    else:
        cmd = [str(binary), "align", "--corpus", str(corpus), a, b, "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout).strip()[:300]}
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError as e:
        return {"error": f"bad JSON: {e}"}


def sample_negatives(truth, per_type, seed=0):
    rng = random.Random(seed)
    ids = sorted(truth.docs)
    by_src = defaultdict(list)
    for i in ids:
        by_src[truth.docs[i]["source"]].append(i)
    related = set(truth.pairs) | truth.weak
    out = {}

    def add(a, b, _wanted):
        k = pair_key(a, b)
        if a != b and k not in related and k not in out:
            out[k] = truth.negative_type(a, b)  # the type the report uses, whatever way it was sampled
    for k in sorted(truth.no_text):
        add(*k, "same story, no shared text")
    tries = 0
    n0 = len(out)
    while len(out) - n0 < per_type and tries < per_type * 50:
        tries += 1
        src = rng.choice(sorted(by_src))
        a, b = rng.sample(by_src[src], 2)
        if truth.docs[a]["story"] != truth.docs[b]["story"]:
            add(a, b, "same source (boilerplate only)")
    groups = [g for g in truth.raw.get("topic_groups", []) if len(g) > 1]
    n0 = len(out)
    tries = 0
    while groups and len(out) - n0 < per_type and tries < per_type * 50:
        tries += 1
        g = rng.choice(groups)
        s1, s2 = rng.sample(g, 2)
        a = rng.choice(truth.raw["stories"][s1]["docs"])
        b = rng.choice(truth.raw["stories"][s2]["docs"])
        if truth.docs[a]["source"] != truth.docs[b]["source"]:
            add(a, b, "same topic group")
    n0 = len(out)
    tries = 0
    while len(out) - n0 < per_type // 2 and tries < per_type * 50:
        tries += 1
        a, b = rng.sample(ids, 2)
        if truth.docs[a]["story"] != truth.docs[b]["story"]:
            add(a, b, truth.negative_type(a, b))
    return out


def align_mode(truth, corpus, binary, per_type, threads, texts=None, via="files"):
    if not Path(binary).exists():
        raise SystemExit(f"no binary at {binary}; build with cargo build --release -p overlap-cli")
    negs = sample_negatives(truth, per_type)
    jobs = sorted(truth.pairs) + sorted(truth.weak) + sorted(negs)
    with tempfile.TemporaryDirectory(prefix="eval-reuse-") as td:
        files = None
        if via == "files" and texts is not None:
            # one text file per document, written once (byte-exact UTF-8, CRLF kept): much faster than
            # re-reading the corpus for every pair
            files = {}
            for i, did in enumerate(sorted({d for k in jobs for d in k})):
                path = Path(td) / f"{i:06d}.txt"
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(texts[did])
                files[did] = path
        with ThreadPoolExecutor(max_workers=threads) as ex:
            results = list(ex.map(lambda k: run_align(binary, corpus, k[0], k[1], files), jobs))
    errors = [(k, r["error"]) for k, r in zip(jobs, results) if "error" in r]
    if errors and len(errors) == len(jobs):
        raise SystemExit(f"overlap align failed: {errors[0][1]}")
    allres = {}
    for k, r in zip(jobs, results):
        if "error" in r:
            continue
        r = dict(r)
        r["a"], r["b"] = k
        allres[k] = r
    preds = {k: r for k, r in allres.items() if r.get("related")}
    res = {"mode": "align", "evaluated_pairs": len(jobs), "errors": len(errors),
           "error_examples": [f"{k[0]} {k[1]}: {e}" for k, e in errors[:3]]}
    # pair-level: recall per class; false positive rate per negative type; AUC
    per = {}
    for c in CLASSES:
        keys = [k for k, v in truth.pairs.items() if v["class"] == c]
        found = [k for k in keys if k in preds]
        sc = [float(allres[k].get("score") or 0) for k in keys if k in allres]
        per[c] = {"n": len(keys), "found": len(found), "recall": len(found) / len(keys) if keys else float("nan"),
                  "mean_score": sum(sc) / len(sc) if sc else None}
    res["per_class"] = per
    tp = sum(v["found"] for v in per.values())
    res["recall"] = tp / len(truth.pairs) if truth.pairs else 0.0
    negt = defaultdict(list)
    for k, t in negs.items():
        if k in allres:
            negt[t].append(k)
    res["negatives"] = {t: {"n": len(ks), "predicted_related": sum(1 for k in ks if k in preds),
                            "fp_rate": sum(1 for k in ks if k in preds) / len(ks) if ks else float("nan"),
                            "mean_score": sum(float(allres[k].get("score") or 0) for k in ks) / len(ks) if ks else None}
                        for t, ks in sorted(negt.items())}
    pos_scores = [float(allres[k].get("score") or 0) for k in truth.pairs if k in allres]
    neg_scores = [float(allres[k].get("score") or 0) for k in negs if k in allres]
    res["auc_score_true_vs_sampled_negatives"] = roc_auc(pos_scores, neg_scores)
    res["auc_by_negative_type"] = {t: roc_auc(pos_scores, [float(allres[k].get("score") or 0) for k in ks])
                                   for t, ks in sorted(negt.items())}
    # passage quality whatever the related decision: all returned passages of the true pairs
    anyrel = {k: r for k, r in allres.items() if k in truth.pairs}
    ign = score_passages(truth, anyrel)
    res["passages_ignoring_related"] = {"on_true_pairs": ign["on_true_pairs"],
                                        "char_recall_by_pair_class": ign["char_recall_by_pair_class"]}
    fp_total = sum(v["predicted_related"] for v in res["negatives"].values())
    res["precision_on_sample"] = tp / (tp + fp_total) if tp + fp_total else 0.0
    return res, preds, {d for k in jobs for d in k}


# ------------------------------------------------------------------------------------------- report

def report_text(res):
    out = []
    if "pairs" in res:
        p = res["pairs"]
        out.append("PAIRS (reuse output)")
        out.append(f"  predicted {p['predicted_pairs']}  true {p['true_pairs']}  TP {p['tp']}  FP {p['fp']}  "
                   f"(weak-pair predictions ignored: {p['ignored_weak_predictions']})")
        out.append(f"  precision {fmt(p['precision'])}  recall {fmt(p['recall'])}  F1 {fmt(p['f1'])}  "
                   f"AP {fmt(p['average_precision'])}  best F1 {fmt(p['best_f1']['f1'])} at score >= {fmt(p['best_f1']['threshold'])}")
        rows = [[c, v["n"], v["found"], v["recall"], v["mean_score_found"]] for c, v in p["per_class"].items()]
        out.append(table(rows, ["class", "true", "found", "recall", "mean score"]))
        if p["false_positives_by_type"]:
            out.append("  false positives: " + ", ".join(f"{k} {v}" for k, v in sorted(p["false_positives_by_type"].items())))
    if "align" in res:
        a = res["align"]
        out.append(f"PAIRS (overlap align on {a['evaluated_pairs']} pairs: all true + weak pairs and sampled negatives; "
                   f"errors {a['errors']})")
        out.append(f"  recall {fmt(a['recall'])}  precision on the sample {fmt(a['precision_on_sample'])}  "
                   f"ROC AUC of score (true vs sampled negatives) {fmt(a['auc_score_true_vs_sampled_negatives'])}")
        rows = [[c, v["n"], v["found"], v["recall"], v["mean_score"]] for c, v in a["per_class"].items()]
        out.append(table(rows, ["class", "true", "related", "recall", "mean score"]))
        rows = [[t, v["n"], v["predicted_related"], v["fp_rate"], v["mean_score"], a["auc_by_negative_type"].get(t)]
                for t, v in a["negatives"].items()]
        out.append(table(rows, ["negative type", "pairs", "related", "FP rate", "mean score", "AUC vs true"]))
        ig = a["passages_ignoring_related"]
        m = ig["on_true_pairs"]
        out.append(f"  passages of true pairs whatever `related` says: precision {fmt(m['precision'])}, recall "
                   f"{fmt(m['recall'])}, granularity {fmt(m['granularity'])}, plagdet {fmt(m['plagdet'])}; char recall "
                   + ", ".join(f"{c} {fmt(v['recall'])}" for c, v in ig["char_recall_by_pair_class"].items()))
        for e in a.get("error_examples", []):
            out.append("  error: " + e)
    if "stories" in res:
        s = res["stories"]
        out.append("STORIES")
        line = (f"  ARI {fmt(s['ari'])} (documents of multi-document stories only: {fmt(s['ari_multi_doc_stories'])}); "
                f"true stories {s['true_stories']}, predicted {s['predicted_stories']}, largest predicted {s['largest_predicted']}")
        out.append(line)
        if "origin_accuracy" in s:
            out.append(f"  origin accuracy {fmt(s['origin_accuracy'])}; origins that name themselves {fmt(s['origin_self_identified'])}")
        else:
            out.append("  origin: not in the output")
    if "passages" in res:
        ps = res["passages"]
        out.append("PASSAGES (PAN character measures)")
        rows = [[name, m["precision"], m["recall"], m["granularity"], m["f1"], m["plagdet"], m["cases"], m["detections"]]
                for name, m in (("on true pairs", ps["on_true_pairs"]), ("all pairs", ps["all_pairs"]))]
        out.append(table(rows, ["detections", "precision", "recall", "granularity", "F1", "plagdet", "cases", "dets"]))
        rows = [[g, v["recall"], v["chars"]] for g, v in ps["char_recall_by_passage"].items()]
        out.append(table(rows, ["true passage", "char recall", "chars"]))
        rows = [[g, v["recall"], v["chars"]] for g, v in ps["char_recall_by_pair_class"].items()]
        out.append(table(rows, ["pair class", "char recall", "chars"]))
        out.append("  kind agreement (covered true chars whose detection has the same kind): "
                   + ", ".join(f"{k} {fmt(v)}" for k, v in ps["kind_agreement"].items()))
    if "boilerplate" in res:
        b = res["boilerplate"]
        out.append("BOILERPLATE" + (f" ({b['scope']})" if b.get("scope") else ""))
        out.append(f"  boilerplate chars covered by predicted passages {fmt(b['boilerplate_covered'], 4)} "
                   f"(of {b['boilerplate_chars']}); predicted passage chars on boilerplate {fmt(b['passage_chars_on_boilerplate'], 4)}")
        rows = [[s, v["boilerplate_covered"], v["passage_chars_on_boilerplate"]] for s, v in b["per_source"].items()]
        out.append(table(rows, ["source", "covered", "of passage chars"]))
    if "boilerplate_output" in res:
        b = res["boilerplate_output"]
        if b.get("parsed"):
            out.append(f"BOILERPLATE DETECTED (boilerplate.jsonl spans vs truth boilerplate): char recall "
                       f"{fmt(b['char_recall'])}, precision {fmt(b['char_precision'])}")
            rows = [[s, v["char_recall"], v["char_precision"]] for s, v in b["per_source"].items()]
            out.append(table(rows, ["source", "recall", "precision"]))
        else:
            out.append(f"  boilerplate.jsonl: per-document spans not recognised (line keys {b.get('shapes')})")
    if "offsets" in res:
        o = res["offsets"]
        out.append(f"OFFSETS  passages {o['passages']}, spans out of range {o['out_of_range']}; of {o['verbatim_checked']} "
                   f"'verbatim' passages, {o['verbatim_texts_differ']} differ in their words (case, punctuation and "
                   f"spacing ignored) and {o['verbatim_dissimilar']} are dissimilar (word similarity < 0.5: misplaced offsets?)")
        for e in o["examples"]:
            out.append(f"  e.g. {e['a']}{e['a_span']} vs {e['b']}{e['b_span']} sim {e['word_similarity']}: "
                       + "; ".join(f"{op} {x!r}->{y!r}" for op, x, y in e["differences"]))
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--truth", required=True, help="truth.json written by reprint_gen.py")
    ap.add_argument("--out", help="overlap reuse output directory (pairs.jsonl, stories.jsonl, boilerplate.jsonl)")
    ap.add_argument("--corpus", help="the corpus (default: corpus.jsonl[.gz] next to truth.json)")
    ap.add_argument("--align", action="store_true", help="evaluate `overlap align` pair by pair instead of reuse output")
    ap.add_argument("--binary", default=str(default_binary()), help="overlap binary for --align")
    ap.add_argument("--negatives", type=int, default=300, help="--align: sampled negatives per type")
    ap.add_argument("--align-via", choices=["files", "corpus"], default="files",
                    help="--align: give align two temporary text files (default) or --corpus and two ids")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-score", type=float, default=None, help="only count predicted pairs with score >= this")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    args = ap.parse_args(argv)
    if not args.out and not args.align:
        ap.error("give --out DIR (reuse output) or --align")
    truth = Truth(args.truth)
    corpus = find_corpus(Path(args.truth), args.corpus)
    texts = {str(r["id"]): r["text"] for r in read_jsonl(corpus)} if corpus and corpus.exists() else None
    res = {"truth": str(args.truth)}
    if args.out:
        out = Path(args.out)
        preds = {}
        if not (out / "pairs.jsonl").exists():
            raise SystemExit(f"{out}/pairs.jsonl not found")
        for r in read_jsonl(out / "pairs.jsonl"):
            if r.get("related") is False:
                continue
            if args.min_score is not None and float(r.get("score") or 0) < args.min_score:
                continue
            a, b = str(r["a"]), str(r["b"])
            r["a"], r["b"] = a, b
            preds[pair_key(a, b)] = r
        res["pairs"] = score_pairs(truth, preds)
        if (out / "stories.jsonl").exists():
            res["stories"] = score_stories(truth, out / "stories.jsonl")
        res["passages"] = score_passages(truth, preds)
        res["boilerplate"] = score_boilerplate(truth, preds)
        if (out / "boilerplate.jsonl").exists():
            res["boilerplate_output"] = parse_boilerplate(truth, out / "boilerplate.jsonl")
        res["offsets"] = score_offsets(truth, preds, texts)
    if args.align:
        if corpus is None:
            raise SystemExit("--align needs the corpus (--corpus)")
        a_res, a_preds, scope = align_mode(truth, corpus, args.binary, args.negatives, args.threads, texts,
                                           args.align_via)
        res["align"] = a_res
        if not args.out:
            res["passages"] = score_passages(truth, a_preds)
            # boilerplate inside true pairs (the sampled same-source negatives share boilerplate by design
            # and are scored by their false positive rate above)
            on_true = {k: v for k, v in a_preds.items() if k in truth.pairs}
            res["boilerplate"] = score_boilerplate(truth, on_true, {d for k in truth.pairs for d in k})
            res["boilerplate"]["scope"] = "related true pairs"
            res["offsets"] = score_offsets(truth, a_preds, texts)
    if args.json:
        print(json.dumps(clean_json(res), indent=1))
    else:
        print(report_text(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
