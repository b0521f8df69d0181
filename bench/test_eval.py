#!/usr/bin/env python3
"""Self-checks of the reuse evaluation tooling (stdlib unittest): python3 bench/test_eval.py

Metric implementations on hand-made cases, the evaluators on synthetic predictions (the truth itself
must score perfectly, shifted or split spans must cost what they should), and the generator's
invariants on a small corpus (spans inside the texts, verbatim passages equal substrings, passages
outside boilerplate, origin first, no accidental shared text, determinism). Needs ../shared/data for
the generator tests; they are skipped when it is missing.
"""

import contextlib
import io
import json
import math
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import eval_clough  # noqa: E402
import eval_reuse  # noqa: E402
import reprint_gen  # noqa: E402
from reuse_metrics import (adjusted_rand_index, average_precision, best_f1, merge_intervals,  # noqa: E402
                           pan_measures, roc_auc)


class TestARI(unittest.TestCase):
    def test_identical(self):
        self.assertAlmostEqual(adjusted_rand_index([1, 1, 2, 2, 3], [1, 1, 2, 2, 3]), 1.0)

    def test_renamed_labels(self):
        self.assertAlmostEqual(adjusted_rand_index([1, 1, 2, 2, 3], ["x", "x", "y", "y", "z"]), 1.0)

    def test_known_value(self):
        # sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) == 0.5714285714285715
        self.assertAlmostEqual(adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]), 0.5714285714285715)
        self.assertAlmostEqual(adjusted_rand_index([0, 0, 1, 2], [0, 0, 1, 1]), 0.5714285714285715)

    def test_singletons_vs_one_cluster(self):
        self.assertAlmostEqual(adjusted_rand_index([0, 0, 0, 0], [0, 1, 2, 3]), 0.0)

    def test_all_singletons_both(self):
        self.assertAlmostEqual(adjusted_rand_index([0, 1, 2], [5, 6, 7]), 1.0)

    def test_worse_is_lower(self):
        t = [0, 0, 0, 1, 1, 1, 2, 2, 2]
        good = [0, 0, 0, 1, 1, 1, 2, 2, 3]
        bad = [0, 1, 2, 0, 1, 2, 0, 1, 2]
        self.assertGreater(adjusted_rand_index(t, good), adjusted_rand_index(t, bad))
        self.assertLess(adjusted_rand_index(t, bad), 0.01)


class TestPAN(unittest.TestCase):
    K = ("a", "b")

    def test_perfect(self):
        cases = {self.K: [((0, 100), (10, 110)), ((200, 250), (300, 350))]}
        m = pan_measures(cases, {self.K: list(cases[self.K])})
        for f in ("precision", "recall", "granularity", "f1", "plagdet"):
            self.assertAlmostEqual(m[f], 1.0, msg=f)

    def test_nothing_detected(self):
        m = pan_measures({self.K: [((0, 100), (0, 100))]}, {})
        self.assertEqual((m["precision"], m["recall"], m["plagdet"], m["granularity"]), (0.0, 0.0, 0.0, 1.0))

    def test_granularity_counts_splits(self):
        cases = {self.K: [((0, 100), (0, 100)), ((200, 300), (200, 300))]}
        dets = {self.K: [((0, 50), (0, 50)), ((50, 100), (50, 100)), ((200, 300), (200, 300))]}
        m = pan_measures(cases, dets)
        self.assertAlmostEqual(m["granularity"], 1.5)
        self.assertAlmostEqual(m["precision"], 1.0)
        self.assertAlmostEqual(m["recall"], 1.0)
        self.assertAlmostEqual(m["plagdet"], 1.0 / math.log2(2.5))

    def test_split_in_three(self):
        cases = {self.K: [((0, 90), (0, 90))]}
        dets = {self.K: [((0, 30), (0, 30)), ((30, 60), (30, 60)), ((60, 90), (60, 90))]}
        self.assertAlmostEqual(pan_measures(cases, dets)["granularity"], 3.0)

    def test_shifted(self):
        cases = {self.K: [((0, 100), (0, 100))]}
        m = pan_measures(cases, {self.K: [((50, 150), (50, 150))]})
        self.assertAlmostEqual(m["precision"], 0.5)
        self.assertAlmostEqual(m["recall"], 0.5)
        self.assertAlmostEqual(m["granularity"], 1.0)

    def test_one_sided_overlap_does_not_detect(self):
        cases = {self.K: [((0, 100), (0, 100))]}
        m = pan_measures(cases, {self.K: [((0, 100), (500, 600))]})
        self.assertEqual((m["precision"], m["recall"]), (0.0, 0.0))

    def test_other_pair_does_not_detect(self):
        cases = {self.K: [((0, 100), (0, 100))]}
        m = pan_measures(cases, {("a", "c"): [((0, 100), (0, 100))]})
        self.assertEqual((m["precision"], m["recall"]), (0.0, 0.0))

    def test_oversized_detection(self):
        cases = {self.K: [((0, 100), (0, 100))]}
        m = pan_measures(cases, {self.K: [((0, 200), (0, 200))]})
        self.assertAlmostEqual(m["recall"], 1.0)
        self.assertAlmostEqual(m["precision"], 0.5)

    def test_overlapping_detections_not_double_counted(self):
        cases = {self.K: [((0, 100), (0, 100))]}
        m = pan_measures(cases, {self.K: [((0, 60), (0, 60)), ((40, 100), (40, 100))]})
        self.assertAlmostEqual(m["recall"], 1.0)
        self.assertAlmostEqual(m["granularity"], 2.0)


class TestRanking(unittest.TestCase):
    def test_auc_perfect_and_reversed(self):
        self.assertAlmostEqual(roc_auc([0.9, 0.8, 0.7], [0.1, 0.2]), 1.0)
        self.assertAlmostEqual(roc_auc([0.1, 0.2], [0.9, 0.8, 0.7]), 0.0)

    def test_auc_ties(self):
        self.assertAlmostEqual(roc_auc([0.5, 0.5], [0.5, 0.5, 0.5]), 0.5)
        # pos 0.5 vs neg 0.5 tie (1/2), pos 0.9 beats both
        self.assertAlmostEqual(roc_auc([0.9, 0.5], [0.5, 0.1]), (1 + 1 + 0.5 + 1) / 4)

    def test_auc_nan_without_negatives(self):
        self.assertTrue(math.isnan(roc_auc([1.0], [])))

    def test_average_precision(self):
        self.assertAlmostEqual(average_precision([True, False, True], 2), (1 + 2 / 3) / 2)
        self.assertAlmostEqual(average_precision([True, True], 4), 0.5)

    def test_best_f1(self):
        f, thr, p, r = best_f1([True, True, False, False], 2, [0.9, 0.8, 0.3, 0.2])
        self.assertAlmostEqual(f, 1.0)
        self.assertAlmostEqual(thr, 0.8)

    def test_merge_intervals(self):
        self.assertEqual(merge_intervals([(5, 10), (0, 3), (2, 6), (20, 20)]), [(0, 10)])


# ------------------------------------------------------------------------------- eval_reuse on a toy truth

def toy_truth():
    docs = {
        "A": {"source": "s1", "story": "X", "length": 500, "boilerplate": [[400, 500]], "date": "2022-01-01T00:00:00Z"},
        "B": {"source": "s2", "story": "X", "length": 500, "boilerplate": [[0, 20]], "date": "2022-01-02T00:00:00Z"},
        "C": {"source": "s1", "story": "Y", "length": 500, "boilerplate": [[400, 500]], "date": "2022-01-01T00:00:00Z"},
        "D": {"source": "s3", "story": "Z", "length": 500, "boilerplate": [], "date": "2022-01-01T00:00:00Z"},
        "E": {"source": "s3", "story": "X", "length": 500, "boilerplate": [], "date": "2022-01-03T00:00:00Z"},
    }
    pairs = [
        {"a": "A", "b": "B", "class": "light", "passages": [
            {"a": [0, 100], "b": [20, 120], "kind": "verbatim", "sim": 1.0},
            {"a": [150, 250], "b": [150, 260], "kind": "reworded", "sim": 0.9}]},
        {"a": "A", "b": "E", "class": "heavy", "passages": [
            {"a": [0, 100], "b": [300, 400], "kind": "reworded", "sim": 0.6}]},
    ]
    return {
        "documents": docs, "pairs": pairs, "weak_pairs": [], "same_story_no_text": [["B", "E"]],
        "stories": {"X": {"origin": "A", "docs": ["A", "B", "E"]}, "Y": {"origin": "C", "docs": ["C"]},
                    "Z": {"origin": "D", "docs": ["D"]}},
        "topic_groups": [["Y", "Z"], ["X"]],
    }


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def truth_as_prediction(truth, shift=0, drop=(), extra=(), split=False, swap=False):
    rows = []
    for r in truth["pairs"]:
        if (r["a"], r["b"]) in drop:
            continue
        ps = []
        for p in r["passages"]:
            a = [p["a"][0] + shift, p["a"][1] + shift]
            b = [p["b"][0] + shift, p["b"][1] + shift]
            if split:
                ma, mb = (a[0] + a[1]) // 2, (b[0] + b[1]) // 2
                ps.append({"a": [a[0], ma], "b": [b[0], mb], "kind": p["kind"], "score": 1})
                ps.append({"a": [ma, a[1]], "b": [mb, b[1]], "kind": p["kind"], "score": 1})
            else:
                ps.append({"a": a, "b": b, "kind": p["kind"], "score": 1})
        row = {"a": r["a"], "b": r["b"], "score": 0.9, "passages": ps}
        if swap:
            row = {"a": r["b"], "b": r["a"], "score": 0.9,
                   "passages": [{"a": p["b"], "b": p["a"], "kind": p["kind"]} for p in ps]}
        rows.append(row)
    rows.extend(extra)
    return rows


class TestEvalReuse(unittest.TestCase):
    def run_eval(self, truth, pairs, stories=None):
        with tempfile.TemporaryDirectory() as td:
            td = Path(td)
            (td / "truth.json").write_text(json.dumps(truth))
            out = td / "out"
            out.mkdir()
            write_jsonl(out / "pairs.jsonl", pairs)
            if stories is not None:
                write_jsonl(out / "stories.jsonl", stories)
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                eval_reuse.main(["--truth", str(td / "truth.json"), "--out", str(out), "--json"])
            return json.loads(buf.getvalue())

    def test_truth_scores_perfectly(self):
        t = toy_truth()
        stories = [{"id": i, "story": d["story"], "origin": t["stories"][d["story"]]["origin"]}
                   for i, d in t["documents"].items()]
        res = self.run_eval(t, truth_as_prediction(t), stories)
        self.assertEqual(res["pairs"]["precision"], 1.0)
        self.assertEqual(res["pairs"]["recall"], 1.0)
        self.assertAlmostEqual(res["stories"]["ari"], 1.0)
        self.assertAlmostEqual(res["stories"]["origin_accuracy"], 1.0)
        for f in ("precision", "recall", "granularity", "plagdet"):
            self.assertAlmostEqual(res["passages"]["on_true_pairs"][f], 1.0, msg=f)
        self.assertEqual(res["boilerplate"]["boilerplate_covered"], 0.0)
        self.assertEqual(res["passages"]["kind_agreement"]["verbatim"], 1.0)

    def test_swapped_orientation_is_the_same_pair(self):
        t = toy_truth()
        res = self.run_eval(t, truth_as_prediction(t, swap=True))
        self.assertEqual(res["pairs"]["recall"], 1.0)
        self.assertAlmostEqual(res["passages"]["on_true_pairs"]["plagdet"], 1.0)

    def test_shift_lowers_precision_and_recall(self):
        t = toy_truth()
        res = self.run_eval(t, truth_as_prediction(t, shift=30))
        m = res["passages"]["on_true_pairs"]
        self.assertLess(m["precision"], 0.9)
        self.assertLess(m["recall"], 0.9)
        self.assertGreater(m["recall"], 0.5)
        self.assertEqual(res["pairs"]["recall"], 1.0)  # pairs are still found

    def test_split_raises_granularity(self):
        t = toy_truth()
        res = self.run_eval(t, truth_as_prediction(t, split=True))
        m = res["passages"]["on_true_pairs"]
        self.assertAlmostEqual(m["granularity"], 2.0)
        self.assertAlmostEqual(m["recall"], 1.0)
        self.assertAlmostEqual(m["plagdet"], 1.0 / math.log2(3))

    def test_missing_pair_and_false_positive(self):
        t = toy_truth()
        fp = {"a": "A", "b": "C", "score": 0.5,
              "passages": [{"a": [400, 500], "b": [400, 500], "kind": "verbatim"}]}
        res = self.run_eval(t, truth_as_prediction(t, drop={("A", "E")}, extra=[fp]))
        p = res["pairs"]
        self.assertEqual((p["tp"], p["fp"]), (1, 1))
        self.assertAlmostEqual(p["precision"], 0.5)
        self.assertAlmostEqual(p["recall"], 0.5)
        self.assertEqual(p["per_class"]["heavy"]["recall"], 0.0)
        self.assertEqual(p["per_class"]["light"]["recall"], 1.0)
        self.assertEqual(p["false_positives_by_type"], {"same source (boilerplate only)": 1})
        # the false pair's passage is pure boilerplate: A's and C's 100 boilerplate chars, of 220
        self.assertAlmostEqual(res["boilerplate"]["boilerplate_covered"], 200 / 220)
        self.assertLess(res["passages"]["all_pairs"]["precision"], res["passages"]["on_true_pairs"]["precision"])

    def test_negative_types(self):
        tr = eval_reuse.Truth.__new__(eval_reuse.Truth)
        t = toy_truth()
        tr.raw, tr.docs = t, t["documents"]
        tr.topic_of = {"Y": 0, "Z": 0, "X": 1}
        self.assertEqual(tr.negative_type("B", "E"), "same story, no shared text")
        self.assertEqual(tr.negative_type("A", "C"), "same source (boilerplate only)")
        self.assertEqual(tr.negative_type("C", "D"), "same topic group")
        self.assertEqual(tr.negative_type("B", "D"), "unrelated")

    def test_wrong_clustering_lowers_ari(self):
        t = toy_truth()
        stories = [{"id": i, "story": "all"} for i in t["documents"]]
        res = self.run_eval(t, truth_as_prediction(t), stories)
        self.assertLess(res["stories"]["ari"], 0.5)


# ------------------------------------------------------------------------------- eval_clough pieces

class TestClough(unittest.TestCase):
    def test_containment(self):
        self.assertAlmostEqual(eval_clough.containment3("a b c d", "x a b c d y"), 1.0)
        self.assertAlmostEqual(eval_clough.containment3("a b c d", "a b c z"), 0.5)
        self.assertAlmostEqual(eval_clough.containment3("A, B. C", "a b c"), 1.0)

    def test_common_runs(self):
        src = "one two three four five six seven eight nine ten"
        ans = "Zero One two three four five six seven eight, eleven"
        runs = eval_clough.common_runs(ans, src)
        self.assertEqual(len(runs), 1)
        (s0, s1), (a0, a1) = runs[0]
        self.assertEqual(src[s0:s1], "one two three four five six seven eight")
        self.assertEqual(ans[a0:a1], "One two three four five six seven eight")
        self.assertEqual(eval_clough.common_runs("one two three four five six seven x", src), [])

    def test_common_runs_no_double_cover(self):
        src = "a b c d e f g h i j k l m n o p"
        ans = "a b c d e f g h i j k l"
        runs = eval_clough.common_runs(ans, src + " zz " + src)
        self.assertEqual(len(runs), 1)  # the same answer words are not two cases
        self.assertEqual(runs[0][1], (0, len(ans)))

    def test_mojibake_separates_words(self):
        src = "the quick brown fox jumps over the lazy dog today"
        ans = "\u00e2\u0080\u009cthe quick brown fox jumps over the lazy dog\u00e2\u0080\u009d"
        runs = eval_clough.common_runs(ans, src)
        self.assertEqual(len(runs), 1)
        self.assertEqual(ans[runs[0][1][0]:runs[0][1][1]], "the quick brown fox jumps over the lazy dog")


# ------------------------------------------------------------------------------- generator

DATA_OK = (reprint_gen.DEFAULT_DATA / "bbc-news.jsonl.gz").exists()


@unittest.skipUnless(DATA_OK, "shared data not found")
class TestGenerator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gen, cls.truth = reprint_gen.generate(seed=3, stories=30)
        cls.texts = {d.id: d.text for d in cls.gen.docs}

    def test_invariants(self):
        self.assertEqual(reprint_gen.check_truth(self.texts, self.truth), [])

    def test_spans_inside_and_verbatim_equal(self):
        n_verb = 0
        for r in self.truth["pairs"]:
            ta, tb = self.texts[r["a"]], self.texts[r["b"]]
            for p in r["passages"]:
                (a0, a1), (b0, b1) = p["a"], p["b"]
                self.assertTrue(0 <= a0 < a1 <= len(ta) and 0 <= b0 < b1 <= len(tb))
                if p["kind"] == "verbatim":
                    n_verb += 1
                    self.assertEqual(ta[a0:a1], tb[b0:b1])
                else:
                    self.assertNotEqual(ta[a0:a1], tb[b0:b1])
        self.assertGreater(n_verb, 10)

    def test_no_accidental_shared_text(self):
        # different stories share no 12-word run outside boilerplate (the rare exceptions of large corpora
        # are listed as incidental pairs; this small corpus has none)
        self.assertEqual(self.truth["incidental_pairs"], [])
        self.assertEqual(reprint_gen.leak_check(self.texts, self.truth), [])

    def test_classes_and_modes_present(self):
        classes = {r["class"] for r in self.truth["pairs"]}
        self.assertTrue({"verbatim", "light", "heavy", "partial"} <= classes, classes)
        modes = {d["mode"] for d in self.truth["documents"].values()}
        self.assertTrue({"origin", "syndicate", "light", "heavy", "partial"} <= modes, modes)
        self.assertGreater(len({d["source"] for d in self.truth["documents"].values()}), 5)

    def test_origin_first(self):
        for st in self.truth["stories"].values():
            od = self.truth["documents"][st["origin"]]["date"]
            for d in st["docs"]:
                if d != st["origin"]:
                    self.assertGreater(self.truth["documents"][d]["date"], od)

    def test_boilerplate_shared_within_source(self):
        # some boilerplate text must repeat across documents of one source (that is what makes it boilerplate)
        by_src = {}
        for did, info in self.truth["documents"].items():
            for s, e in info["boilerplate"]:
                for line in self.texts[did][s:e].splitlines():
                    if len(line) > 60:
                        by_src.setdefault((info["source"], line), set()).add(did)
        self.assertTrue(any(len(v) >= 3 for v in by_src.values()))

    def test_non_bmp_characters_present(self):
        self.assertTrue(any(any(ord(c) > 0xFFFF for c in t) for t in self.texts.values()))

    def test_truth_is_a_perfect_prediction(self):
        tr = eval_reuse.Truth.__new__(eval_reuse.Truth)
        eval_reuse.Truth.__init__(tr, self._truth_file())
        preds = {}
        for r in self.truth["pairs"]:
            preds[eval_reuse.pair_key(r["a"], r["b"])] = {"a": r["a"], "b": r["b"], "score": 1,
                                                          "passages": r["passages"]}
        m = eval_reuse.score_passages(tr, preds)["on_true_pairs"]
        self.assertAlmostEqual(m["plagdet"], 1.0)
        self.assertEqual(eval_reuse.score_boilerplate(tr, preds)["boilerplate_covered"], 0.0)

    def _truth_file(self):
        td = tempfile.mkdtemp()
        p = Path(td) / "truth.json"
        p.write_text(json.dumps(self.truth))
        self.addCleanup(lambda: (p.unlink(), Path(td).rmdir()))
        return p

    def test_deterministic(self):
        gen2, truth2 = reprint_gen.generate(seed=3, stories=30)
        self.assertEqual(json.dumps(truth2, sort_keys=True), json.dumps(self.truth, sort_keys=True))
        self.assertEqual([d.text for d in gen2.docs], [d.text for d in self.gen.docs])


if __name__ == "__main__":
    unittest.main(verbosity=1)
