"""The journal: SQLite state in `out/.secondlook-batch/` that makes re-runs and resumes exact.

`results` holds every finished row's outcome by its key (see `fingerprint`); `run_rows` this
run's rows, each with its manifest line, from which the manifest is written in input order;
`run_files` the letters this run's rows refer to, with the chunk file holding each with ZIP
output (anything else in `letters/` or the chunk folder is removed at the end).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from secondlook import files
from secondlook.batch.manifest import ManifestLines
from secondlook.batch.outcome import RowOutcome


class Journal:
    """SQLite state in out/.secondlook-batch/: finished results by content key, and this run's
    row -> outcome table from which the manifest is written."""

    def __init__(self, path: Path):
        # Private before SQLite opens it (its -wal and -shm files take the same mode): the
        # journal holds every row's outcome.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, files.PRIVATE_FILE))
        files.make_private(path)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS results(key TEXT PRIMARY KEY, outcome TEXT NOT NULL);
            """
        )
        self.db.execute("BEGIN")
        # Recorded rows wait here and go in with one statement per table (`flush`: after each
        # chunk, and before anything is read back or committed).
        self._results: list[tuple[str, str]] = []
        self._rows: list[tuple[int, str | None, str, int, str]] = []
        self._files: list[tuple[str, int, str | None]] = []
        self._any_results = True
        self._manifest_line = ManifestLines()

    def start_run(self) -> None:
        # A row's key is looked up only if some earlier run left results: within a run a key
        # is never looked up again once recorded (the same key is the same case id, which a
        # second time is an error before any lookup).
        self._any_results = self.db.execute("SELECT 1 FROM results LIMIT 1").fetchone() is not None
        # Made afresh for each run (a journal from before ZIP output lacks `chunk`, one from
        # before manifest lines `line`).
        self.db.execute("DROP TABLE IF EXISTS run_rows")
        self.db.execute(
            "CREATE TABLE run_rows(row INTEGER PRIMARY KEY, key TEXT, status TEXT NOT NULL, "
            "reused INTEGER NOT NULL, line TEXT NOT NULL)"
        )
        self.db.execute("DROP TABLE IF EXISTS run_files")
        self.db.execute(
            "CREATE TABLE run_files(name TEXT PRIMARY KEY, row INTEGER NOT NULL, chunk TEXT)"
        )
        self.commit()

    def commit(self) -> None:
        self.flush()
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def cached(self, key: str) -> RowOutcome | None:
        if not self._any_results:
            return None
        self.flush()
        hit = self.db.execute("SELECT outcome FROM results WHERE key = ?", (key,)).fetchone()
        return RowOutcome.from_json(hit[0]) if hit else None

    def record(self, key: str | None, outcome: RowOutcome, *, reused: bool = False) -> None:
        if outcome.status == "ok" and key and not reused:
            self._results.append((key, outcome.to_json()))
        line = self._manifest_line(outcome)
        self._rows.append((outcome.row, key, outcome.status, int(reused), line))
        for item in outcome.files:
            self._files.append((item.name, outcome.row, item.chunk or None))

    def flush(self) -> None:
        if self._results:
            self.db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?)", self._results)
            self._results.clear()
        if self._rows:
            self.db.executemany(
                "INSERT OR REPLACE INTO run_rows VALUES (?, ?, ?, ?, ?)", self._rows
            )
            self._rows.clear()
        if self._files:
            self.db.executemany("INSERT OR REPLACE INTO run_files VALUES (?, ?, ?)", self._files)
            self._files.clear()

    def manifest_lines(self) -> Iterator[str]:
        """This run's manifest rows as CSV text, in input order."""
        self.flush()
        for (line,) in self.db.execute("SELECT line FROM run_rows ORDER BY row"):
            yield line

    def current_letter_files(self) -> set[str]:
        """The names of this run's letter files in letters/ (with ZIP output there are none)."""
        self.flush()
        query = "SELECT name FROM run_files WHERE chunk IS NULL"
        return {name for (name,) in self.db.execute(query)}

    def current_files(self) -> Iterator[tuple[str, str | None]]:
        """(letter file name, chunk file or None) of this run's rows, in input order."""
        self.flush()
        return self.db.execute("SELECT name, chunk FROM run_files ORDER BY row, name")

    def current_chunks(self) -> set[str]:
        self.flush()
        query = "SELECT DISTINCT chunk FROM run_files WHERE chunk IS NOT NULL"
        return {chunk for (chunk,) in self.db.execute(query)}

    def forget_stale_results(self) -> None:
        self.flush()
        self.db.execute(
            "DELETE FROM results WHERE key NOT IN (SELECT key FROM run_rows WHERE key IS NOT NULL)"
        )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.flush()
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("COMMIT")
        with contextlib.suppress(sqlite3.Error):
            self.db.close()


def files_intact(letters_dir: Path, outcome: RowOutcome) -> bool:
    """Whether the letter files a journal entry names are still as written."""
    for item in outcome.files:
        if item.chunk:
            return False  # made into a chunk, by a run with ZIP output
        try:
            st = os.stat(letters_dir / item.name)
        except OSError:
            return False
        if st.st_size != item.size or st.st_mtime_ns != item.mtime_ns:
            return False
    return True
