#!/usr/bin/env python3
"""Load generator for `overlap serve`, on loopback only, bounded in time: it stops by itself.

Builds an index from a JSONL corpus (timing `overlap index add`), then starts `overlap serve` on
127.0.0.1 (a free port), ingests the corpus again over HTTP in batches (timing documents/s), and
runs POST /v1/query at each concurrency for --duration seconds with texts drawn from the corpus
(fixed seed). Prints latency p50/p95/p99, queries/s, errors and the server's peak RSS, as JSON and
as a Markdown table for bench/RESULTS.md.

Standard library only (the client is http.client in threads, so at high concurrency the Python
client itself competes with the server for the CPU on a small machine: the figures are a floor).

Example:
  python3 bench/index_load.py ../shared/data/reuters21578.jsonl.gz --duration 10
"""

import argparse
import gzip
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time


def read_corpus(path, limit):
    opener = gzip.open if path.endswith(".gz") else open
    docs = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            docs.append((str(rec["id"]), rec["text"]))
            if limit and len(docs) >= limit:
                break
    return docs


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def start_server(binary, index_dir):
    proc = subprocess.Popen(
        [binary, "serve", index_dir, "--addr", "127.0.0.1:0", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stderr.readline().strip()
    prefix = "listening on http://"
    if not line.startswith(prefix):
        proc.kill()
        sys.exit(f"server did not start: {line!r}")
    host, port = line[len(prefix):].rsplit(":", 1)
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    return proc, host, int(port)


def post(conn, path, body):
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def peak_rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--overlap", default="target/release/overlap")
    ap.add_argument("--limit", type=int, default=0, help="use the first N documents (0: all)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per concurrency level")
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--batch", type=int, default=1000, help="documents per POST /v1/documents")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--index", help="serve this existing index (built with `overlap index add`) and only "
                    "measure queries; the corpus (or its first --limit documents) gives the query texts")
    args = ap.parse_args()

    docs = read_corpus(args.corpus, args.limit)
    results = {"documents": len(docs), "corpus": os.path.basename(args.corpus)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.index:
            results["index"] = args.index
            proc, host, port = start_server(args.overlap, args.index)
        else:
            cli_ix = os.path.join(tmp, "cli")
            subprocess.run([args.overlap, "index", "create", cli_ix], check=True, stderr=subprocess.DEVNULL)
            t = time.perf_counter()
            subprocess.run([args.overlap, "index", "add", cli_ix, args.corpus, "--quiet"],
                           check=True, stdout=subprocess.DEVNULL)
            results["cli_add_docs_per_s"] = len(docs) / (time.perf_counter() - t) if not args.limit else None
            http_ix = os.path.join(tmp, "http")
            subprocess.run([args.overlap, "index", "create", http_ix], check=True, stderr=subprocess.DEVNULL)
            proc, host, port = start_server(args.overlap, http_ix)
        try:
            if not args.index:
                conn = http.client.HTTPConnection(host, port, timeout=120)
                errors = 0
                t = time.perf_counter()
                for i in range(0, len(docs), args.batch):
                    batch = [{"id": d, "text": x} for d, x in docs[i:i + args.batch]]
                    status, _ = post(conn, "/v1/documents", {"documents": batch})
                    errors += status != 200
                elapsed = time.perf_counter() - t
                results["http_ingest"] = {"docs_per_s": len(docs) / elapsed, "batch": args.batch, "errors": errors}
                conn.close()

            rng = random.Random(1)
            texts = [x for _, x in docs]
            levels = []
            for c in [int(x) for x in args.concurrency.split(",")]:
                latencies, errs, lock = [], [0], threading.Lock()
                deadline = time.perf_counter() + args.duration

                def worker(seed):
                    local_rng = random.Random(seed)
                    conn = http.client.HTTPConnection(host, port, timeout=60)
                    mine = []
                    bad = 0
                    while time.perf_counter() < deadline:
                        body = {"text": texts[local_rng.randrange(len(texts))], "limit": 10}
                        t0 = time.perf_counter()
                        try:
                            status, _ = post(conn, "/v1/query", body)
                        except (OSError, http.client.HTTPException):
                            status = 0
                            conn = http.client.HTTPConnection(host, port, timeout=60)
                        mine.append(time.perf_counter() - t0)
                        bad += status != 200
                    with lock:
                        latencies.extend(mine)
                        errs[0] += bad

                threads = [threading.Thread(target=worker, args=(rng.random(),)) for _ in range(c)]
                t = time.perf_counter()
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                wall = time.perf_counter() - t
                latencies.sort()
                levels.append({
                    "concurrency": c,
                    "queries": len(latencies),
                    "queries_per_s": len(latencies) / wall,
                    "p50_ms": 1000 * percentile(latencies, 50),
                    "p95_ms": 1000 * percentile(latencies, 95),
                    "p99_ms": 1000 * percentile(latencies, 99),
                    "errors": errs[0],
                })
            results["query"] = levels
            results["server_peak_rss_mib"] = peak_rss_mib(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(results, indent=2))
    print()
    print("| concurrency | queries/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for lv in results["query"]:
        print(f"| {lv['concurrency']} | {lv['queries_per_s']:.0f} | {lv['p50_ms']:.2f} | "
              f"{lv['p95_ms']:.2f} | {lv['p99_ms']:.2f} | {lv['errors']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
