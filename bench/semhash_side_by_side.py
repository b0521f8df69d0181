#!/usr/bin/env python3
"""`overlap dedup --semantic` beside semhash (PyPI), on one corpus, with the same model.

    python3 bench/semhash_side_by_side.py ../shared/data/reuters21578.jsonl.gz [--threshold 0.9]

Installs bench/requirements-semhash.txt into bench/.venv (PyPI only) and re-runs itself there.
semhash loads overlap's own static model from models/overlap-minilm-static (model2vec's folder
format), offline (HF_HUB_OFFLINE=1: nothing is fetched from a model hub). Both tools compare raw
cosine here (`--semantic-raw`, semhash's definition); overlap's default (centred vectors) is run too,
for its figures.

Reports wall time (semhash: model load + index + self_deduplicate; overlap: the whole command, reading
and writing included), peak RSS (semhash: the Python process, the corpus's texts included, read
before its timer starts; overlap: its summary.json), documents removed, and agreement of the removed
sets. `--clusters guarded` runs overlap with the chain guard (a removed document is kept out for a
kept one it matches directly, as semhash does). CPU seconds (user + system, the process and its
children) are reported beside wall time: the machine is shared, and semhash's threads and worker
processes suffer more from a loaded machine than wall time shows.

`--centred T` also runs semhash on overlap's default job: the same model's vectors centred on the
corpus mean (as overlap does: the mean of the distinct texts' non-zero vectors, in float64, then
unit length), given to semhash through its own `SemHash.from_embeddings`, at cosine T (overlap's
default is 0.93), beside overlap's default run at the same threshold.

`--semhash-only FILE` (with `--centred T --skip-raw`, for 1M documents, where the two tools are run
as separate processes at the same time to fit the session): runs only semhash's centred job, logs
the time of each of its stages as it goes, and writes the ids it removed to FILE, one per line;
`bench/semhash_agreement.py FILE OUT/clusters.jsonl` then compares them with an overlap run.

`--embeddings-cache FILE.npy` (for 1M documents, whose encoding alone takes most of an hour on one
core): semhash's own encoding of the distinct texts is saved there (written to a temporary file,
then renamed, beside a `.json` with the CPU and wall seconds it took), and a later run with the same
corpus loads it instead of encoding again, so the job can be finished across sessions. The stages
are timed separately in the log, and the encoding's time is the one recorded when it was made.
"""
import argparse
import gzip
import resource
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_PY = BENCH / ".venv" / "bin" / "python"
OVERLAP = REPO / "target" / "release" / "overlap"
MODEL = REPO / "models" / "overlap-minilm-static"


def ensure_venv(script=__file__):
    """Re-run `script` inside bench/.venv with semhash installed (the peers never install globally)."""
    if Path(sys.prefix).resolve() == (BENCH / ".venv").resolve():
        return
    if not VENV_PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH / ".venv")], check=True)
    subprocess.run([str(VENV_PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(BENCH / "requirements-semhash.txt")], check=True)
    os.execv(str(VENV_PY), [str(VENV_PY), str(script)] + sys.argv[1:])


def load(path):
    ids, texts = [], []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                ids.append(str(r["id"]))
                texts.append(r["text"])
    return ids, texts


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def overlap_run(corpus, threshold, extra, threads, clusters):
    with tempfile.TemporaryDirectory() as tmp:
        c = cpu_seconds()
        t = time.perf_counter()
        out = subprocess.run([str(OVERLAP), "dedup", str(corpus), "--out", tmp, "--no-deduped", "--json",
                              "--semantic", "--semantic-threshold", str(threshold), "--threads", str(threads),
                              "--model", str(MODEL), "--clusters", clusters, *extra], check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t
        summary = json.loads(out.stdout)
        summary["cpu_s"] = cpu_seconds() - c
        removed, cluster = set(), {}
        with open(Path(tmp) / "clusters.jsonl") as f:
            for line in f:
                c = json.loads(line)
                cluster[c["id"]] = c["cluster"]
                if not c["kept"]:
                    removed.add(c["id"])
    return wall, summary, removed, cluster


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--clusters", choices=["components", "guarded"], default="components")
    ap.add_argument("--centred", type=float, metavar="T",
                    help="also run semhash on centred vectors (from_embeddings) at cosine T, beside overlap's default")
    ap.add_argument("--skip-raw", action="store_true", help="leave out the raw-cosine semhash run")
    ap.add_argument("--embeddings-cache", metavar="FILE.npy",
                    help="with --centred: keep semhash's encoding of the distinct texts in FILE.npy and reuse it")
    ap.add_argument("--semhash-only", metavar="FILE",
                    help="with --centred: run only semhash's centred job and write the ids it removed to FILE")
    a = ap.parse_args()
    ensure_venv()
    os.environ["HF_HUB_OFFLINE"] = "1"
    import semhash
    from model2vec import StaticModel
    from semhash import SemHash

    t0 = time.perf_counter()
    ids, texts = load(a.corpus)
    stage(f"read {len(ids)} documents", t0)
    records = [{"id": i, "text": x} for i, x in zip(ids, texts)]
    n = len(ids)
    if a.centred is not None:
        centred_side_by_side(a, records, StaticModel, SemHash)
    if a.skip_raw or a.semhash_only:
        return
    c = cpu_seconds()
    t = time.perf_counter()
    model = StaticModel.from_pretrained(str(MODEL))
    sh = SemHash.from_records(records=records, columns=["text"], model=model)
    res = sh.self_deduplicate(threshold=a.threshold)
    sem_wall = time.perf_counter() - t
    sem_cpu = cpu_seconds() - c
    sem_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sem_removed = {d.record["id"] for d in res.filtered}
    sem_exact = sum(1 for d in res.filtered if d.exact)

    raw_wall, raw_sum, raw_removed, raw_cluster = overlap_run(a.corpus, a.threshold, ["--semantic-raw"], a.threads, a.clusters)
    cen_wall, cen_sum, cen_removed, _ = overlap_run(a.corpus, a.threshold, [], a.threads, a.clusters)
    both = raw_removed & sem_removed
    print(f"corpus {a.corpus}: {n} documents; threshold {a.threshold}; semhash {semhash.__version__ if hasattr(semhash, '__version__') else '0.5.0'}")
    rss = lambda s: s.get("memory", {}).get("peak_rss_bytes", 0) / 2**20
    print(f"overlap --clusters {a.clusters}")
    print("| tool | wall s | CPU s | documents/s (wall) | peak RSS MiB | removed (exact) |")
    print("|---|---|---|---|---|---|")
    print(f"| semhash 0.5.0 (usearch index, raw cosine) | {sem_wall:.2f} | {sem_cpu:.1f} | {n / sem_wall:,.0f} | "
          f"{sem_rss:,.0f} | {len(sem_removed)} ({sem_exact}) |")
    print(f"| overlap `--semantic --semantic-raw` | {raw_wall:.2f} | {raw_sum['cpu_s']:.1f} | {n / raw_wall:,.0f} | "
          f"{rss(raw_sum):,.0f} | {len(raw_removed)} ({raw_sum['documents']['removed_exact']}) |")
    print(f"| overlap `--semantic` (centred) | {cen_wall:.2f} | {cen_sum['cpu_s']:.1f} | {n / cen_wall:,.0f} | "
          f"{rss(cen_sum):,.0f} | {len(cen_removed)} ({cen_sum['documents']['removed_exact']}) |")
    union = raw_removed | sem_removed
    print(f"agreement (raw cosine): removed by both {len(both)}, only semhash {len(sem_removed - raw_removed)}, "
          f"only overlap {len(raw_removed - sem_removed)}; Jaccard of the removed sets "
          f"{len(both) / max(1, len(union)):.3f}")
    pairs = [(d.record["id"], d.duplicate_of["id"]) for d in res.filtered]
    together = sum(raw_cluster[x] == raw_cluster[y] for x, y in pairs) / max(1, len(pairs))
    print(f"semhash's {len(pairs)} (removed, kept) pairs in one overlap raw cluster: {together:.4f}")
    print(f"overlap raw: {raw_sum['pairs']['candidates']} candidates, {raw_sum['pairs']['near']} near pairs, "
          f"largest cluster {raw_sum['clusters']['largest']}; timings {raw_sum['timings_ms']}")
    print(f"overlap centred: {cen_sum['pairs']['candidates']} candidates, timings {cen_sum['timings_ms']}")


def stage(what, t0):
    """One line of progress on stderr: long runs can be followed (and reported if stopped)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[{time.strftime('%H:%M:%S')}] {what}: {time.perf_counter() - t0:.1f} s, CPU {cpu_seconds():.1f} s, "
          f"peak RSS {rss:,.0f} MiB", file=sys.stderr, flush=True)


def encode_cached(model, distinct, cache, corpus):
    """model2vec's encoding of `distinct`, or the one saved in `cache` by an earlier run on `corpus`."""
    import numpy as np
    if cache is None:
        return model.encode(distinct)
    cache = Path(cache)
    meta_path = cache.with_suffix(".json")
    if cache.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        emb = np.load(cache)
        if meta.get("corpus") != str(corpus) or emb.shape[0] != len(distinct):
            sys.exit(f"{cache} was made for {meta.get('corpus')} ({emb.shape[0]} texts), not {corpus} ({len(distinct)})")
        print(f"[{time.strftime('%H:%M:%S')}] encoding loaded from {cache}: made {meta['made']} in "
              f"{meta['cpu_s']:.1f} CPU s, {meta['wall_s']:.1f} s wall", file=sys.stderr, flush=True)
        return emb
    c, t = cpu_seconds(), time.perf_counter()
    emb = model.encode(distinct)
    meta = {"corpus": str(corpus), "texts": len(distinct), "cpu_s": cpu_seconds() - c,
            "wall_s": time.perf_counter() - t, "made": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    tmp = cache.with_name(cache.name + ".tmp.npy")
    with open(tmp, "wb") as f:
        np.save(f, emb)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, cache)
    meta_tmp = meta_path.with_name(meta_path.name + ".tmp")
    meta_tmp.write_text(json.dumps(meta))
    os.replace(meta_tmp, meta_path)
    return emb


def centred_side_by_side(a, records, StaticModel, SemHash):
    """semhash and overlap on the same centred vectors at cosine a.centred."""
    import numpy as np
    n = len(records)
    c = cpu_seconds()
    t = time.perf_counter()
    model = StaticModel.from_pretrained(str(MODEL))
    first, key = {}, []
    for r in records:
        key.append(first.setdefault(r["text"], len(first)))
    distinct = [None] * len(first)
    for r, k in zip(records, key):
        if distinct[k] is None:
            distinct[k] = r["text"]
    stage(f"model loaded, {len(distinct)} distinct texts", t)
    emb = np.asarray(encode_cached(model, distinct, a.embeddings_cache, a.corpus), dtype=np.float64)
    stage("encoded", t)
    nonzero = np.linalg.norm(emb, axis=1) > 0
    emb[nonzero] -= emb[nonzero].mean(axis=0)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    emb = (emb / np.where(norms > 1e-12, norms, 1.0)).astype(np.float32)
    stage("centred", t)
    sh = SemHash.from_embeddings(embeddings=emb[np.asarray(key)], records=records, model=model, columns=["text"])
    stage("index built (from_embeddings)", t)
    res = sh.self_deduplicate(threshold=a.centred)
    stage("self_deduplicate done", t)
    wall = time.perf_counter() - t
    cpu = cpu_seconds() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    removed = {d.record["id"] for d in res.filtered}
    exact = sum(1 for d in res.filtered if d.exact)
    if a.semhash_only:
        with open(a.semhash_only, "w") as f:
            f.writelines(f"{i}\n" for i in sorted(removed))
        print(f"corpus {a.corpus}: {n} documents; centred vectors at cosine {a.centred}")
        print(f"| semhash 0.5.0 (`from_embeddings`, centred) | {wall:.2f} | {cpu:.1f} | {n / wall:,.0f} | {rss:,.0f} | "
              f"{len(removed)} ({exact}) |")
        sys.stdout.flush()
        return
    results = []
    for clusters in ["components", "guarded"]:
        results.append((clusters, overlap_run(a.corpus, a.centred, [], a.threads, clusters)))
    print(f"corpus {a.corpus}: {n} documents; centred vectors at cosine {a.centred}")
    print("| tool | wall s | CPU s | documents/s (wall) | peak RSS MiB | removed (exact) | removed by both / only semhash / only overlap | Jaccard |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| semhash 0.5.0 (`from_embeddings`, centred) | {wall:.2f} | {cpu:.1f} | {n / wall:,.0f} | {rss:,.0f} | "
          f"{len(removed)} ({exact}) | | |")
    for clusters, (w, s, rem, _) in results:
        both = rem & removed
        print(f"| overlap `--semantic --clusters {clusters}` | {w:.2f} | {s['cpu_s']:.1f} | {n / w:,.0f} | "
              f"{s.get('memory', {}).get('peak_rss_bytes', 0) / 2**20:,.0f} | {len(rem)} "
              f"({s['documents']['removed_exact']}) | {len(both)} / {len(removed - rem)} / {len(rem - removed)} | "
              f"{len(both) / max(1, len(rem | removed)):.3f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
