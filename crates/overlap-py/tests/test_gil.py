"""The engine's calls release the GIL: Python code runs while they work.

A clear wall-time speedup of two Python threads over one is not asserted: on a loaded 2-core machine
it is not robust (performance lives in bench/). What is asserted is the property that makes it
possible: while one thread is inside a call, another runs Python code as fast as it does while the
first thread sleeps. A call that held the GIL would stop the counting thread for its whole length.
"""

from __future__ import annotations

import threading
import time

import overlap


def count_while(work) -> float:
    """Python loop iterations per second in a second thread while `work` runs in this one."""
    stop = threading.Event()
    ticks = [0]

    def spin() -> None:
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.05)
    start_ticks, start = ticks[0], time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    done = ticks[0] - start_ticks
    stop.set()
    t.join()
    return done / elapsed


def test_calls_release_the_gil(corpora):
    texts = [d["text"] for d in corpora["reuters21578"]] * 2
    docs = corpora["reuters21578"]
    baseline = count_while(lambda: time.sleep(1.0))

    def dedup_stream() -> None:
        d = overlap.Deduplicator()
        d.add([str(i) for i in range(len(docs))], [x["text"] for x in docs])

    for work in (
        lambda: overlap.signatures(texts, threads=1),
        lambda: overlap.band_keys(texts, threads=1),
        dedup_stream,
    ):
        rate = count_while(work)
        # Held GIL: ~0 (the other thread runs only in the switch intervals around the call).
        assert rate > 0.25 * baseline, (rate, baseline)


def test_threads_run_in_parallel_and_agree(corpora):
    texts = [d["text"] for d in corpora["bbc-news"]]
    results = {}

    def run(k: int) -> None:
        results[k] = overlap.signatures(texts, threads=1)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (results[0] == results[1]).all()
    assert (results[0] == overlap.signatures(texts)).all()
