"""overlap.Index against the CLI's `overlap index` on Reuters: the same answers, the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import overlap
from conftest import read_jsonl

QUERIED = 300


@pytest.fixture(scope="session")
def reuters(corpora):
    return corpora["reuters21578"]


@pytest.fixture(scope="session")
def cli_index(cli, data: Path, tmp_path_factory):
    """The CLI's index of Reuters (with texts) and its `index add` answers, made once."""
    root = tmp_path_factory.mktemp("cli-index")
    ix = root / "ix"
    cli("index", "create", ix, "--store-text")
    cli("index", "add", ix, data / "reuters21578.jsonl.gz", "--out", root / "answers.jsonl")
    return ix, read_jsonl(root / "answers.jsonl")


def test_add_in_batches_answers_as_the_cli(reuters, cli_index, tmp_path):
    _, cli_answers = cli_index
    ix = overlap.Index.create(tmp_path / "ix", store_text=True)
    answers = []
    third = len(reuters) // 3 + 1
    for start in range(0, len(reuters), third):
        batch = reuters[start : start + third]
        answers += ix.add([d["id"] for d in batch], [d["text"] for d in batch])
    assert answers == cli_answers
    kinds = {a["kind"] for a in answers}
    assert kinds == {"exact", "near", "unique"}
    stats = ix.stats()
    assert stats["documents"] == len(reuters) == len(ix)
    assert ix.check()["problem_count"] == 0
    assert ix.parameters["bands"] == 17 and ix.parameters["store_text"] is True


def test_query_answers_as_the_cli(cli, reuters, cli_index, tmp_path):
    ix_dir, _ = cli_index
    # The first documents, and some that share passages with others (the README's seed story).
    extra = [d for d in reuters[QUERIED:] if "Prudential-Bache" in d["text"]][:5]
    docs = reuters[:QUERIED] + extra
    src = tmp_path / "q.jsonl"
    src.write_text("".join(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in docs))
    out = tmp_path / "q.out.jsonl"
    cli("index", "query", ix_dir, src, "--out", out, "--passages", "--reuse")
    want = read_jsonl(out)
    ix = overlap.Index(ix_dir, read_only=True)
    got = ix.query([d["text"] for d in docs], passages=3, reuse=5)
    for w, g, d in zip(want, got, docs):
        assert w.pop("id") == d["id"]
        assert g == w
    assert any(g["kind"] != "exact" or g["total_matches"] > 1 for g in got)
    assert any(g["passages"] for g in got)
    # A read-only index refuses writes with its own error type.
    with pytest.raises(overlap.IndexReadOnlyError):
        ix.add(["x"], ["some text"])
    ix.close()


def test_errors_are_typed_and_batches_all_or_nothing(tmp_path):
    with pytest.raises(overlap.IndexFormatError):
        overlap.Index(tmp_path / "nothing-here")
    path = tmp_path / "ix"
    ix = overlap.Index.create(path, threshold=0.5, ngram=2)
    ix.add(["a", 7], ["the cat sat on the mat today", "ships and the sea"])
    with pytest.raises(overlap.DocumentExistsError) as e:
        ix.add(["new", "a"], ["words", "the cat sat on the mat today"])
    assert e.value.id == "a"
    assert len(ix) == 2 and ix.get("new") is None
    skipped = ix.add(["new", "a"], ["fresh words here", "x"], on_existing="skip")
    assert [s["kind"] for s in skipped] == ["unique", "existing"]
    with pytest.raises(overlap.DocumentNotFoundError):
        ix.remove(["a", "nope"])
    assert ix.get("a") is not None
    ix.remove(["a"])
    assert ix.get("a") is None and ix.get(7)["id"] == "7"
    with pytest.raises(overlap.IndexLockedError):
        overlap.Index(path)
    with pytest.raises(ValueError):
        ix.add(["z"], ["t"], on_existing="sometimes")
    with pytest.raises(ValueError):
        ix.add(["y", "z"], ["only one text"])
    with pytest.raises(ValueError):
        ix.query(["q"], passages=1)  # no stored texts
    with pytest.raises(overlap.IndexFormatError):
        overlap.Index.create(path)
    ix.close()
    with overlap.Index(path) as again:
        assert len(again) == 2
        assert again.check()["problem_count"] == 0
    with pytest.raises(RuntimeError):
        again.stats()
    assert issubclass(overlap.DocumentNotFoundError, overlap.OverlapIndexError)
