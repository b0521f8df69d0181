"""signatures, exact_keys and band_keys against `overlap sketch` and `overlap dedup`."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pytest

import overlap


@pytest.mark.parametrize("name", ["reuters21578", "bbc-news"])
def test_signatures_and_exact_keys_equal_overlap_sketch(name, corpora, cli, data, tmp_path):
    docs = corpora[name]
    out = tmp_path / "sigs.jsonl.gz"
    cli("sketch", data / f"{name}.jsonl.gz", "--out", out, "--quiet")
    with gzip.open(out, "rt") as f:
        want = [json.loads(line) for line in f]
    assert [w["id"] for w in want] == [str(d["id"]) for d in docs]
    texts = [d["text"] for d in docs]
    sigs = overlap.signatures(texts)
    assert sigs.dtype == np.uint32 and sigs.shape == (len(docs), 128)
    assert np.array_equal(sigs, np.array([w["signature"] for w in want], dtype=np.uint32))
    assert overlap.exact_keys(texts) == [w["exact"] for w in want]


def test_other_parameters_equal_overlap_sketch(corpora, cli, data, tmp_path):
    out = tmp_path / "sigs.jsonl"
    args = ["--num-perm", "64", "--ngram", "3", "--seed", "7", "--scheme", "permutations"]
    cli("sketch", data / "bbc-news.jsonl.gz", "--out", out, "--quiet", *args)
    want = np.array([json.loads(line)["signature"] for line in open(out)], dtype=np.uint32)
    texts = [d["text"] for d in corpora["bbc-news"]]
    got = overlap.signatures(texts, num_perm=64, ngram=3, seed=7, scheme="permutations")
    assert np.array_equal(got, want)


def test_arrow_arrays_give_the_values_of_lists(corpora):
    texts = [d["text"] for d in corpora["bbc-news"]][:500]
    want = overlap.signatures(texts)
    keys = overlap.exact_keys(texts)
    for arr in (
        pa.array(texts, pa.string()),
        pa.array(texts, pa.large_string()),
        pa.chunked_array([texts[:100], texts[100:]]),
        pa.array(texts).dictionary_encode(),
    ):
        assert np.array_equal(overlap.signatures(arr), want)
        assert overlap.exact_keys(arr) == keys
    sliced = pa.array(texts)[37:451]
    assert np.array_equal(overlap.signatures(sliced), want[37:451])
    with_null = pa.array([texts[0], None, texts[2]])
    assert np.array_equal(overlap.signatures(with_null), overlap.signatures([texts[0], "", texts[2]]))
    with pytest.raises(TypeError):
        overlap.signatures(pa.array([1, 2, 3]))


def test_results_do_not_depend_on_threads(corpora):
    texts = [d["text"] for d in corpora["bbc-news"]]
    one = overlap.signatures(texts, threads=1)
    assert np.array_equal(one, overlap.signatures(texts, threads=2))
    assert np.array_equal(one, overlap.signatures(texts))
    assert one.flags.writeable


@pytest.mark.parametrize("name", ["reuters21578", "bbc-news"])
def test_band_keys_give_the_clis_candidates(name, corpora, cli_dedup):
    """The CLI's candidates are the pairs of exact-group representatives sharing a band key."""
    docs = corpora[name]
    summary = json.loads((cli_dedup(name) / "summary.json").read_text())
    texts = [d["text"] for d in docs]
    keys = overlap.band_keys(texts)
    p = summary["parameters"]
    assert keys.shape == (len(docs), p["bands"]) and keys.dtype == np.uint64
    assert overlap.lsh_params() == (p["bands"], p["rows"])
    exact = overlap.exact_keys(texts)
    first = {}
    reps = [i for i, e in enumerate(exact) if first.setdefault(e, i) == i]
    pairs = set()
    largest = 0
    for band in range(keys.shape[1]):
        buckets = {}
        for i in reps:
            buckets.setdefault(int(keys[i, band]), []).append(i)
        for members in buckets.values():
            largest = max(largest, len(members))
            pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1 :])
    assert len(pairs) == summary["pairs"]["candidates"]
    assert largest == summary["pairs"]["largest_bucket"]
