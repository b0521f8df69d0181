#!/usr/bin/env python3
"""overlap at scale: 100k and 1M generated documents with planted near-duplicates.

    python3 bench/scale.py [--sizes 100000,1000000] [--peers datasketch,rensa] [--peer-timeout 600]

For each size it generates the corpus if missing (gen_corpus.py, seed 1), computes the true Jaccard of
every planted pair with the Python port of overlap's tokenizer (cached next to the corpus), runs
`overlap dedup --no-deduped` (and the full run, which also writes the deduplicated corpus) and reports
wall time, peak RSS, the stage timings and the recall of the planted pairs whose true Jaccard is >= 0.8,
per edit rate. On the smallest size it also runs the peers (peers.py) with a time limit; a peer that
runs out of time is reported as such. Results go to bench/out/scale/results.{md,json}.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

if __name__ == "__main__":
    benchenv.ensure_venv()

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import overlap_text as ot  # noqa: E402
from benchenv import OUT, log, rel, run_measured, shell_quote  # noqa: E402
from dedup_peers import overlap_pairs, read_peer_pairs, table  # noqa: E402
from groundtruth import jaccard  # noqa: E402

THRESHOLD = 0.8


def size_name(n: int) -> str:
    return f"gen-{n // 1_000_000}M" if n % 1_000_000 == 0 else f"gen-{n // 1000}k" if n % 1000 == 0 else f"gen-{n}"


def ensure_corpus(n: int, seed: int) -> tuple[Path, Path]:
    import gen_corpus

    name = size_name(n)
    corpus, planted = OUT / f"{name}.jsonl.gz", OUT / f"{name}.planted.tsv.gz"
    meta_path = OUT / f"{name}.meta.json"
    try:
        current = json.loads(meta_path.read_text()) == json.loads(json.dumps(gen_corpus.meta(n, seed, 0.15)))
    except (OSError, ValueError):
        current = False
    if not (corpus.exists() and planted.exists() and current):
        cmd = [sys.executable, str(benchenv.BENCH / "gen_corpus.py"), "--docs", str(n), "--name", name, "--seed", str(seed)]
        log("generating: " + shell_quote(cmd))
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        log(f"generated in {time.perf_counter() - t:.0f} s")
    return corpus, planted


def planted_truth(corpus: Path, planted: Path) -> tuple[list[str], list[dict]]:
    """Ids of the corpus in order, and the planted pairs with their true Jaccard (cached)."""
    cache = planted.with_name(planted.name.replace(".planted.tsv.gz", ".planted-jaccard.json.gz"))
    rows = []
    with gzip.open(planted, "rt") as f:
        next(f)
        for line in f:
            c, s, rate, edits, words = line.rstrip("\n").split("\t")
            rows.append({"copy": c, "source": s, "rate": float(rate), "edits": int(edits), "words": int(words)})
    use_cache = cache.exists() and cache.stat().st_mtime >= corpus.stat().st_mtime
    need = set() if use_cache else {r["copy"] for r in rows} | {r["source"] for r in rows}
    ids, texts = [], {}
    t = time.perf_counter()
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            ids.append(rec["id"])
            if rec["id"] in need:
                texts[rec["id"]] = rec["text"]
    if use_cache:
        with gzip.open(cache, "rt") as f:
            rows = json.load(f)
        return ids, rows
    sets = {d: ot.shingle_hash_set(ot.shingle_strings(ot.tokens(x))) for d, x in texts.items()}
    for r in rows:
        r["jaccard"] = jaccard(sets[r["copy"]], sets[r["source"]])
    with gzip.open(cache, "wt") as f:
        json.dump(rows, f)
    log(f"true Jaccard of {len(rows)} planted pairs in {time.perf_counter() - t:.0f} s (cached in {rel(cache)})")
    return ids, rows


def planted_recall(found: set[tuple[int, int]], rows: list[dict], index_of: dict[str, int]) -> list[list[str]]:
    out = []
    by_rate: dict[float, list[dict]] = {}
    for r in rows:
        by_rate.setdefault(r["rate"], []).append(r)
    total_hit = total_eligible = 0
    for rate in sorted(by_rate):
        rs = by_rate[rate]
        eligible = [r for r in rs if r["jaccard"] >= THRESHOLD]
        hit = 0
        for r in eligible:
            a, b = index_of[r["copy"]], index_of[r["source"]]
            hit += (min(a, b), max(a, b)) in found
        below_found = sum(
            (min(index_of[r["copy"]], index_of[r["source"]]), max(index_of[r["copy"]], index_of[r["source"]])) in found
            for r in rs
            if r["jaccard"] < THRESHOLD
        )
        total_hit += hit
        total_eligible += len(eligible)
        mean_j = sum(r["jaccard"] for r in rs) / len(rs)
        out.append([f"{rate:.0%}", str(len(rs)), f"{mean_j:.3f}", str(len(eligible)), str(hit),
                    f"{hit / len(eligible):.4f}" if eligible else "n/a", str(below_found)])  # fmt: skip
    out.append(["all", str(len(rows)), "", str(total_eligible), str(total_hit),
                f"{total_hit / total_eligible:.4f}" if total_eligible else "n/a", ""])  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--peers", default="datasketch,rensa", help="peers to run on the smallest size ('' for none)")
    ap.add_argument("--peer-timeout", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-full", action="store_true", help="skip the full overlap run (with the deduplicated corpus)")
    ap.add_argument("--overlap-ref", metavar="REF", help="measure this git commit of overlap instead of the working tree")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",") if s]
    peers = [p for p in a.peers.split(",") if p]
    work = OUT / "scale"
    work.mkdir(parents=True, exist_ok=True)
    overlap = benchenv.build_overlap(a.overlap_ref)
    machine = benchenv.machine()
    report: list[str] = []
    results: dict = {"machine": machine, "versions": benchenv.package_versions(["datasketch", "rensa"]), "sizes": {}}
    results["versions"]["overlap"] = benchenv.overlap_version(overlap, a.overlap_ref)

    def say(text: str = "") -> None:
        print(text, flush=True)
        report.append(text)

    say("# overlap at scale: generated corpora with planted near-duplicates")
    say()
    ref_arg = f" --overlap-ref {a.overlap_ref}" if a.overlap_ref else ""
    say(f"- command: `python3 bench/scale.py --sizes {a.sizes} --peers '{a.peers}' --peer-timeout {a.peer_timeout:.0f}{ref_arg}`")
    say(f"- machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']}; date {machine['date']}; "
        f"load average at start {machine['loadavg_at_start']:.2f}")  # fmt: skip
    say("- versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()))
    say("- one run per figure (these runs are long); threads: overlap all cores (2), peers as in dedup_peers.py")
    say()
    for n in sizes:
        corpus, planted = ensure_corpus(n, a.seed)
        ids, rows = planted_truth(corpus, planted)
        index_of = {d: i for i, d in enumerate(ids)}
        size_mib = corpus.stat().st_size / 2**20
        say(f"## {corpus.name}: {len(ids):,} documents, {size_mib:.0f} MiB gzip")
        say()
        runs = []
        variants = [("overlap --no-deduped", False)] + ([] if a.no_full else [("overlap full run", True)])
        for label, deduped in variants:
            out = work / f"{size_name(n)}-overlap{'-full' if deduped else ''}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [str(overlap), "dedup", str(corpus), "--out", str(out), "--json", "--quiet", "--on-error", "skip"]
            if not deduped:
                cmd.append("--no-deduped")
            r = run_measured(cmd)
            if r["rc"] != 0:
                say(f"- {label}: FAILED ({r['rc']}): {r['stderr'][-500:]}")
                continue
            summ = json.loads(r["stdout"])
            found = overlap_pairs(out, index_of)
            runs.append((label, r, summ, found, cmd))
            if deduped:
                shutil.rmtree(out, ignore_errors=True)  # the deduplicated corpus is large
        peer_runs = []
        if n == min(sizes):
            for tool in peers:
                out = work / f"{size_name(n)}-{tool}"
                shutil.rmtree(out, ignore_errors=True)
                cmd = [str(benchenv.VENV_PY), str(benchenv.BENCH / "peers.py"), tool, str(corpus), str(out)]
                log(f"running {tool} on {corpus.name} (limit {a.peer_timeout:.0f} s)")
                r = run_measured(cmd, timeout=a.peer_timeout, tree=(tool == "text-dedup"))
                if r["rc"] != 0:
                    why = f"did not finish within {a.peer_timeout:.0f} s" if r["timed_out"] else f"failed: {r['stderr'][-300:]}"
                    peer_runs.append((tool, r, None, None, cmd, why))
                    continue
                _, checked = read_peer_pairs(out / "pairs.tsv")
                stats = json.loads((out / "stats.json").read_text())
                peer_runs.append((tool, r, stats, checked, cmd, ""))
        rows_t = []
        for label, r, summ, found, _ in runs:
            tm = summ["timings_ms"]
            rec = planted_recall(found, rows, index_of)[-1]
            rows_t.append([label, f"{r['wall_s']:.1f}", f"{len(ids) / r['wall_s']:,.0f}", f"{r['maxrss_mib']:.0f}", rec[5],
                           f"read_sketch {tm['read_sketch'] / 1000:.1f}, candidates {tm['candidates'] / 1000:.1f}, "
                           f"verify {tm['verify'] / 1000:.1f}, cluster {tm['cluster'] / 1000:.1f}, write {tm['write'] / 1000:.1f}; "
                           f"{summ['pairs']['candidates']:,} candidates, {summ['pairs']['near']:,} near, "
                           f"{summ['pairs']['exact']:,} exact"])  # fmt: skip
        for tool, r, stats, found, _, why in peer_runs:
            if stats is None:
                rows_t.append([tool, f"> {a.peer_timeout:.0f}" if r["timed_out"] else "failed", "", "", "", why])
                continue
            rec = planted_recall(found, rows, index_of)[-1]
            steps = ", ".join(f"{k} {v:.1f}" for k, v in stats["steps_s"].items())
            rows_t.append([tool, f"{r['wall_s']:.1f}", f"{len(ids) / r['wall_s']:,.0f}", f"{r['maxrss_mib']:.0f}", rec[5], steps])
        say(table(["tool", "wall s", "docs/s", "peak RSS MiB", "planted recall (J >= 0.8)", "stages (s) / notes"], rows_t))
        say()
        for label, r, summ, found, _ in runs[:1]:
            say(f"Planted pairs by edit rate ({label}; 'found below 0.8': planted pairs under the threshold that "
                f"were still reported, which happens when the copy is also close to another document):")  # fmt: skip
            say()
            say(table(["edit rate", "planted", "mean true J", "J >= 0.8", "found", "recall", "found below 0.8"],
                      planted_recall(found, rows, index_of)))  # fmt: skip
            say()
        for tool, r, stats, found, _, why in peer_runs:
            if found is not None:
                say(f"Planted pairs by edit rate ({tool}):")
                say()
                say(table(["edit rate", "planted", "mean true J", "J >= 0.8", "found", "recall", "found below 0.8"],
                          planted_recall(found, rows, index_of)))  # fmt: skip
                say()
        say("Commands:")
        say()
        for label, r, summ, found, cmd in runs:
            say(f"- {label}: `{shell_quote(cmd)}`")
        for tool, r, stats, found, cmd, why in peer_runs:
            say(f"- {tool}: `{shell_quote(cmd)}`")
        say()
        results["sizes"][corpus.name] = {
            "documents": len(ids),
            "overlap": {label: {"wall_s": r["wall_s"], "maxrss_mib": r["maxrss_mib"], "timings_ms": summ["timings_ms"],
                                "pairs": summ["pairs"]} for label, r, summ, found, _ in runs},  # fmt: skip
            "peers": {tool: {"wall_s": r["wall_s"], "maxrss_mib": r["maxrss_mib"], "timed_out": r["timed_out"],
                             "steps_s": stats["steps_s"] if stats else None, "error": why} for tool, r, stats, found, _, why in peer_runs},  # fmt: skip
        }
    (work / "results.md").write_text("\n".join(report) + "\n")
    (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    log(f"wrote {rel(work / 'results.md')}")


if __name__ == "__main__":
    main()
