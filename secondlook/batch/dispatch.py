"""Sending chunks of rows to an executor and recording what comes back.

The dispatcher keeps a bounded number of chunks in flight (memory stays flat), records each
outcome in the journal as it arrives, and copes with workers that die: the rows in flight are
redone, one at a time once a pool has broken, so that only a row that kills a worker by itself
becomes an error.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from secondlook import files
from secondlook.batch.chunks import write_chunk
from secondlook.batch.executors import InProcess, Pool
from secondlook.batch.journal import Journal
from secondlook.batch.outcome import Job, RowOutcome
from secondlook.batch.problems import CellProblem
from secondlook.batch.summary import BatchSummary, ProgressCallback

ROW_DEATHS = 2  # a row that kills a worker this often, alone, is an error
# The journal is committed at most this often (a commit per chunk cost ~8% of the run's own CPU
# with two workers). A run killed in between redoes those rows when resumed, as it redoes the
# chunks that were in flight.
COMMIT_SECONDS = 0.5


def _shown_id(cells: dict) -> str:
    from secondlook.batch.cells import shown_case_id

    return shown_case_id(cells.get("case_id"))


class Dispatcher:
    """Sends chunks of rows to the runner, records their outcomes in the journal, and copes
    with workers that die: the rows in flight are redone, one at a time when a pool has broken
    (so that only a row that kills a worker by itself becomes an error)."""

    def __init__(
        self,
        runner: Any,
        job: Job,
        journal: Journal,
        letters_dir: Path,
        chunks_dir: Path | None,
        summary: BatchSummary,
        progress: ProgressCallback | None,
        total: int | None,
    ):
        self.runner, self.job, self.journal = runner, job, journal
        self.letters_dir, self.summary, self.progress, self.total = (
            letters_dir,
            summary,
            progress,
            total,
        )
        self.limit = max(2, runner.workers * 3)  # chunks in flight: bounded memory
        self.chunks_dir = chunks_dir  # ZIP output: each chunk's letters go into one file here
        self.chunks = 0  # chunks sent so far (they name the chunk files)
        self.inflight: dict[Any, tuple[list, int, Job]] = {}  # future -> (rows, generation, job)
        self.generation = 0
        self.pool_worked = False  # a chunk has come back from the pool at least once
        self.committed = time.monotonic()  # when the journal was last committed

    def _job(self) -> Job:
        """The job for the next chunk: with ZIP output, it names the chunk's file."""
        if self.chunks_dir is None:
            return self.job
        self.chunks += 1
        return dataclasses.replace(self.job, chunk=f"{self.job.run_id}-{self.chunks:07d}.zip")

    def _store(self, job: Job, outcomes: list[RowOutcome]) -> None:
        """Write the letters whose bytes came back: from Dask workers that do not share the
        output's file system (the others, and local workers, wrote theirs)."""
        if self.chunks_dir is not None:
            if any(item.data is not None for outcome in outcomes for item in outcome.files):
                write_chunk(self.chunks_dir / job.chunk, outcomes)
            return
        for outcome in outcomes:
            for item in outcome.files if outcome.status == "ok" else []:
                if item.data is not None:
                    data, item.data = item.data, None
                    item.mtime_ns = files.write_atomic(
                        self.letters_dir / item.name, data
                    ).st_mtime_ns

    def record(self, key: str | None, outcome: RowOutcome, reused: bool = False) -> None:
        self.journal.record(key, outcome, reused=reused)
        summary = self.summary
        summary.rows += 1
        if outcome.status == "ok":
            summary.ok += 1
            summary.letters += len(outcome.letters)
            if reused:
                summary.reused += 1
            else:
                summary.files_written += len(outcome.files)
        else:
            summary.errors += 1
            if len(summary.first_errors) < 20:
                summary.first_errors.extend(outcome.errors[: 20 - len(summary.first_errors)])

    def checkpoint(self, *, commit: bool = False) -> None:
        """Write the rows recorded so far into the journal (memory stays flat), commit it (when
        `commit`, or the last commit is `COMMIT_SECONDS` old) and show the progress."""
        now = time.monotonic()
        if commit or now - self.committed >= COMMIT_SECONDS:
            self.journal.commit()
            self.committed = now
        else:
            self.journal.flush()
        if self.progress:
            self.progress(self.summary.rows, self.total)

    def submit(self, rows: list) -> None:
        job = self._job()
        try:
            future = self.runner.submit(job, [(n, c) for n, _, c in rows])
        except Exception:  # noqa: BLE001 - e.g. BrokenProcessPool: the pool died meanwhile
            self._failed(rows, self.generation)
            return
        self.inflight[future] = (rows, self.generation, job)

    def collect(self, wait_for: int) -> None:
        while len(self.inflight) > wait_for:
            for future in self.runner.wait_any(list(self.inflight)):
                if future not in self.inflight:  # already redone after a pool failure
                    continue
                rows, generation, job = self.inflight.pop(future)
                try:
                    outcomes = future.result()
                except Exception:  # noqa: BLE001 - infrastructure, not a row
                    self._failed(rows, generation)
                    continue
                self.pool_worked = True
                self._store(job, outcomes)
                for (_, key, _), outcome in zip(rows, outcomes, strict=True):
                    self.record(key, outcome)
            self.checkpoint()

    def _failed(self, rows: list, generation: int) -> None:
        """A chunk failed as a whole: its worker died (and a local pool with it)."""
        failed = list(rows)
        if generation == self.generation:
            self.generation += 1
            self.runner.recover()
            # Everything else in flight died with the pool too.
            for future in list(self.inflight):
                failed.extend(self.inflight.pop(future)[0])
        failed.sort(key=lambda r: r[0])
        if isinstance(self.runner, Pool) and not self.pool_worked:
            # Worker processes cannot start here at all: run in this process instead.
            self.runner.close(cancel=True)
            self.runner = InProcess()
            self.job = dataclasses.replace(self.job, owner_pid=0)
            for start in range(0, len(failed), 64):
                self.submit(failed[start : start + 64])
            return
        self._one_by_one(failed)

    def _one_by_one(self, rows: list) -> None:
        """Each row alone in a worker. A row is an error only when a worker dies with it alone
        `ROW_DEATHS` times: a worker killed from outside (the out-of-memory killer, a person)
        while a healthy row runs does not make that row an error; it runs again."""
        queue = deque(rows)
        deaths: Counter[int] = Counter()
        while queue:
            number, key, cells = queue.popleft()
            job = self._job()
            try:
                outcome = self.runner.submit(job, [(number, cells)]).result()[0]
                self.pool_worked = True
            except Exception as err:  # noqa: BLE001
                self.generation += 1
                self.runner.recover()
                deaths[number] += 1
                if deaths[number] < ROW_DEATHS:
                    queue.append((number, key, cells))
                    continue
                problem = CellProblem(
                    number,
                    None,
                    f"the worker stopped while processing this row ({type(err).__name__})",
                )
                outcome = RowOutcome.error(number, _shown_id(cells), [str(problem)])
            else:
                self._store(job, [outcome])
            self.record(key, outcome)
        self.journal.commit()
