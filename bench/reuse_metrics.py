"""Metric implementations shared by the reuse evaluations (stdlib only).

* PAN text-alignment measures (Potthast, Stein, Barron-Cedeno, Rosso: "An Evaluation Framework for
  Plagiarism Detection", COLING 2010; as used in the PAN text-alignment task):

  A *case* s (a true passage) and a *detection* r (a predicted passage) are both sets of characters of
  one document pair: the characters [a0, a1) of document A plus the characters [b0, b1) of document B.
  r *detects* s when they belong to the same document pair and overlap on both sides (PAN 2013 rule).
  With s |~| r = s & r if r detects s, else the empty set:

      prec(S, R) = 1/|R| * sum_{r in R} | U_{s in S} (s |~| r) | / |r|
      rec(S, R)  = 1/|S| * sum_{s in S} | U_{r in R} (s |~| r) | / |s|
      gran(S, R) = 1/|S_R| * sum_{s in S_R} |R_s|     (S_R: detected cases; R_s: detections of s)
      plagdet    = F1(prec, rec) / log2(1 + gran)

  prec is 0 for |R| = 0 (nothing predicted), rec is 0 for |S| = 0, gran is 1 when nothing is detected.

* Adjusted Rand index (Hubert & Arabie 1985) of two labelings of the same items.
* ROC AUC as the Mann-Whitney probability P(score(pos) > score(neg)) with ties counted 1/2.
* Average precision of a ranked list of predicted pairs against a set of true pairs.
"""

from __future__ import annotations

import math
from collections import Counter


# --------------------------------------------------------------------------- intervals

def merge_intervals(iv):
    """Union of half-open intervals, as a sorted list of disjoint (start, end)."""
    out = []
    for s, e in sorted((int(s), int(e)) for s, e in iv if e > s):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def total_length(iv):
    return sum(e - s for s, e in merge_intervals(iv))


def intersect(a, b):
    s, e = max(a[0], b[0]), min(a[1], b[1])
    return (s, e) if e > s else None


def cut(span, others):
    """The parts of span (a pair of intervals, one per document) that each of others covers on
    both sides: (a parts, b parts), one of each per covering other, in order."""
    a_cut, b_cut = [], []
    for o in others:
        ia, ib = intersect(span[0], o[0]), intersect(span[1], o[1])
        if ia and ib:
            a_cut.append(ia)
            b_cut.append(ib)
    return a_cut, b_cut


def overlap_length(iv_list, span):
    """Characters of span covered by the union of iv_list."""
    parts = [x for x in (intersect(i, span) for i in iv_list) if x]
    return total_length(parts)


# --------------------------------------------------------------------------- PAN

def pan_measures(cases, detections):
    """cases, detections: dict pair_key -> list of ((a0, a1), (b0, b1)).

    Both sides of a case/detection refer to the same two documents, in the same orientation
    (callers must orient detections like the cases). Returns a dict with precision, recall,
    granularity, f1, plagdet and counts."""
    n_s = sum(len(v) for v in cases.values())
    n_r = sum(len(v) for v in detections.values())
    prec_sum = 0.0
    rec_sum = 0.0
    detected = 0
    gran_sum = 0
    for key, rs in detections.items():
        ss = cases.get(key, [])
        for r in rs:
            size = (r[0][1] - r[0][0]) + (r[1][1] - r[1][0])
            if size <= 0:
                continue
            a_cut, b_cut = cut(r, ss)
            prec_sum += (total_length(a_cut) + total_length(b_cut)) / size
    for key, ss in cases.items():
        rs = detections.get(key, [])
        for s in ss:
            size = (s[0][1] - s[0][0]) + (s[1][1] - s[1][0])
            a_cut, b_cut = cut(s, rs)
            n_det = len(a_cut)
            if size > 0:
                rec_sum += (total_length(a_cut) + total_length(b_cut)) / size
            if n_det:
                detected += 1
                gran_sum += n_det
    prec = prec_sum / n_r if n_r else 0.0
    rec = rec_sum / n_s if n_s else 0.0
    gran = gran_sum / detected if detected else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    plagdet = f1 / math.log2(1 + gran)
    return {
        "precision": prec,
        "recall": rec,
        "granularity": gran,
        "f1": f1,
        "plagdet": plagdet,
        "cases": n_s,
        "detections": n_r,
        "detected_cases": detected,
    }


def char_recall_by_group(cases, detections, group_of):
    """Micro character recall of the cases, grouped: group_of(key, index) -> group name.

    Counts both sides' characters; a case character counts when covered by a detection that
    detects the case (PAN rule)."""
    tot = Counter()
    cov = Counter()
    for key, ss in cases.items():
        rs = detections.get(key, [])
        for i, s in enumerate(ss):
            g = group_of(key, i)
            size = (s[0][1] - s[0][0]) + (s[1][1] - s[1][0])
            a_cut, b_cut = cut(s, rs)
            tot[g] += size
            cov[g] += total_length(a_cut) + total_length(b_cut)
    return {g: (cov[g] / tot[g] if tot[g] else 0.0, tot[g]) for g in tot}


# --------------------------------------------------------------------------- clustering

def _comb2(n):
    return n * (n - 1) / 2


def adjusted_rand_index(labels_true, labels_pred):
    """labels_*: sequences of hashable labels for the same items, in the same order."""
    if len(labels_true) != len(labels_pred):
        raise ValueError("labelings differ in length")
    n = len(labels_true)
    if n < 2:
        return 1.0
    cont = Counter(zip(labels_true, labels_pred))
    a = Counter(labels_true)
    b = Counter(labels_pred)
    index = sum(_comb2(v) for v in cont.values())
    sa = sum(_comb2(v) for v in a.values())
    sb = sum(_comb2(v) for v in b.values())
    expected = sa * sb / _comb2(n)
    maximum = (sa + sb) / 2
    if maximum == expected:
        # both labelings all singletons or both one cluster: identical partitions
        return 1.0 if len(cont) == len(a) == len(b) else 0.0
    return (index - expected) / (maximum - expected)


# --------------------------------------------------------------------------- ranking

def roc_auc(pos, neg):
    """P(score of a positive > score of a negative), ties 1/2 (Mann-Whitney U / (n_pos n_neg))."""
    pos, neg = list(pos), list(neg)
    if not pos or not neg:
        return float("nan")
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg], key=lambda x: x[0])
    # average ranks with ties
    ranks = [0.0] * len(allv)
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        r = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[k] = r
        i = j + 1
    rpos = sum(r for r, (_, lab) in zip(ranks, allv) if lab == 1)
    u = rpos - len(pos) * (len(pos) + 1) / 2
    return u / (len(pos) * len(neg))


def average_precision(ranked_hits, n_relevant):
    """ranked_hits: booleans in decreasing score order (is the i-th prediction a true pair)."""
    if n_relevant == 0:
        return float("nan")
    hits = 0
    s = 0.0
    for i, h in enumerate(ranked_hits, 1):
        if h:
            hits += 1
            s += hits / i
    return s / n_relevant


def best_f1(ranked_hits, n_relevant, scores):
    """Best F1 over score thresholds; returns (f1, threshold, precision, recall)."""
    best = (0.0, None, 0.0, 0.0)
    hits = 0
    for i, h in enumerate(ranked_hits, 1):
        hits += h
        # only cut between different scores
        if i < len(scores) and scores[i] == scores[i - 1]:
            continue
        p, r = hits / i, hits / n_relevant if n_relevant else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        if f > best[0]:
            best = (f, scores[i - 1], p, r)
    return best


def pair_key(a, b):
    return (a, b) if a <= b else (b, a)


def fmt(x, nd=3):
    if x is None:
        return "-"
    if isinstance(x, float):
        if math.isnan(x):
            return "n/a"
        return f"{x:.{nd}f}"
    return str(x)


def table(rows, header):
    """Plain-text table."""
    rows = [[fmt(c) for c in r] for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(out)


__all__ = [
    "merge_intervals", "total_length", "intersect", "overlap_length", "pan_measures",
    "char_recall_by_group", "adjusted_rand_index", "roc_auc", "average_precision", "best_f1",
    "pair_key", "fmt", "table",
]


# --------------------------------------------------------------------------- output

def clean_json(x):
    """NaN/inf are not JSON: write null."""
    if isinstance(x, float) and (x != x or x in (float("inf"), float("-inf"))):
        return None
    if isinstance(x, dict):
        return {str(k): clean_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean_json(v) for v in x]
    return x
