"""Shared fixtures: the CLI binary, the test corpora in ../shared/data, and a local[2] Spark session.

The values the package returns are checked against the real `overlap` binary (built by
scripts/test-python.sh, or named by $OVERLAP_BIN) on the real corpora.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("OVERLAP_DATA", ROOT.parent / "shared" / "data"))
BIN = Path(os.environ.get("OVERLAP_BIN", ROOT / "target" / "release" / "overlap"))


@pytest.fixture(scope="session")
def data() -> Path:
    if not DATA.is_dir():
        pytest.fail(f"the test corpora are missing: {DATA} (../shared/data beside the repository)")
    return DATA


@pytest.fixture(scope="session")
def cli():
    if not BIN.exists():
        pytest.fail(f"the overlap binary is missing: {BIN} (cargo build --release -p overlap-cli)")

    def run(*args: Any, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN), *map(str, args)], capture_output=True, text=True, check=check
        )

    return run


def read_jsonl(path: Path) -> List[Dict[str, Any]]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def corpora(data: Path) -> Dict[str, List[Dict[str, Any]]]:
    return {name: read_jsonl(data / f"{name}.jsonl.gz") for name in ("reuters21578", "bbc-news")}


@pytest.fixture(scope="session")
def cli_dedup(cli, data: Path, tmp_path_factory):
    """The CLI's dedup output folder for a corpus, computed once per session."""
    done: Dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            out = tmp_path_factory.mktemp(f"cli-{name}")
            cli("dedup", data / f"{name}.jsonl.gz", "--out", out, "--quiet")
            done[name] = out
        return done[name]

    return get


def stable(summary: Dict[str, Any]) -> Dict[str, Any]:
    """A summary without what varies between runs (timings, threads) or between front ends."""
    varying = ("timings_ms", "threads", "spark", "aligned_pairs_per_second", "memory")
    out = {k: v for k, v in summary.items() if k not in varying}
    # Where an input lies relative to the output folder differs between two output folders.
    if "inputs" in out:
        out["inputs"] = [{k: v for k, v in i.items() if k != "from_out"} for i in out["inputs"]]
    return out


def without_memory(alignment: Dict[str, Any]) -> Dict[str, Any]:
    """`overlap align --json` without the process's memory figure, which the library call lacks."""
    return {k: v for k, v in alignment.items() if k != "memory"}


def template_corpus(path: Path, n: int = 300, seed: int = 1) -> List[Dict[str, Any]]:
    """A corpus with LSH buckets past the CLI's all-pairs limit (64): `n` variants of one 100-word
    template, each with 0 to 3 words replaced (so some pairs pass the default threshold and some do
    not), between unrelated documents and empty texts. Written to `path` as JSON Lines."""
    import random

    r = random.Random(seed)
    vocab = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(3, 9))) for _ in range(3000)]
    template = [r.choice(vocab) for _ in range(100)]
    docs: List[Dict[str, Any]] = []
    for i in range(n):
        words = list(template)
        for _ in range(r.choice((0, 1, 1, 2, 2, 3))):
            words[r.randrange(len(words))] = f"w{r.randrange(1000)}"
        docs.append({"id": f"t{i}", "text": " ".join(words)})
        if i % 50 == 7:
            docs.append({"id": f"u{i}", "text": " ".join(r.choice(vocab) for _ in range(60))})
        if i % 70 == 3:
            docs.append({"id": f"e{i}", "text": "" if i % 140 == 3 else " -- "})
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    return docs


def twice_parquet(path: Path) -> None:
    """A Parquet file without ids that, given twice as input, keeps rows of both inputs: its empty and
    null texts are each their own document (never exact copies of each other), so the second input's
    copies of them are kept beside the first input's rows. Several row groups, an extra column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [
        "alpha beta gamma delta epsilon zeta eta theta",
        "",
        None,
        "one two three four five six seven eight nine",
        "alpha beta gamma delta epsilon zeta eta theta iota",
        "",
        "a text of its own that nothing else in the file repeats at all",
    ]
    pq.write_table(pa.table({"text": texts, "n": list(range(len(texts)))}), path, row_group_size=2)


def kept_rows_by_clusters(out: Path, path: Path, inputs: int) -> List[Dict[str, Any]]:
    """What deduped.parquet must hold for `inputs` copies of the Parquet file `path` given as input:
    the rows that clusters.jsonl says are kept, input by input, in input order (ids are FILE:ROW with
    the CLI's #2, #3, ... suffixes for the later copies)."""
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist()
    kept = []
    for line in (out / "clusters.jsonl").open():
        c = json.loads(line)
        if c["kept"]:
            stem, _, suffix = c["id"].partition("#")
            copy = int(suffix) - 1 if suffix else 0
            kept.append((copy, int(stem.rsplit(":", 1)[1])))
    assert sorted(kept) == kept and {c for c, _ in kept} == set(range(inputs))
    return [rows[r - 1] for _, r in kept]
