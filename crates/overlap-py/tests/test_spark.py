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
