"""Running (or resuming) a batch: read the rows, reuse what the journal already made, send the
rest to the executor, then write the manifest (and ZIP) and remove letters no row refers to.

    run_batch("cases.csv", "out/", BatchOptions(letter="auto", workers=2))

Nothing lost, nothing twice: every file is written to a temporary name and renamed into place;
file names are fixed by case id and letter type, so redoing a row overwrites, never duplicates;
the journal records each finished row under its key (`fingerprint`), so a re-run or a resumed
run skips rows whose letters are made and intact and redoes the rest. With ZIP output
(`letters_into="zip"`) the letters of each chunk of rows go into one chunk file (`chunks`) and
letters.zip is assembled from them at the end, in input order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import os
import secrets
import shutil
import time
from pathlib import Path

import secondlook.batch.chunks as chunks
from secondlook import files
from secondlook.batch.dispatch import Dispatcher
from secondlook.batch.executors import Pool, make_executor
from secondlook.batch.fingerprint import run_fingerprint
from secondlook.batch.journal import Journal, files_intact
from secondlook.batch.manifest import letter_files, write_manifest_lines, write_zip
from secondlook.batch.options import BatchOptions
from secondlook.batch.outcome import Job
from secondlook.batch.outdir import (
    CHUNKS_DIR,
    LETTERS_DIR,
    MANIFEST,
    STATE_DIR,
    WRITING_DIR,
    ZIP_NAME,
    locked,
    output_errors,
    prepare_out_dir,
)
from secondlook.batch.problems import BatchError
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
    state = prepare_out_dir(out, options.letters_into)
    places = _Places(out, out / LETTERS_DIR, state / CHUNKS_DIR, state)
    summary = BatchSummary(out_dir=out, manifest=out / MANIFEST, into_zip=options.zip_output)
    with locked(state), output_errors(out):
        for directory in (out, places.letters, places.chunks):
            files.remove_temp_files(directory)
        _remove_shared_marks(state)  # left by a killed run
        _remove_writing(state)
        _mark_stale(out)
        journal = Journal(state / "state.sqlite")
        try:
            journal.start_run()
            _run(source, total, places, journal, options, summary, progress)
            _finish(places, journal, options, summary)
        finally:
            journal.close()
    summary.blank_rows = source.blank_rows
    summary.ignored_columns = source.header.ignored if source.header else []
    summary.seconds = time.perf_counter() - started
    return summary


@dataclasses.dataclass(frozen=True)
class _Places:
    out: Path
    letters: Path  # one file per letter
    chunks: Path  # ZIP output: one file per chunk of rows
    state: Path  # the journal's directory


def _run(
    source: InputFile,
    total: int | None,
    places: _Places,
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
    into_zip = options.zip_output
    job = Job(
        run_id=hashlib.sha256(f"{run}{time.time_ns()}".encode()).hexdigest()[:16],
        letter=options.letter,
        pdf=options.pdf,
        today=options.today or dt.date.today(),
        renderer=options.renderer,
        letters_dir=None if into_zip else str(places.letters.resolve()),
        owner_pid=os.getpid() if isinstance(executor, Pool) else 0,
        chunks_dir=str(places.chunks.resolve()) if into_zip else None,
        shared_mark="" if executor.writes_files else shared_mark(places.state),
        temp_root="" if into_zip else str((places.state / WRITING_DIR).resolve()),
    )
    chunks_dir = places.chunks if into_zip else None
    dispatcher = Dispatcher(
        executor, job, journal, places.letters, chunks_dir, summary, progress, total
    )
    chunk_size = options.chunk_size or _chunk_size(total, executor.workers)
    try:
        _feed(source, run, dispatcher, chunk_size)
    except BaseException:
        dispatcher.runner.close(cancel=True)
        with contextlib.suppress(Exception):  # keep what is done; the first error is the one
            journal.commit()
        raise
    else:
        dispatcher.runner.close()
    finally:
        _remove_shared_marks(places.state)
        _remove_writing(places.state)


SHARED_MARK_PREFIX = ".shared-"


def shared_mark(state: Path) -> str:
    """The path of a file only this run makes, for Dask workers to find out whether they share
    its file system: a worker that sees it writes the letter or chunk files itself, any other
    sends the bytes back. Removed when the run ends."""
    path = state / f"{SHARED_MARK_PREFIX}{secrets.token_hex(8)}"
    files.write_atomic(path, b"")
    return str(path.resolve())


def _remove_shared_marks(state: Path) -> None:
    for path in state.glob(f"{SHARED_MARK_PREFIX}*"):
        with contextlib.suppress(OSError):
            path.unlink()


def _remove_writing(state: Path) -> None:
    """The workers' folders of temporary files (a killed run leaves letters' bytes there)."""
    shutil.rmtree(state / WRITING_DIR, ignore_errors=True)


def _feed(source: InputFile, run: str, dispatcher: Dispatcher, chunk_size: int) -> None:
    """Every row: an early error, a reused result, or into a chunk for the executor."""
    journal, letters_dir, summary = dispatcher.journal, dispatcher.letters_dir, dispatcher.summary
    if dispatcher.chunks_dir is not None:
        intact = chunks.ChunkCheck(dispatcher.chunks_dir).intact
    else:
        intact = functools.partial(files_intact, letters_dir)
    seen_ids: dict[str, int] = {}
    pending: list = []
    for raw in source:
        key, early = triage(raw, run, seen_ids)
        if early is not None:
            dispatcher.record(None, early)
            continue
        cached = journal.cached(key)
        if cached is not None and intact(cached):
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
    dispatcher.checkpoint(commit=True)


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
    places: _Places, journal: Journal, options: BatchOptions, summary: BatchSummary
) -> None:
    _remove_old_letters(places.letters, journal, summary, everything=options.zip_output)
    journal.forget_stale_results()
    journal.commit()
    manifest = write_manifest_lines(journal.manifest_lines(), places.out / MANIFEST)
    zip_path = places.out / ZIP_NAME
    if options.zip_output:
        _assemble(places, journal, zip_path)
        summary.zip_path = zip_path
    elif options.zip:
        names = (name for name, _ in journal.current_files())
        write_zip(manifest, letter_files(places.letters, names), zip_path)
        summary.zip_path = zip_path
    elif zip_path.exists():
        zip_path.unlink()  # a ZIP from an earlier run would no longer match the manifest
    chunks.remove_unused(places.chunks, journal.current_chunks())


def _remove_old_letters(
    letters_dir: Path, journal: Journal, summary: BatchSummary, everything: bool
) -> None:
    """Letters no row of this input refers to any more (changed or removed rows) go; with ZIP
    output every letter file goes (the letters are in letters.zip), and letters/ with them."""
    removed = 0
    current = journal.current_letter_files()
    with contextlib.suppress(FileNotFoundError), os.scandir(letters_dir) as entries:
        for entry in entries:
            if entry.name not in current and entry.is_file():
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    if not everything:
        summary.removed_files += removed
    else:
        summary.removed_for_zip += removed
        with contextlib.suppress(OSError):
            letters_dir.rmdir()


def _assemble(places: _Places, journal: Journal, zip_path: Path) -> None:
    """letters.zip from the chunk files, each letter's bytes copied as they are. A chunk file
    damaged since the run checked it is removed, with the manifest, so that the same command
    makes its rows again."""
    letters = chunks.letters_from_chunks(places.chunks, journal.current_files())
    try:
        write_zip(places.out / MANIFEST, letters, zip_path)
    except chunks.DamagedChunk as err:
        for path in (places.chunks / err.chunk, places.out / MANIFEST):
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise BatchError(
            f"--out {places.out}: a file of letters in {STATE_DIR}/{CHUNKS_DIR} was damaged "
            "while the run went on; run the same command again to make its letters again"
        ) from None
