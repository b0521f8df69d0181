"""Run a command and write its wall time and rusage as JSON: `python -S _launch.py RESULT.json CMD...`.

Why a launcher: on Linux a child's ru_maxrss includes the memory of the process it was forked from (the
high-water mark of the old address space is folded in at exec). Forked straight from the benchmark
driver, which holds a whole corpus in memory, every tool would report at least the driver's size. This
launcher is small (a bare `python -S`), so the floor it adds is a few MiB; it is reported separately.
"""

import json
import os
import resource
import sys
import time

result_path, cmd = sys.argv[1], sys.argv[2:]
own_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(result_path, "w") as f:
    json.dump(
        {
            "wall_s": wall,
            "rc": os.waitstatus_to_exitcode(status),
            "user_s": usage.ru_utime,
            "sys_s": usage.ru_stime,
            "maxrss_kib": usage.ru_maxrss,
            "launcher_maxrss_kib": own_kib,
        },
        f,
    )
sys.exit(0)
