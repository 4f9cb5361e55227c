"""Dask benchmark: what the client process costs per row, with workers writing the letters
themselves against workers sending the bytes back.

Run: .venv/bin/python bench/bench_dask.py [--rows 5000] [--repeats 3] [--workers 3]
     [--outputs files,zip] [--tmp DIR]

A `dask scheduler` and `dask worker --nworkers N --nthreads 1` run as separate processes (as on
a real cluster), so this process is only the batch client: it reads the CSV, sends chunks, keeps
the journal and writes the manifest. Two ways, interleaved in this process on the same rows:

- "workers write": the workers share the output's file system (they find the run's mark file)
  and write each letter file, or with `--letters-into zip` each chunk file, themselves;
- "bytes back": the mark is made invisible to them (as for workers on other hosts), so every
  letter's bytes come back to the client, which writes them (what every Dask run did before
  2026-11-30 with letter files).

For each: median wall time and the client's CPU time (this process, all its threads) per row,
and the ratio. Every run's manifest and letters are compared with the first "workers write"
run: they must be identical. The workers' CPU is not counted (it is the same either way, less
the writing). One `records_request` letter per row, fictional rows (tests/batch_support.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from batch_support import acceptance_rows, write_rows  # noqa: E402

import secondlook.batch.run as batch_run  # noqa: E402
from secondlook.batch import BatchOptions, run_batch  # noqa: E402

TODAY = dt.date(2026, 11, 24)
WAYS = ("workers write", "bytes back")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_cluster(workers: int, log_dir: Path) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and `workers` single-threaded worker processes, each a separate process."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = ["--no-dashboard"]
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--port", str(port), *quiet],
        stdout=open(log_dir / "scheduler.log", "wb"),  # noqa: SIM115 - the process owns it
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    worker = subprocess.Popen(
        [dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1", *quiet],
        stdout=open(log_dir / "workers.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    from distributed import Client

    deadline = time.monotonic() + 120
    with Client(address, timeout="60s", set_as_default=False) as client:
        while len(client.scheduler_info()["workers"]) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("the Dask workers did not start; see " + str(log_dir))
            time.sleep(0.5)
    return address, [worker, scheduler]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def one_run(source: Path, out: Path, address: str, into: str, way: str) -> tuple[float, float]:
    """(wall seconds, client CPU seconds) of one whole batch."""
    shutil.rmtree(out, ignore_errors=True)
    real_mark = batch_run.shared_mark
    if way == "bytes back":  # a mark no worker can find: as if on another host
        batch_run.shared_mark = lambda state: str(state / ".shared-not-made")
    try:
        options = BatchOptions(
            letter="records_request", today=TODAY, scheduler=address, letters_into=into
        )
        wall, cpu = time.perf_counter(), time.process_time()
        summary = run_batch(source, out, options)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        batch_run.shared_mark = real_mark
    assert summary.errors == 0 and summary.letters == summary.rows, summary
    return wall, cpu


def output_digest(out: Path, into: str) -> str:
    """The manifest and every letter's bytes, whichever way they were stored."""
    digest = hashlib.sha256((out / "manifest.csv").read_bytes())
    if into == "zip":
        with zipfile.ZipFile(out / "letters.zip") as archive:
            for name in sorted(archive.namelist()):
                digest.update(name.encode() + archive.read(name))
    else:
        for path in sorted((out / "letters").iterdir()):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--outputs", default="files,zip")
    parser.add_argument("--tmp", default=None, help="where the output goes (default: a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="bench-dask-") as tmp_name:
        tmp = Path(tmp_name)
        source = write_rows(tmp / "cases.csv", acceptance_rows(args.rows, broken_every=10**9)[0])
        print(f"Dask batch client: {args.rows:,} rows, {args.workers} workers, median of "
              f"{args.repeats}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} before")  # fmt: skip
        address, processes = start_cluster(args.workers, tmp)
        try:
            # Untimed: the workers import the code and load the catalog on their first chunks.
            one_run(source, tmp / "warm-up", address, "files", WAYS[0])
            for into in args.outputs.split(","):
                results: dict[str, list[tuple[float, float]]] = {way: [] for way in WAYS}
                expected = None
                for _ in range(args.repeats):
                    for way in WAYS:
                        out = tmp / f"out-{into}-{way.replace(' ', '-')}"
                        results[way].append(one_run(source, out, address, into, way))
                        digest = output_digest(out, into)
                        assert expected in (None, digest), f"{into}/{way}: output differs"
                        expected = digest
                print(f"  letters as {into}:")
                cpu_per_row = {}
                for way in WAYS:
                    wall = statistics.median(r[0] for r in results[way])
                    cpu = statistics.median(r[1] for r in results[way])
                    cpu_per_row[way] = cpu / args.rows * 1e6
                    print(f"    {way:13}: {wall:6.1f} s wall ({args.rows / wall:,.0f} rows/s), "
                          f"client CPU {cpu:.2f} s = {cpu_per_row[way]:,.0f} µs a row "
                          f"(caps a cluster near {1e6 / cpu_per_row[way]:,.0f} rows/s)")  # fmt: skip
                ratio = cpu_per_row["bytes back"] / cpu_per_row["workers write"]
                print(f"    client CPU a row, bytes back / workers write: {ratio:.2f}x; "
                      "output identical every run")  # fmt: skip
        finally:
            stop(processes)
        print(f"  load {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
