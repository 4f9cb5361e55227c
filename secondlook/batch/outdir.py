"""The output directory: its layout, its lock, and the refusal to overwrite what a batch did not
make.

    out/manifest.csv      out/letters/<case_id>__<letter_type>.docx (one file per letter)
    out/letters.zip       out/.secondlook-batch/ (the journal, the lock, and with ZIP output
                          chunks/, the letters a chunk of rows at a time; with letter files,
                          while a run goes on, writing/: each worker's temporary files)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from secondlook import files
from secondlook.batch.problems import BatchError

STATE_DIR = ".secondlook-batch"
LETTERS_DIR = "letters"
MANIFEST = "manifest.csv"
ZIP_NAME = "letters.zip"
CHUNKS_DIR = "chunks"  # in STATE_DIR: with ZIP output, one stored ZIP per chunk of rows
WRITING_DIR = "writing"  # in STATE_DIR: each worker's temporary letter files (Job.temp_root)


def prepare_out_dir(out: Path, letters_into: str = "files") -> Path:
    """Create the output directory's layout (letters/ for one file per letter, the journal's
    chunks/ for ZIP output); returns the journal's directory."""
    state = out / STATE_DIR
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out {out}: this is a file; give a directory (new or made by a batch)")
    if out.exists() and not state.exists():
        clash = [n for n in (LETTERS_DIR, MANIFEST, ZIP_NAME) if (out / n).exists()]
        if clash:
            raise BatchError(
                f"{out}: {clash[0]} exists but was not made by `secondlook batch`; "
                "choose a new or empty output directory"
            )
    try:
        out.mkdir(mode=files.PRIVATE_DIR, parents=True, exist_ok=True)
        files.private_dir(state)  # letters and the journal hold member data
        files.private_dir(state / CHUNKS_DIR if letters_into == "zip" else out / LETTERS_DIR)
    except OSError as err:
        raise BatchError(f"--out {out}: cannot write there ({err.strerror})") from None
    return state


@contextlib.contextmanager
def output_errors(out: Path) -> Iterator[None]:
    """A failure to write the output (a full disk, a read-only or vanished directory) as a
    BatchError naming the directory; the journal keeps what was done, so a re-run resumes."""
    try:
        yield
    except sqlite3.Error as err:
        raise BatchError(
            f"--out {out}: the journal cannot be written ({_sqlite_reason(err)}); free some "
            "space or fix the directory, then run the same command again to resume"
        ) from None
    except OSError as err:
        raise BatchError(
            f"--out {out}: cannot write the output ({err.strerror or type(err).__name__}); free "
            "some space or fix the directory, then run the same command again to resume"
        ) from None


def _sqlite_reason(err: sqlite3.Error) -> str:
    """SQLite's own words (they never hold the journal's content), e.g. `database or disk is
    full`."""
    return str(err).splitlines()[0][:120] if str(err) else type(err).__name__


@contextlib.contextmanager
def locked(state: Path) -> Iterator[None]:
    """One run at a time per output directory."""
    fd = os.open(state / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, files.PRIVATE_FILE)
    with open(fd, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"another batch is writing to {state.parent}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
