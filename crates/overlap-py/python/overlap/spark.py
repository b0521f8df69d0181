"""``overlap dedup`` on Apache Spark, with the CLI's results.

Run it as ``python -m overlap.spark dedup INPUT... --out DIR [options]`` (``--master local[4]``, or
under ``spark-submit`` with the master it sets), or from Python with :func:`dedup`.

The stages, and where each runs:

1. **read**: JSON Lines (``spark.read.text``, lines split on ``\\n`` only, as the CLI does) or Parquet
   (``spark.read.parquet``). Every record gets its input position from the file, the split's start
   and its place in the split, so "first in input order" means what it means to the CLI.
2. **parse + sketch** (``mapInArrow``, on the executors): the engine parses each JSON line, applies
   the CLI's bad-record rules (malformed JSON, missing or mistyped fields, empty text, size limit),
   and computes the exact key and the LSH band keys with the CLI's parameters
   (:func:`overlap.band_keys`). Duplicate ids are found by a window over ids.
3. **candidates**: a shuffle on ``(band, key)``; every pair of exact-group representatives in a
   bucket is a candidate, as in the CLI (which bounds no bucket either).
4. **verify** (``mapInArrow``): the true Jaccard of each candidate pair's shingle sets, by the engine.
5. **clusters**: connected components of the exact links and verified pairs, by the alternating
   large-star / small-star algorithm (Kiveris et al., 2014) in DataFrame operations; each cluster's
   label is its first document in input order, the CLI's representative.
6. **write** (on the driver, streamed in input order): ``clusters.jsonl``, ``pairs.jsonl``,
   ``deduped.jsonl.gz`` (JSON Lines inputs) and ``summary.json``, staged in
   ``DIR/.overlap-tmp-staging-*`` and renamed into place, ``summary.json`` last.

Memory: executors hold one Arrow batch of records at a time; the driver holds the list of input
splits and streams the outputs; the shuffles are Spark's (they spill to disk as Spark does).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import overlap
from overlap import _native
from overlap._errors import InputError

_STAGING = ".overlap-tmp-staging-"


def _options(**kw: Any) -> str:
    return json.dumps({k: v for k, v in kw.items() if v is not None})


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


def _compression(path: str) -> str:
    if path.endswith(".gz"):
        return "gzip"
    if path.endswith(".zst"):
        return "zstd"
    return "none"


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
) -> Dict[str, Any]:
    """Deduplicate ``inputs`` with ``spark`` (a ``SparkSession``) into ``out``; returns the summary.

    The options and outputs are :func:`overlap.dedup`'s: ``clusters.jsonl`` and ``pairs.jsonl``
    have exactly the CLI's lines for the same inputs and options.

    Example:
        >>> from pyspark.sql import SparkSession  # doctest: +SKIP
        >>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
        >>> s = overlap.spark.dedup(spark, ["corpus.jsonl.gz"], "out/spark")  # doctest: +SKIP
    """
    F, T = _spark_imports()
    started = time.perf_counter()
    timings: Dict[str, float] = {}
    if on_error not in ("fail", "skip"):
        raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    if format not in (None, "jsonl", "parquet"):
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {format!r}")
    sketch_opts = dict(
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
        seed=seed,
        scheme=scheme,
        bands=bands,
        rows=rows,
        fn_weight=fn_weight,
        nfkc=nfkc,
        case_fold=case_fold,
    )
    # Validates every option (ValueError) before Spark does any work.
    parameters = json.loads(
        _native.dedup_parameters(
            _options(
                **sketch_opts,
                id_field=id_field,
                text_field=text_field,
                on_error=on_error,
                max_record_bytes=max_record_bytes,
            )
        )
    )
    if not inputs:
        raise InputError("no input documents: no input paths given", reason="no_input")

    # Stage 1: read every input, with its place in input order.
    t = time.perf_counter()
    frames = []
    formats = []
    for i, path in enumerate(inputs):
        fmt = _input_format(path, format)
        formats.append(fmt)
        try:
            if fmt == "jsonl":
                df = spark.read.option("lineSep", "\n").text(path)
                df = df.select(F.col("value").cast("binary").alias("raw"), F.lit(None).cast("string").alias("pid"), F.lit(None).cast("string").alias("ptext"), "_metadata")
            else:
                df = spark.read.parquet(path)
                if text_field not in df.columns:
                    raise InputError(
                        f"{path}: no column {text_field!r}", file=path, reason="missing_field"
                    )
                pid = (
                    F.col(id_field).cast("string")
                    if id_field in df.columns
                    else F.lit(None).cast("string")
                )
                df = df.select(
                    F.lit(None).cast("binary").alias("raw"),
                    pid.alias("pid"),
                    F.col(text_field).cast("string").alias("ptext"),
                    "_metadata",
                )
        except InputError:
            raise
        except Exception as e:  # AnalysisException: path does not exist
            if "PATH_NOT_FOUND" in str(e) or "does not exist" in str(e):
                raise InputError(f"{path}: no such file or directory", file=path, reason="not_found") from None
            raise
        frames.append(
            df.select(
                F.lit(i).alias("input"),
                F.col("_metadata.file_path").alias("file"),
                F.col("_metadata.file_block_start").alias("block"),
                F.monotonically_increasing_id().alias("mono"),
                "raw",
                "pid",
                "ptext",
            )
        )
    lines = frames[0]
    for f in frames[1:]:
        lines = lines.unionByName(f)
    lines = lines.persist()

    # The splits, in input order: each split's first line number in its file and first position in
    # the corpus. One row per split, small enough for the driver.
    splits = (
        lines.groupBy("input", "file", "block")
        .agg(F.min("mono").alias("first_mono"), F.count(F.lit(1)).alias("n"))
        .collect()
    )
    if not splits:
        raise InputError("no input documents: the inputs hold no records", reason="no_input")
    roots = {}
    for i, path in enumerate(inputs):
        files = sorted({r["file"] for r in splits if r["input"] == i})
        roots[i] = files
    names: Dict[Tuple[int, str], str] = {}
    file_rank: Dict[Tuple[int, str], int] = {}
    for i, files in roots.items():
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
    )
    name_df = spark.createDataFrame(
        [(i, f, n) for (i, f), n in names.items()], "input int, file string, name string"
    )
    placed = placed.join(F.broadcast(name_df), ["input", "file"])

    # Stage 2: parse and sketch on the executors.
    parse_opts = _options(
        id_field=id_field, text_field=text_field, max_record_bytes=max_record_bytes
    )
    sketch_json = _options(**sketch_opts, signatures=False, threads=1)
    n_bands, _ = overlap.lsh_params(
        threshold=threshold, num_perm=num_perm, bands=bands, rows=rows, fn_weight=fn_weight
    )
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
                    ]
                ),
            )

    records = placed.mapInArrow(parse_and_sketch, schema).persist()
    lines.unpersist()

    # Ids as the CLI gives them, then the bad-record rules in the CLI's order: parse problems,
    # empty texts, then ids already used by an earlier accepted record.
    # A record without an id gets `FILE:LINE`, as the CLI gives it (the `#2` suffix the CLI adds when
    # an earlier record already holds that id is not reproduced here).
    line_id = F.concat(F.col("name"), F.lit(":"), F.col("line").cast("string"))
    is_jsonl = F.col("raw").isNotNull()
    recs = records.where(~F.col("blank")).withColumn("id", F.coalesce(F.col("rid"), line_id))
    # An empty document (no word) is accepted and flagged, as in the CLI: it is never compared.
    from pyspark.sql.window import Window

    # An id is taken by the first accepted record that has it: bad records come last in the window.
    first_use = Window.partitionBy("id").orderBy(F.col("reason").isNotNull(), "ord")
    recs = recs.withColumn(
        "id_rank", F.when(F.col("reason").isNull(), F.row_number().over(first_use))
    )
    recs = recs.withColumn(
        "reason", F.when(F.col("id_rank") > 1, F.lit("duplicate_id")).otherwise(F.col("reason"))
    ).persist()

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
    inputs_summary = _inputs_summary(records, names, file_rank, formats, F)
    docs = recs.where(F.col("reason").isNull()).select(
        "ord", "id", "text", "exact", "words", "bands", "raw"
    ).persist()
    # Empty documents share the empty text's key but are not copies of each other: each is its own
    # exact group, and none takes part in the band join.
    docs = docs.withColumn("empty", F.col("words") == 0).withColumn(
        "exact", F.when(F.col("empty"), F.concat(F.lit("empty:"), F.col("ord").cast("string"))).otherwise(F.col("exact").cast("string"))
    )
    exact_first = docs.groupBy("exact").agg(F.min("ord").alias("first"))
    docs = docs.join(exact_first, "exact").persist()
    recs.unpersist()
    records.unpersist()
    timings["read_sketch"] = _ms(t)

    # Stage 3: candidates, by a shuffle on (band, key) among exact-group representatives.
    t = time.perf_counter()
    reps = docs.where((F.col("ord") == F.col("first")) & ~F.col("empty"))
    entries = reps.select("ord", F.posexplode("bands").alias("band", "key"))
    buckets = entries.groupBy("band", "key").agg(F.count(F.lit(1)).alias("size"))
    largest_bucket = buckets.agg(F.max("size")).collect()[0][0] or 0
    x, y = entries.alias("x"), entries.alias("y")
    candidates = (
        x.join(y, (F.col("x.band") == F.col("y.band")) & (F.col("x.key") == F.col("y.key")) & (F.col("x.ord") < F.col("y.ord")))
        .select(F.col("x.ord").alias("a"), F.col("y.ord").alias("b"))
        .distinct()
        .persist()
    )
    n_candidates = candidates.count()
    timings["candidates"] = _ms(t)

    # Stage 4: verification by true Jaccard, on the executors.
    t = time.perf_counter()
    texts = docs.select("ord", "text")
    with_texts = (
        candidates.join(texts.select(F.col("ord").alias("a"), F.col("text").alias("ta")), "a")
        .join(texts.select(F.col("ord").alias("b"), F.col("text").alias("tb")), "b")
        .select("a", "b", "ta", "tb")
    )
    jaccard_json = _options(ngram=ngram, nfkc=nfkc, case_fold=case_fold, threads=1)

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

    near = (
        with_texts.mapInArrow(verify, "a long, b long, jaccard double")
        .where(F.col("jaccard") >= F.lit(float(threshold)))
        .persist()
    )
    n_near = near.count()
    candidates.unpersist()
    timings["verify"] = _ms(t)

    # Stage 5: connected components of exact links and near pairs; label = first in input order.
    t = time.perf_counter()
    exact_links = docs.where(F.col("ord") != F.col("first")).select(F.col("first").alias("a"), F.col("ord").alias("b"))
    edges = exact_links.unionByName(near.select("a", "b"))
    labels = connected_components(edges)
    assigned = (
        docs.join(labels, "ord", "left")
        .withColumn("label", F.coalesce(F.col("label"), F.col("ord")))
        .persist()
    )
    ids = docs.select(F.col("ord").alias("label"), F.col("id").alias("cluster_id"))
    clusters = assigned.join(ids, "label").select(
        "ord",
        "id",
        "cluster_id",
        (F.col("label") == F.col("ord")).alias("kept"),
        F.when(F.col("label") == F.col("ord"), F.lit("unique"))
        .when(F.col("first") != F.col("ord"), F.lit("exact"))
        .otherwise(F.lit("near"))
        .alias("reason"),
        "empty",
        "raw",
    ).persist()
    sizes = assigned.groupBy("label").agg(F.count(F.lit(1)).alias("size"))
    cluster_stats = sizes.agg(
        F.count(F.lit(1)).alias("total"),
        F.sum(F.when(F.col("size") > 1, 1).otherwise(0)).alias("with_duplicates"),
        F.max("size").alias("largest"),
    ).collect()[0]
    counts = clusters.groupBy("reason").count().collect()
    by_reason = {r["reason"]: r["count"] for r in counts}
    short = docs.where((F.col("words") < ngram) & ~F.col("empty")).count()
    empty = docs.where(F.col("empty")).count()
    accepted = docs.count()
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
        deduped_name = None
        jsonl_inputs = all(f == "jsonl" for f in formats)
        deduped_file = None
        if write_deduped and jsonl_inputs:
            # Compressed like the inputs when they agree, gzip otherwise (as the CLI); zstd needs the
            # zstandard module, else gzip.
            kinds = {c["compression"] for c in inputs_summary}
            kind = kinds.pop() if len(kinds) == 1 else "gzip"
            if kind == "zstd":
                try:
                    import zstandard

                    deduped_name = "deduped.jsonl.zst"
                    deduped_file = zstandard.open(os.path.join(staging, deduped_name), "wb")
                except ImportError:
                    kind = "gzip"
            if kind == "none":
                deduped_name = "deduped.jsonl"
                deduped_file = open(os.path.join(staging, deduped_name), "wb")
            elif kind == "gzip":
                deduped_name = "deduped.jsonl.gz"
                deduped_file = gzip.open(os.path.join(staging, deduped_name), "wb", compresslevel=6)
        with open(os.path.join(staging, "clusters.jsonl"), "w", encoding="utf-8") as w:
            for r in clusters.orderBy("ord").toLocalIterator():
                line = {"id": r["id"], "cluster": r["cluster_id"], "kept": r["kept"], "reason": r["reason"]}
                if r["empty"]:
                    line["empty"] = True
                w.write(_line(line))
                if deduped_file is not None and r["kept"]:
                    deduped_file.write(r["raw"] + b"\n")
        if deduped_file is not None:
            deduped_file.close()
            outputs.append(deduped_name)
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
        with open(os.path.join(staging, "pairs.jsonl"), "w", encoding="utf-8") as w:
            for r in pairs.toLocalIterator():
                n_exact += r["kind"] == "exact"
                w.write(_line({"a": r["ida"], "b": r["idb"], "jaccard": float(r["jaccard"]), "kind": r["kind"]}))
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
                # Components only: the chain guard (`--clusters guarded`) is not run here.
                "split_by_guard": 0,
            },
            "pairs": {
                "candidates": n_candidates,
                "near": n_near,
                "exact": n_exact,
                "largest_bucket": largest_bucket,
                # Buckets over the CLI's all-pairs limit are not bounded here (see the README).
                "large_buckets": 0,
                "unmatched_members": 0,
            },
            "parameters": parameters,
            "inputs": inputs_summary,
            "skipped_by_reason": dict(sorted(skipped_by_reason.items())),
            "skipped": skipped,
            "outputs": outputs,
            "timings_ms": dict(sorted(timings.items())),
            "threads": spark.sparkContext.defaultParallelism,
            "spark": {"version": spark.version, "master": spark.sparkContext.master},
        }
        with open(os.path.join(staging, "summary.json"), "w", encoding="utf-8") as w:
            w.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        for name in outputs:
            os.replace(os.path.join(staging, name), os.path.join(out, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for df in (docs, near, assigned, clusters):
            df.unpersist()
    return summary


def _problem(r: Any) -> Dict[str, Any]:
    """A bad record as ``summary.json`` lists it, with the CLI's messages for the rules applied here."""
    p = {k: r[k] for k in ("file", "line", "id", "reason", "message")}
    quoted = json.dumps(p["id"], ensure_ascii=False)
    if p["reason"] == "duplicate_id":
        p["message"] = f"id {quoted} was already used by an earlier record"
    return p


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


def _inputs_summary(records: Any, names: Dict[Tuple[int, str], str], file_rank: Dict[Tuple[int, str], int], formats: List[str], F: Any) -> List[Dict[str, Any]]:
    counts = {
        r["name"]: (r["records"], r["blank_lines"])
        for r in records.groupBy("name")
        .agg(
            F.sum(F.when(~F.col("blank"), 1).otherwise(0)).alias("records"),
            F.sum(F.when(F.col("blank"), 1).otherwise(0)).alias("blank_lines"),
        )
        .collect()
    }
    out = []
    for (i, f), name in sorted(names.items(), key=lambda kv: (kv[0][0], file_rank[kv[0]])):
        records_n, blank = counts.get(name, (0, 0))
        out.append(
            {
                "path": name,
                "format": formats[i],
                "compression": _compression(f),
                "records": records_n,
                "blank_lines": blank,
            }
        )
    return out


def connected_components(edges: Any, max_rounds: int = 100) -> Any:
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
    size = e.count()
    for _ in range(max_rounds):
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
        small = (
            large.join(m2, "v")
            .select(F.col("u").alias("x"), F.col("m"))
            .unionByName(m2.select(F.col("v").alias("x"), F.col("m")))
            .where(F.col("x") != F.col("m"))
            .select(F.least("x", "m").alias("u"), F.greatest("x", "m").alias("v"))
            .distinct()
            .localCheckpoint()
        )
        new_size = small.count()
        if new_size == size and small.exceptAll(e).isEmpty():
            e = small
            break
        e, size = small, new_size
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
    d.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL (.gz) or Parquet files or folders (local, HDFS, S3: what Spark reads)")
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
    d.add_argument("--format", choices=["jsonl", "parquet"])
    d.add_argument("--on-error", choices=["fail", "skip"], default="fail")
    d.add_argument("--max-record-bytes", type=int, default=64 << 20)
    d.add_argument("--no-deduped", action="store_true", help="do not write the deduplicated corpus")
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
