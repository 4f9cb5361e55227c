"""Where the chunks of rows run: in this process, in a pool of local worker processes, or on a
Dask cluster. Each executor has the same small interface: `submit(job, rows)` gives a future of
the chunk's outcomes, `wait_any`, `recover` after a worker died, `close`."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import sys
import threading
import time

import secondlook.batch.work as work  # module attribute: tests replace process_rows
from secondlook.batch.outcome import Job
from secondlook.batch.pdf import close_worker_resources
from secondlook.batch.problems import BatchError
from secondlook.batch.shared import shared_work


class InProcess:
    workers = 1
    writes_files = True

    def submit(self, job: Job, rows: list) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(work.process_rows(job, rows))
        except Exception as err:  # noqa: BLE001
            future.set_exception(err)
        return future

    def wait_any(self, futures: list) -> list:
        return [f for f in futures if f.done()] or futures[:1]

    def recover(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        close_worker_resources()  # e.g. the warm LibreOffice of a run with PDFs
        # This process may be the app's, which lives on: the answers its rows shared (keyed by
        # what the engine read, denial dates included) go when the run ends.
        shared_work().clear()


_WORKER_MODULES = [
    "secondlook.batch",
    "secondlook.service",
    "coverage.engine",
    "letters",
    "secondlook.batch.warm",  # last: loads the catalog and compiles the templates once
]
WATCH_SECONDS = 0.2  # how often a worker looks whether the run that started it is still there


def _process_rows(job: Job, rows: list) -> list:
    return work.process_rows(job, rows)


def _watch_owner(owner: int) -> None:
    """Pool worker initializer: leave as soon as the run that started the pool is gone.

    A worker's parent is the forkserver, which leaves when the run does; an idle worker would
    otherwise wait for work forever, holding the command's stdout and stderr open (and with them
    whatever reads its output). A daemon thread checks both, whatever the worker is doing."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent and work.process_alive(owner):
            time.sleep(WATCH_SECONDS)
        close_worker_resources(quick=True)
        os._exit(1)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _start_forkserver() -> None:
    """Start the forkserver (and the resource tracker it starts) with stdout and stderr on
    /dev/null: they, and every worker forked from them, would otherwise hold the command's
    output open after it ended (whatever reads it would wait), and print a worker's start-up
    failure into it. Workers report through their results, never on stderr. A forkserver that
    is already running is left as it is."""
    from multiprocessing import forkserver

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        forkserver.ensure_running()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


class Pool:
    writes_files = True

    def __init__(self, workers: int):
        self.workers = workers
        # forkserver: workers fork from a clean server process that has already imported the
        # engine and the letters package (fast to start, and safe in a threaded app server).
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_WORKER_MODULES)
        _start_forkserver()
        self._start()

    def _start(self) -> None:
        self.executor = cf.ProcessPoolExecutor(
            self.workers,
            mp_context=self._context,
            initializer=_watch_owner,
            initargs=(os.getpid(),),
        )

    def submit(self, job: Job, rows: list) -> cf.Future:
        return self.executor.submit(_process_rows, job, rows)

    def wait_any(self, futures: list) -> list:
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def recover(self) -> None:
        """After a worker died (BrokenProcessPool), start a fresh pool."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self._start()

    def close(self, cancel: bool = False) -> None:
        """Wait for the workers to finish, or with `cancel` (an interrupted run) stop them now:
        their rows are redone by the resumed run."""
        if cancel:
            # The executor has no public way to stop running work; its process table does.
            for process in list(getattr(self.executor, "_processes", {}).values()):
                process.kill()
        self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


class Dask:
    writes_files = False  # workers may not share our file system (run.shared_mark tells)

    def __init__(self, address: str, timeout: float):
        try:
            from distributed import Client
        except ImportError:
            raise BatchError("--scheduler needs dask[distributed] installed") from None
        try:
            self.client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise BatchError(
                f"cannot reach the Dask scheduler at {address} ({type(err).__name__})"
            ) from None
        self.workers = max(1, sum(self.client.nthreads().values()))

    def submit(self, job: Job, rows: list):  # noqa: ANN201
        return self.client.submit(_process_rows, job, rows, pure=False)

    def wait_any(self, futures: list) -> list:
        from distributed import wait

        with self.client.as_current():
            done, _ = wait(futures, return_when="FIRST_COMPLETED")
        return list(done)

    def recover(self) -> None:
        pass  # the scheduler reschedules work from a lost worker by itself

    def close(self, cancel: bool = False) -> None:
        self.client.close()


Executor = InProcess | Pool | Dask


def make_executor(
    workers: int, scheduler: str | None, scheduler_timeout: float, total: int | None
) -> Executor:
    if scheduler:
        return Dask(scheduler, scheduler_timeout)
    if workers > 1 and (total is None or total >= 200):  # else start-up costs more
        return Pool(workers)
    return InProcess()
