#!/usr/bin/env python3
"""all-MiniLM-L6-v2 forward pass: overlap's own (`overlap embed --transformer`) beside plain numpy, in one run.

    python3 bench/transformer_speed.py [--sentences 3000] [--articles 150] [--threads 1,2]
                                       [--binary LABEL=PATH ...] [--numpy-dtype float32|float64]
                                       [--numpy-batch 1,64] [--rounds 1] [--no-numpy] [--json OUT.json]

Inputs: the first --sentences STS-news sentences (text1/text2 of its pairs, in file order) and the first
--articles Reuters-21578 articles, from ../shared/data. Both tools encode exactly the same windows:
`[CLS]` + at most 254 tokens + `[SEP]` (a longer text is cut into windows, as overlap does), no padding,
mean pooling, the token-weighted mean of a text's windows, unit length.

The numpy side is the forward pass of scripts/distill_static.py (the reference of
bench/check_transformer.py), tokenized by Hugging Face `tokenizers`; run in --numpy-dtype (float32 by
default, as a plain runtime would; float64 is the reference's own precision) with GELU's erf by the
vectorized Chebyshev fit overlap uses (fractional error < 1.2e-7; the reference's `math.erf` element by
element would make numpy look several times slower than it is). numpy and tokenizers are installed by
this script into bench/out/.venv-transformer (pinned below), numpy's BLAS limited to the run's threads
(OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS). --numpy-batch runs numpy one window a
product (1) and with up to N windows of the same length stacked into one product (N), both exact.

Each run is its own process pinned by `taskset` (1 thread: CPU 0; 2 threads: CPUs 0,1), tools and
builds taking turns in each round. Figures: wall seconds, CPU seconds (user + sys of the process, from
wait4), tokens per second and per CPU second (tokens: the model's, `[CLS]`/`[SEP]` included; overlap's
CPU includes loading the model, about 0.5 s, also printed alone as `load`; numpy's is its encoding
loop only, from process_time, model load and imports left out), and each overlap build's ratio to numpy
per CPU second (against the faster numpy run of the same threads). The embeddings of both are
compared (largest 1 - cos) as a check that the same work was done.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = REPO.parent / "shared" / "data"
VENV = BENCH / "out" / ".venv-transformer"
VENV_PY = VENV / "bin" / "python"
PINS = ["numpy==2.4.6", "tokenizers==0.23.3"]
MODEL = REPO / "models" / "all-minilm-l6-v2"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_venv():
    stamp = VENV / "pins.txt"
    if stamp.exists() and stamp.read_text() == "\n".join(PINS):
        return
    log(f"installing {' '.join(PINS)} into {VENV.relative_to(REPO)}")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV_PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PINS],
                   check=True)
    stamp.write_text("\n".join(PINS))


def load_inputs(n_sent: int, n_art: int):
    sents = []
    with gzip.open(DATA / "sts-news.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            if len(sents) >= n_sent:
                break
            p = json.loads(line)
            sents += [p["text1"], p["text2"]]
    arts = []
    with gzip.open(DATA / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            if len(arts) >= n_art:
                break
            r = json.loads(line)
            if r.get("text", "").strip():
                arts.append(r["text"])
    inputs = {"sts-news sentences": sents[:n_sent], "reuters articles": arts}
    return {k: v for k, v in inputs.items() if v}


# --- the numpy worker (runs in the venv's Python) ----------------------------------------------------


def erf_vectorized(np, x):
    # Numerical Recipes' erfc (the fit overlap's GELU uses), vectorized.
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    r = t * np.exp(poly)
    erfc = np.where(x >= 0, r, 2.0 - r)
    return 1.0 - erfc


def numpy_worker(texts_path: str, out_path: str, dtype: str, batch: str):
    batch = int(batch)
    import numpy as np
    from tokenizers import Tokenizer

    sys.path.insert(0, str(REPO / "scripts"))
    import distill_static as d

    d.gelu = lambda x: 0.5 * x * (1.0 + erf_vectorized(np, x / math.sqrt(2.0)))
    texts = [json.loads(line)["text"] for line in open(texts_path, encoding="utf-8")]
    tok = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    bert = d.Bert(d.read_safetensors(str(MODEL / "model.safetensors")), json.load(open(MODEL / "config.json")))
    if dtype == "float32":
        bert.w = {k: v.astype(np.float32) for k, v in bert.w.items()}
    window = 256 - 2
    cpu0, wall0 = time.process_time(), time.perf_counter()
    tokens, text_tokens = 0, 0
    totals = np.zeros((len(texts), bert.hidden), dtype=np.float64)
    # Windows (text, ids with [CLS]/[SEP]); run one at a time, or `batch` windows of one length at a
    # time (the reference's forward takes [batch, seq] without padding, so no row changes).
    windows = []
    for i, t in enumerate(texts):
        ids = tok.encode(t, add_special_tokens=False).ids
        text_tokens += len(ids)
        for s in range(0, len(ids), window):
            w = ids[s:s + window]
            windows.append((i, [cls] + w + [sep]))
            tokens += len(w) + 2
    by_len = {}
    for i, seq in windows:
        by_len.setdefault(len(seq), []).append((i, seq))
    groups = []
    for group in (by_len.values() if batch > 1 else [[w] for w in windows]):
        groups += [group[g:g + batch] for g in range(0, len(group), batch)]
    for group in groups:
        h = bert.forward(np.array([seq for _, seq in group]))
        for (i, seq), out in zip(group, h):
            totals[i] += out.astype(np.float64).mean(axis=0) * (len(seq) - 2)
    norms = np.linalg.norm(totals, axis=1, keepdims=True)
    vectors = totals / np.where(norms > 0, norms, 1.0)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    np.save(out_path, vectors)
    print(json.dumps({"tokens": tokens, "text_tokens": text_tokens, "cpu_s": cpu, "wall_s": wall}))


# --- the driver --------------------------------------------------------------------------------------


def cpus(threads: int) -> str:
    return "0" if threads == 1 else ",".join(str(i) for i in range(threads))


def run(cmd, env=None):
    """Run `cmd`; return (stdout, wall s, CPU s of the process from wait4)."""
    full = dict(os.environ)
    full.update(env or {})
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=full)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"failed ({status}): {' '.join(map(str, cmd))}")
    return out.decode(), wall, ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=3000)
    ap.add_argument("--articles", type=int, default=150)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--binary", action="append", default=[],
                    help="LABEL=PATH of an overlap binary (repeatable; default target/release/overlap)")
    ap.add_argument("--numpy-dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-numpy", action="store_true", help="only the overlap builds")
    ap.add_argument("--json", help="write every run's figures here")
    ap.add_argument("--keep", help="keep each overlap run's embeddings in this folder (LABEL-INPUT-THREADSt.jsonl), "
                                   "to `cmp` builds and thread counts")
    ap.add_argument("--numpy-batch", default="1,64",
                    help="numpy runs: windows per product (1: one window at a time; N: up to N windows of "
                         "one length stacked, no padding), comma-separated (default 1,64)")
    ap.add_argument("--numpy-worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.numpy_worker:
        return numpy_worker(*args.numpy_worker)

    binaries = [b.split("=", 1) for b in args.binary] or [["overlap", str(REPO / "target/release/overlap")]]
    if not args.no_numpy:
        ensure_venv()
        if Path(sys.executable).absolute() != VENV_PY.absolute():
            os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])
    inputs = load_inputs(args.sentences, args.articles)
    threads = [int(t) for t in args.threads.split(",")]
    log(f"load average {os.getloadavg()[0]:.1f}; commit "
        + subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip())
    rows = []
    with tempfile.TemporaryDirectory() as td:
        one = Path(td) / "one.jsonl"
        one.write_text(json.dumps({"id": "0", "text": "a"}) + "\n")
        for name, texts in inputs.items():
            corpus = Path(td) / f"{len(rows)}.jsonl"
            corpus.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
            for rnd in range(args.rounds):
                for th in threads:
                    ref = None
                    for nb in ([] if args.no_numpy else [int(b) for b in args.numpy_batch.split(",")]):
                        env = {k: str(th) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
                        env["TOKENIZERS_PARALLELISM"] = "false"
                        npy = Path(td) / "np.npy"
                        out, wall, cpu = run(["taskset", "-c", cpus(th), str(VENV_PY), __file__, "--numpy-worker",
                                              str(corpus), str(npy), args.numpy_dtype, str(nb)], env)
                        r = json.loads(out)
                        import numpy as np  # noqa: PLC0415 (the driver may run outside the venv)
                        ref = np.load(npy)
                        tool = f"numpy {args.numpy_dtype}, " + ("1 window a product" if nb == 1 else
                                                                f"<= {nb} windows of one length a product")
                        rows.append({"input": name, "texts": len(texts), "tool": tool,
                                     "threads": th, "round": rnd, "tokens": r["tokens"], "text_tokens": r["text_tokens"],
                                     "wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "process_cpu_s": cpu})
                        log(json.dumps(rows[-1]))
                    for label, binary in binaries:
                        emb = Path(td) / "e.jsonl"
                        cmd = ["taskset", "-c", cpus(th), binary, "embed", None, "--out", str(emb), "--transformer",
                               "--quiet", "--json", "--threads", str(th), "--transformer-model", str(MODEL)]
                        cmd[5] = str(one)
                        _, _, load_cpu = run(cmd)
                        cmd[5] = str(corpus)
                        out, wall, cpu = run(cmd)
                        stats = json.loads(out)
                        row = {"input": name, "texts": len(texts), "tool": label, "threads": th, "round": rnd,
                               "tokens": stats["tokens"], "text_tokens": stats["tokens"],
                               "wall_s": wall, "cpu_s": cpu, "load_cpu_s": load_cpu}
                        vecs = [json.loads(line)["embedding"] for line in emb.open()]
                        if args.keep:
                            Path(args.keep).mkdir(parents=True, exist_ok=True)
                            shutil.copy(emb, Path(args.keep) / f"{label}-{name.split()[0]}-{th}t.jsonl")
                        if ref is not None:
                            import numpy as np  # noqa: PLC0415
                            ours = np.array(vecs, dtype=np.float64)
                            cos = (ours * ref).sum(1) / np.maximum(
                                np.linalg.norm(ours, axis=1) * np.linalg.norm(ref, axis=1), 1e-30)
                            row["max_1_minus_cos_vs_numpy"] = float((1 - cos).max())
                        rows.append(row)
                        log(json.dumps(row))
    # overlap counts the text's tokens; [CLS]/[SEP] of every window come from numpy's count where it ran
    # (the tokenizers agree: bench/check_tokenizer.py), else the text's tokens alone are reported.
    seq = {(r["input"]): r["tokens"] for r in rows if r["tool"].startswith("numpy")}
    for r in rows:
        if not r["tool"].startswith("numpy") and r["input"] in seq:
            r["tokens"] = seq[r["input"]]
    report(rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


def report(rows, args):
    print(f"| input | tool | threads | tokens | wall s | CPU s | tokens/s (wall) | tokens per CPU s | vs the faster numpy (CPU) |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = {}
    for r in rows:
        if r["tool"].startswith("numpy"):
            key = (r["input"], r["threads"], r["round"])
            base[key] = max(base.get(key, 0), r["tokens"] / r["cpu_s"])
    for r in rows:
        per_cpu = r["tokens"] / r["cpu_s"]
        b = base.get((r["input"], r["threads"], r["round"]))
        ratio = f"{per_cpu / b:.2f}x" if b and not r["tool"].startswith("numpy") else ""
        extra = f" (load {r['load_cpu_s']:.2f})" if "load_cpu_s" in r else ""
        print(f"| {r['input']} ({r['texts']}) | {r['tool']} | {r['threads']} | {r['tokens']:,} | {r['wall_s']:.1f} | "
              f"{r['cpu_s']:.1f}{extra} | {r['tokens'] / r['wall_s']:,.0f} | {per_cpu:,.0f} | {ratio} |")
    checks = [r["max_1_minus_cos_vs_numpy"] for r in rows if "max_1_minus_cos_vs_numpy" in r]
    if checks:
        print(f"\nlargest 1 - cos(overlap, numpy): {max(checks):.2e}")


if __name__ == "__main__":
    main()
