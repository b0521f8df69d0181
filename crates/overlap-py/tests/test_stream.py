"""The streaming Deduplicator against the batch CLI job."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

import overlap
from conftest import read_jsonl


@pytest.mark.parametrize(
    "name,batch", [("reuters21578", 1000), ("reuters21578", 7919), ("bbc-news", 100)]
)
def test_batches_give_the_clis_clusters_and_pairs(name, batch, corpora, cli_dedup):
    docs = corpora[name]
    want_clusters = read_jsonl(cli_dedup(name) / "clusters.jsonl")
    want_pairs = read_jsonl(cli_dedup(name) / "pairs.jsonl")
    d = overlap.Deduplicator(threshold=0.8)
    answers = []
    for start in range(0, len(docs), batch):
        part = docs[start : start + batch]
        answers += d.add([x["id"] for x in part], [x["text"] for x in part])
    assert len(d) == len(docs)
    assert d.clusters() == want_clusters
    assert d.pairs() == want_pairs
    summary = json.loads((cli_dedup(name) / "summary.json").read_text())
    assert d.candidates == summary["pairs"]["candidates"]
    # Every answer names an earlier document of the same final cluster (clusters only merge).
    position = {c["id"]: i for i, c in enumerate(want_clusters)}
    cluster = {c["id"]: c["cluster"] for c in want_clusters}
    for i, (doc, answer) in enumerate(zip(docs, answers)):
        if answer is not None:
            assert position[answer] < i and cluster[answer] == cluster[str(doc["id"])]
        elif not want_clusters[i]["kept"]:
            # Answered kept, removed later: a later document joined its cluster to an earlier one.
            assert position[want_clusters[i]["cluster"]] < i
    assert sum(a is not None for a in answers) >= summary["documents"]["removed_exact"]


def test_arrow_batches_and_answers(corpora):
    docs = corpora["bbc-news"][:400]
    a, b = overlap.Deduplicator(), overlap.Deduplicator()
    ids = [x["id"] for x in docs]
    texts = [x["text"] for x in docs]
    assert a.add(ids, texts) == b.add(ids, pa.array(texts, pa.large_string()))
    assert a.clusters() == b.clusters()


def test_reused_ids_and_mismatched_lengths():
    d = overlap.Deduplicator()
    assert d.add([1, 2], ["one two three four five", "six seven eight nine ten"]) == [None, None]
    with pytest.raises(overlap.InputError) as e:
        d.add(["3", "1"], ["x", "y"])
    assert (e.value.reason, e.value.line, e.value.id) == ("duplicate_id", 2, "1")
    assert len(d) == 2
    with pytest.raises(ValueError):
        d.add(["9"], ["x", "y"])
    with pytest.raises(ValueError):
        overlap.Deduplicator(threshold=0)
    assert d.lsh == (17, 7)


@pytest.mark.parametrize("batch", [1, 37, 1000])
def test_giant_buckets_and_empty_texts_give_the_clis_clusters(batch, cli, tmp_path):
    """Buckets over the CLI's all-pairs limit link later members to the first representatives only;
    the Deduplicator must follow that rule, and the empty-document rule, to agree with the CLI."""
    from conftest import template_corpus

    corpus = tmp_path / "template.jsonl"
    docs = template_corpus(corpus)
    cli("dedup", corpus, "--out", tmp_path / "cli", "--quiet")
    summary = json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert summary["pairs"]["large_buckets"] > 0 and summary["pairs"]["largest_bucket"] > 64
    assert summary["documents"]["empty"] > 0
    d = overlap.Deduplicator()
    for start in range(0, len(docs), batch):
        part = docs[start : start + batch]
        d.add([x["id"] for x in part], [x["text"] for x in part])
    assert d.clusters() == read_jsonl(tmp_path / "cli" / "clusters.jsonl")
    assert d.pairs() == read_jsonl(tmp_path / "cli" / "pairs.jsonl")
    assert d.candidates == summary["pairs"]["candidates"]
    # The bound holds on arrival too: far fewer comparisons than the template's 44,850 pairs.
    assert d.verified_on_arrival < 44_850 // 2
