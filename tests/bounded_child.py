"""Run a reader in a child process under hard resource limits and report its peak memory.

A hostile file must be refused clearly, quickly and in little memory. The child runs with
RLIMIT_AS (address space) and RLIMIT_CPU set, so a reader that tries to allocate gigabytes or
spins for minutes fails the test by dying instead of passing slowly; no wall-clock assertion is
made. The child prints one JSON line: what the reader said and the process's peak RSS (VmHWM).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20

_PRELUDE = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
def report(message):
    status = Path("/proc/self/status").read_text()
    peak = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1]) * 1024
    print(json.dumps({{"message": message, "peak_rss": peak}}))
"""


def run_limited(code: str, *, cpu_seconds: int = 60, address_space_mib: int = 2048) -> dict:
    """Run `code` (which calls `report(message)`) in a child; returns its report. Fails with the
    child's stderr when it dies (MemoryError, CPU limit, a traceback)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        space = address_space_mib * MIB
        resource.setrlimit(resource.RLIMIT_AS, (space, space))

    script = _PRELUDE.format(root=str(ROOT)) + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        preexec_fn=limit,  # noqa: PLW1509 - the child runs no threads before exec
        cwd=ROOT,
    )
    assert done.returncode == 0, f"the child died ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])
