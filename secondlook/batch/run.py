"""Running (or resuming) a batch: read the rows, reuse what the journal already made, send the
rest to the executor, then write the manifest (and ZIP) and remove letters no row refers to.

    run_batch("cases.csv", "out/", BatchOptions(letter="auto", workers=2))

Nothing lost, nothing twice: every file is written to a temporary name and renamed into place;
file names are fixed by case id and letter type, so redoing a row overwrites, never duplicates;
the journal records each finished row under its key (`fingerprint`), so a re-run or a resumed
run skips rows whose letters are made and intact and redoes the rest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import time
from pathlib import Path

from secondlook import files
from secondlook.batch.dispatch import Dispatcher
from secondlook.batch.executors import Pool, make_executor
from secondlook.batch.fingerprint import run_fingerprint
from secondlook.batch.journal import Journal, files_intact
from secondlook.batch.manifest import write_manifest, write_zip
from secondlook.batch.options import BatchOptions
from secondlook.batch.outcome import Job
from secondlook.batch.outdir import (
    LETTERS_DIR,
    MANIFEST,
    ZIP_NAME,
    locked,
    output_errors,
    prepare_out_dir,
)
from secondlook.batch.readers import InputFile
from secondlook.batch.renderers import load_renderer
from secondlook.batch.summary import BatchSummary, ProgressCallback
from secondlook.batch.triage import triage


def run_batch(
    input_path: str | Path,
    out_dir: str | Path,
    options: BatchOptions = BatchOptions(),  # noqa: B008 - frozen, so sharing it is safe
    progress: ProgressCallback | None = None,
) -> BatchSummary:
    """Run (or resume) a batch. Row problems end up in the manifest; a problem with the input
    file raises LoadError, with the output directory or scheduler BatchError."""
    started = time.perf_counter()
    source = InputFile(input_path, ignore_unknown=options.ignore_unknown_columns)
    source.read_header()  # a bad header or a file too large stops here, before anything is
    total = source.count_rows()  # written
    out = Path(out_dir)
    state = prepare_out_dir(out)
    letters_dir = out / LETTERS_DIR
    summary = BatchSummary(out_dir=out, manifest=out / MANIFEST)
    with locked(state), output_errors(out):
        files.remove_temp_files(out)
        files.remove_temp_files(letters_dir)
        _mark_stale(out)
        journal = Journal(state / "state.sqlite")
        try:
            journal.start_run()
            _run(source, total, letters_dir, journal, options, summary, progress)
            _finish(out, letters_dir, journal, options, summary)
        finally:
            journal.close()
    summary.blank_rows = source.blank_rows
    summary.ignored_columns = source.header.ignored if source.header else []
    summary.seconds = time.perf_counter() - started
    return summary


def _run(
    source: InputFile,
    total: int | None,
    letters_dir: Path,
    journal: Journal,
    options: BatchOptions,
    summary: BatchSummary,
    progress: ProgressCallback | None,
) -> None:
    renderer = load_renderer(options.renderer)  # fails early, and gives the version
    run = run_fingerprint(
        letter=options.letter,
        pdf=options.pdf,
        today=options.today,
        renderer_version=renderer.version,
    )
    executor = make_executor(options.workers, options.scheduler, options.scheduler_timeout, total)
    job = Job(
        run_id=hashlib.sha256(f"{run}{time.time_ns()}".encode()).hexdigest()[:16],
        letter=options.letter,
        pdf=options.pdf,
        today=options.today or dt.date.today(),
        renderer=options.renderer,
        letters_dir=str(letters_dir.resolve()) if executor.writes_files else None,
        owner_pid=os.getpid() if isinstance(executor, Pool) else 0,
    )
    dispatcher = Dispatcher(executor, job, journal, letters_dir, summary, progress, total)
    chunk_size = options.chunk_size or _chunk_size(total, executor.workers)
    try:
        _feed(source, run, dispatcher, chunk_size)
    except BaseException:
        dispatcher.runner.close(cancel=True)
        with contextlib.suppress(Exception):  # keep what is done; the first error is the one
            journal.commit()
        raise
    dispatcher.runner.close()


def _feed(source: InputFile, run: str, dispatcher: Dispatcher, chunk_size: int) -> None:
    """Every row: an early error, a reused result, or into a chunk for the executor."""
    journal, letters_dir, summary = dispatcher.journal, dispatcher.letters_dir, dispatcher.summary
    seen_ids: dict[str, int] = {}
    pending: list = []
    for raw in source:
        key, early = triage(raw, run, seen_ids)
        if early is not None:
            dispatcher.record(None, early)
            continue
        cached = journal.cached(key)
        if cached is not None and files_intact(letters_dir, cached):
            cached.row = raw.number
            dispatcher.record(key, cached, reused=True)
            if summary.rows % 500 == 0:
                dispatcher.checkpoint()
            continue
        pending.append((raw.number, key, raw.cells))
        if len(pending) >= chunk_size:
            dispatcher.submit(pending)
            pending = []
            dispatcher.collect(dispatcher.limit)
    if pending:
        dispatcher.submit(pending)
    dispatcher.collect(0)
    dispatcher.checkpoint()


def _mark_stale(out: Path) -> None:
    """No manifest or ZIP while a run is under way: the old ones would not match the letters
    it rewrites. Both are written again, complete, when the run ends."""
    for name in (MANIFEST, ZIP_NAME):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(out / name)


def _chunk_size(total: int | None, workers: int) -> int:
    if workers <= 1:
        return 64
    if total is None:
        return 32
    return max(1, min(64, total // (workers * 8) or 1))


def _finish(
    out: Path, letters_dir: Path, journal: Journal, options: BatchOptions, summary: BatchSummary
) -> None:
    # Letters no row of this input refers to any more (changed or removed rows) go.
    for entry in os.scandir(letters_dir):
        if entry.is_file() and not journal.is_current_file(entry.name):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                summary.removed_files += 1
    journal.forget_stale_results()
    journal.commit()
    write_manifest(journal.outcomes(), out / MANIFEST)
    zip_path = out / ZIP_NAME
    if options.zip:
        write_zip(out, journal.current_files(), zip_path)
        summary.zip_path = zip_path
    elif zip_path.exists():
        zip_path.unlink()  # a ZIP from an earlier run would no longer match the manifest
