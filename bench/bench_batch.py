"""Batch benchmark: end-to-end letters per second, 1 vs 2 workers, and peak memory.

Run: .venv/bin/python bench/bench_batch.py [--rows 10000] [--repeats 3] [--baseline-rows 500]
     [--memory-rows 10000,100000] [--memory-outputs files,zip] [--tmp DIR] [--tmpfs DIR]
     [--skip-memory] [--whole-runs-on ram|disk] [--sections 1,2,3,4] [--baseline REV]
     [--whole-repeats N]

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
3. Whole runs: a fresh subprocess at each --memory-rows, with `--workers 1` and 2, for each of
   --memory-outputs (letter files, `--letters-into zip`): peak RSS of the main process and of
   the main process plus its workers (sampled), wall time, and CPU time of the main process plus
   its workers (the forkserver's children, sampled every 50 ms), the CPU time of the main
   process alone per letter (reading, the journal, handing rows to the workers, the manifest
   and letters.zip; without the sampling thread), and whether 100,000 letters took less than
   60 s. With --baseline REV, each run is preceded by the same whole run (this script) on the
   repository at git revision REV (unpacked with `git archive`: its code, templates and data),
   so that old and new see the same load. --whole-repeats N runs each N times in turn and
   prints the medians and the two-worker over one-worker ratio of letters/s.
4. Files vs ZIP output on the disk: one file per letter against `--letters-into zip` (one stored
   ZIP per chunk of rows, letters.zip assembled at the end), each with `--workers 1` and 2, runs
   interleaved; median wall time, median CPU time (this process plus its pool workers, sampled
   every 20 ms) and letters/s, the ZIP/files and two/one-worker ratios, and the load average
   before and after.

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
# A baseline's whole run (section 3) is this script run on another checkout's code, templates
# and data, so that both report the same figures.
CODE = Path(os.environ.get("BENCH_BATCH_CODE") or ROOT)
sys.path.insert(0, str(CODE))
sys.path.insert(0, str(CODE / "tests"))

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


def ours(source: Path, out: Path, workers: int, into: str = "files") -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    options = BatchOptions(letter=LETTER, workers=workers, today=TODAY, letters_into=into)
    summary = run_batch(source, out, options)
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


def _earlier_write_atomic(path: Path, data: bytes) -> os.stat_result:
    """files.write_atomic as it was before 2026-11-30: a random temporary name (a getrandom
    call) and a Python file object per letter."""
    import secrets

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb", closefd=True) as handle:
        handle.write(data)
        handle.flush()
        written = os.fstat(handle.fileno())
    os.replace(tmp, path)
    return written


def atomic_write_cost(directory: Path, count: int = 2000, repeats: int = 3) -> tuple[float, float]:
    """Microseconds per letter-sized file written atomically (temporary name, write, rename),
    as workers write letters with one file per letter: (earlier, now), interleaved medians."""
    from secondlook import files

    data = b"x" * 12_000
    costs: dict[str, list[float]] = {"earlier": [], "now": []}
    for _ in range(repeats):
        for label, write in (("earlier", _earlier_write_atomic), ("now", files.write_atomic)):
            target = directory / f"atomic-{label}"
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            start = time.perf_counter()
            for n in range(count):
                write(target / f"C{n:06d}__records_request.docx", data)
            costs[label].append((time.perf_counter() - start) / count * 1e6)
            shutil.rmtree(target)
    return statistics.median(costs["earlier"]), statistics.median(costs["now"])


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


def with_cpu(fn):  # noqa: ANN001, ANN201
    """(fn's result, CPU seconds of this process and of its descendants while fn ran): the pool
    workers are the forkserver's children, which this process never reaps (so RUSAGE_CHILDREN
    misses them); each is sampled every 20 ms and its last sample kept."""
    import psutil

    me = psutil.Process()
    seen: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            with contextlib.suppress(psutil.Error):
                for child in me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        times = child.cpu_times()
                        seen[child.pid] = times.user + times.system
            stop.wait(0.02)

    before = {}
    with contextlib.suppress(psutil.Error):  # a forkserver left from an earlier run
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = child.cpu_times()
                before[child.pid] = times.user + times.system
    sampler = threading.Thread(target=sample, daemon=True)
    start = os.times()
    sampler.start()
    result = fn()
    end = os.times()
    stop.set()
    sampler.join()
    own = (end.user - start.user) + (end.system - start.system)
    return result, own + sum(cpu - before.get(pid, 0.0) for pid, cpu in seen.items())


_SPIN = (
    "import time\nend = time.perf_counter() + 1.0\nn = 0\n"
    "while time.perf_counter() < end:\n    n += sum(range(200))\nprint(n)"
)


def spare_cores() -> float:
    """How many cores this machine gives right now: the work two CPU-bound processes do in a
    second side by side, over what one does alone (2.0 on an idle two-core machine; others'
    work on the machine brings it down). The ceiling for two workers over one."""

    def spin(count: int) -> int:
        procs = [
            subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        return sum(int(p.communicate()[0]) for p in procs)

    return spin(2) / spin(1)


def files_vs_zip(source: Path, where: Path, repeats: int) -> None:
    """Section 4: letter files vs ZIP output, one and two workers, interleaved runs."""
    print(f"\n4. Files vs ZIP output, {fs_type(where)} ({where})")
    print(
        f"  before: {load()}; spare cores {spare_cores():.2f} of 2 (two spinning processes / one)"
    )
    earlier, now = atomic_write_cost(where)
    print(
        f"  one letter file written atomically: {now:.0f} us (earlier write_atomic {earlier:.0f} us)"
    )
    kinds = [(into, workers) for into in ("files", "zip") for workers in (1, 2)]
    walls: dict[tuple[str, int], list[float]] = {k: [] for k in kinds}
    cpus: dict[tuple[str, int], list[float]] = {k: [] for k in kinds}
    letters = 0
    for _ in range(repeats):
        for into, workers in kinds:
            out = where / f"out-{into}-{workers}"
            (seconds, letters), cpu = with_cpu(lambda: ours(source, out, workers, into))  # noqa: B023
            walls[into, workers].append(seconds)
            cpus[into, workers].append(cpu)
    rate = {k: letters / statistics.median(walls[k]) for k in kinds}
    for into, workers in kinds:
        wall, cpu = statistics.median(walls[into, workers]), statistics.median(cpus[into, workers])
        label = "letter files" if into == "files" else "ZIP output"
        print(
            f"  {label:12} --workers {workers}: {wall:6.2f} s wall, {cpu:6.2f} CPU-s, "
            f"{rate[into, workers]:7,.0f} letters/s ({letters / cpu:5,.0f} per CPU-s)"
        )
    for into in ("files", "zip"):
        print(
            f"  two workers / one, {'letter files' if into == 'files' else 'ZIP output'}: "
            f"{rate[into, 2] / rate[into, 1]:.2f}x (target >= 1.80x)"
        )
    for workers in (1, 2):
        print(
            f"  ZIP output / letter files, --workers {workers}: "
            f"{rate['zip', workers] / rate['files', workers]:.2f}x"
        )
    print(f"  after: {load()}; spare cores {spare_cores():.2f} of 2")
    print(
        "  walls (s): "
        + "; ".join(f"{i} w{w} " + ", ".join(f"{x:.2f}" for x in walls[i, w]) for i, w in kinds)
    )


def child_memory(rows: int, workers: int, tmp: Path, into: str = "files") -> None:
    """Runs in a subprocess: prints the peak RSS of this process and of it plus its workers."""
    import psutil

    source = make_input(tmp, rows)
    me = psutil.Process()
    peaks = {"main": 0, "tree": 0}
    # CPU of the workers: children of the forkserver, which the main process never reaps, so
    # RUSAGE_CHILDREN misses them; the last sample of each is kept (at most 50 ms short each).
    worker_cpu: dict[int, float] = {}
    stop = threading.Event()
    sampler_cpu = [0.0]  # the sampling thread's own CPU, not the batch's

    def sample() -> None:
        start = time.thread_time()
        while not stop.is_set():
            sampler_cpu[0] = time.thread_time() - start
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
    seconds, letters = ours(source, out, workers, into)
    cpu_after = os.times()
    stop.set()
    sampler.join()
    # VmHWM: this process's own high-water mark (ru_maxrss would also count the parent's
    # memory from before the exec).
    status = Path("/proc/self/status").read_text()
    maxrss_main = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])
    maxrss_main *= 1024
    shutil.rmtree(out, ignore_errors=True)
    main_cpu = (
        (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system) - sampler_cpu[0]
    )
    print(
        json.dumps(
            {
                "rows": rows,
                "workers": workers,
                "seconds": seconds,
                "letters": letters,
                "main_cpu": main_cpu,
                "cpu": main_cpu + sum(worker_cpu.values()),
                "code": str(Path(sys.modules["secondlook.batch"].__file__).parents[2]),
                "main_peak": max(peaks["main"], maxrss_main),
                "tree_peak": max(peaks["tree"], peaks["main"], maxrss_main),
            }
        )
    )


def memory(
    rows: int, workers: int, tmp: Path, into: str = "files", code: Path | None = None
) -> dict:
    """A whole run in a fresh process; `code`: another checkout whose code, templates and data
    the run uses, for a baseline."""
    make_input(tmp, rows)  # generated outside the measured process
    env = dict(os.environ, BENCH_BATCH_CODE=str(code)) if code else None
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
            "--into",
            into,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["code"] == str((code or ROOT).resolve()), measured  # the code asked for ran
    return measured


def checkout(rev: str, tmp: Path) -> Path:
    """The repository at git revision `rev`, unpacked into `tmp` (its code, templates and data:
    what a whole run at that revision loads)."""
    import tarfile

    archive = subprocess.run(
        ["git", "archive", rev], cwd=ROOT, capture_output=True, check=True
    ).stdout
    target = tmp / f"baseline-{rev}"
    target.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def whole_runs(args: argparse.Namespace, where: Path, baseline: Path | None) -> None:
    """Section 3: each whole run in a fresh process; with a baseline checkout, its run of the
    same rows right before ours, so that both see the same load. With --whole-repeats N, every
    run N times (in turn), then the medians and the two-worker over one-worker ratios."""
    outputs = [o for o in args.memory_outputs.split(",") if o]
    print(f"\n3. Peak memory (a whole run in a fresh process, output on {fs_type(where)})")
    if baseline:
        print(f"  each run after the same run at {args.baseline} ({load()})")
    walls: dict[int, float] = {}
    mib = 1024 * 1024
    labels: list[tuple[str, Path | None]] = [("now", None)]
    if baseline:
        labels.insert(0, (args.baseline, baseline))
    measured: dict[tuple[int, str, int, str], list[dict]] = {}
    for rows in [int(r) for r in args.memory_rows.split(",") if r]:
        for _ in range(args.whole_repeats):
            for workers, into in [(w, i) for i in outputs for w in (1, 2)]:
                for label, code in labels:
                    m = memory(rows, workers, where, into, code)
                    measured.setdefault((rows, into, workers, label), []).append(m)
                    if into == "zip" and code is None:
                        walls[rows] = min(walls.get(rows, m["seconds"]), m["seconds"])
                    print(
                        f"  {rows:>7,} rows, {into:5}, --workers {workers}"
                        f"{f' ({label})' if baseline else ''}: main process "
                        f"{m['main_peak'] / mib:5.0f} MiB, with its workers "
                        f"{m['tree_peak'] / mib:5.0f} MiB; {m['seconds']:6.1f} s wall, "
                        f"{m['cpu']:6.1f} CPU-s ({m['letters'] / m['seconds']:,.0f} letters/s, "
                        f"{m['letters'] / m['cpu']:,.0f} per CPU-s), the main process "
                        f"{m['main_cpu']:5.1f} CPU-s ({_main_us(m):,.0f} µs a letter); {load()}"
                    )
    if args.whole_repeats > 1 or baseline:
        _whole_run_medians(measured, [label for label, _ in labels])
    print("  target: peak RSS < 300 MB at 100,000 rows")
    if 100_000 in walls:
        verdict = "met" if walls[100_000] < 60 else "NOT met"
        print(
            f"  target: 100,000 letters < 60 s wall on two cores, ZIP output: {verdict} "
            f"(fastest {walls[100_000]:.1f} s)"
        )


def _main_us(m: dict) -> float:
    return m["main_cpu"] / m["letters"] * 1e6


def _whole_run_medians(measured: dict[tuple[int, str, int, str], list[dict]], labels: list) -> None:
    print("  medians (main process: its CPU per letter; two/one: letters/s of --workers 2 over 1)")
    for rows, into in dict.fromkeys((r, i) for r, i, _, _ in measured):
        for label in labels:
            rate = {}
            for workers in (1, 2):
                runs = measured[rows, into, workers, label]
                rate[workers] = statistics.median(m["letters"] / m["seconds"] for m in runs)
                print(
                    f"  {rows:>7,} rows, {into:5}, --workers {workers} ({label}, {len(runs)} runs):"
                    f" {statistics.median(m['seconds'] for m in runs):6.1f} s wall, "
                    f"{statistics.median(m['cpu'] for m in runs):6.1f} CPU-s, the main process "
                    f"{statistics.median(_main_us(m) for m in runs):5,.0f} µs a letter"
                )
            print(f"  {rows:>7,} rows, {into:5}, two/one ({label}): {rate[2] / rate[1]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-rows", type=int, default=500)
    parser.add_argument("--memory-rows", default="10000,100000")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--memory-outputs", default="files,zip", help="files, zip or both")
    parser.add_argument(
        "--whole-runs-on", choices=("ram", "disk"), default="ram", help="section 3's output"
    )
    parser.add_argument("--sections", default="1,2,3,4", help="which sections to run")
    parser.add_argument(
        "--whole-repeats", type=int, default=1, help="each whole run (section 3) this often"
    )
    parser.add_argument(
        "--baseline", default="", help="git revision whose whole runs (section 3) go beside ours"
    )
    parser.add_argument("--into", default="files", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", type=Path, default=None, help="where inputs and letters go")
    parser.add_argument("--tmpfs", type=Path, default=Path("/dev/shm"), help="a RAM disk")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_memory:
        child_memory(args.child_memory, args.workers, args.tmp, args.into)
        return

    sections = set(args.sections.split(","))
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

        if "1" in sections:
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

        if "2" in sections:
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

        if "3" in sections and not args.skip_memory:
            where = (ram or tmp) if args.whole_runs_on == "ram" else tmp
            baseline = checkout(args.baseline, tmp) if args.baseline else None
            whole_runs(args, where, baseline)
        if "4" in sections:
            files_vs_zip(source, tmp, args.repeats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if ram:
            shutil.rmtree(ram, ignore_errors=True)


if __name__ == "__main__":
    main()
