"""``overlap dedup`` on Apache Spark, with the CLI's results.

Run it as ``python -m overlap.spark dedup INPUT... --out DIR [options]`` (``--master local[4]``, or
under ``spark-submit`` with the master it sets), or from Python with :func:`dedup`.

The stages, and where each runs:

1. **read**: local inputs are expanded into files by the CLI's own discovery (folders walked, formats
   by name and magic bytes); JSON Lines are read by ``spark.read.text`` (lines split on ``\\n`` only,
   as the CLI does), Parquet by ``spark.read.parquet``, text files (one document each) by the
   ``binaryFile`` source. Every record gets its input position from the file, the split's start
   and its place in the split, so "first in input order" means what it means to the CLI.
2. **parse + sketch** (``mapInArrow``, on the executors): the engine parses each JSON line (or reads
   each text file), applies the CLI's bad-record rules (malformed JSON, missing or mistyped fields,
   size limit, UTF-8), and computes the exact key and the LSH band keys with the CLI's parameters
   (:func:`overlap.band_keys`); a gzip input (one split) is spread over the cores first. Empty
   documents are accepted and flagged. Duplicate ids are found by ranking, on ``(ord, id)`` alone,
   the ids held twice; generated ids (``FILE:LINE``) that meet another id get the CLI's ``#2``
   suffixes on the driver (only the records whose ids can meet travel there).
3. **candidates**: one aggregation per ``(band, key)`` bucket (its members in input order), with the
   CLI's bound on giant buckets (:func:`overlap._native.bucket_limits`): every pair of exact-group
   representatives in a bucket of at most 64, and in a larger bucket the pairs of its first 8
   members plus a first-match group for every later member, made by SQL array functions.
4. **verify** (``mapInArrow``): the true Jaccard of each candidate pair's shingle sets, by the engine
   (only the texts of documents in a pair are joined to the pairs); a first-match member is linked
   to the first representative it reaches the threshold with.
5. **clusters**: connected components of the exact links and verified pairs, by the alternating
   large-star / small-star algorithm (Kiveris et al., 2014) in DataFrame operations, stopped when the
   edges are stars (often at once: a dedup graph is mostly stars around first documents); each
   cluster's label is its first document in input order, the CLI's representative. With
   ``clusters="guarded"``, the engine's order-dependent rule runs on the driver over the verified
   edges sorted by their later document (:func:`overlap._native.guarded_joins`).
6. **write** (on the driver, streamed in input order): ``clusters.jsonl``, ``pairs.jsonl`` (and
   ``clusters.parquet``, ``pairs.parquet`` with ``output_format="parquet"``),
   the deduplicated corpus (``deduped.jsonl[.gz|.zst]`` of JSON Lines inputs, ``deduped.parquet`` of
   Parquet inputs, with their schema, read again row group by row group) and ``summary.json``, staged in
   ``DIR/.overlap-tmp-staging-*`` and renamed into place, ``summary.json`` last.

Memory: executors hold one Arrow batch of records at a time; the driver holds the list of input
splits and streams the outputs, and for guarded clusters the verified edges; the shuffles are
Spark's (they spill to disk as Spark does). Broadcast: the ids settled on the driver, the records
rejected for a reused id, the exact copies (at most 2M) and the documents in candidate pairs (at
most 4M).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import overlap
from overlap import _native, _options
from overlap._errors import InputError

_STAGING = ".overlap-tmp-staging-"


def _spark_imports() -> Any:
    try:
        from pyspark.sql import functions as F  # noqa: N812
        from pyspark.sql import types as T  # noqa: N812
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "overlap.spark needs pyspark, pyarrow and pandas: pip install 'overlap[spark]'"
        ) from e
    return F, T


def _input_format(path: str, forced: Optional[str]) -> str:
    if forced:
        return forced
    base = path.rstrip("/")
    for ext in (".gz", ".zst", ".bz2"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return "parquet" if base.endswith(".parquet") or base.endswith(".parq") else "jsonl"


def _compression(path: str, fmt: str = "jsonl") -> str:
    """An input's compression as the CLI lists it: told by the magic bytes of a local file, by the
    name of a remote one; a Parquet file's is "none" (its pages carry their own)."""
    if fmt == "parquet":
        return "none"
    if path.startswith("file:"):
        try:
            with open(_local(path), "rb") as f:
                return _native.compression_of(f.read(8))
        except OSError:
            pass
    if path.endswith(".gz"):
        return "gzip"
    if path.endswith(".zst"):
        return "zstd"
    return "none"


def _check_compression_name(name: str, path: str) -> None:
    """Spark decompresses JSON Lines by their names (Hadoop's codecs), the CLI by their magic bytes:
    refuse a local file whose name says otherwise than its bytes, rather than read it garbled."""
    by_name = _compression(path)
    with open(path, "rb") as f:
        by_bytes = _native.compression_of(f.read(8))
    if by_name != by_bytes:
        ext = {"gzip": ".gz", "zstd": ".zst", "none": "no compression suffix"}[by_bytes]
        raise InputError(
            f"{name}: the file is {by_bytes}-compressed but its name says {by_name}; Spark tells "
            f"compression by the name, so rename it ({ext}) for the Spark job",
            file=name,
            reason="unsupported_format",
        )


def _walk_key(relative: str) -> List[str]:
    # The CLI walks a directory in byte order of entry names at every level: compare component by
    # component, not as one string ("a/b" comes before "a.txt").
    return relative.split("/")


def dedup(
    spark: Any,
    inputs: Sequence[str],
    out: str,
    *,
    threshold: float = 0.8,
    ngram: int = 5,
    num_perm: int = 128,
    seed: int = 1,
    scheme: str = "one-permutation",
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    fn_weight: Optional[float] = None,
    nfkc: bool = True,
    case_fold: bool = True,
    id_field: str = "id",
    text_field: str = "text",
    format: Optional[str] = None,
    on_error: str = "fail",
    max_record_bytes: int = 64 << 20,
    write_deduped: bool = True,
    clusters: str = "components",
    output_format: str = "jsonl",
) -> Dict[str, Any]:
    """Deduplicate ``inputs`` with ``spark`` (a ``SparkSession``) into ``out``; returns the summary.

    The options and outputs are :func:`overlap.dedup`'s: ``clusters.jsonl`` and ``pairs.jsonl``
    have exactly the CLI's lines for the same inputs and options. ``clusters="guarded"`` is
    ``--clusters guarded``; ``output_format="parquet"`` also writes ``clusters.parquet`` and
    ``pairs.parquet``, as ``--output-format parquet`` does.

    Example:
        >>> from pyspark.sql import SparkSession  # doctest: +SKIP
        >>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
        >>> s = overlap.spark.dedup(spark, ["corpus.jsonl.gz"], "out/spark")  # doctest: +SKIP
    """
    options = _options.of_call(locals(), "spark", "inputs", "out")
    F, T = _spark_imports()
    started = time.perf_counter()
    timings: Dict[str, float] = {}
    # Finer than the stages: the time up to each Spark action (where the lazy work runs), for
    # summary.json's "spark" section and the benchmarks.
    steps = _Steps()
    if on_error not in ("fail", "skip"):
        raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    if output_format not in ("jsonl", "parquet"):
        raise ValueError(f"output_format must be 'jsonl' or 'parquet', got {output_format!r}")
    if format not in (None, "jsonl", "parquet", "text"):
        raise ValueError(f"format must be 'jsonl', 'parquet' or 'text', got {format!r}")
    sketch_opts = _options.pick(options, _options.SKETCH)
    # Validates every option (ValueError) before Spark does any work.
    checked = _options.pick(options, _options.SKETCH + _options.RECORDS + ("on_error", "clusters"))
    parameters = json.loads(_native.dedup_parameters(_options.to_json(checked)))
    if not inputs:
        raise InputError("no input documents: no input paths given", reason="no_input")

    # Stage 1: read every input, with its place in input order. Local inputs are expanded as the
    # CLI expands them (directories walked, each file's format told by its name and magic bytes,
    # text files one document each, ids made lossless); each format of an input is one Spark read.
    t = time.perf_counter()
    frames = []
    formats = []
    # For local inputs: (input, absolute path) -> (rank in the input, name, format, text id).
    local: Dict[Tuple[int, str], Tuple[int, str, str, Optional[str]]] = {}
    empty_texts: List[Tuple[int, str]] = []
    for i, path in enumerate(inputs):
        if _is_local(path):
            found = _native.discover_sources([path], format)
            by_format: Dict[str, List[str]] = {}
            for rank, (name, file, fmt, text_id) in enumerate(found):
                if fmt == "jsonl":
                    _check_compression_name(name, file)
                local[(i, os.path.abspath(file))] = (rank, name, fmt, text_id)
                by_format.setdefault(fmt, []).append(os.path.abspath(file))
            formats.append(found[0][2] if len({f[2] for f in found}) == 1 else "mixed")
            # Spark's file scans skip empty files; an empty text file is still a document (empty).
            texts_here = by_format.get("text", [])
            empty_texts += [(i, f) for f in texts_here if os.path.getsize(f) == 0]
            if texts_here:
                by_format["text"] = [f for f in texts_here if os.path.getsize(f) > 0]
            reads = [(fmt, files) for fmt, files in by_format.items() if files]
        else:
            fmt = _input_format(path, format)
            formats.append(fmt)
            reads = [(fmt, path)]
        for fmt, where in reads:
            frames.append(
                _read_frame(spark, F, i, fmt, where, path, id_field, text_field).select(
                    F.lit(i).alias("input"),
                    F.col("_metadata.file_path").alias("file"),
                    F.col("_metadata.file_block_start").alias("block"),
                    F.monotonically_increasing_id().alias("mono"),
                    "raw",
                    "pid",
                    "ptext",
                    "content",
                )
            )
    if empty_texts:
        from urllib.parse import quote

        frames.append(
            spark.createDataFrame(
                [(i, "file:" + quote(f), 0, 0, None, None, None, b"") for i, f in empty_texts],
                "input int, file string, block long, mono long, raw binary, pid string, ptext string, content binary",
            )
        )
    lines = frames[0]
    for f in frames[1:]:
        lines = lines.unionByName(f)
    # Not cached: the splits below read the inputs once for their counts, the parse reads them again
    # (decompressing twice costs less than caching every raw line for one count).

    # The splits, in input order: each split's first line number in its file and first position in
    # the corpus. One row per split, small enough for the driver.
    splits = (
        lines.groupBy("input", "file", "block")
        .agg(F.min("mono").alias("first_mono"), F.count(F.lit(1)).alias("n"))
        .collect()
    )
    steps("read: splits")
    if not splits:
        raise InputError("no input documents: the inputs hold no records", reason="no_input")
    names: Dict[Tuple[int, str], str] = {}
    file_rank: Dict[Tuple[int, str], int] = {}
    file_fmt: Dict[Tuple[int, str], str] = {}
    text_ids: Dict[Tuple[int, str], Optional[str]] = {}
    for i, path in enumerate(inputs):
        files = sorted({r["file"] for r in splits if r["input"] == i})
        if local and _is_local(path):
            seen = set()
            for f in files:
                rank, name, fmt, text_id = _local_source(local, i, f)
                names[(i, f)], file_rank[(i, f)], file_fmt[(i, f)] = name, rank, fmt
                text_ids[(i, f)] = text_id
                seen.add(rank)
            # Files without a record (an empty JSON Lines file) are still inputs of the summary.
            from urllib.parse import quote

            for (k, abspath), (rank, name, fmt, text_id) in local.items():
                if k == i and rank not in seen:
                    f = "file:" + quote(abspath)
                    names[(i, f)], file_rank[(i, f)], file_fmt[(i, f)] = name, rank, fmt
                    text_ids[(i, f)] = text_id
            continue
        if not files:
            continue
        if len(files) == 1 and not _is_dir(spark, inputs[i]):
            names[(i, files[0])] = inputs[i]
            ordered = files
        else:
            prefix = os.path.commonpath([f.split(":", 1)[-1] for f in files]) if len(files) > 1 else os.path.dirname(files[0].split(":", 1)[-1])
            root = _qualified_dir(spark, inputs[i]) or prefix
            rel = {f: f.split(":", 1)[-1][len(root.split(":", 1)[-1]) :].lstrip("/") for f in files}
            ordered = sorted(files, key=lambda f: _walk_key(rel[f]))
            for f in ordered:
                names[(i, f)] = inputs[i].rstrip("/") + "/" + rel[f]
        for k, f in enumerate(ordered):
            file_rank[(i, f)] = k
            file_fmt[(i, f)] = formats[i]
            text_ids[(i, f)] = None
    if write_deduped:
        _parquet_schemas_agree(
            spark, [f for k, f in sorted(names, key=lambda k: (k[0], file_rank[k])) if file_fmt[(k, f)] == "parquet"]
        )
    splits.sort(key=lambda r: (r["input"], file_rank[(r["input"], r["file"])], r["block"]))
    split_rows = []
    position = 0
    line_in_file: Dict[Tuple[int, str], int] = {}
    for r in splits:
        key = (r["input"], r["file"])
        first_line = line_in_file.get(key, 0)
        split_rows.append(
            (r["input"], r["file"], r["block"], r["first_mono"], position, first_line, file_rank[key])
        )
        position += r["n"]
        line_in_file[key] = first_line + r["n"]
    source_count = len(names)
    split_df = spark.createDataFrame(
        split_rows,
        "input int, file string, block long, first_mono long, start long, first_line long, file_rank int",
    )
    placed = lines.join(F.broadcast(split_df), ["input", "file", "block"]).select(
        (F.col("start") + F.col("mono") - F.col("first_mono")).alias("ord"),
        "input",
        "file",
        (F.col("first_line") + F.col("mono") - F.col("first_mono") + 1).alias("line"),
        "raw",
        "pid",
        "ptext",
        "content",
    )
    name_df = spark.createDataFrame(
        [(i, f, n, text_ids[(i, f)]) for (i, f), n in names.items()],
        "input int, file string, name string, text_id string",
    )
    placed = placed.join(F.broadcast(name_df), ["input", "file"])

    # Stage 2: parse and sketch on the executors.
    parse_opts = _options.to_json(_options.pick(options, _options.RECORDS))
    sketch_json = _options.to_json(sketch_opts, signatures=False, threads=1)
    n_bands, _ = overlap.lsh_params(**_options.pick(options, _options.LSH))
    schema = T.StructType(
        [
            T.StructField("ord", T.LongType()),
            T.StructField("name", T.StringType()),
            T.StructField("line", T.LongType()),
            T.StructField("blank", T.BooleanType()),
            T.StructField("rid", T.StringType()),
            T.StructField("text", T.StringType()),
            T.StructField("reason", T.StringType()),
            T.StructField("message", T.StringType()),
            T.StructField("exact", T.StringType()),
            T.StructField("words", T.LongType()),
            T.StructField("bands", T.ArrayType(T.LongType())),
            T.StructField("raw", T.BinaryType()),
            T.StructField("file", T.StringType()),
            T.StructField("input", T.IntegerType()),
        ]
    )

    def parse_and_sketch(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa

        from overlap import _native as native

        for batch in batches:
            raw = batch.column("raw").to_pylist()
            pid = batch.column("pid").to_pylist()
            ptext = batch.column("ptext").to_pylist()
            n = len(raw)
            blank = [r is not None and r.strip() == b"" for r in raw]
            jsonl_rows = [i for i in range(n) if raw[i] is not None and not blank[i]]
            rid: List[Optional[str]] = list(pid)
            text: List[Optional[str]] = [t if t is not None else "" for t in ptext]
            reason: List[Optional[str]] = [None] * n
            message: List[Optional[str]] = [None] * n
            if jsonl_rows:
                parsed = native.parse_records([raw[i] for i in jsonl_rows], parse_opts)
                for i, (pi, pt, pr, pm) in zip(jsonl_rows, parsed):
                    rid[i], text[i], reason[i], message[i] = pi, pt, pr, pm
            # A text file is one document, read as the CLI reads it; its id is its text id.
            content = batch.column("content").to_pylist()
            names_col = batch.column("name").to_pylist()
            text_id = batch.column("text_id").to_pylist()
            for i in range(n):
                if content[i] is not None:
                    text[i], reason[i], message[i] = native.text_document(content[i], names_col[i], max_record_bytes)
                    rid[i] = text_id[i]
            for i in range(n):
                if raw[i] is not None and blank[i]:
                    text[i] = None
            good = [i for i in range(n) if reason[i] is None and text[i] is not None]
            exact: List[Optional[str]] = [None] * n
            words: List[Optional[int]] = [None] * n
            bands_col: List[Optional[List[int]]] = [None] * n
            if good:
                e, w, _, keys = native.sketch_texts([text[i] for i in good], sketch_json)
                keys = np.frombuffer(keys, dtype="<u8").view("<i8").reshape(-1, n_bands)
                for k, i in enumerate(good):
                    exact[i], words[i], bands_col[i] = e[k], w[k], keys[k].tolist()
            yield pa.RecordBatch.from_arrays(
                [
                    batch.column("ord"),
                    batch.column("name"),
                    batch.column("line"),
                    pa.array(blank, pa.bool_()),
                    pa.array(rid, pa.string()),
                    pa.array(text, pa.string()),
                    pa.array(reason, pa.string()),
                    pa.array(message, pa.string()),
                    pa.array(exact, pa.string()),
                    pa.array(words, pa.int64()),
                    pa.array(bands_col, pa.list_(pa.int64())),
                    batch.column("raw"),
                    batch.column("file"),
                    batch.column("input"),
                ],
                schema=pa.schema(
                    [
                        ("ord", pa.int64()),
                        ("name", pa.string()),
                        ("line", pa.int64()),
                        ("blank", pa.bool_()),
                        ("rid", pa.string()),
                        ("text", pa.string()),
                        ("reason", pa.string()),
                        ("message", pa.string()),
                        ("exact", pa.string()),
                        ("words", pa.int64()),
                        ("bands", pa.list_(pa.int64())),
                        ("raw", pa.binary()),
                        ("file", pa.string()),
                        ("input", pa.int32()),
                    ]
                ),
            )

    # A gzip file is one split: spread its records over the cores before the engine's work (the
    # records keep their input positions, so the order of rows does not matter from here on).
    parallelism = spark.sparkContext.defaultParallelism
    if placed.rdd.getNumPartitions() < parallelism:
        placed = placed.repartition(parallelism, "ord")
    records = placed.mapInArrow(parse_and_sketch, schema).persist()

    # Ids as the CLI gives them, then the bad-record rules in the CLI's order: parse problems,
    # then ids already used by an earlier accepted record. A record without an id gets `FILE:LINE`;
    # when an earlier record already holds that, `#2`, `#3`, ... is appended until it is free.
    from pyspark.sql.window import Window

    line_id = F.concat(F.col("name"), F.lit(":"), F.col("line").cast("string"))
    is_jsonl = F.col("raw").isNotNull()
    good = F.col("reason").isNull()
    recs = records.where(~F.col("blank")).withColumn("base", line_id)
    recs = recs.withColumn(
        "stem",
        F.when(F.col("rid").isNull(), F.col("base")).otherwise(F.regexp_replace("rid", "#[0-9]+$", "")),
    )
    decided = _generated_ids(spark, recs.where(good), F)
    steps("parse+sketch, generated ids")
    # The driver-settled ids are few (ids that meet generated ones): broadcast, so that the records
    # (texts, raw lines) are not shuffled for them.
    recs = recs.join(F.broadcast(decided), "ord", "left") if decided is not None else (
        recs.withColumn("fid", F.lit(None).cast("string"))
        .withColumn("freason", F.lit(None).cast("string"))
        .withColumn("fmessage", F.lit(None).cast("string"))
    )
    recs = recs.withColumn("id", F.coalesce(F.col("fid"), F.col("rid"), F.col("base")))
    # An id is taken by the first accepted record that has it; later ones are duplicate_id. Records
    # whose ids were settled on the driver (above) share no id with the others. Only the ids held
    # twice are ranked (on (ord, id) alone), and the few records they reject are broadcast back.
    held = recs.where(good & F.col("fid").isNull()).select("ord", "id")
    twice = held.groupBy("id").agg(F.count(F.lit(1)).alias("n")).where(F.col("n") > 1).select("id")
    first_use = Window.partitionBy("id").orderBy("ord")
    rejected = (
        held.join(twice, "id")
        .withColumn("id_rank", F.row_number().over(first_use))
        .where(F.col("id_rank") > 1)
        .select("ord", F.lit(True).alias("reused"))
    )
    recs = recs.join(F.broadcast(rejected), "ord", "left")
    recs = recs.withColumn(
        "reason",
        F.when(F.col("freason").isNotNull(), F.col("freason"))
        .when(F.col("reused"), F.lit("duplicate_id"))
        .otherwise(F.col("reason")),
    ).withColumn("message", F.coalesce(F.col("fmessage"), F.col("message")))

    problems = (
        recs.where(F.col("reason").isNotNull())
        .select(
            "ord",
            F.col("name").alias("file"),
            F.when(is_jsonl, F.col("line")).alias("line"),
            F.when(F.col("rid").isNotNull() | (F.col("reason") == "duplicate_id"), F.col("id")).alias("id"),
            "reason",
            "message",
        )
        .orderBy("ord")
    )
    if on_error == "fail":
        first = [_problem(r) for r in problems.limit(1).collect()]
        if first:
            p = first[0]
            where = f"{p['file']}:{p['line']}" if p["line"] is not None else p["file"]
            raise InputError(
                f"{where}: {p['message']} (use --on-error skip to skip bad records and list them in summary.json)",
                file=p["file"],
                line=p["line"],
                reason=p["reason"],
                id=p["id"],
            )
        skipped: List[Dict[str, Any]] = []
    else:
        skipped = [_problem(r) for r in problems.toLocalIterator()]
    steps("bad records, duplicate ids")
    inputs_summary = _inputs_summary(records, names, file_rank, file_fmt, F)
    steps("inputs summary")
    docs = recs.where(F.col("reason").isNull()).select(
        "ord", "id", "text", "exact", "words", "bands", "raw", "input", "file", "line"
    )
    # Empty documents share the empty text's key but are not copies of each other: each is its own
    # exact group, and none takes part in the band join.
    docs = docs.withColumn("empty", F.col("words") == 0).withColumn(
        "exact", F.when(F.col("empty"), F.concat(F.lit("empty:"), F.col("ord").cast("string"))).otherwise(F.col("exact").cast("string"))
    )
    # Each document's exact group by its first member: only the copies (first != ord) are joined
    # back, broadcast when they are few, so that the documents are not shuffled for them.
    keys = docs.select("ord", "exact")
    groups = keys.groupBy("exact").agg(F.min("ord").alias("first"), F.count(F.lit(1)).alias("n"))
    copies = (
        keys.join(groups.where(F.col("n") > 1), "exact")
        .where(F.col("ord") != F.col("first"))
        .select("ord", "first")
        .persist()
    )
    hint = F.broadcast(copies) if copies.count() <= 2_000_000 else copies
    docs = (
        docs.join(hint, "ord", "left")
        .withColumn("first", F.coalesce(F.col("first"), F.col("ord")))
        .localCheckpoint()
    )
    # Checkpointed (materialized, its lineage cut) before the records are let go: computing it again
    # would parse and sketch again, and every later plan that reads it would carry the whole read.
    steps("exact groups")
    records.unpersist()
    copies.unpersist()
    timings["read_sketch"] = _ms(t)

    # Stage 3: candidates, by a shuffle on (band, key) among exact-group representatives, with the
    # CLI's bound on giant buckets: a bucket of at most `limit` documents gives all its pairs; a
    # larger one the pairs of its first `reps` members (in input order) and, for each later member,
    # a first-match group with those representatives.
    t = time.perf_counter()
    limit, n_reps = _native.bucket_limits()
    reps = docs.where((F.col("ord") == F.col("first")) & ~F.col("empty"))
    entries = reps.select("ord", F.posexplode("bands").alias("band", "key"))
    # One aggregation per bucket (a hash shuffle, no sort of the entries); only buckets of two or
    # more documents go on, their members in input order. Pairs are made in SQL (no Python).
    buckets = (
        entries.groupBy("band", "key")
        .agg(F.count(F.lit(1)).alias("size"), F.array_sort(F.collect_list("ord")).alias("m"))
        .where(F.col("size") > 1)
        .persist()
    )
    stats = buckets.agg(
        F.max("size").alias("largest"), F.sum(F.when(F.col("size") > limit, 1).otherwise(0)).alias("large")
    ).collect()[0]
    # Every accepted record is an exact-group representative or a copy of one; the CLI's buckets
    # include empty documents and singletons, each alone in its buckets.
    steps("buckets")
    largest_bucket = max(stats["largest"] or 0, 1 if docs.limit(1).count() else 0)
    large_buckets = stats["large"] or 0
    # All pairs of a bucket of at most `limit`; of a larger one, the pairs of its first `n_reps`.
    paired = F.when(F.col("size") <= limit, F.col("m")).otherwise(F.slice("m", 1, n_reps))
    all_pairs = F.expr(
        "flatten(transform(sequence(1, size(r) - 1), i -> "
        "transform(sequence(0, i - 1), j -> named_struct('a', r[j], 'b', r[i]))))"
    )
    candidates = (
        buckets.select(paired.alias("r"))
        .select(F.explode(all_pairs).alias("p"))
        .select("p.a", "p.b")
        .distinct()
        .localCheckpoint()
    )
    # Each later member of a large bucket, with the bucket's first `n_reps`: its first-match group.
    group = F.expr(
        f"flatten(transform(slice(m, {n_reps + 1}, size(m) - {n_reps}), x -> "
        f"transform(slice(m, 1, {n_reps}), r -> named_struct('a', r, 'b', x))))"
    )
    first_match = (
        buckets.where(F.col("size") > limit)
        .select(F.explode(group).alias("p"))
        .select("p.a", "p.b")
        .distinct()
        .localCheckpoint()
    )
    n_candidates = candidates.count() + first_match.count()
    steps("candidate pairs")
    buckets.unpersist()
    timings["candidates"] = _ms(t)

    # Stage 4: verification by true Jaccard, on the executors: each pair on its own; each
    # first-match member linked to the first representative (in input order) it verifies against.
    t = time.perf_counter()
    # Only the texts of documents in a candidate pair travel to the pairs (most documents are in
    # none): the documents are filtered by a broadcast of those, not shuffled.
    involved = (
        candidates.select(F.col("a").alias("ord"))
        .unionByName(candidates.select(F.col("b").alias("ord")))
        .unionByName(first_match.select(F.col("a").alias("ord")))
        .unionByName(first_match.select(F.col("b").alias("ord")))
        .distinct()
    )
    # (At most two documents per pair: past 4M of them a plain join instead.)
    if 2 * n_candidates <= 4_000_000:
        involved = F.broadcast(involved)
    texts = docs.select("ord", "text").join(involved, "ord", "left_semi")
    jaccard_json = _options.to_json(ngram=ngram, nfkc=nfkc, case_fold=case_fold, threads=1)

    def verify(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from overlap import _native as native
        from overlap._texts import prepare

        for batch in batches:
            j = native.pair_jaccard(prepare(batch.column("ta")), prepare(batch.column("tb")), jaccard_json)
            yield pa.RecordBatch.from_arrays(
                [batch.column("a"), batch.column("b"), pa.array(j, pa.float64())],
                names=["a", "b", "jaccard"],
            )

    def verified(pairs: Any) -> Any:
        with_texts = (
            pairs.join(texts.select(F.col("ord").alias("a"), F.col("text").alias("ta")), "a")
            .join(texts.select(F.col("ord").alias("b"), F.col("text").alias("tb")), "b")
            .select("a", "b", "ta", "tb")
        )
        return with_texts.mapInArrow(verify, "a long, b long, jaccard double").where(
            F.col("jaccard") >= F.lit(float(threshold))
        )

    pair_edges = verified(candidates)
    matches = verified(first_match).persist()
    first_rep = Window.partitionBy("b").orderBy("a")
    group_edges = (
        matches.withColumn("k", F.row_number().over(first_rep)).where(F.col("k") == 1).drop("k")
    )
    near = pair_edges.unionByName(group_edges).dropDuplicates(["a", "b"]).localCheckpoint()
    unmatched_members = first_match.select("b").distinct().count() - matches.select("b").distinct().count()
    n_near = near.count()
    steps("verify")
    candidates.unpersist()
    first_match.unpersist()
    timings["verify"] = _ms(t)

    # Stage 5: clusters; label = the document kept for it. Components: connected components of the
    # exact links and near pairs, labelled by their first document in input order. Guarded: each
    # representative, in input order, joins the earliest kept document it verified against.
    t = time.perf_counter()
    exact_links = docs.where(F.col("ord") != F.col("first")).select(F.col("first").alias("a"), F.col("ord").alias("b"))
    split_by_guard = 0
    # What the clusters and the outputs need of each document: no text or band keys, and the raw
    # line only when deduped.jsonl is written.
    jsonl_deduped = write_deduped and any(fmt == "jsonl" for fmt in file_fmt.values())
    meta = docs.select(
        "ord", "id", "first", "empty", "words", "input", "file", "line",
        (F.col("raw") if jsonl_deduped else F.lit(None).cast("binary")).alias("raw"),
    )
    raw_if_kept = F.when(F.col("label") == F.col("ord"), F.col("raw")).alias("raw")
    if clusters == "guarded":
        near, joins, split_by_guard = _guarded(spark, F, near, matches)
        matches.unpersist()
        assigned = (
            meta.join(joins.select(F.col("b").alias("first"), F.col("a").alias("joined")), "first", "left")
            .withColumn("label", F.coalesce(F.col("joined"), F.col("first")))
            .drop("joined")
            .persist()
        )
    else:
        matches.unpersist()
        edges = exact_links.unionByName(near.select("a", "b"))
        labels = connected_components(edges, steps=steps)
        assigned = (
            meta.join(labels, "ord", "left")
            .withColumn("label", F.coalesce(F.col("label"), F.col("ord")))
            .persist()
        )
    if clusters == "guarded":
        n_near = near.count()
    steps("labels")
    ids = docs.select(F.col("ord").alias("label"), F.col("id").alias("cluster_id"))
    cluster_rows = assigned.join(ids, "label").select(
        "ord",
        "id",
        "cluster_id",
        (F.col("label") == F.col("ord")).alias("kept"),
        F.when(F.col("label") == F.col("ord"), F.lit("unique"))
        .when(F.col("first") != F.col("ord"), F.lit("exact"))
        .otherwise(F.lit("near"))
        .alias("reason"),
        "empty",
        raw_if_kept,
        "input",
        "file",
        "line",
    ).persist()
    sizes = assigned.groupBy("label").agg(F.count(F.lit(1)).alias("size"))
    cluster_stats = sizes.agg(
        F.count(F.lit(1)).alias("total"),
        F.sum(F.when(F.col("size") > 1, 1).otherwise(0)).alias("with_duplicates"),
        F.max("size").alias("largest"),
    ).collect()[0]
    # The document counts in one pass: reasons as clusters.jsonl gives them.
    doc_counts = assigned.agg(
        F.count(F.lit(1)).alias("accepted"),
        F.sum(F.when(F.col("empty"), 1).otherwise(0)).alias("empty"),
        F.sum(F.when((F.col("words") < ngram) & ~F.col("empty"), 1).otherwise(0)).alias("short"),
        F.sum(F.when(F.col("label") == F.col("ord"), 1).otherwise(0)).alias("unique"),
        F.sum(F.when((F.col("label") != F.col("ord")) & (F.col("first") != F.col("ord")), 1).otherwise(0)).alias("exact"),
    ).collect()[0]
    accepted, empty, short = doc_counts["accepted"], doc_counts["empty"] or 0, doc_counts["short"] or 0
    by_reason = {"unique": doc_counts["unique"] or 0, "exact": doc_counts["exact"] or 0}
    by_reason["near"] = accepted - by_reason["unique"] - by_reason["exact"]
    steps("cluster counts")
    timings["cluster"] = _ms(t)

    # Stage 6: outputs, streamed in input order into a staging folder, then renamed into place.
    t = time.perf_counter()
    os.makedirs(out, exist_ok=True)
    for entry in os.listdir(out):
        if entry.startswith(".overlap-tmp-"):
            shutil.rmtree(os.path.join(out, entry), ignore_errors=True)
    staging = os.path.join(out, f"{_STAGING}{os.getpid()}-0")
    os.makedirs(staging)
    outputs = ["clusters.jsonl", "pairs.jsonl"]
    try:
        # The deduplicated corpus, as the CLI writes it: the kept JSON Lines records, unchanged, in
        # one deduped.jsonl[.gz|.zst] (compressed like the inputs when they agree, gzip otherwise),
        # and the kept rows of Parquet inputs in deduped.parquet (the input's schema).
        file_format = {f: file_fmt[(i, f)] for (i, f) in names}
        jsonl_inputs = any(fmt == "jsonl" for fmt in file_fmt.values())
        deduped_file = None
        kind = "none"
        deduped_name = None
        if write_deduped and jsonl_inputs:
            kinds = {c["compression"] for c in inputs_summary if c["format"] == "jsonl"}
            kind = kinds.pop() if len(kinds) == 1 else "gzip"
            deduped_name = "deduped.jsonl" + {"none": "", "gzip": ".gz", "zstd": ".zst"}[kind]
            path = os.path.join(staging, deduped_name)
            deduped_file = open(path, "wb")
        # Kept Parquet rows by input and file: one file given twice is two inputs, each its own rows.
        kept_rows: Dict[Tuple[int, str], List[int]] = {}
        kept_texts: List[Tuple[str, str, str]] = []
        block: List[bytes] = []
        block_bytes = 0
        tables = output_format == "parquet"
        cluster_table = (
            _TableWriter(os.path.join(staging, "clusters.parquet"),
                         [("id", "string"), ("cluster", "string"), ("kept", "bool"), ("reason", "string")])
            if tables else None
        )
        with open(os.path.join(staging, "clusters.jsonl"), "w", encoding="utf-8") as w:
            # The driver pulls one range of input order at a time: ranges small enough (about
            # 20,000 records, with their raw lines) that a task's result stays in memory.
            parts = max(int(spark.conf.get("spark.sql.shuffle.partitions")), -(-accepted // 20_000))
            in_order = cluster_rows.repartitionByRange(parts, "ord").sortWithinPartitions("ord")
            for r in in_order.toLocalIterator():
                line = {"id": r["id"], "cluster": r["cluster_id"], "kept": r["kept"], "reason": r["reason"]}
                if r["empty"]:
                    line["empty"] = True
                w.write(_line(line))
                if cluster_table is not None:
                    cluster_table.add(r["id"], r["cluster_id"], r["kept"], r["reason"])
                if not (write_deduped and r["kept"]):
                    continue
                if r["raw"] is not None and deduped_file is not None:
                    if kind != "none":
                        # One gzip member or zstd frame per block, compressed by the engine at the
                        # CLI's level (without the GIL): a multi-member file, as the CLI writes it.
                        block.append(r["raw"] + b"\n")
                        block_bytes += len(r["raw"]) + 1
                        if block_bytes >= 1 << 20:
                            deduped_file.write(_native.compress_block(b"".join(block), kind))
                            block, block_bytes = [], 0
                    else:
                        deduped_file.write(r["raw"] + b"\n")
                elif file_format.get(r["file"]) == "parquet":
                    kept_rows.setdefault((r["input"], r["file"]), []).append(r["line"])
                elif file_format.get(r["file"]) == "text":
                    kept_texts.append((r["id"], r["file"], names[(r["input"], r["file"])]))
        steps("write clusters.jsonl, deduped")
        if cluster_table is not None:
            cluster_table.close()
        if deduped_file is not None:
            if block:
                deduped_file.write(_native.compress_block(b"".join(block), kind))
            deduped_file.close()
            outputs.append(deduped_name)
        if write_deduped and any(fmt == "parquet" for fmt in file_fmt.values()):
            ordered = [k for k in sorted(names, key=lambda k: (k[0], file_rank[k])) if file_format[k[1]] == "parquet"]
            _write_kept_parquet(os.path.join(staging, "deduped.parquet"), ordered, kept_rows)
            outputs.append("deduped.parquet")
        if kept_texts:
            # Kept text documents are copied under deduped/ at their ids' paths, decompressed.
            for doc_id, f, name in kept_texts:
                target = os.path.join(staging, "deduped", _native.id_to_relative_path(doc_id))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                source = _local(f)
                with open(source, "rb") as src:
                    compressed = _native.compression_of(src.read(8)) != "none"
                if not compressed:
                    shutil.copyfile(source, target)
                    continue
                # A compressed text document is written decompressed, as the CLI writes it.
                with open(source, "rb") as src:
                    text, _, message = _native.text_document(src.read(), name, max_record_bytes)
                if text is None:
                    raise InputError(f"{f}: reading it again for deduped/ failed ({message}); did it change during the run?", file=f)
                with open(target, "wb") as dst:
                    dst.write(text.encode("utf-8"))
            outputs.append("deduped/")
        id_a = docs.select(F.col("ord").alias("a"), F.col("id").alias("ida"))
        id_b = docs.select(F.col("ord").alias("b"), F.col("id").alias("idb"))
        pairs = (
            exact_links.withColumn("jaccard", F.lit(1.0)).withColumn("kind", F.lit("exact"))
            .unionByName(near.withColumn("kind", F.lit("near")))
            .join(id_a, "a")
            .join(id_b, "b")
            .orderBy("a", "b")
        )
        n_exact = 0
        pair_table = (
            _TableWriter(os.path.join(staging, "pairs.parquet"),
                         [("a", "string"), ("b", "string"), ("jaccard", "double"), ("kind", "string")])
            if tables else None
        )
        with open(os.path.join(staging, "pairs.jsonl"), "w", encoding="utf-8") as w:
            for r in pairs.toLocalIterator():
                n_exact += r["kind"] == "exact"
                w.write(_line({"a": r["ida"], "b": r["idb"], "jaccard": float(r["jaccard"]), "kind": r["kind"]}))
                if pair_table is not None:
                    pair_table.add(r["ida"], r["idb"], float(r["jaccard"]), r["kind"])
        steps("write pairs.jsonl")
        if pair_table is not None:
            pair_table.close()
            # The CLI's order: the result tables right after their JSON Lines files.
            outputs[2:2] = ["clusters.parquet", "pairs.parquet"]
        outputs.append("summary.json")
        timings["write"] = _ms(t)
        timings["total"] = _ms(started)
        skipped_by_reason: Dict[str, int] = {}
        for p in skipped:
            skipped_by_reason[p["reason"]] = skipped_by_reason.get(p["reason"], 0) + 1
        summary = {
            "command": "dedup",
            "version": overlap.__version__,
            "documents": {
                "read": accepted + len(skipped),
                "accepted": accepted,
                "skipped": len(skipped),
                "kept": by_reason.get("unique", 0),
                "removed_exact": by_reason.get("exact", 0),
                "removed_near": by_reason.get("near", 0),
                "shorter_than_ngram": short,
                "empty": empty,
            },
            "clusters": {
                "total": cluster_stats["total"],
                "with_duplicates": cluster_stats["with_duplicates"] or 0,
                "largest": cluster_stats["largest"] or 0,
                "split_by_guard": split_by_guard,
            },
            "pairs": {
                "candidates": n_candidates,
                "near": n_near,
                "exact": n_exact,
                "largest_bucket": largest_bucket,
                "large_buckets": large_buckets,
                "unmatched_members": unmatched_members,
            },
            "parameters": parameters,
            "inputs": inputs_summary,
            "skipped_by_reason": dict(sorted(skipped_by_reason.items())),
            "skipped": skipped,
            "outputs": outputs,
            "timings_ms": dict(sorted(timings.items())),
            "threads": spark.sparkContext.defaultParallelism,
            "spark": {
                "version": spark.version,
                "master": spark.sparkContext.master,
                "steps_ms": steps.ms,
                "components_rounds": steps.calls.get("components: round", 0),
            },
        }
        with open(os.path.join(staging, "summary.json"), "w", encoding="utf-8") as w:
            w.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        for name in outputs:
            name = name.rstrip("/")
            if os.path.isdir(os.path.join(out, name)):
                shutil.rmtree(os.path.join(out, name))
            os.replace(os.path.join(staging, name), os.path.join(out, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for df in (docs, near, assigned, cluster_rows):
            df.unpersist()
    return summary


def _guarded(spark: Any, F: Any, near: Any, matches: Any) -> Tuple[Any, Any, int]:
    """``--clusters guarded`` on the verified edges: ``near`` (the pairs and each first-match
    member's first match, what components list) and ``matches`` (every representative of its group a
    first-match member verifies against). The rule is order-dependent (a document joins the earliest
    *kept* document it verified against), so it runs on the driver, in the engine
    (:func:`overlap._native.guarded_joins`), over the edges sorted by their later document: memory
    for the edges and the removed documents, not for the corpus.

    Returns the edges ``pairs.jsonl`` lists (``near`` and each join the CLI's lazy verification adds),
    the joins ``(b, a)`` (representative ``b`` joins kept ``a``) and the documents the guard keeps that
    union-find over the same edges removes (``split_by_guard``).
    """
    tagged = near.select("a", "b", "jaccard", F.lit(True).alias("in_near")).unionByName(
        matches.select("a", "b", "jaccard", F.lit(False).alias("in_near"))
    )
    edges = (
        tagged.groupBy("a", "b")
        .agg(F.max("in_near").alias("in_near"), F.max("jaccard").alias("jaccard"))
        .persist()
    )
    table = edges.select("a", "b", "in_near").orderBy("b", "a").toArrow()
    joins, merged = _native.guarded_joins(
        table.column("a").to_numpy().tolist(),
        table.column("b").to_numpy().tolist(),
        table.column("in_near").to_pylist(),
    )
    del table
    joined = spark.createDataFrame(joins or [], "b long, a long")
    added = joined.join(edges.where(~F.col("in_near")), ["a", "b"]).select("a", "b", "jaccard")
    listed = near.unionByName(added).persist()
    listed.count()
    edges.unpersist()
    return listed, joined, merged - len(joins)


class _TableWriter:
    """A result table (``clusters.parquet``, ``pairs.parquet``) written as the CLI writes it: the JSONL
    file's fields, none nullable, zstd, in batches of 65,536 rows."""

    CHUNK = 1 << 16

    def __init__(self, path: str, fields: List[Tuple[str, str]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"string": pa.string(), "bool": pa.bool_(), "double": pa.float64()}
        self.pa = pa
        self.schema = pa.schema([pa.field(n, types[t], nullable=False) for n, t in fields])
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.columns: List[List[Any]] = [[] for _ in fields]

    def add(self, *values: Any) -> None:
        for column, v in zip(self.columns, values):
            column.append(v)
        if len(self.columns[0]) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.columns[0]:
            self.writer.write_batch(self.pa.RecordBatch.from_arrays(
                [self.pa.array(c, f.type) for c, f in zip(self.columns, self.schema)], schema=self.schema
            ))
            self.columns = [[] for _ in self.columns]

    def close(self) -> None:
        self.flush()
        self.writer.close()


class _Steps:
    """Wall time between calls, by name (names called again add up, with a count)."""

    def __init__(self) -> None:
        self.ms: Dict[str, float] = {}
        self.calls: Dict[str, int] = {}
        self.last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.ms[name] = round(self.ms.get(name, 0.0) + (now - self.last) * 1000.0, 1)
        self.calls[name] = self.calls.get(name, 0) + 1
        self.last = now


def _problem(r: Any) -> Dict[str, Any]:
    """A bad record as ``summary.json`` lists it, with the CLI's messages for the rules applied here."""
    p = {k: r[k] for k in ("file", "line", "id", "reason", "message")}
    quoted = json.dumps(p["id"], ensure_ascii=False)
    if p["reason"] == "duplicate_id" and p["message"] is None:
        p["message"] = f"id {quoted} was already used by an earlier record"
    return p


def _is_local(path: str) -> bool:
    """True for a path of the driver's file system (what the CLI would read)."""
    import re

    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", path) is None


def _local_source(local: Dict[Tuple[int, str], Any], i: int, uri: str) -> Any:
    path = _local(uri)
    found = local.get((i, os.path.abspath(path)))
    if found is None:
        real = {(k, os.path.realpath(p)): v for (k, p), v in local.items()}
        found = real.get((i, os.path.realpath(path)))
    if found is None:  # pragma: no cover - Spark read a file the walk did not list
        raise RuntimeError(f"Spark read {uri}, which is not among the inputs")
    return found


def _read_frame(spark: Any, F: Any, i: int, fmt: str, where: Any, path: str, id_field: str, text_field: str) -> Any:
    """One Spark read of input `i`'s files of format `fmt`, as columns raw (a JSON line), pid and ptext
    (a Parquet row's id and text), content (a text file's bytes) and _metadata."""
    null_bin, null_str = F.lit(None).cast("binary"), F.lit(None).cast("string")
    try:
        if fmt == "jsonl":
            df = spark.read.option("lineSep", "\n").text(where)
            return df.select(F.col("value").cast("binary").alias("raw"), null_str.alias("pid"), null_str.alias("ptext"), null_bin.alias("content"), "_metadata")
        if fmt == "text":
            df = spark.read.format("binaryFile").load(where)
            return df.select(null_bin.alias("raw"), null_str.alias("pid"), null_str.alias("ptext"), F.col("content"), "_metadata")
        df = spark.read.parquet(*where) if isinstance(where, list) else spark.read.parquet(where)
        if text_field not in df.columns:
            raise InputError(f"{path}: no column {text_field!r}", file=path, reason="missing_field")
        pid = F.col(id_field).cast("string") if id_field in df.columns else null_str
        return df.select(null_bin.alias("raw"), pid.alias("pid"), F.col(text_field).cast("string").alias("ptext"), null_bin.alias("content"), "_metadata")
    except InputError:
        raise
    except Exception as e:  # AnalysisException: path does not exist
        if "PATH_NOT_FOUND" in str(e) or "does not exist" in str(e):
            raise InputError(f"{path}: no such file or directory", file=path, reason="not_found") from None
        raise


def _local(uri: str) -> str:
    """The local path of a Spark file URI (``file:/a%20b`` -> ``/a b``)."""
    from urllib.parse import unquote, urlparse

    u = urlparse(uri)
    return unquote(u.path) if u.scheme in ("", "file") else uri


def _open_parquet(uri: str) -> Any:
    import pyarrow.parquet as pq

    if uri.startswith("file:") or "://" not in uri:
        return pq.ParquetFile(_local(uri))
    import pyarrow.fs

    fs, path = pyarrow.fs.FileSystem.from_uri(uri)
    return pq.ParquetFile(fs.open_input_file(path))


def _parquet_codec(files: List[Any]) -> str:
    """The CLI's codec for deduped.parquet: the inputs' one codec when they agree on one it writes,
    zstd otherwise."""
    found = set()
    for f in files:
        md = f.metadata
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            for c in range(rg.num_columns):
                found.add(rg.column(c).compression)
    if len(found) == 1:
        codec = found.pop()
        if codec in ("UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"):
            return "NONE" if codec == "UNCOMPRESSED" else codec
    return "ZSTD"


def _parquet_schemas_agree(spark: Any, paths: List[str]) -> None:
    """The CLI refuses Parquet inputs of different columns when it writes deduped.parquet (one schema)."""
    first = None
    for p in paths:
        try:
            schema = _open_parquet(p).schema_arrow
        except Exception:  # unreadable files are the reader's to report
            continue
        if first is None:
            first = (p, schema)
        elif not schema.equals(first[1]):
            raise InputError(
                f"the Parquet inputs {first[0]} and {p} have different columns, and deduped.parquet "
                "holds one schema: deduplicate inputs of one schema together, or give --no-deduped",
                file=p,
                reason="parquet",
            )


def _write_kept_parquet(
    path: str, sources: List[Tuple[int, str]], kept_rows: Dict[Tuple[int, str], List[int]]
) -> None:
    """The kept rows (1-based row numbers) of the Parquet sources (``(input, file)``, in input
    order), every column as read, one row group per input row group that keeps rows, as the CLI
    writes deduped.parquet. Runs on the driver, one input row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    opened = [_open_parquet(f) for _, f in sources]
    writer = pq.ParquetWriter(path, opened[0].schema_arrow, compression=_parquet_codec(opened))
    try:
        for key, pf in zip(sources, opened):
            wanted = sorted(kept_rows.get(key, []))
            at, first_row = 0, 1
            for g in range(pf.metadata.num_row_groups):
                rows = pf.metadata.row_group(g).num_rows
                take = []
                while at < len(wanted) and wanted[at] < first_row + rows:
                    take.append(wanted[at] - first_row)
                    at += 1
                if take:
                    table = pf.read_row_group(g).take(pa.array(take, pa.int64()))
                    writer.write_table(table, row_group_size=max(len(take), 1))
                first_row += rows
    finally:
        writer.close()


def _generated_ids(spark: Any, accepted: Any, F: Any) -> Optional[Any]:
    """The ids of the records whose generated id `FILE:LINE` meets another record's id, settled on the
    driver in input order by the CLI's rule; ``None`` when there are none (the usual case).

    Only records with the same *stem* (the id without a `#N` suffix) can meet, so only stems held by
    two or more accepted records, one of them without an id, are brought to the driver. Returns
    ``(ord, fid, freason, fmessage)`` rows: the id, and ``duplicate_id`` with the CLI's message for a
    given id that an earlier record already holds.
    """
    contested = (
        accepted.groupBy("stem")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.when(F.col("rid").isNull(), 1).otherwise(0)).alias("generated"),
        )
        .where((F.col("n") >= 2) & (F.col("generated") >= 1))
        .select("stem")
    )
    rows = accepted.join(contested, "stem").select("ord", "rid", "base").orderBy("ord").collect()
    if not rows:
        return None
    seen: set = set()
    generated: set = set()
    decided = []
    for r in rows:
        if r["rid"] is None:
            base = r["base"]
            fid, n = base, 2
            while fid in seen:
                fid, n = f"{base}#{n}", n + 1
            seen.add(fid)
            generated.add(fid)
            decided.append((r["ord"], fid, None, None))
        elif r["rid"] in seen:
            quoted = json.dumps(r["rid"], ensure_ascii=False)
            message = (
                f"id {quoted} was already given to an earlier record without an id "
                "(records without an id get FILE:LINE)"
                if r["rid"] in generated
                else f"id {quoted} was already used by an earlier record"
            )
            decided.append((r["ord"], r["rid"], "duplicate_id", message))
        else:
            seen.add(r["rid"])
            decided.append((r["ord"], r["rid"], None, None))
    return spark.createDataFrame(decided, "ord long, fid string, freason string, fmessage string")


def _line(obj: Dict[str, Any]) -> str:
    # serde_json's compact form: no spaces, non-ASCII as is, shortest round-trip floats.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000.0, 3)


def _is_dir(spark: Any, path: str) -> bool:
    try:
        jvm = spark.sparkContext._jvm
        p = jvm.org.apache.hadoop.fs.Path(path)
        fs = p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        return bool(fs.getFileStatus(p).isDirectory())
    except Exception:
        return os.path.isdir(path)


def _qualified_dir(spark: Any, path: str) -> Optional[str]:
    try:
        jvm = spark.sparkContext._jvm
        p = jvm.org.apache.hadoop.fs.Path(path)
        fs = p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        return str(fs.makeQualified(p).toString())
    except Exception:
        return None


def _inputs_summary(records: Any, names: Dict[Tuple[int, str], str], file_rank: Dict[Tuple[int, str], int], file_fmt: Dict[Tuple[int, str], str], F: Any) -> List[Dict[str, Any]]:
    counts = {
        (r["input"], r["file"]): (r["records"], r["blank_lines"])
        for r in records.groupBy("input", "file")
        .agg(
            F.sum(F.when(~F.col("blank"), 1).otherwise(0)).alias("records"),
            F.sum(F.when(F.col("blank"), 1).otherwise(0)).alias("blank_lines"),
        )
        .collect()
    }
    out = []
    for (i, f), name in sorted(names.items(), key=lambda kv: (kv[0][0], file_rank[kv[0]])):
        records_n, blank = counts.get((i, f), (0, 0))
        out.append(
            {
                "path": name,
                "format": file_fmt[(i, f)],
                "compression": _compression(f, file_fmt[(i, f)]),
                "records": records_n,
                "blank_lines": blank,
            }
        )
    return out


def _is_star_forest(e: Any, F: Any) -> bool:
    """Whether the edges ``(u, v)`` (``u < v``, distinct) are stars: no node is both a centre and a
    leaf, and every leaf has one centre. One Spark job."""
    ends = e.select(F.col("v").alias("n"), F.lit(1).alias("leaf")).unionByName(
        e.select(F.col("u").alias("n"), F.lit(0).alias("leaf"))
    )
    bad = (
        ends.groupBy("n")
        .agg(F.sum("leaf").alias("leaf"), F.count(F.lit(1)).alias("ends"))
        .where((F.col("leaf") > 1) | ((F.col("leaf") == 1) & (F.col("ends") > 1)))
    )
    return bad.limit(1).count() == 0


def connected_components(edges: Any, max_rounds: int = 100, steps: Optional["_Steps"] = None) -> Any:
    """Connected components of an undirected graph, by alternating large-star and small-star
    (Kiveris, Lattanzi, Mirrokni, Rastogi, Vassilvitskii: "Connected Components in MapReduce and
    Beyond", SoCC 2014), in DataFrame operations.

    ``edges`` has long columns ``a`` and ``b``. Returns ``(ord, label)`` for every node in an edge:
    the smallest node of its component. Nodes in no edge are their own component.
    """
    F, _ = _spark_imports()
    e = (
        edges.where(F.col("a") != F.col("b"))
        .select(F.least("a", "b").alias("u"), F.greatest("a", "b").alias("v"))
        .distinct()
        .localCheckpoint()
    )
    for _ in range(max_rounds):
        # The fixed point of the two steps is a forest of stars around each component's smallest
        # node; dedup graphs (copies and near pairs of a first document) often start as one.
        if _is_star_forest(e, F):
            break
        # Large star: every node links its larger neighbours to the smallest of its neighbourhood.
        sym = e.unionByName(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
        m = sym.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        large = (
            sym.join(m, "u")
            .where(F.col("v") > F.col("u"))
            .select(F.least("v", "m").alias("u"), F.greatest("v", "m").alias("v"))
            .distinct()
        )
        # Small star: every node links itself and its smaller neighbours to the smallest of them.
        m2 = large.groupBy("v").agg(F.min("u").alias("m"))
        e = (
            large.join(m2, "v")
            .select(F.col("u").alias("x"), F.col("m"))
            .unionByName(m2.select(F.col("v").alias("x"), F.col("m")))
            .where(F.col("x") != F.col("m"))
            .select(F.least("x", "m").alias("u"), F.greatest("x", "m").alias("v"))
            .distinct()
            .localCheckpoint()
        )
        if steps is not None:
            steps("components: round")
    else:  # pragma: no cover - the algorithm converges in O(log^2 n) rounds
        raise RuntimeError("connected components did not converge")
    # A converged graph is a set of stars around each component's smallest node.
    sym = e.unionByName(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
    return sym.groupBy(F.col("u").alias("ord")).agg(F.least(F.min("v"), F.col("u")).alias("label"))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m overlap.spark",
        description="Run overlap's jobs on Apache Spark, with the CLI's results.",
        epilog=(
            "examples:\n"
            "  python -m overlap.spark dedup corpus.jsonl.gz --out out/spark --master 'local[2]'\n"
            "  spark-submit --archives env.tar.gz#env $(python -c 'import overlap.spark as m; print(m.__file__)') \\\n"
            "      dedup hdfs:///corpus/ --out out/spark"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dedup", help="remove exact and near-duplicate documents (as `overlap dedup`)")
    d.add_argument("inputs", nargs="+", metavar="INPUT", help="what overlap dedup reads (JSONL, Parquet, text files, folders) on the driver's file system; JSONL or Parquet files or folders elsewhere (HDFS, S3: what Spark reads)")
    d.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder on the driver's file system")
    d.add_argument("--threshold", type=float, default=0.8)
    d.add_argument("--ngram", type=int, default=5)
    d.add_argument("--num-perm", type=int, default=128)
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--scheme", choices=["one-permutation", "permutations"], default="one-permutation")
    d.add_argument("--bands", type=int)
    d.add_argument("--rows", type=int)
    d.add_argument("--fn-weight", type=float)
    d.add_argument("--no-nfkc", action="store_true")
    d.add_argument("--keep-case", action="store_true")
    d.add_argument("--id-field", default="id")
    d.add_argument("--text-field", default="text")
    d.add_argument("--format", choices=["jsonl", "parquet", "text"])
    d.add_argument("--on-error", choices=["fail", "skip"], default="fail")
    d.add_argument("--max-record-bytes", type=int, default=64 << 20)
    d.add_argument("--no-deduped", action="store_true", help="do not write the deduplicated corpus")
    d.add_argument("--clusters", choices=["components", "guarded"], default="components",
                   help="components: union-find over verified pairs; guarded: each document joins the earliest kept document it verifies against (as overlap dedup)")
    d.add_argument("--output-format", choices=["jsonl", "parquet"], default="jsonl",
                   help="parquet: also clusters.parquet and pairs.parquet (as overlap dedup)")
    d.add_argument("--master", help="Spark master when not run by spark-submit (default: local[*])")
    d.add_argument("--shuffle-partitions", type=int, help="spark.sql.shuffle.partitions (default: 4 per core in local mode)")
    d.add_argument("--json", action="store_true", help="print summary.json on standard output")
    d.add_argument("--quiet", "-q", action="store_true")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if (args.bands is None) != (args.rows is None):
        print("error: --bands and --rows go together", file=sys.stderr)
        return 2
    from pyspark.sql import SparkSession

    # Executors run this interpreter (and its overlap) unless told otherwise, as spark-submit with a
    # packed environment does (PYSPARK_PYTHON=./env/bin/python).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Without --master: spark-submit's master, or pyspark's default (local[*]) under plain python.
    builder = SparkSession.builder.appName("overlap dedup")
    if args.quiet or args.json:
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    if args.quiet or args.json:
        spark.sparkContext.setLogLevel("ERROR")
    if args.shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
    elif spark.sparkContext.master.startswith("local"):
        spark.conf.set("spark.sql.shuffle.partitions", str(4 * spark.sparkContext.defaultParallelism))
    try:
        summary = dedup(
            spark,
            args.inputs,
            args.out,
            threshold=args.threshold,
            ngram=args.ngram,
            num_perm=args.num_perm,
            seed=args.seed,
            scheme=args.scheme,
            bands=args.bands,
            rows=args.rows,
            fn_weight=args.fn_weight,
            nfkc=not args.no_nfkc,
            case_fold=not args.keep_case,
            id_field=args.id_field,
            text_field=args.text_field,
            format=args.format,
            on_error=args.on_error,
            max_record_bytes=args.max_record_bytes,
            write_deduped=not args.no_deduped,
            clusters=args.clusters,
            output_format=args.output_format,
        )
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    elif not args.quiet:
        d = summary["documents"]
        print(
            f"kept {d['kept']} of {d['accepted']} documents; removed {d['removed_exact']} exact and "
            f"{d['removed_near']} near duplicates; wrote {', '.join(summary['outputs'])} to {args.out} "
            f"in {summary['timings_ms']['total'] / 1000:.1f} s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
