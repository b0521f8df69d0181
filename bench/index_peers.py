#!/usr/bin/env python3
"""`overlap index` beside datasketch's MinHashLSH (in memory, and with its Redis storage), one run.

    python3 bench/index_peers.py [CORPUS] [--limit 100000] [--queries 2000] [--no-redis]

Same corpus, same parameters (word 5-grams of overlap's normalization, 128 permutations, threshold
0.8), same question: insert every document, then ask "which indexed documents are near-duplicates of
this one?" for `--queries` documents drawn from the corpus (seed 1).

- overlap: `overlap index create` + `overlap index add CORPUS` (one process, one transaction; wall time
  of the process, sketching included), then `overlap index query` of the query documents (one process;
  per-query time = wall / queries, process start included). Its answer: the verified matches (`--limit
  0`: all).
- datasketch: `MinHash.bulk` of the shingles (bytes, as its docs show) timed as its sketching, then
  `MinHashLSH(threshold=0.8, num_perm=128)` filled in an `insertion_session`, then `query` per document;
  its answer is reported raw (the LSH candidates) and filtered by its estimated Jaccard >= 0.8.
- datasketch + Redis: the same with `storage_config={"type": "redis", ...}` on a `redis-server` this
  script starts on a free loopback port (no persistence) and stops. Debian's redis-server is installed
  with apt-get when missing and the script runs as root; otherwise the Redis run is reported as not run.

Truth: the exact all-pairs Jaccard join (bench/groundtruth.py) over the shingle sets. Answers are compared
at the level of exact groups (documents with the same normalized text), because `index query` lists
the exact group of a document and then one representative per near-duplicate group: a query's truth is
the set of other exact groups with Jaccard >= 0.8, and each tool's answer is mapped to groups.

Peers are installed into bench/.venv by the script (datasketch from bench/requirements.txt; the `redis`
client for the Redis run).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

NUM_PERM = 128
THRESHOLD = 0.8
NGRAM = 5
REDIS_CLIENT = "redis==5.2.1"


def redis_available() -> tuple[str | None, str]:
    """The redis-server binary, installing Debian's package when possible; or None and why not."""
    found = shutil.which("redis-server")
    if found:
        return found, "found"
    if os.geteuid() != 0:
        return None, "redis-server is not installed and the script is not root (apt-get needs root)"
    benchenv.log("installing Debian's redis-server (apt-get)")
    r = subprocess.run(
        ["apt-get", "install", "-y", "-q", "redis-server"],
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("redis-server")
    if found:
        return found, "installed with apt-get"
    return None, "apt-get install redis-server failed: " + (r.stderr or r.stdout)[-300:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_answer(found, q: int, group: list[int]) -> set[int]:
    return {group[int(j)] for j in found if group[int(j)] != group[q]}


def score(answers: dict[int, set[int]], truth: dict[int, set[int]]) -> dict:
    tp = sum(len(answers[q] & truth[q]) for q in answers)
    got = sum(len(a) for a in answers.values())
    want = sum(len(t) for t in truth.values())
    return {
        "recall": tp / want if want else 1.0,
        "precision": tp / got if got else 1.0,
        "true_pairs": want,
        "answered_pairs": got,
    }


def run_datasketch(minhashes, queries, group, storage_config=None) -> dict:
    from datasketch import MinHashLSH

    t = time.perf_counter()
    kw = {"storage_config": storage_config} if storage_config else {}
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, **kw)
    with lsh.insertion_session() as session:
        for i, m in enumerate(minhashes):
            session.insert(i, m)
    insert_s = time.perf_counter() - t
    raw, checked = {}, {}
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        found = lsh.query(minhashes[q])
        lat.append(time.perf_counter() - t0)
        raw[q] = group_answer(found, q, group)
        checked[q] = group_answer(
            [j for j in found if minhashes[q].jaccard(minhashes[int(j)]) >= THRESHOLD], q, group
        )
    lat.sort()
    return {
        "insert_s": insert_s,
        "query_ms_mean": 1000 * sum(lat) / len(lat),
        "query_ms_p50": 1000 * lat[len(lat) // 2],
        "query_ms_p99": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        "raw": raw,
        "checked": checked,
        "bands_rows": (lsh.b, lsh.r),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(benchenv.DATA / "reuters21578.jsonl.gz"))
    ap.add_argument("--limit", type=int, default=100000, help="first N documents (0: all)")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--no-redis", action="store_true")
    ap.add_argument("--overlap", default=str(benchenv.OVERLAP))
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()

    benchenv.ensure_venv()
    if not args.no_redis:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", REDIS_CLIENT], check=False)
    import overlap_text as ot
    from datasketch import MinHash

    import groundtruth

    ids, texts = ot.read_corpus(args.corpus)
    if args.limit:
        ids, texts = ids[: args.limit], texts[: args.limit]
    n = len(ids)
    benchenv.log(f"{n} documents from {benchenv.rel(args.corpus)}")
    work = Path(tempfile.mkdtemp(prefix="index-peers-", dir=benchenv.OUT if benchenv.OUT.exists() else None))
    corpus = work / "corpus.jsonl"
    with open(corpus, "w", encoding="utf-8") as f:
        for i, t in zip(ids, texts):
            f.write(json.dumps({"id": i, "text": t}) + "\n")
    rng = random.Random(1)
    queries = sorted(rng.sample(range(n), min(args.queries, n)))
    qfile = work / "queries.jsonl"
    with open(qfile, "w", encoding="utf-8") as f:
        for q in queries:
            f.write(json.dumps({"id": ids[q], "text": texts[q]}) + "\n")

    toks = [ot.tokens(t) for t in texts]
    del texts
    norm_group: dict[str, int] = {}
    group = [norm_group.setdefault(" ".join(t), i) for i, t in enumerate(toks)]
    shingles = [ot.shingle_strings(t, NGRAM) for t in toks]
    del toks
    benchenv.log("exact truth (all-pairs join)")
    sets = [ot.shingle_hash_set(s) for s in shingles]
    pairs = groundtruth.all_pairs(sets, THRESHOLD)
    del sets
    qset = set(queries)
    truth: dict[int, set[int]] = {q: set() for q in queries}
    for i, j in pairs:
        for a, b in ((i, j), (j, i)):
            if a in qset and group[b] != group[a]:
                truth[a].add(group[b])

    # overlap
    binary = args.overlap
    ix = work / "ix"
    subprocess.run([binary, "index", "create", str(ix)], check=True, capture_output=True)
    t = time.perf_counter()
    subprocess.run([binary, "index", "add", str(ix), str(corpus), "--quiet", "--out", str(work / "add.jsonl")], check=True)
    ov_insert = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run(
        [binary, "index", "query", str(ix), str(qfile), "--limit", "0", "--quiet", "--out", str(work / "q.jsonl")],
        check=True,
    )
    ov_query = time.perf_counter() - t
    pos = {d: i for i, d in enumerate(ids)}
    ov_answers = {}
    with open(work / "q.jsonl", encoding="utf-8") as f:
        for line, q in zip(f, queries):
            rec = json.loads(line)
            ov_answers[q] = group_answer([pos[m["id"]] for m in rec["matches"]], q, group)
    ov_bytes = os.path.getsize(ix / "index.redb")

    # datasketch
    benchenv.log("datasketch MinHash.bulk")
    t = time.perf_counter()
    minhashes = MinHash.bulk([[s.encode("utf-8") for s in sh] for sh in shingles], num_perm=NUM_PERM)
    ds_sketch = time.perf_counter() - t
    del shingles
    benchenv.log("datasketch MinHashLSH in memory")
    mem = run_datasketch(minhashes, queries, group)
    redis = None
    redis_note = "not asked (--no-redis)"
    if not args.no_redis:
        server, redis_note = redis_available()
        try:
            import redis as _redis  # noqa: F401
        except ImportError:
            server, redis_note = None, f"the Python client {REDIS_CLIENT} could not be installed"
        if server:
            port = free_port()
            proc = subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(0.5)
                benchenv.log(f"datasketch MinHashLSH on redis-server :{port}")
                redis = run_datasketch(
                    minhashes,
                    queries,
                    group,
                    {"type": "redis", "basename": b"overlapbench", "redis": {"host": "127.0.0.1", "port": port}},
                )
            finally:
                proc.terminate()
                proc.wait(timeout=10)

    rows = [
        ("overlap index", 0.0, ov_insert, 1000 * ov_query / len(queries), score(ov_answers, truth)),
        ("datasketch memory (raw LSH)", ds_sketch, ds_sketch + mem["insert_s"], mem["query_ms_mean"], score(mem["raw"], truth)),
        ("datasketch memory (est. J>=0.8)", ds_sketch, ds_sketch + mem["insert_s"], mem["query_ms_mean"], score(mem["checked"], truth)),
    ]
    if redis:
        rows += [
            ("datasketch redis (raw LSH)", ds_sketch, ds_sketch + redis["insert_s"], redis["query_ms_mean"], score(redis["raw"], truth)),
            ("datasketch redis (est. J>=0.8)", ds_sketch, ds_sketch + redis["insert_s"], redis["query_ms_mean"], score(redis["checked"], truth)),
        ]
    print(f"corpus: {benchenv.rel(args.corpus)}, {n} documents, {len(queries)} queries, "
          f"{sum(len(t) for t in truth.values())} true (query, group) pairs")
    print(f"overlap index file: {ov_bytes / n:.0f} bytes/document; datasketch bands x rows {mem['bands_rows']}")
    print("| tool | insert s (sketching included) | docs/s | ms per query | recall | precision |")
    print("|---|---|---|---|---|---|")
    for name, _, ins, q, s in rows:
        print(f"| {name} | {ins:.1f} | {n / ins:,.0f} | {q:.3f} | {s['recall']:.4f} | {s['precision']:.4f} |")
    base_ins, base_q = rows[0][2], rows[0][3]
    for name, _, ins, q, _ in rows[1::2]:
        print(f"ratio {name.split(' (')[0]} / overlap: insert {ins / base_ins:.2f}x, query {q / base_q:.2f}x")
    print(f"redis: {'run' if redis else 'NOT run'} ({redis_note})")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "documents": n, "queries": len(queries),
            "rows": [{"tool": r[0], "insert_s": r[2], "query_ms": r[3], **r[4]} for r in rows],
            "redis": redis_note, "machine": benchenv.machine(),
        }, indent=1))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
