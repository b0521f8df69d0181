#!/usr/bin/env python3
"""Dedup at scale within a memory budget: wall time, peak RSS, per-stage cost, spill volume, recall.

    python3 bench/spill_scale.py --docs 1000000 [--templates 2 --template-size 2000] \
        [--memory default,512MiB] [--analyse-only]
    nice python3 bench/spill_scale.py --docs 3000000 --templates 3 --template-size 20000 --memory default

Generates bench/out/spill-<N>.jsonl.gz with bench/gen_corpus.py if missing (seed 1, 15% planted
copies at seven edit rates, plus template clusters), runs `overlap dedup --no-deduped` once per
budget (working tree's target/release/overlap, measured with /usr/bin/time), and reports from
summary.json and clusters.jsonl:
- wall seconds and peak RSS; per-stage milliseconds; bytes spilled and peak temp disk;
- planted-pair recall per edit rate, counted as copy and source in the same cluster (the true
  Jaccard of each pair is not computed here: bench/scale.py does that with the Python port of the
  tokenizer, which needs the bench virtualenv);
- for each template cluster, whether all its members are in one cluster, and its precision (members
  over the size of the cluster they ended in).
From 2M documents on the corpus is generated with `gen_corpus.py --stream` (bounded memory).
Results go to bench/out/spill-scale/results.md. Needs only the Python standard library.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
BIN = REPO / "target" / "release" / "overlap"


def name_of(n: int) -> str:
    return f"spill-{n // 1_000_000}M" if n % 1_000_000 == 0 else f"spill-{n}"


def run(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    return wall, int(r.stderr.strip().splitlines()[-1]) * 1024


def analyse(out: Path, name: str) -> dict:
    cluster = {}
    with open(out / "clusters.jsonl") as f:
        for line in f:
            r = json.loads(line)
            cluster[r["id"]] = r["cluster"]
    by_rate: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with gzip.open(OUT / f"{name}.planted.tsv.gz", "rt") as f:
        next(f)
        for line in f:
            copy, source, rate, _, _ = line.rstrip("\n").split("\t")
            if copy in cluster and source in cluster:
                by_rate[rate][0] += cluster[copy] == cluster[source]
                by_rate[rate][1] += 1
    templates: dict[str, set[str]] = defaultdict(set)
    members: dict[str, int] = defaultdict(int)
    tpath = OUT / f"{name}.templates.tsv.gz"
    if tpath.exists():
        with gzip.open(tpath, "rt") as f:
            next(f)
            for line in f:
                doc, t = line.rstrip("\n").split("\t")
                templates[t].add(cluster.get(doc, "?"))
                members[t] += 1
    size: dict[str, int] = defaultdict(int)
    for c in cluster.values():
        size[c] += 1
    # Precision of a template cluster: its members over the size of the cluster(s) they ended in
    # (1.0 when no other document joined them).
    purity = {t: round(members[t] / max(1, sum(size[c] for c in cs)), 4) for t, cs in templates.items()}
    summary = json.loads((out / "summary.json").read_text())
    return {
        "recall_by_rate": {r: (h, n) for r, (h, n) in sorted(by_rate.items(), key=lambda x: float(x[0]))},
        "templates_in_one_cluster": {t: len(c) == 1 for t, c in templates.items()},
        "template_precision": purity,
        "timings_ms": summary["timings_ms"],
        "memory": summary["memory"],
        "pairs": summary["pairs"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--templates", type=int, default=2)
    ap.add_argument("--template-size", type=int, default=2000)
    ap.add_argument("--memory", default="default,512MiB")
    ap.add_argument("--analyse-only", action="store_true", help="report on existing outputs")
    a = ap.parse_args()
    name = name_of(a.docs)
    corpus = OUT / f"{name}.jsonl.gz"
    if not corpus.exists():
        gen = [sys.executable, str(BENCH / "gen_corpus.py"), "--docs", str(a.docs), "--name", name,
               "--templates", str(a.templates), "--template-size", str(a.template_size)]
        # Millions of texts do not fit in Python's memory: write them as they are generated.
        if a.docs >= 2_000_000:
            gen.append("--stream")
        subprocess.run(gen, check=True)
    work = OUT / "spill-scale"
    work.mkdir(parents=True, exist_ok=True)
    lines = [f"# dedup within a memory budget: {name} ({corpus.stat().st_size / 2**20:.0f} MiB gzip)", ""]
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    lines.append(f"load average at start {load} (a shared machine: compare runs of one session only)")
    lines.append("")
    for m in a.memory.split(","):
        out = work / f"{a.docs // 1_000_000}M-{m}" if a.docs % 1_000_000 == 0 else work / f"{a.docs}-{m}"
        wall = rss = None
        if not a.analyse_only:
            cmd = [str(BIN), "dedup", str(corpus), "--out", str(out), "--no-deduped", "-q", "--on-error", "skip"]
            if m != "default":
                cmd += ["--memory", m]
            wall, rss = run(cmd)
        r = analyse(out, name)
        mem = r["memory"]
        tm = r["timings_ms"]
        lines.append(f"## --memory {m}")
        if wall is not None:
            lines.append(f"- wall {wall:.1f} s, peak RSS {rss / 2**20:.0f} MiB")
        lines.append(f"- summary: total {tm['total'] / 1000:.1f} s; " + ", ".join(
            f"{k} {v / 1000:.1f} s" for k, v in tm.items() if k != "total"))
        lines.append(f"- memory: peak RSS {mem.get('peak_rss_bytes', 0) / 2**20:.0f} MiB, estimate "
                     f"{mem['peak_estimate_bytes'] / 2**20:.0f} MiB, spilled {mem['spilled_bytes'] / 2**20:.0f} MiB, "
                     f"temp disk peak {mem['temp_disk_peak_bytes'] / 2**20:.0f} MiB")
        lines.append(f"- pairs: {r['pairs']}")
        lines.append("- planted recall (same cluster) by edit rate: " + ", ".join(
            f"{float(k):.0%}: {h / n:.4f} ({h}/{n})" for k, (h, n) in r["recall_by_rate"].items()))
        lines.append(f"- template clusters each in one cluster: {r['templates_in_one_cluster']}")
        lines.append(f"- template cluster precision (members / size of their cluster): {r['template_precision']}")
        lines.append("")
    text = "\n".join(lines)
    (work / "results.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
