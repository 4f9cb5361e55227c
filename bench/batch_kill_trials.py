"""Kill trials: kill `secondlook batch` at random points, resume, and count what went wrong.

Run: .venv/bin/python bench/batch_kill_trials.py [--trials 100] [--rows 240] [--seed 1]

Each trial starts the real command (`python -m secondlook.console batch ...`, in its own
session) on the same input, then at a random moment sends one of:

  * SIGKILL, SIGTERM or SIGINT to the main process (one worker: in-process; two: a pool), or
  * SIGKILL to a worker process, sometimes twice (a worker, then a worker of the restarted pool);
    the run must finish by itself and no healthy row may end as an error.

Then it waits for the command to end and for every process of its session to be gone (a
process still there after LEFTOVER_SECONDS counts as leftover, and is killed), and that the
command's stdout and stderr reach end-of-file (a worker holding them would hang whoever reads
the output). It runs the same command again to completion (the resume) and compares the result
with a clean run, file for file:

  lost        input rows missing from the manifest, or whose letters are missing
  duplicated  manifest rows listed twice, or letter files the manifest does not list
  corrupt     letters whose bytes differ from the clean run's, or that are not a valid .docx
  leftover    processes of the killed command still alive LEFTOVER_SECONDS after it ended
  changed     manifests that differ from the clean run's in any other way (e.g. a healthy row
              marked as an error)
  hung_output the command's stdout or stderr still open after it ended
  tracebacks  a Python traceback on stderr instead of a message

The renderer is the real one, slowed by 3 ms a letter (tests/batch_support.py) so that a run
lasts long enough to be hit at every stage. Prints one line per trial and the totals.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from batch_support import acceptance_rows, write_rows  # noqa: E402

LEFTOVER_SECONDS = 5.0
COUNTS = ("lost", "duplicated", "corrupt", "leftover", "changed", "hung_output", "tracebacks")
RENDERER = "batch_support:slow_letters_renderer"
TODAY = "2026-11-24"


@dataclass
class Outcome:
    lost: int = 0
    duplicated: int = 0
    corrupt: int = 0
    leftover: int = 0
    changed: int = 0
    hung_output: int = 0
    tracebacks: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


CODE = ROOT  # the tree whose batch is tried (--tree: e.g. an older checkout, to compare)
ENTRY = ["-m", "secondlook.console"]


def command(source: Path, out: Path, workers: int) -> list[str]:
    return [
        sys.executable,
        *ENTRY,
        "batch",
        str(source),
        "--letter",
        "auto",
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--today",
        TODAY,
        "--quiet",
        "--renderer",
        RENDERER,
    ]


def environment() -> dict[str, str]:
    paths = [str(CODE), str(CODE / "tests"), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


def session_processes(sid: int) -> list[int]:
    """Live processes of a session (zombies are dead and are not counted)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if os.getsid(pid) != sid:
                continue
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (ProcessLookupError, PermissionError, FileNotFoundError, OSError):
            continue
        if stat.rpartition(")")[2].split()[0] != "Z":
            found.append(pid)
    return found


def worker_pids(main_pid: int) -> list[int]:
    """The pool's workers: children of the forkserver, itself a child of the main process (as
    is the resource tracker, which has no children)."""
    import psutil

    try:
        return [g.pid for c in psutil.Process(main_pid).children() for g in c.children()]
    except psutil.Error:
        return []


def read_to_end(stream, seconds: float) -> bytes | None:  # noqa: ANN001
    """What `stream` holds up to end-of-file, or None when it is still open after `seconds`
    (some process still holds the other end)."""
    done = threading.Event()
    data: list[bytes] = []

    def drain() -> None:
        data.append(stream.read())
        done.set()

    threading.Thread(target=drain, daemon=True).start()
    return data[0] if done.wait(seconds) else None


def tree(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".secondlook-batch" not in p.parts
    }


def compare(result: dict[str, bytes], clean: dict[str, bytes], rows: int) -> Outcome:
    outcome = Outcome()
    manifest = result.get("manifest.csv", b"").decode("utf-8-sig").splitlines()
    numbers = [line.split(",", 1)[0] for line in manifest[1:]]
    outcome.lost += max(0, rows - len(set(numbers)))
    outcome.duplicated += len(numbers) - len(set(numbers))
    listed = {name for name in clean if name.startswith("letters/")}
    for name in listed:
        if name not in result:
            outcome.lost += 1
        elif result[name] != clean[name] or not _valid_docx(result[name]):
            outcome.corrupt += 1
    outcome.duplicated += len([n for n in result if n.startswith("letters/") and n not in listed])
    if result.get("manifest.csv") != clean["manifest.csv"]:
        outcome.changed += 1
    return outcome


def _valid_docx(data: bytes) -> bool:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.testzip() is None and "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def run_to_end(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, env=environment(), timeout=600, cwd="/")


def one_trial(rng: random.Random, source: Path, work: Path, clean, rows, duration) -> tuple:  # noqa: ANN001
    workers = rng.choice((1, 2))
    target = rng.choice(("main", "main", "worker")) if workers == 2 else "main"
    sig = rng.choice((signal.SIGKILL, signal.SIGTERM, signal.SIGINT))
    kills = rng.choice((1, 2)) if target == "worker" else 1
    # A worker is killed while the run is under way; the main process at any moment.
    span = (0.2, 0.8) if target == "worker" else (0.0, 1.0)
    delay = rng.uniform(*span) * duration[workers]
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.Popen(
        command(source, out, workers),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
        start_new_session=True,
        cwd="/",  # not the repository: `-c` puts the working directory first on sys.path
    )
    time.sleep(delay)
    label = f"{workers} worker{'s' if workers > 1 else ''}, "
    if target == "worker":
        sig = signal.SIGKILL
        hit = 0
        for _ in range(kills):
            pids = worker_pids(proc.pid)
            if pids:
                os.kill(rng.choice(pids), signal.SIGKILL)
                hit += 1
            time.sleep(rng.uniform(0.05, 0.4))
        label += f"{hit} worker kill{'s' if hit != 1 else ''} at {delay:.2f} s"
    else:
        if proc.poll() is None:
            os.kill(proc.pid, sig)
        label += f"{sig.name} to the main process at {delay:.2f} s"
    outcome = Outcome()
    try:
        proc.wait(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        outcome.notes.append("the command did not end")
    ended = time.monotonic()
    stdout = read_to_end(proc.stdout, LEFTOVER_SECONDS)
    stderr = read_to_end(proc.stderr, 1.0)
    if stdout is None or stderr is None:
        outcome.hung_output += 1
    while session_processes(proc.pid) and time.monotonic() - ended < LEFTOVER_SECONDS:
        time.sleep(0.1)
    left = session_processes(proc.pid)
    if left:
        outcome.leftover += len(left)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    if target == "worker":  # the run itself must have finished correctly
        if proc.returncode not in (0, 1):
            outcome.notes.append(f"exit {proc.returncode}")
        own = compare(tree(out), clean, rows)
        outcome.add(own)
        if own.changed:
            outcome.notes.append("the run's own result differs (a healthy row marked an error?)")
    if stderr and b"Traceback" in stderr:
        outcome.tracebacks += 1
    resumed = run_to_end(command(source, out, workers))
    if b"Traceback" in resumed.stderr:
        outcome.tracebacks += 1
    final = compare(tree(out), clean, rows)
    outcome.add(final)
    return label, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--rows", type=int, default=240)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--tree", type=Path, help="try this checkout's batch instead")
    args = parser.parse_args()
    if args.tree:  # an older checkout has no secondlook.console
        global CODE, ENTRY
        CODE = args.tree.resolve()
        if not (CODE / "secondlook" / "console.py").exists():
            ENTRY = ["-c", "from secondlook.cli import main; main()"]
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kill-trials-", dir=args.tmp))
    try:
        rows, _ = acceptance_rows(args.rows, broken_every=40)
        source = write_rows(work / "cases.csv", rows)
        clean, duration = {}, {}
        for workers in (1, 2):
            out = work / f"clean{workers}"
            started = time.perf_counter()
            done = run_to_end(command(source, out, workers))
            duration[workers] = time.perf_counter() - started
            assert done.returncode == 1, done.stderr.decode()[-2000:]  # the broken rows
            clean[workers] = tree(out)
        assert clean[1] == clean[2], "one and two workers must give the same files"
        digest = hashlib.sha256(b"".join(clean[1].values())).hexdigest()[:12]
        print(
            f"Kill trials: {args.trials} on {args.rows} rows ({len(clean[1]) - 1} letters, "
            f"clean run {duration[1]:.1f} s with one worker, {duration[2]:.1f} s with two; "
            f"result {digest})"
        )
        total = Outcome()
        for number in range(1, args.trials + 1):
            label, outcome = one_trial(rng, source, work, clean[1], args.rows, duration)
            total.add(outcome)
            flags = [f"{n} {getattr(outcome, n)}" for n in COUNTS if getattr(outcome, n)]
            print(f"{number:4d}. {label}: {', '.join(flags + outcome.notes) or 'ok'}", flush=True)
        print(
            f"\nTotals over {args.trials} trials: {total.lost} lost, {total.duplicated} "
            f"duplicated, {total.corrupt} corrupt, {total.leftover} leftover processes, "
            f"{total.changed} changed manifests, {total.hung_output} hung outputs, "
            f"{total.tracebacks} tracebacks"
        )
        sys.exit(1 if any(getattr(total, n) for n in COUNTS) else 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
