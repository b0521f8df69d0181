"""The Spark job under local[2] against the CLI: the same clusters.jsonl and pairs.jsonl lines.

Runs the job the way the README documents it (`python -m overlap.spark dedup ...`, a fresh JVM per
run) on Reuters, and in one shared session on BBC and on crafted input that exercises the bad-record
and id rules (several inputs, blank lines, missing ids, duplicate ids, empty texts, Parquet).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, stable

pyspark = pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("overlap tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def assert_same_as_cli(cli_out, spark_out, deduped=True):
    for name in ("clusters.jsonl", "pairs.jsonl"):
        assert (cli_out / name).read_bytes() == (spark_out / name).read_bytes(), name
    want = json.loads((cli_out / "summary.json").read_text())
    got = json.loads((spark_out / "summary.json").read_text())
    assert stable(got) == stable(want)
    if deduped:
        with gzip.open(cli_out / "deduped.jsonl.gz") as a, gzip.open(spark_out / "deduped.jsonl.gz") as b:
            assert a.read() == b.read()


def test_reuters_with_python_m_overlap_spark(data, cli_dedup, tmp_path):
    out = tmp_path / "spark"
    run = subprocess.run(
        [sys.executable, "-m", "overlap.spark", "dedup", str(data / "reuters21578.jsonl.gz"),
         "--out", str(out), "--master", "local[2]", "--quiet"],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert_same_as_cli(cli_dedup("reuters21578"), out)


def test_bbc_in_a_session(spark, data, cli_dedup, tmp_path):
    import overlap.spark

    summary = overlap.spark.dedup(spark, [str(data / "bbc-news.jsonl.gz")], str(tmp_path))
    assert summary["documents"]["removed_near"] > 0
    assert_same_as_cli(cli_dedup("bbc-news"), tmp_path)


LINES_A = [
    '{"id": "x1", "text": "the quick brown fox jumps over the lazy dog near the river bank today"}',
    "",
    '{"text": "the quick brown fox jumps over the lazy dog near the river bank today"}',
    '{"id": "x1", "text": "a reused id is a bad record even with new words in it"}',
    '{"id": "e", "text": " -- "}',
    '{"id": "bad", "text": ',
    '{"id": 42, "text": "numbers are ids too, written as their json text form here"}',
]
LINES_B = [
    '{"text": "the quick brown fox jumps over the lazy dog near the river bank today again"}',
    '   ',
    '{"id": "y", "text": "numbers are ids too, written as their json text form here"}',
]


def test_bad_records_and_ids_as_the_cli(spark, cli, tmp_path):
    import overlap
    import overlap.spark

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join(LINES_A) + "\n")
    b.write_text("\n".join(LINES_B) + "\n")
    inputs = [str(a), str(b)]
    cli("dedup", *inputs, "--out", tmp_path / "cli", "--on-error", "skip", "--quiet",
        "--threshold", "0.7", "--ngram", "3")
    overlap.spark.dedup(spark, inputs, str(tmp_path / "spark"), on_error="skip", threshold=0.7, ngram=3)
    cli_out, spark_out = tmp_path / "cli", tmp_path / "spark"
    for name in ("clusters.jsonl", "pairs.jsonl"):
        assert (cli_out / name).read_bytes() == (spark_out / name).read_bytes(), name
    want = json.loads((cli_out / "summary.json").read_text())
    got = json.loads((spark_out / "summary.json").read_text())
    assert stable(got) == stable(want)
    assert (cli_out / "deduped.jsonl").read_bytes() == (spark_out / "deduped.jsonl").read_bytes()
    with pytest.raises(overlap.InputError) as e:
        overlap.spark.dedup(spark, inputs, str(tmp_path / "fail"), threshold=0.7, ngram=3)
    assert (e.value.file, e.value.line, e.value.reason) == (str(a), 4, "duplicate_id")
    assert not (tmp_path / "fail" / "summary.json").exists()


def test_parquet_gives_the_clusters_of_jsonl(spark, corpora, cli_dedup, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    import overlap.spark

    docs = corpora["bbc-news"]
    table = pa.table({"id": [d["id"] for d in docs], "text": [d["text"] for d in docs]})
    path = tmp_path / "bbc.parquet"
    pq.write_table(table, path, row_group_size=300)
    out = tmp_path / "out"
    overlap.spark.dedup(spark, [str(path)], str(out))
    for name in ("clusters.jsonl", "pairs.jsonl"):
        assert (cli_dedup("bbc-news") / name).read_bytes() == (out / name).read_bytes(), name


def test_spark_submit_with_a_packed_environment(data, cli_dedup, tmp_path):
    """The README's cluster recipe: the package in a venv packed by venv-pack, shipped with
    --archives, run by spark-submit on executors in their own JVMs and working folders
    (local-cluster: a real master and workers on this machine), each running ./env/bin/python."""
    import pyspark

    root = ROOT / "crates" / "overlap-py"
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "pyarrow", "pandas<3", "numpy"], check=True)
    subprocess.run([*pip, str(root)], check=True)
    archive = tmp_path / "env.tar.gz"
    subprocess.run(
        [sys.executable, "-m", "venv_pack", "-p", str(env), "-o", str(archive), "-q"], check=True
    )
    script = subprocess.run(
        [str(env / "bin" / "python"), "-c", "import overlap.spark as m; print(m.__file__)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    spark_home = os.path.dirname(pyspark.__file__)
    out = tmp_path / "out"
    run = subprocess.run(
        [os.path.join(spark_home, "bin", "spark-submit"), "--master", "local-cluster[2,1,1024]",
         "--conf", "spark.ui.enabled=false", "--archives", f"{archive}#env",
         script, "dedup", str(data / "bbc-news.jsonl.gz"), "--out", str(out), "--quiet"],
        capture_output=True, text=True, cwd=tmp_path,
        env=dict(os.environ, SPARK_HOME=spark_home, PYSPARK_DRIVER_PYTHON=str(env / "bin" / "python"),
                 PYSPARK_PYTHON="./env/bin/python"),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert_same_as_cli(cli_dedup("bbc-news"), out)


def spark_and_cli(spark, cli, inputs, out, *options, **kw):
    """Run the CLI and the Spark job on the same inputs; return their output folders."""
    import overlap.spark

    cli("dedup", *inputs, "--out", out / "cli", "--quiet", *options)
    overlap.spark.dedup(spark, [str(i) for i in inputs], str(out / "spark"), **kw)
    return out / "cli", out / "spark"


def assert_same_lines_and_summary(cli_out, spark_out):
    for name in ("clusters.jsonl", "pairs.jsonl"):
        assert (cli_out / name).read_bytes() == (spark_out / name).read_bytes(), name
    want = json.loads((cli_out / "summary.json").read_text())
    got = json.loads((spark_out / "summary.json").read_text())
    assert stable(got) == stable(want)
    return want


def test_giant_buckets_and_empty_texts_as_the_cli(spark, cli, tmp_path):
    """Buckets past the CLI's all-pairs limit (64) give the CLI's pairs and first-match links; empty
    texts are accepted, flagged and never compared."""
    from conftest import template_corpus

    corpus = tmp_path / "template.jsonl"
    template_corpus(corpus)
    cli_out, spark_out = spark_and_cli(spark, cli, [corpus], tmp_path)
    want = assert_same_lines_and_summary(cli_out, spark_out)
    assert want["pairs"]["large_buckets"] > 0 and want["pairs"]["largest_bucket"] > 64
    assert want["documents"]["empty"] > 0
    assert any(json.loads(line).get("empty") for line in (spark_out / "clusters.jsonl").open())
    assert (cli_out / "deduped.jsonl").read_bytes() == (spark_out / "deduped.jsonl").read_bytes()


def test_generated_ids_get_the_clis_suffixes(spark, cli, tmp_path):
    """A record without an id gets FILE:LINE, with #2, #3, ... when an earlier record holds it: here
    the same file given twice, and ids that look generated."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(
        "\n".join(
            [
                json.dumps({"id": f"{b}:3", "text": "one two three four five six seven"}),
                json.dumps({"text": "eight nine ten eleven twelve thirteen"}),
                json.dumps({"id": f"{b}:2#2", "text": "fourteen fifteen sixteen seventeen"}),
            ]
        )
        + "\n"
    )
    b.write_text(
        "\n".join(
            [
                json.dumps({"text": "a text of b that has no id of its own"}),
                json.dumps({"text": "another text of b without an id here"}),
                json.dumps({"text": "a third text of b without any id"}),
                json.dumps({"id": f"{b}:1", "text": "given the id that b's first line got"}),
            ]
        )
        + "\n"
    )
    inputs = [a, b, b]
    cli_out, spark_out = spark_and_cli(spark, cli, inputs, tmp_path, "--on-error", "skip", on_error="skip")
    want = assert_same_lines_and_summary(cli_out, spark_out)
    ids = [json.loads(line)["id"] for line in (spark_out / "clusters.jsonl").open()]
    assert f"{b}:3#2" in ids and f"{b}:2#3" in ids and f"{b}:1#2" in ids
    assert want["skipped_by_reason"] == {"duplicate_id": 2}


def test_parquet_deduped_corpus_has_the_input_schema(spark, cli, corpora, tmp_path):
    """Parquet inputs give deduped.parquet: the kept rows, every column with its input type, in
    input order, as the CLI writes it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    docs = corpora["bbc-news"][:600]
    table = pa.table(
        {
            "id": pa.array([d["id"] for d in docs], pa.large_string()),
            "text": pa.array([d["text"] for d in docs], pa.large_string()),
            "n": pa.array(range(len(docs)), pa.uint32()),
            "outlet": pa.array(["bbc" if i % 3 else "wire" for i in range(len(docs))]).dictionary_encode(),
        }
    )
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    pq.write_table(table.slice(0, 400), one, row_group_size=150, compression="snappy")
    # The second file repeats texts of the first under new ids: they are removed as exact duplicates.
    again = table.slice(300, 300)
    again = again.set_column(0, "id", pa.array(["copy-" + i for i in again.column("id").to_pylist()], pa.large_string()))
    pq.write_table(again, two, row_group_size=100, compression="snappy")
    cli_out, spark_out = spark_and_cli(spark, cli, [one, two], tmp_path)
    assert_same_lines_and_summary(cli_out, spark_out)
    want, got = pq.read_table(cli_out / "deduped.parquet"), pq.read_table(spark_out / "deduped.parquet")
    assert got.schema.equals(want.schema) and got.schema.equals(pq.read_schema(one))
    # The same rows and values (a dictionary column's dictionary order may differ).
    assert got.to_pylist() == want.to_pylist()
    kept = [json.loads(line)["id"] for line in (cli_out / "clusters.jsonl").open() if json.loads(line)["kept"]]
    assert got.column("id").to_pylist() == kept and len(kept) < 700
    assert pq.ParquetFile(spark_out / "deduped.parquet").metadata.row_group(0).column(0).compression == "SNAPPY"


def test_zstd_jsonl_gives_a_zstd_deduped_corpus(spark, cli, corpora, tmp_path):
    import pyarrow as pa

    docs = corpora["reuters21578"][:3000]
    zst = tmp_path / "reuters.jsonl.zst"
    with pa.output_stream(str(zst), compression="zstd") as w:
        w.write("".join(json.dumps(d) + "\n" for d in docs).encode())
    cli_out, spark_out = spark_and_cli(spark, cli, [zst], tmp_path)
    assert_same_lines_and_summary(cli_out, spark_out)

    def unzstd(p):
        with pa.input_stream(str(p), compression="zstd") as r:
            return r.read()

    got = spark_out / "deduped.jsonl.zst"
    assert got.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    assert unzstd(got) == unzstd(cli_out / "deduped.jsonl.zst")


def test_text_files_and_folders_as_the_cli(spark, cli, corpora, tmp_path):
    """Plain text files are one document each (id: the path as given, or relative to the folder
    given), in the CLI's walk order, beside JSON Lines in the same folder; kept ones are copied to
    deduped/ at their ids' paths."""
    docs = corpora["bbc-news"][:40]
    folder = tmp_path / "corpus"
    (folder / "b sub").mkdir(parents=True)
    for k, d in enumerate(docs[:20]):
        (folder / ("b sub" if k % 2 else ".") / f"doc{k:02d}%.txt").write_text(d["text"])
    (folder / "copy.txt").write_text(docs[3]["text"])
    (folder / "empty.txt").write_text("")
    (folder / "nothing.jsonl").write_text("")
    (folder / "z.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs[15:40]))
    (folder / ".hidden").write_text("never read")
    single = tmp_path / "single.txt"
    single.write_text(docs[5]["text"] + " and a few more words at the end of it")
    cli_out, spark_out = spark_and_cli(spark, cli, [folder, single], tmp_path)
    want = assert_same_lines_and_summary(cli_out, spark_out)
    assert want["documents"]["removed_exact"] > 0 and want["documents"]["empty"] == 1
    assert "deduped/" in want["outputs"]
    cli_files = sorted(p.relative_to(cli_out / "deduped") for p in (cli_out / "deduped").rglob("*") if p.is_file())
    spark_files = sorted(p.relative_to(spark_out / "deduped") for p in (spark_out / "deduped").rglob("*") if p.is_file())
    assert cli_files == spark_files and len(cli_files) > 10
    for f in cli_files:
        assert (cli_out / "deduped" / f).read_bytes() == (spark_out / "deduped" / f).read_bytes()
    assert (cli_out / "deduped.jsonl").read_bytes() == (spark_out / "deduped.jsonl").read_bytes()


def test_the_same_parquet_file_twice_keeps_each_inputs_rows_in_order(spark, cli, tmp_path):
    """Each input is its own source even when two name one file: deduped.parquet holds the first
    input's kept rows, then the second's, every record accounted for, as the CLI writes it."""
    import pyarrow.parquet as pq

    from conftest import kept_rows_by_clusters, twice_parquet

    path = tmp_path / "a.parquet"
    twice_parquet(path)
    cli_out, spark_out = spark_and_cli(spark, cli, [path, path], tmp_path)
    want = assert_same_lines_and_summary(cli_out, spark_out)
    assert want["documents"]["accepted"] == 2 * pq.read_metadata(path).num_rows
    rows = kept_rows_by_clusters(cli_out, path, 2)
    assert pq.read_table(cli_out / "deduped.parquet").to_pylist() == rows
    assert pq.read_table(spark_out / "deduped.parquet").to_pylist() == rows


def test_guarded_clusters_are_the_clis(spark, cli, data, tmp_path):
    """--clusters guarded: the CLI's order-dependent rule (each document joins the earliest kept
    document it verifies against), on Reuters (chains the guard cuts) and on giant buckets (members
    joined lazily to later representatives)."""
    from conftest import template_corpus

    corpus = tmp_path / "template.jsonl"
    template_corpus(corpus)
    for name, inputs in (("template", [corpus]), ("reuters", [data / "reuters21578.jsonl.gz"])):
        cli_out, spark_out = spark_and_cli(
            spark, cli, inputs, tmp_path / name, "--clusters", "guarded", "--no-deduped",
            clusters="guarded", write_deduped=False,
        )
        want = assert_same_lines_and_summary(cli_out, spark_out)
        assert want["parameters"]["clusters"] == "guarded"
        assert want["clusters"]["split_by_guard"] > 0, name


def test_result_tables_as_parquet(spark, cli, tmp_path):
    """--output-format parquet: clusters.parquet and pairs.parquet with the CLI's schema and rows."""
    import pyarrow.parquet as pq

    from conftest import template_corpus

    corpus = tmp_path / "template.jsonl"
    template_corpus(corpus)
    cli_out, spark_out = spark_and_cli(
        spark, cli, [corpus], tmp_path, "--output-format", "parquet", output_format="parquet"
    )
    want = assert_same_lines_and_summary(cli_out, spark_out)
    assert want["outputs"][:4] == ["clusters.jsonl", "pairs.jsonl", "clusters.parquet", "pairs.parquet"]
    for name in ("clusters", "pairs"):
        a, b = pq.read_table(cli_out / f"{name}.parquet"), pq.read_table(spark_out / f"{name}.parquet")
        assert b.schema.equals(a.schema), name
        assert b.to_pylist() == a.to_pylist(), name
        jsonl = [json.loads(line) for line in (cli_out / f"{name}.jsonl").open()]
        assert len(jsonl) == b.num_rows > 0
    assert pq.ParquetFile(spark_out / "pairs.parquet").metadata.row_group(0).column(0).compression == "ZSTD"


def test_compressed_text_and_jsonl_inputs(spark, cli, corpora, tmp_path):
    """Text documents and JSON Lines compressed with gzip or zstd, told by their magic bytes as the
    CLI tells them, in a folder: the same clusters, pairs and deduplicated corpus as the CLI."""
    import pyarrow as pa

    def zstd(data: bytes) -> bytes:
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, "zstd") as w:
            w.write(data)
        return sink.getvalue().to_pybytes()

    docs = corpora["bbc-news"][:60]
    folder = tmp_path / "corpus"
    folder.mkdir()
    for k, d in enumerate(docs[:20]):
        body = d["text"].encode()
        if k % 3 == 0:
            (folder / f"doc{k:02d}.txt.gz").write_bytes(gzip.compress(body))
        elif k % 3 == 1:
            (folder / f"doc{k:02d}.txt.zst").write_bytes(zstd(body))
        else:
            (folder / f"doc{k:02d}.txt").write_bytes(body)
    # A gzip text without the .gz name: the magic bytes say it is compressed.
    (folder / "copy-of-3").write_bytes(gzip.compress(docs[3]["text"].encode()))
    lines = "".join(json.dumps(d) + "\n" for d in docs[10:60]).encode()
    (folder / "more.jsonl.gz").write_bytes(gzip.compress(lines))
    (folder / "zmore.jsonl.zst").write_bytes(zstd(lines.replace(b'"id": "', b'"id": "z-')))
    cli_out, spark_out = spark_and_cli(spark, cli, [folder], tmp_path)
    want = assert_same_lines_and_summary(cli_out, spark_out)
    assert want["documents"]["removed_exact"] >= 50
    assert {i["compression"] for i in want["inputs"]} >= {"gzip", "zstd"}
    with gzip.open(cli_out / "deduped.jsonl.gz") as a, gzip.open(spark_out / "deduped.jsonl.gz") as b:
        assert a.read() == b.read()
    cli_files = sorted(p.relative_to(cli_out / "deduped") for p in (cli_out / "deduped").rglob("*") if p.is_file())
    assert cli_files == sorted(p.relative_to(spark_out / "deduped") for p in (spark_out / "deduped").rglob("*") if p.is_file())
    for f in cli_files:
        assert (cli_out / "deduped" / f).read_bytes() == (spark_out / "deduped" / f).read_bytes()
    # Spark tells a JSON Lines file's compression by its name: a name that says otherwise is refused.
    hidden = tmp_path / "hidden.jsonl"
    hidden.write_bytes(gzip.compress(lines))
    import overlap
    import overlap.spark

    with pytest.raises(overlap.InputError) as e:
        overlap.spark.dedup(spark, [str(hidden)], str(tmp_path / "refused"))
    assert e.value.reason == "unsupported_format" and "rename" in str(e.value)
    assert not (tmp_path / "refused" / "summary.json").exists()


def test_connected_components_of_random_graphs(spark):
    """Large-star / small-star, stopped when the edges are stars, gives union-find's components on
    graphs that need several rounds (long chains, shuffled labels) and none (stars already)."""
    import random

    import overlap.spark

    r = random.Random(7)
    graphs = [[(i, i + 1) for i in range(40)], [(0, i) for i in range(1, 30)]]
    for _ in range(4):
        n = r.randint(20, 120)
        graphs.append([(r.randrange(n), r.randrange(n)) for _ in range(r.randint(5, 2 * n))])
    nodes = list(range(200))
    r.shuffle(nodes)
    graphs.append([(nodes[i], nodes[i + 1]) for i in range(0, 150)])
    for edges in graphs:
        parent = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                x = parent[x]
            return x

        for a, b in edges:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        want = {x: find(x) for a, b in edges for x in (a, b) if a != b}
        df = spark.createDataFrame(edges, "a long, b long")
        got = {r["ord"]: r["label"] for r in overlap.spark.connected_components(df).collect()}
        assert got == want
