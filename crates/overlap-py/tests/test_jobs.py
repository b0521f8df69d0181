"""dedup, reuse, sketch and align against the CLI, and the mapping of errors to exceptions."""

from __future__ import annotations

import gzip
import json
import subprocess

import pytest

import overlap
from conftest import stable, without_memory


def same_files(a, b, names):
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize("name", ["reuters21578", "bbc-news"])
def test_dedup_equals_the_cli(name, data, cli_dedup, tmp_path):
    want = cli_dedup(name)
    summary = overlap.dedup([data / f"{name}.jsonl.gz"], tmp_path)
    assert stable(summary) == stable(json.loads((want / "summary.json").read_text()))
    assert summary == json.loads((tmp_path / "summary.json").read_text())
    same_files(want, tmp_path, ["clusters.jsonl", "pairs.jsonl"])
    with gzip.open(want / "deduped.jsonl.gz") as a, gzip.open(tmp_path / "deduped.jsonl.gz") as b:
        assert a.read() == b.read()


def test_dedup_options_are_the_clis(data, cli, tmp_path):
    args = {"threshold": 0.6, "ngram": 3, "num_perm": 64, "seed": 3, "threads": 1}
    cli("dedup", data / "bbc-news.jsonl.gz", "--out", tmp_path / "cli", "--quiet", "--no-deduped",
        "--threshold", "0.6", "--ngram", "3", "--num-perm", "64", "--seed", "3", "--threads", "1")
    s = overlap.dedup(data / "bbc-news.jsonl.gz", tmp_path / "py", write_deduped=False, **args)
    assert stable(s) == stable(json.loads((tmp_path / "cli" / "summary.json").read_text()))
    same_files(tmp_path / "cli", tmp_path / "py", ["clusters.jsonl", "pairs.jsonl"])
    assert s["threads"] == 1


def test_dedup_clusters_output_and_memory_options_are_the_clis(data, cli, tmp_path):
    corpus = data / "reuters21578.jsonl.gz"
    flags = ["--clusters", "guarded", "--output-format", "parquet", "--compression-level", "3",
             "--fix-encoding", "--memory", "1MiB"]
    cli("dedup", corpus, "--out", tmp_path / "cli", "--quiet", *flags)
    s = overlap.dedup(corpus, tmp_path / "py", clusters="guarded", output_format="parquet",
                      compression_level=3, fix_encoding=True, memory="1MiB", tmp_dir=tmp_path / "spill")
    want = json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert stable(s) == stable(want)
    assert s["parameters"]["clusters"] == "guarded"
    same_files(tmp_path / "cli", tmp_path / "py",
               ["clusters.jsonl", "pairs.jsonl", "clusters.parquet", "pairs.parquet"])
    with gzip.open(tmp_path / "cli" / "deduped.jsonl.gz") as a, \
            gzip.open(tmp_path / "py" / "deduped.jsonl.gz") as b:
        assert a.read() == b.read()
    # The budget was the one given, it made the run spill, and the spill folder is gone.
    assert s["memory"]["budget_bytes"] == 1 << 20 and s["memory"]["spilled_bytes"] > 0
    assert not any((tmp_path / "spill").glob("*"))
    for bad in ({"clusters": "stars"}, {"output_format": "csv"}, {"memory": "lots"},
                {"compression_level": 20}):
        with pytest.raises(ValueError):
            overlap.dedup(corpus, tmp_path / "bad", **bad)


def test_reuse_equals_the_cli(data, cli, tmp_path):
    corpus = data / "bbc-news.jsonl.gz"
    cli("reuse", corpus, "--out", tmp_path / "cli", "--quiet")
    s = overlap.reuse([corpus], tmp_path / "py")
    assert stable(s) == stable(json.loads((tmp_path / "cli" / "summary.json").read_text()))
    same_files(tmp_path / "cli", tmp_path / "py", ["pairs.jsonl", "stories.jsonl", "boilerplate.jsonl"])
    assert s["pairs"]["related"] > 0


def test_reuse_masking_options_are_the_clis(data, cli, tmp_path):
    corpus = data / "bbc-news.jsonl.gz"
    cli("reuse", corpus, "--out", tmp_path / "cli", "--quiet",
        "--signature-docs", "0", "--boilerplate-inline-words", "0", "--memory", "8MiB")
    s = overlap.reuse([corpus], tmp_path / "py", signature_docs=0, boilerplate_inline_words=0,
                      memory="8MiB", tmp_dir=tmp_path / "spill")
    assert s["memory"]["budget_bytes"] == 8 << 20
    assert stable(s) == stable(json.loads((tmp_path / "cli" / "summary.json").read_text()))
    same_files(tmp_path / "cli", tmp_path / "py", ["pairs.jsonl", "stories.jsonl", "boilerplate.jsonl"])
    assert s["parameters"]["signature_min_docs"] == 0
    assert s["parameters"]["boilerplate_inline_words"] == 0


def test_sketch_equals_the_cli(data, cli, tmp_path):
    cli("sketch", data / "bbc-news.jsonl.gz", "--out", tmp_path / "cli.jsonl", "--quiet")
    stats = overlap.sketch(data / "bbc-news.jsonl.gz", tmp_path / "py.jsonl")
    assert (tmp_path / "cli.jsonl").read_bytes() == (tmp_path / "py.jsonl").read_bytes()
    assert stats["documents"] == 2225 and stats["skipped"] == []


def test_align_equals_overlap_align_json(data, cli):
    a, b = sorted((data / "seeds").glob("*.txt"))[:2]
    want = without_memory(json.loads(cli("align", a, b, "--json").stdout))
    ta, tb = a.read_text(), b.read_text()
    got = overlap.align(ta, tb)
    assert got == want
    assert got["related"] and got["passages"]
    for p in got["passages"]:
        assert 0 <= p["a"][0] < p["a"][1] <= len(ta) and 0 <= p["b"][0] < p["b"][1] <= len(tb)
    tuned = without_memory(
        json.loads(cli("align", a, b, "--json", "--reworded-dice", "0.6", "--related-score", "0.5").stdout)
    )
    assert overlap.align(ta, tb, reworded_dice=0.6, related_score=0.5) == tuned


def test_offsets_are_code_points(cli, tmp_path):
    a = "Ünïcödé prefix — " + "the central bank raised its main interest rate by half a point on Tuesday"
    b = "Другой текст. " + "the central bank raised its main interest rate by half a point on Tuesday"
    (tmp_path / "a.txt").write_text(a)
    (tmp_path / "b.txt").write_text(b)
    got = overlap.align(a, b)
    assert got == without_memory(json.loads(cli("align", tmp_path / "a.txt", tmp_path / "b.txt", "--json").stdout))
    # Offsets count code points, not UTF-8 bytes: the passages end at the ends of the str.
    ends = (max(p["a"][1] for p in got["passages"]), max(p["b"][1] for p in got["passages"]))
    assert ends == (len(a), len(b))
    assert len(b.encode()) > len(b)


BAD = (
    '{"id": "a", "text": "one two three four five six"}\n'
    '{"id": "b", "text": \n'
    '{"id": "c"}\n'
    '{"id": "a", "text": "seven eight nine ten eleven"}\n'
    '{"id": "d", "text": "  ... "}\n'
)


def test_bad_records_raise_input_error_with_file_and_line(tmp_path):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text(BAD)
    with pytest.raises(overlap.InputError) as e:
        overlap.dedup([corpus], tmp_path / "out")
    assert (e.value.file, e.value.line, e.value.reason) == (str(corpus), 2, "malformed_json")
    assert str(e.value).startswith(f"{corpus}:2: ")
    assert not (tmp_path / "out" / "summary.json").exists()


def test_skipped_records_are_listed_as_the_cli_lists_them(cli, tmp_path):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text(BAD)
    s = overlap.dedup([corpus], tmp_path / "py", on_error="skip")
    cli("dedup", corpus, "--out", tmp_path / "cli", "--on-error", "skip", "--quiet")
    assert stable(s) == stable(json.loads((tmp_path / "cli" / "summary.json").read_text()))
    assert s["skipped_by_reason"] == {"malformed_json": 1, "missing_field": 1, "duplicate_id": 1}
    assert [p["line"] for p in s["skipped"]] == [2, 3, 4]
    # The document with no word is accepted and flagged, not skipped.
    assert s["documents"]["empty"] == 1
    clusters = [json.loads(l) for l in (tmp_path / "py" / "clusters.jsonl").read_text().splitlines()]
    assert [c["id"] for c in clusters if c.get("empty")] == ["d"]


def test_missing_inputs_and_bad_options(tmp_path):
    with pytest.raises(overlap.InputError) as e:
        overlap.dedup(["no/such/file.jsonl"], tmp_path)
    assert (e.value.reason, e.value.file) == ("not_found", "no/such/file.jsonl")
    corpus = tmp_path / "ok.jsonl"
    corpus.write_text('{"text": "one two three"}\n')
    for bad in (
        {"threshold": 1.5},
        {"threshold": 0.0},
        {"ngram": 0},
        {"num_perm": 0},
        {"bands": 20, "rows": 10},
        {"bands": 3},
        {"scheme": "nope"},
        {"on_error": "ignore"},
        {"threads": 100000},
        {"ngram": -1},
    ):
        with pytest.raises(ValueError):
            overlap.dedup([corpus], tmp_path / "out", **bad)
    with pytest.raises(ValueError):
        overlap.signatures(["x"], num_perm=0)
    with pytest.raises(ValueError):
        overlap.align("a", "b", reworded_dice=2.0)
    with pytest.raises(ValueError):
        overlap.align("a", "b", no_such_option=1)
    with pytest.raises(TypeError):
        overlap.signatures([b"bytes"])
    with pytest.raises(TypeError):
        overlap.signatures("one string")


def test_the_package_imports_with_types_and_version():
    import importlib.resources as res

    assert overlap.__version__
    assert res.files("overlap").joinpath("py.typed").is_file()
    assert res.files("overlap").joinpath("_native.pyi").is_file()


def test_doctests_of_the_package():
    import doctest

    failures, tried = doctest.testmod(overlap, optionflags=doctest.ELLIPSIS, extraglobs={"overlap": overlap})
    assert tried > 5 and failures == 0


def test_the_same_parquet_file_twice_keeps_each_inputs_rows_in_order(cli, tmp_path):
    """Each input is its own source: deduped.parquet holds the first input's kept rows, then the
    second's, as the CLI writes them (and as JSON Lines inputs give deduped.jsonl)."""
    import pyarrow.parquet as pq

    from conftest import kept_rows_by_clusters, twice_parquet

    path = tmp_path / "a.parquet"
    twice_parquet(path)
    cli("dedup", path, path, "--out", tmp_path / "cli", "--quiet")
    s = overlap.dedup([path, path], tmp_path / "py")
    assert stable(s) == stable(json.loads((tmp_path / "cli" / "summary.json").read_text()))
    same_files(tmp_path / "cli", tmp_path / "py", ["clusters.jsonl", "pairs.jsonl"])
    want = kept_rows_by_clusters(tmp_path / "cli", path, 2)
    assert pq.read_table(tmp_path / "cli" / "deduped.parquet").to_pylist() == want
    assert pq.read_table(tmp_path / "py" / "deduped.parquet").to_pylist() == want
    assert s["documents"]["accepted"] == 2 * pq.read_metadata(path).num_rows
