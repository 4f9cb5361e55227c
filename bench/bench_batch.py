"""Batch benchmark: end-to-end letters per second, 1 vs 2 workers, and peak memory.

Run: .venv/bin/python bench/bench_batch.py [--rows 10000] [--repeats 3] [--baseline-rows 500]
     [--memory-rows 10000,100000] [--tmp DIR] [--tmpfs DIR] [--skip-memory]

Every figure is end to end: read the CSV row, build the case, check coverage, draw up the letter
and write it to disk (one `records_request` letter per row, so letters/s = rows/s). Rows are
fictional (tests/batch_support.py), every one valid.

1. Ours vs a plain docxtpl loop, side by side in this process on one core: `run_batch` with one
   worker (in-process), against what a simple script would do for each row: build the case
   (the same column mapping), `service.check`, `letters.build_context`, then plain docxtpl
   (`DocxTemplate(path)`, `render`, `save`) and a plain file write. Plain docxtpl is slow, so it
   runs on the first --baseline-rows of the same rows (a rate per letter either way). The text of
   the first letters is compared: it must be identical.
   Ours also runs with its output on a RAM disk (--tmpfs, default /dev/shm): on the VM disk
   here, creating a file costs about a millisecond whoever creates it (measured and shown as
   "file creation alone"), which caps any writer near 1,000 new files/s; the RAM-disk figure is
   what the batch itself costs.
2. Scaling: `--workers 1` (in-process) vs `--workers 2` (a pool of two processes) on the same
   rows, on the RAM disk and on the disk; the machine has 2 cores, shared with whatever else is
   running (load shown).
3. Whole runs: a fresh subprocess at each --memory-rows, with `--workers 1` and 2: peak RSS of
   the main process and of the main process plus its workers (sampled), wall time, and CPU time
   of the main process plus its workers (the forkserver's children, sampled every 50 ms), and
   whether 100,000 letters took less than 60 s.

Medians over --repeats. Targets (issue: batch): >= 1,000 letters/s per core end to end; peak RSS
< 300 MB at 100,000 rows; close to linear from 1 to 2 workers.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from batch_support import good_row  # noqa: E402

from secondlook.batch import BatchOptions, run_batch  # noqa: E402

LETTER = "records_request"
TODAY = dt.date(2026, 11, 24)


def make_input(directory: Path, rows: int) -> Path:
    """The input CSV, written row by row (the benchmark's own memory stays small too)."""
    path = directory / f"cases-{rows}.csv"
    if not path.exists():
        columns = list(good_row(0))
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for i in range(rows):
                row = good_row(i)
                writer.writerow([row.get(c, "") for c in columns])
    return path


def ours(source: Path, out: Path, workers: int) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    summary = run_batch(source, out, BatchOptions(letter=LETTER, workers=workers, today=TODAY))
    seconds = time.perf_counter() - start
    assert summary.errors == 0 and summary.files_written == summary.rows, summary
    return seconds, summary.letters


def plain_docxtpl_loop(source: Path, out: Path, limit: int) -> tuple[float, int]:
    """What a simple script does for each row: the same checks, plain docxtpl, plain writes."""

    import letters
    from letters.renderer import TEMPLATES_DIR, make_environment, render_with_docxtpl
    from secondlook import service
    from secondlook.batch.rows import parse_row

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = make_environment()
    template = TEMPLATES_DIR / f"{LETTER}.docx"
    start = time.perf_counter()
    made = 0
    with open(source, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if made >= limit:
                break
            case = parse_row({k: v for k, v in row.items() if v}, number).case
            plan = service.resolve_plan(case.plan)
            determination = service.check(case, plan, as_of=case.as_of)
            context = letters.build_context(LETTER, case, plan, determination, today=TODAY)
            data = render_with_docxtpl(template.read_bytes(), context.model_dump(), env)
            (out / f"{case.case_id}__{LETTER}.docx").write_bytes(data)
            made += 1
    return time.perf_counter() - start, made


def file_creation_rate(directory: Path, count: int = 2000) -> float:
    """New files per second on this file system (12 KB each, like a letter), nothing else."""
    target = directory / "creation-test"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    data = b"x" * 12_000
    start = time.perf_counter()
    for n in range(count):
        with open(target / f"{n}.docx", "wb") as handle:
            handle.write(data)
    seconds = time.perf_counter() - start
    shutil.rmtree(target)
    return count / seconds


def fs_type(path: Path) -> str:
    out = subprocess.run(["df", "-T", str(path)], capture_output=True, text=True).stdout
    return out.splitlines()[-1].split()[1] if out else "?"


def docx_text(path: Path) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(path.read_bytes())).paragraphs)


def median_run(fn, repeats: int) -> tuple[float, int]:  # noqa: ANN001
    results = [fn() for _ in range(repeats)]
    return statistics.median(r[0] for r in results), results[0][1]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


# --- memory: a whole run in a child process ------------------------------------------------


def child_memory(rows: int, workers: int, tmp: Path) -> None:
    """Runs in a subprocess: prints the peak RSS of this process and of it plus its workers."""
    import psutil

    source = make_input(tmp, rows)
    me = psutil.Process()
    peaks = {"main": 0, "tree": 0}
    # CPU of the workers: children of the forkserver, which the main process never reaps, so
    # RUSAGE_CHILDREN misses them; the last sample of each is kept (at most 50 ms short each).
    worker_cpu: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                main = me.memory_info().rss
                tree = main
                for child in me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        tree += child.memory_info().rss
                        times = child.cpu_times()
                        worker_cpu[child.pid] = times.user + times.system
            except psutil.Error:
                continue
            peaks["main"] = max(peaks["main"], main)
            peaks["tree"] = max(peaks["tree"], tree)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = tmp / f"mem-out-{rows}-{workers}"
    cpu_before = os.times()
    seconds, letters = ours(source, out, workers)
    cpu_after = os.times()
    stop.set()
    sampler.join()
    # VmHWM: this process's own high-water mark (ru_maxrss would also count the parent's
    # memory from before the exec).
    status = Path("/proc/self/status").read_text()
    maxrss_main = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])
    maxrss_main *= 1024
    shutil.rmtree(out, ignore_errors=True)
    print(
        json.dumps(
            {
                "rows": rows,
                "workers": workers,
                "seconds": seconds,
                "letters": letters,
                "cpu": (cpu_after.user - cpu_before.user)
                + (cpu_after.system - cpu_before.system)
                + sum(worker_cpu.values()),
                "main_peak": max(peaks["main"], maxrss_main),
                "tree_peak": max(peaks["tree"], peaks["main"], maxrss_main),
            }
        )
    )


def memory(rows: int, workers: int, tmp: Path) -> dict:
    make_input(tmp, rows)  # generated outside the measured process
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child-memory",
            str(rows),
            "--workers",
            str(workers),
            "--tmp",
            str(tmp),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-rows", type=int, default=500)
    parser.add_argument("--memory-rows", default="10000,100000")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--tmp", type=Path, default=None, help="where inputs and letters go")
    parser.add_argument("--tmpfs", type=Path, default=Path("/dev/shm"), help="a RAM disk")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_memory:
        child_memory(args.child_memory, args.workers, args.tmp)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-", dir=args.tmp))
    ram = None
    if args.tmpfs and Path(args.tmpfs).is_dir():
        ram = Path(tempfile.mkdtemp(prefix="bench-batch-", dir=args.tmpfs))
    try:
        print(
            f"Batch benchmark: {args.rows:,} rows, one {LETTER} letter each; medians of "
            f"{args.repeats}"
        )
        print(
            f"  disk: {fs_type(tmp)} ({tmp}); RAM disk: "
            f"{f'{fs_type(ram)} ({ram})' if ram else 'none'}"
        )
        print(f"  {load()}")
        source = make_input(tmp, args.rows)

        # Warm-up: imports, catalog and template compilation happen once per process.
        ours(make_input(tmp, 50), tmp / "warm", 1)

        print("\n1. End to end on one core (read + check + render + write)")
        creation = file_creation_rate(tmp)
        base_s, base_n = median_run(
            lambda: plain_docxtpl_loop(source, tmp / "plain", args.baseline_rows), args.repeats
        )
        our_s, our_n = median_run(lambda: ours(source, tmp / "ours1", 1), args.repeats)
        same = all(
            docx_text(tmp / "plain" / p.name) == docx_text(tmp / "ours1" / "letters" / p.name)
            for p in sorted((tmp / "plain").iterdir())[:20]
        )
        base_rate, our_rate = base_n / base_s, our_n / our_s
        print(f"  plain docxtpl loop, disk ({base_n:,} rows)      {base_rate:8,.0f} letters/s")
        print(
            f"  secondlook batch --workers 1, disk ({our_n:,} rows) {our_rate:8,.0f} letters/s"
            f"   ({our_rate / base_rate:.0f}x plain docxtpl)"
        )
        print(f"  file creation alone, disk                  {creation:8,.0f} files/s")
        ram_rate = None
        if ram:
            ram_s, ram_n = median_run(lambda: ours(source, ram / "ours1", 1), args.repeats)
            ram_rate = ram_n / ram_s
            print(
                f"  secondlook batch --workers 1, RAM disk     {ram_rate:8,.0f} letters/s"
                f"   ({ram_rate / base_rate:.0f}x plain docxtpl)"
            )
        print(f"  letter text identical to plain docxtpl for the first 20 letters: {same}")
        best = max(our_rate, ram_rate or 0)
        print(
            f"  target >= 1,000 letters/s per core: {'met' if best >= 1000 else 'NOT met'} "
            f"(disk {our_rate:,.0f}{f', RAM disk {ram_rate:,.0f}' if ram_rate else ''})"
        )

        print("\n2. Scaling from 1 to 2 workers (runs alternate, so both see the same load)")
        for label, where in (("RAM disk", ram), ("disk", tmp)):
            if where is None:
                continue
            rates: dict[int, list[float]] = {1: [], 2: []}
            for _ in range(args.repeats):
                for workers in (1, 2):
                    seconds, letters = ours(source, where / f"scale{workers}", workers)
                    rates[workers].append(letters / seconds)
            one, two = statistics.median(rates[1]), statistics.median(rates[2])
            print(
                f"  {label:8}  --workers 1 {one:7,.0f}   --workers 2 {two:7,.0f} letters/s   "
                f"({two / one:.2f}x; linear would be 2.00x)"
            )
        print(f"  {load()}")

        if not args.skip_memory:
            where = ram or tmp
            print(f"\n3. Peak memory (a whole run in a fresh process, output on {fs_type(where)})")
            walls: dict[int, float] = {}
            for rows in [int(r) for r in args.memory_rows.split(",") if r]:
                for workers in (1, 2):
                    m = memory(rows, workers, where)
                    mib = 1024 * 1024
                    walls[rows] = min(walls.get(rows, m["seconds"]), m["seconds"])
                    print(
                        f"  {rows:>7,} rows, --workers {workers}: main process "
                        f"{m['main_peak'] / mib:5.0f} MiB, with its workers "
                        f"{m['tree_peak'] / mib:5.0f} MiB; {m['seconds']:6.1f} s wall, "
                        f"{m['cpu']:6.1f} CPU-s ({m['letters'] / m['seconds']:,.0f} letters/s)"
                    )
            print("  target: peak RSS < 300 MB at 100,000 rows")
            if 100_000 in walls:
                verdict = "met" if walls[100_000] < 60 else "NOT met"
                print(
                    f"  target: 100,000 letters < 60 s wall on two cores: {verdict} "
                    f"(fastest {walls[100_000]:.1f} s)"
                )
            print(f"  {load()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if ram:
            shutil.rmtree(ram, ignore_errors=True)


if __name__ == "__main__":
    main()
