#!/usr/bin/env python3
"""overlap vs datasketch, rensa, gaoya and text-dedup on one corpus, side by side.

    python3 bench/dedup_peers.py [CORPUS] [--repeat 3] [--tools overlap,datasketch,...]

CORPUS defaults to <repo>/../shared/data/reuters21578.jsonl.gz (any JSONL(.gz) with `id` and `text`).
In one run it:

1. creates/uses bench/.venv with the pinned peers (requirements*.txt; failures are reported) and builds
   overlap (`cargo build --release -p overlap-cli`);
2. ports overlap's tokenizer to Python (overlap_text.py) and validates it: xxh3-128 of the normalized text
   of every document against the `exact` field of `overlap sketch` (prints the number of mismatches);
3. computes the exact ground truth: every pair with true word-5-gram Jaccard >= 0.8 (groundtruth.py);
4. runs overlap (`dedup --no-deduped`, with 2 threads and with 1, and the full run that also writes the
   deduplicated corpus) and each peer (peers.py) in its own process, `--repeat` times, measuring wall
   time and peak RSS (os.wait4), and scores the pairs each reports against the ground truth;
5. measures single-threaded MinHash signature throughput: `overlap sketch --threads 1 --json` vs rensa
   and datasketch (sketch_throughput.py);
6. prints the tables and the targets, and writes them to bench/out/dedup/<corpus>/results.{md,json}.

Timing figures are the median of the runs (best in brackets); peak memory is the largest of the runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

if __name__ == "__main__":
    benchenv.ensure_venv()  # re-executes this script inside bench/.venv

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

import groundtruth  # noqa: E402
import overlap_text as ot  # noqa: E402
from benchenv import OUT, best_and_median, log, rel, run_measured, shell_quote  # noqa: E402

THRESHOLD = 0.8
PEERS = ["datasketch", "rensa", "rensa-batch", "gaoya", "text-dedup"]
PEER_PACKAGE = {
    "datasketch": "datasketch",
    "rensa": "rensa",
    "rensa-batch": "rensa",
    "gaoya": "gaoya",
    "text-dedup": "text-dedup",
}
SLOW_S = 60.0  # a tool whose first run takes longer than this is not repeated


# --- overlap --------------------------------------------------------------------------------------


def overlap_pairs(out_dir: Path, index_of: dict[str, int]) -> set[tuple[int, int]]:
    """All pairs overlap's pairs.jsonl implies: exact edges go from the first document of an exact group
    to each copy; near pairs join first documents of groups, so every copy of x pairs with every copy
    of y."""
    group: dict[int, list[int]] = {}
    near = []
    with open(out_dir / "pairs.jsonl") as f:
        for line in f:
            p = json.loads(line)
            a, b = index_of[p["a"]], index_of[p["b"]]
            if p["kind"] == "exact":
                group.setdefault(a, [a]).append(b)
            else:
                near.append((a, b))
    pairs = set()
    for members in group.values():
        for k, x in enumerate(members):
            for y in members[k + 1 :]:
                pairs.add((min(x, y), max(x, y)))
    for a, b in near:
        for x in group.get(a, [a]):
            for y in group.get(b, [b]):
                pairs.add((min(x, y), max(x, y)))
    return pairs


def run_overlap_dedup(overlap: Path, corpus: Path, work: Path, threads: int, deduped: bool) -> dict:
    out = work / f"overlap-t{threads}{'-full' if deduped else ''}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(overlap), "dedup", str(corpus), "--out", str(out), "--json", "--quiet", "--on-error", "skip"]
    cmd += ["--threshold", str(THRESHOLD), "--ngram", "5", "--num-perm", "128", "--threads", str(threads)]
    if not deduped:
        cmd.append("--no-deduped")
    r = run_measured(cmd)
    if r["rc"] != 0:
        raise SystemExit(f"overlap failed ({r['rc']}): {r['stderr'][-2000:]}")
    r["summary"] = json.loads(r["stdout"])
    r["out_dir"] = out
    return r


# --- scoring --------------------------------------------------------------------------------------


def score(found: set, truth: set, near_truth: set | None = None) -> dict:
    """Recall and precision of `found` against `truth`; `near_recall` is the recall over `near_truth`,
    the ground-truth pairs whose normalized texts differ (exact duplicates are easy for every tool)."""
    hit = len(found & truth)
    out = {
        "pairs": len(found),
        "recall": hit / len(truth) if truth else 1.0,
        "precision": hit / len(found) if found else 1.0,
        "missed": len(truth) - hit,
        "false": len(found) - hit,
    }
    if near_truth is not None:
        out["near_recall"] = len(found & near_truth) / len(near_truth) if near_truth else 1.0
        out["near_pairs"] = len(near_truth)
    return out


def read_peer_pairs(path: Path) -> tuple[set, set]:
    raw, checked = set(), set()
    with open(path) as f:
        for line in f:
            i, j, flag = line.split()
            p = (int(i), int(j))
            raw.add(p)
            if flag == "1":
                checked.add(p)
    return raw, checked


# --- reporting ------------------------------------------------------------------------------------


def fmt_s(median: float, best: float) -> str:
    return f"{median:.2f} ({best:.2f})"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(benchenv.DATA / "reuters21578.jsonl.gz"))
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool (median reported; default 3)")
    ap.add_argument("--tools", default="overlap," + ",".join(PEERS), help="comma-separated subset")
    ap.add_argument("--no-throughput", action="store_true", help="skip the signature throughput part")
    ap.add_argument("--timeout", type=float, default=900, help="seconds allowed per tool run")
    ap.add_argument("--overlap-ref", metavar="REF", help="measure this git commit of overlap (built from "
                    "`git archive` under bench/out/) instead of the working tree")  # fmt: skip
    a = ap.parse_args()
    corpus = Path(a.corpus).resolve()
    tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    name = corpus.name.split(".")[0]
    work = OUT / "dedup" / name
    work.mkdir(parents=True, exist_ok=True)
    report: list[str] = []
    results: dict = {"corpus": rel(corpus), "repeat": a.repeat}

    def say(text: str = "") -> None:
        print(text, flush=True)
        report.append(text)

    overlap = benchenv.build_overlap(a.overlap_ref)
    machine = benchenv.machine()
    versions = benchenv.package_versions(["datasketch", "rensa", "gaoya", "text-dedup", "datasets", "xxhash", "regex", "numpy"])
    versions["overlap"] = benchenv.overlap_version(overlap, a.overlap_ref)
    failed = benchenv.install_status().get("failed", {})
    results.update(machine=machine, versions=versions, install_failures=failed)
    say(f"# Dedup benchmark: {rel(corpus)}")
    say()
    ref_arg = f" --overlap-ref {a.overlap_ref}" if a.overlap_ref else ""
    if a.tools != ap.get_default("tools"):
        ref_arg += f" --tools {a.tools}"
    if a.no_throughput:
        ref_arg += " --no-throughput"
    say(f"- command: `python3 bench/dedup_peers.py {rel(corpus)} --repeat {a.repeat}{ref_arg}`")
    say(f"- machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']}; {machine['os']}")
    say(f"- date: {machine['date']}; load average at start: {machine['loadavg_at_start']:.2f}")
    say(f"- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    say(f"- parameters: word 5-grams, 128 permutations, threshold {THRESHOLD}; timings: median of {a.repeat} runs (best in brackets), the tools taking turns in each round so that load changes hit all alike")
    for req, err in failed.items():
        say(f"- NOT INSTALLED: `{req}`: {err.splitlines()[-1] if err else 'unknown error'}")
    say()

    # 1. Shared preprocessing in this process: ids, tokens, shingle sets.
    t = time.perf_counter()
    ids, texts = ot.read_corpus(str(corpus))
    toks = [ot.tokens(x) for x in texts]
    del texts
    keys = [ot.exact_key(x) for x in toks]
    sets = [ot.shingle_hash_set(ot.shingle_strings(x)) for x in toks]
    del toks
    prep_s = time.perf_counter() - t
    index_of = {d: i for i, d in enumerate(ids)}
    n_empty = sum(1 for s in sets if not s)

    # 2. Validate the port against overlap sketch.
    sig_path = work / "overlap-sketch.jsonl"
    cmd = [str(overlap), "sketch", str(corpus), "--out", str(sig_path), "--threads", "1", "--json", "--on-error", "skip"]
    r = run_measured(cmd)
    if r["rc"] != 0:
        raise SystemExit(f"overlap sketch failed: {r['stderr'][-2000:]}")
    ref_keys = {}
    with open(sig_path) as f:
        for line in f:
            rec = json.loads(line)
            ref_keys[rec["id"]] = rec["exact"]
    mismatch = [d for d, k, s in zip(ids, keys, sets) if s and ref_keys.get(d) != k]
    skipped_by_overlap = len(ids) - len(ref_keys)
    del ref_keys
    say("## Tokenizer port")
    say()
    say(
        f"Python port (bench/overlap_text.py) vs `overlap sketch` exact keys: **{len(mismatch)} mismatches** "
        f"of {len(ids) - n_empty} documents ({n_empty} documents without words, skipped by overlap: {skipped_by_overlap})."
    )
    for d in mismatch[:5]:
        say(f"  - mismatch: {d}")
    say(f"Shared Python preprocessing here (read, tokenize, shingle, xxh3): {prep_s:.2f} s.")
    say()
    results["port"] = {"mismatches": len(mismatch), "documents": len(ids), "no_words": n_empty}

    # 3. Ground truth.
    t = time.perf_counter()
    gt = groundtruth.all_pairs(sets, THRESHOLD)
    gt_s = time.perf_counter() - t
    truth = set(gt)
    near_truth = {(i, j) for (i, j) in truth if keys[i] != keys[j]}
    identical = len(truth) - len(near_truth)
    say("## Ground truth")
    say()
    say(
        f"{len(truth)} pairs with true Jaccard >= {THRESHOLD}: {identical} exact duplicates by normalized text "
        f"and {len(near_truth)} near pairs (texts differ); exact prefix-filtered all-pairs join in {gt_s:.1f} s."
    )
    say()
    results["ground_truth"] = {"pairs": len(truth), "exact_pairs": identical, "near_pairs": len(near_truth), "seconds": gt_s}
    del sets

    # 4. Dedup runs, in rounds: every tool once per round.
    runs: dict[str, dict] = {}
    rows = []
    overlap_variants = {
        "overlap (--no-deduped)": (0, False),
        "overlap (--no-deduped, 1 thread)": (1, False),
        "overlap (full run, writes deduped corpus)": (0, True),
    }
    order = (list(overlap_variants) if "overlap" in tools else []) + [t for t in tools if t in PEERS]
    for tool in order:
        pkg = PEER_PACKAGE.get(tool)
        bad = [req for req in failed if pkg and req.split("==")[0] == pkg]
        runs[tool] = {"error": f"not installed ({bad[0]}): {failed[bad[0]].splitlines()[-1]}"} if bad else {"reps": []}
    for rep in range(a.repeat):
        for tool in order:
            run = runs[tool]
            if "error" in run or (run["reps"] and run["reps"][0]["wall_s"] > SLOW_S):
                continue
            if tool in overlap_variants:
                threads, deduped = overlap_variants[tool]
                r = run_overlap_dedup(overlap, corpus, work, threads, deduped)
                run["reps"].append(r)
                if rep == a.repeat - 1:
                    found = overlap_pairs(r["out_dir"], index_of)
                    run.update(score=score(found, truth, near_truth), threads=r["summary"]["threads"], cmd=r["cmd"])
                log(f"{tool}: run {rep + 1}: {r['wall_s']:.2f} s")
                continue
            out = work / f"peer-{tool}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [str(benchenv.VENV_PY), str(benchenv.BENCH / "peers.py"), tool, str(corpus), str(out)]
            r = run_measured(cmd, timeout=a.timeout, tree=(tool == "text-dedup"))
            if r["rc"] != 0:
                why = "timed out" if r["timed_out"] else f"exit {r['rc']}"
                run.clear()
                run["error"] = f"failed ({why}): {r['stderr'].strip().splitlines()[-1:]}"
                log(r["stderr"][-3000:])
                continue
            r["stats"] = json.loads((out / "stats.json").read_text())
            run["reps"].append(r)
            log(f"{tool}: run {rep + 1}: {r['wall_s']:.2f} s")
            raw, checked = read_peer_pairs(out / "pairs.tsv")
            run.update(score=score(checked, truth, near_truth), raw_score=score(raw, truth, near_truth), cmd=cmd)
            for sub in ("dataset", "deduped", "hf-cache"):
                shutil.rmtree(out / sub, ignore_errors=True)

    ref_label = "overlap (--no-deduped)"
    ref = runs.get(ref_label)
    ref_best, ref_wall = best_and_median([r["wall_s"] for r in ref["reps"]]) if ref else (None, None)
    ref1 = runs.get("overlap (--no-deduped, 1 thread)")
    ref1_wall = best_and_median([r["wall_s"] for r in ref1["reps"]])[1] if ref1 else None
    headers = ["tool", "threads", "wall s", "excl. Python prep s", "peak RSS MiB", "pairs", "recall",
               "near-pair recall", "precision", "LSH candidates (recall / precision)", "wall vs overlap",
               "vs overlap 1 thread"]  # fmt: skip
    for label, run in runs.items():
        if "error" in run:
            rows.append([label, "", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", run["error"], "", ""])
            continue
        best, median = best_and_median([r["wall_s"] for r in run["reps"]])
        rss = max(r["tree_peak_rss_mib"] for r in run["reps"])
        s = run["score"]
        if "summary" in run["reps"][0]:
            threads = str(run["threads"])
            tm = [r["summary"]["timings_ms"] for r in run["reps"]]
            inner = best_and_median([x["total"] / 1000 for x in tm])
            excl = f"internal total {inner[1]:.2f}"
            cand = f"{run['reps'][-1]['summary']['pairs']['candidates']} (verified)"
        else:
            threads = {"gaoya": "2 (par_bulk)", "text-dedup": "2 (num_proc)", "rensa-batch": "2 (Rayon)"}.get(label, "1")
            tb, tmed = best_and_median([r["stats"]["tool_s"] for r in run["reps"]])
            excl = fmt_s(tmed, tb)
            rs = run["raw_score"]
            cand = f"{rs['pairs']} ({rs['recall']:.3f} / {rs['precision']:.3f})"
        ratio = f"{median / ref_wall:.1f}x" if ref_wall else ""
        ratio1 = f"{median / ref1_wall:.1f}x" if ref1_wall else ""
        rows.append([label, threads, fmt_s(median, best), excl, f"{rss:.0f}", str(s["pairs"]), f"{s['recall']:.3f}",
                     f"{s['near_recall']:.3f}", f"{s['precision']:.3f}", cand, ratio, ratio1])  # fmt: skip
    say("## End to end: .jsonl.gz to duplicate pairs")
    say()
    say(table(headers, rows))
    say()
    say(
        "wall: the whole process (interpreter start, imports, reading the .jsonl.gz, tokenizing and shingling "
        "in Python for the peers). 'excl. Python prep': the peer's own calls only (sketch, index, query, "
        "check), without reading/tokenizing/shingling; for overlap, its internal `timings_ms.total`. "
        "pairs/recall/precision: the tool's answer (datasketch: LSH candidates with estimated Jaccard >= 0.8; "
        "rensa: candidates checked with `RMinHash.jaccard` >= 0.8; gaoya: its query, which filters by "
        "estimated Jaccard; text-dedup: all pairs inside its clusters; overlap: pairs.jsonl expanded over exact "
        "groups). near-pair recall: recall over the ground-truth pairs whose normalized texts differ. "
        "'LSH candidates': the raw LSH answer before any similarity check (datasketch's documented "
        "answer). 'wall vs overlap': median wall time / overlap's (--no-deduped, all cores) median wall time; "
        "'vs overlap 1 thread': the same against overlap with --threads 1."
    )
    say()
    for label, run in runs.items():
        if "reps" in run and "stats" in run["reps"][0]:
            steps = run["reps"][-1]["stats"]["steps_s"]
            say(f"- {label} steps (last run, s): " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
                + f"; {run['reps'][-1]['stats']['info']}")  # fmt: skip
        elif "reps" in run:
            summ = run["reps"][-1]["summary"]
            say(f"- {label} stages (last run, ms): " + ", ".join(f"{k} {v:.0f}" for k, v in summ["timings_ms"].items())
                + f"; bands x rows {summ['parameters']['bands']} x {summ['parameters']['rows']}, candidates "
                f"{summ['pairs']['candidates']}, threads {summ['threads']}")  # fmt: skip
    say()
    say("Commands (last run of each):")
    say()
    for label, run in runs.items():
        if run.get("reps"):
            say(f"- {label}: `{shell_quote(run['cmd'])}`")
    say()
    results["dedup"] = {
        label: (
            {"error": run["error"]}
            if "error" in run
            else {
                "wall_s": [r["wall_s"] for r in run["reps"]],
                "peak_rss_mib": max(r["tree_peak_rss_mib"] for r in run["reps"]),
                "score": run["score"],
                "raw_score": run.get("raw_score"),
                "steps_s": [r.get("stats", {}).get("steps_s") for r in run["reps"]],
                "timings_ms": [r.get("summary", {}).get("timings_ms") for r in run["reps"]],
            }
        )
        for label, run in runs.items()
    }

    # 5. Signature throughput, single-threaded, in rounds: overlap sketch, then the peers.
    thr = None
    sketch_runs = []
    if not a.no_throughput:
        peer_rounds = []
        for rep in range(a.repeat):
            r = run_measured(cmd := [str(overlap), "sketch", str(corpus), "--out", str(sig_path), "--threads", "1",
                                     "--json", "--on-error", "skip"])  # fmt: skip
            if r["rc"] == 0:
                r["stats"] = json.loads(r["stdout"])
                sketch_runs.append(r)
            out_json = work / "throughput.json"
            tcmd = [str(benchenv.VENV_PY), str(benchenv.BENCH / "sketch_throughput.py"), str(corpus), str(out_json), "--repeat", "1"]
            if rep > 0:
                tcmd.append("--no-datasketch")
            r = run_measured(tcmd, env={"RAYON_NUM_THREADS": "1"}, timeout=a.timeout)
            if r["rc"] != 0:
                say(f"Throughput worker failed: {r['stderr'][-1500:]}")
                break
            peer_rounds.append(json.loads(out_json.read_text()))
            log(f"throughput round {rep + 1} done")
        sig_path.unlink(missing_ok=True)
        if peer_rounds and sketch_runs:
            thr = peer_rounds[0]
            for k in thr["sketch_s"]:
                thr["sketch_s"][k] = min(p["sketch_s"][k] for p in peer_rounds if k in p["sketch_s"])
            for k in thr["prep_s"]:
                thr["prep_s"][k] = min(p["prep_s"][k] for p in peer_rounds if k in p["prep_s"])
            cmd = tcmd[:-1] if tcmd[-1] == "--no-datasketch" else tcmd
    if thr:
        st = [x["stats"] for x in sketch_runs]
        ov_sig = min(x["shingle_s"] + x["minhash_s"] for x in st)
        ov_all = min(x["tokenize_s"] + x["shingle_s"] + x["minhash_s"] for x in st)
        ov_wall = min(x["wall_s"] for x in st)
        ov_proc = min(x["wall_s"] for x in sketch_runs)
        docs = st[0]["documents"]
        shingles = st[0]["shingles"]
        prep = thr["prep_s"]["read"] + thr["prep_s"]["tokenize"] + thr["prep_s"]["shingle_strings"]
        trow = []

        def add(label, secs, e2e=None, note=""):
            trow.append([label, f"{secs:.3f}", f"{docs / secs:,.0f}", f"{shingles / secs / 1e6:.1f}",
                         f"{secs / ov_sig:.2f}", f"{e2e:.2f}" if e2e is not None else "", note])  # fmt: skip

        add("overlap sketch (shingle_s + minhash_s)", ov_sig, ov_wall,
            f"tokenize_s {st[0]['tokenize_s']:.3f}; e2e = wall_s incl. reading gz + writing signatures; process {ov_proc:.2f} s")  # fmt: skip
        for label, secs in thr["sketch_s"].items():
            extra = "datasketch needs bytes: +%.2f s encoding" % thr["prep_s"]["datasketch_encode"] if "datasketch" in label else ""
            e2e = prep + secs + (thr["prep_s"].get("datasketch_encode", 0) if "datasketch" in label else 0)
            add(label, secs, e2e, thr["notes"].get(label, extra))
        say("## MinHash signature throughput, single-threaded")
        say()
        say(
            f"{docs} documents, {shingles:,} distinct shingles. Time from a document's tokens (overlap: its "
            f"normalized tokens; peers: the list of shingle strings built by the Python port) to its 128-value "
            f"signature; best of {a.repeat} rounds (each round: overlap sketch, then each peer once; datasketch "
            f"only in the first). e2e: from the .jsonl.gz, including (for the peers) Python reading + "
            f"tokenizing + building shingle strings = {prep:.2f} s (overlap's own tokenizing: {st[0]['tokenize_s']:.3f} s, "
            f"all steps {ov_all:.3f} s)."
        )
        say()
        say(table(["sketch", "seconds", "docs/s", "M shingles/s", "time vs overlap", "e2e s", "note"], trow))
        say()
        say(f"- commands: `{shell_quote(sketch_runs[-1]['cmd'])}` and `RAYON_NUM_THREADS=1 {shell_quote(cmd)}` "
            f"(x{len(sketch_runs)}, best of each; --no-datasketch after round 1)")  # fmt: skip
        say()
        results["throughput"] = {"overlap_sketch_stats": st, "overlap_process_wall_s": [x["wall_s"] for x in sketch_runs], "peers": thr}

    # 6. Targets.
    say("## Targets")
    say()

    def verdict(ok: bool) -> str:
        return "MET" if ok else "MISSED"

    if thr:
        rensa_keys = [k for k in thr["sketch_s"] if k.startswith("rensa") and "rho" not in k]
        for k in rensa_keys:
            ratio = thr["sketch_s"][k] / ov_sig
            say(f"- signature throughput >= 2x rensa ({k}): {ratio:.2f}x: **{verdict(ratio >= 2)}**")
    if ref:
        for peer, factor in (("datasketch", 20), ("rensa", 5), ("rensa-batch", 5)):
            run = runs.get(peer)
            if not run or "error" in run:
                say(f"- end to end >= {factor}x faster than {peer}: not measured ({run['error'] if run else 'not run'})")
                continue
            best, med = best_and_median([r["wall_s"] for r in run["reps"]])
            ratio = med / ref_wall
            best_ratio = best / ref_best
            rec_ok = ref["score"]["recall"] >= run["score"]["recall"]
            say(
                f"- end to end >= {factor}x faster than {peer} with equal or better recall: {ratio:.1f}x median vs "
                f"median ({best_ratio:.1f}x best vs best), recall {ref['score']['recall']:.3f} vs "
                f"{run['score']['recall']:.3f}: **{verdict(ratio >= factor and rec_ok)}** (verdict on medians)"
            )
    say()
    (work / "results.md").write_text("\n".join(report) + "\n")
    (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    log(f"wrote {rel(work / 'results.md')} and results.json")


if __name__ == "__main__":
    main()
