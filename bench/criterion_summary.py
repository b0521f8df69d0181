#!/usr/bin/env python3
"""Summarize the criterion results of `cargo bench -p overlap --bench hot_loops` as a Markdown table.

    python3 bench/criterion_summary.py [> table.md]

Reads <repo>/target/criterion/*/**/new/{benchmark,estimates}.json (written by the last bench run) and
prints, per benchmark, the median time with its 95% interval and the throughput it implies.
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROOT = REPO / "target" / "criterion"


def fmt_time(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(per_s: float, unit: str) -> str:
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {prefix}{unit}/s"
    return f"{per_s:.3g} {unit}/s"


def main() -> None:
    rows = []
    for bench in sorted(ROOT.glob("**/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())["median"]
        ns = est["point_estimate"]
        lo, hi = est["confidence_interval"]["lower_bound"], est["confidence_interval"]["upper_bound"]
        thr = meta.get("throughput") or {}
        rate = ""
        if "Bytes" in thr:
            rate = f"{thr['Bytes'] / (ns / 1e9) / 2**20:.3g} MiB/s"
        elif "Elements" in thr:
            rate = fmt_rate(thr["Elements"] / (ns / 1e9), "elem")
        rows.append((meta["full_id"], fmt_time(ns), f"{fmt_time(lo)} – {fmt_time(hi)}", rate))
    if not rows:
        raise SystemExit(f"no criterion results under {ROOT}; run `cargo bench -p overlap --bench hot_loops` first")
    print("| benchmark | median | 95% interval | throughput |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
