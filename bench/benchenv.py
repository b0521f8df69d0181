"""Shared plumbing of the benchmark scripts (standard library only, so it runs before the venv exists).

- Paths: the repository root is this file's parent's parent; the shared data is `<repo>/../shared/data`.
- `ensure_venv()`: creates `bench/.venv`, installs the pinned peers, and re-executes the calling script
  with the venv's Python. What could not be installed is recorded (and reported by the scripts), never
  dropped silently.
- `build_overlap()`: `cargo build --release -p overlap-cli` (cargo decides whether anything changed), of
  the working tree or of a committed git ref exported to bench/out/.
- `run_measured()`: runs one command in its own process (through the small _launch.py, so that the
  driver's own memory does not leak into the child's ru_maxrss) and returns its wall time and peak
  memory: `ru_maxrss` of the child from `os.wait4` (largest single process of its tree) and, for tools
  that fork workers, the peak of the summed RSS of the process tree, sampled from /proc every 50 ms.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = REPO.parent / "shared" / "data"
OUT = BENCH / "out"
VENV = BENCH / ".venv"
VENV_PY = VENV / "bin" / "python"
OVERLAP = REPO / "target" / "release" / "overlap"
REQUIREMENTS = BENCH / "requirements.txt"
REQUIREMENTS_TEXT_DEDUP = BENCH / "requirements-textdedup.txt"
INSTALL_STATUS = VENV / "bench-install-status.json"


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def rel(path: Path | str) -> str:
    """A path relative to the repository root when it is inside it (for printing and for RESULTS.md)."""
    p = Path(os.path.abspath(path))
    for base, prefix in ((REPO, ""), (REPO.parent, "../")):
        try:
            return prefix + str(p.relative_to(base))
        except ValueError:
            continue
    return str(p)


def _requirements_digest() -> str:
    h = hashlib.sha256()
    for p in (REQUIREMENTS, REQUIREMENTS_TEXT_DEDUP):
        h.update(p.read_bytes())
    return h.hexdigest()


def _pip(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_PY), "-m", "pip", "install", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def install_status() -> dict:
    try:
        return json.loads(INSTALL_STATUS.read_text())
    except (OSError, ValueError):
        return {}


def ensure_venv() -> None:
    """Make sure we run inside bench/.venv with the pinned packages; re-exec into it if needed."""
    if not VENV_PY.exists():
        log(f"creating virtualenv {rel(VENV)}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    digest = _requirements_digest()
    status = install_status()
    if status.get("digest") != digest or status.get("failed"):
        log(f"installing pinned packages from {rel(REQUIREMENTS)} (one line per package)")
        status = {"digest": digest, "failed": {}}
        # One package at a time, so that one peer failing to install does not take the others down.
        for line in REQUIREMENTS.read_text().splitlines():
            req = line.split("#", 1)[0].strip()
            if not req:
                continue
            r = _pip([req])
            if r.returncode != 0:
                status["failed"][req] = _tail(r.stderr or r.stdout)
                log(f"  FAILED to install {req}:\n{status['failed'][req]}")
        # text-dedup pins heavy extras (pyspark, unisim, sphinx) that its MinHash module never imports:
        # install it without dependencies, then the dependencies that text_dedup.minhash does import.
        for line in REQUIREMENTS_TEXT_DEDUP.read_text().splitlines():
            req = line.split("#", 1)[0].strip()
            if not req:
                continue
            no_deps = req.startswith("text-dedup")
            r = _pip((["--no-deps"] if no_deps else []) + [req])
            if r.returncode != 0:
                status["failed"][req] = _tail(r.stderr or r.stdout)
                log(f"  FAILED to install {req}:\n{status['failed'][req]}")
        INSTALL_STATUS.write_text(json.dumps(status, indent=1))
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(VENV_PY), [str(VENV_PY), *sys.argv])


def package_versions(names: list[str]) -> dict[str, str]:
    from importlib import metadata

    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def build_overlap(ref: str | None = None) -> Path:
    """Build overlap and return the path of its binary.

    Without `ref`: the working tree (`cargo build --release -p overlap-cli` in the repository). With a
    git ref (say `HEAD`): that commit, exported read-only with `git archive` into bench/out/ and built
    there (target dir bench/out/target-ref), so that uncommitted edits in the working tree do not change
    what is measured."""
    if ref is None:
        root, env = REPO, None
        binary = OVERLAP
        what = "working tree"
    else:
        sha = subprocess.run(["git", "rev-parse", ref], cwd=REPO, capture_output=True, text=True, check=True)
        sha = sha.stdout.strip()
        root = OUT / f"overlap-src-{sha[:12]}"
        if not (root / "Cargo.toml").exists():
            root.mkdir(parents=True, exist_ok=True)
            archive = subprocess.run(["git", "archive", sha], cwd=REPO, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)
        env = dict(os.environ, CARGO_TARGET_DIR=str(OUT / "target-ref"))
        binary = OUT / "target-ref" / "release" / "overlap"
        what = f"{ref} = {sha[:12]}, exported to {rel(root)}"
    log(f"building overlap ({what}): cargo build --release -p overlap-cli")
    r = subprocess.run(
        ["cargo", "build", "--release", "-p", "overlap-cli"], cwd=root, env=env, capture_output=True, text=True
    )
    if r.returncode != 0:
        raise SystemExit(f"cargo build failed:\n{r.stderr[-4000:]}")
    if not binary.exists():
        raise SystemExit(f"{rel(binary)} missing after the build")
    return binary


def overlap_version(binary: Path = OVERLAP, ref: str | None = None) -> str:
    r = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    if ref is not None:
        sha = subprocess.run(["git", "rev-parse", "--short=12", ref], cwd=REPO, capture_output=True, text=True)
        return f"{r.stdout.strip()} (git {sha.stdout.strip()}, committed tree)"
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "crates"], cwd=REPO, capture_output=True, text=True)
    return f"{r.stdout.strip()} (git {head.stdout.strip()}{' + uncommitted changes under crates/' if dirty.stdout.strip() else ''})"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "loadavg_at_start": os.getloadavg()[0],
    }


# --- measured subprocesses ------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        except (OSError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


def _tree_rss_kb(root: int) -> int:
    kids = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kb(pid)
        stack.extend(kids.get(pid, ()))
    return total


def run_measured(
    cmd: list[str],
    env: dict | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    tree: bool = False,
) -> dict:
    """Run `cmd` through _launch.py, capturing stdout/stderr; return wall seconds, peak RSS (MiB) and the
    exit status.

    `maxrss_mib` is the child's ru_maxrss from os.wait4 (the largest process of its tree). With `tree`,
    the summed RSS of all its processes is also sampled every 50 ms (costs a little CPU here, so it is
    only used for tools that fork workers)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    tmp = OUT / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    out_path = tmp / f"run-{os.getpid()}.out"
    err_path = tmp / f"run-{os.getpid()}.err"
    res_path = tmp / f"run-{os.getpid()}.json"
    res_path.unlink(missing_ok=True)
    launcher = [sys.executable, "-S", str(BENCH / "_launch.py"), str(res_path)]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            launcher + cmd, stdout=out, stderr=err, env=full_env, cwd=cwd, start_new_session=True
        )
        peak_tree = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                # The launcher itself is not counted.
                peak_tree[0] = max(peak_tree[0], _tree_rss_kb(proc.pid) - _rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        if tree:
            sampler.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, 9)  # the launcher's own session: the tool and its workers
            proc.wait()
        done.set()
        if tree:
            sampler.join()
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    try:
        res = json.loads(res_path.read_text())
        res_path.unlink()
    except (OSError, ValueError):
        res = {"wall_s": float("nan"), "rc": proc.returncode or -1, "user_s": 0, "sys_s": 0,
               "maxrss_kib": 0, "launcher_maxrss_kib": 0}  # fmt: skip
    return {
        "cmd": cmd,
        "rc": res["rc"],
        "timed_out": timed_out,
        "wall_s": res["wall_s"],
        "user_s": res["user_s"],
        "sys_s": res["sys_s"],
        "maxrss_mib": res["maxrss_kib"] / 1024,
        "launcher_floor_mib": res["launcher_maxrss_kib"] / 1024,
        "tree_peak_rss_mib": max(peak_tree[0], res["maxrss_kib"]) / 1024,
        "stdout": stdout,
        "stderr": stderr,
    }


def best_and_median(values: list[float]) -> tuple[float, float]:
    v = sorted(values)
    n = len(v)
    median = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return v[0], median


def shell_quote(cmd: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(rel(c) if os.path.isabs(c) else c) for c in cmd)
