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
kept one it matches directly, as semhash does).
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


def ensure_venv():
    if Path(sys.prefix).resolve() == (BENCH / ".venv").resolve():
        return
    if not VENV_PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH / ".venv")], check=True)
    subprocess.run([str(VENV_PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(BENCH / "requirements-semhash.txt")], check=True)
    os.execv(str(VENV_PY), [str(VENV_PY), __file__] + sys.argv[1:])


def load(path):
    ids, texts = [], []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                ids.append(str(r["id"]))
                texts.append(r["text"])
    return ids, texts


def overlap_run(corpus, threshold, extra, threads, clusters):
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        out = subprocess.run([str(OVERLAP), "dedup", str(corpus), "--out", tmp, "--no-deduped", "--json",
                              "--semantic", "--semantic-threshold", str(threshold), "--threads", str(threads),
                              "--model", str(MODEL), "--clusters", clusters, *extra], check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t
        summary = json.loads(out.stdout)
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
    a = ap.parse_args()
    ensure_venv()
    os.environ["HF_HUB_OFFLINE"] = "1"
    import semhash
    from model2vec import StaticModel
    from semhash import SemHash

    ids, texts = load(a.corpus)
    t = time.perf_counter()
    model = StaticModel.from_pretrained(str(MODEL))
    records = [{"id": i, "text": x} for i, x in zip(ids, texts)]
    sh = SemHash.from_records(records=records, columns=["text"], model=model)
    res = sh.self_deduplicate(threshold=a.threshold)
    sem_wall = time.perf_counter() - t
    sem_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sem_removed = {d.record["id"] for d in res.filtered}
    sem_exact = sum(1 for d in res.filtered if d.exact)

    raw_wall, raw_sum, raw_removed, raw_cluster = overlap_run(a.corpus, a.threshold, ["--semantic-raw"], a.threads, a.clusters)
    cen_wall, cen_sum, cen_removed, _ = overlap_run(a.corpus, a.threshold, [], a.threads, a.clusters)
    n = len(ids)
    both = raw_removed & sem_removed
    print(f"corpus {a.corpus}: {n} documents; threshold {a.threshold}; semhash {semhash.__version__ if hasattr(semhash, '__version__') else '0.5.0'}")
    rss = lambda s: s.get("memory", {}).get("peak_rss_bytes", 0) / 2**20
    print(f"overlap --clusters {a.clusters}")
    print("| tool | wall s | documents/s | peak RSS MiB | removed (exact) |")
    print("|---|---|---|---|---|")
    print(f"| semhash 0.5.0 (usearch index, raw cosine) | {sem_wall:.2f} | {n / sem_wall:,.0f} | {sem_rss:,.0f} | "
          f"{len(sem_removed)} ({sem_exact}) |")
    print(f"| overlap `--semantic --semantic-raw` | {raw_wall:.2f} | {n / raw_wall:,.0f} | {rss(raw_sum):,.0f} | "
          f"{len(raw_removed)} ({raw_sum['documents']['removed_exact']}) |")
    print(f"| overlap `--semantic` (centred, default) | {cen_wall:.2f} | {n / cen_wall:,.0f} | {rss(cen_sum):,.0f} | "
          f"{len(cen_removed)} ({cen_sum['documents']['removed_exact']}) |")
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


if __name__ == "__main__":
    main()
