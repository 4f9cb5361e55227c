"""The journal: SQLite state in `out/.secondlook-batch/` that makes re-runs and resumes exact.

`results` holds every finished row's outcome by its key (see `fingerprint`); `run_rows` this
run's row -> outcome table, from which the manifest is written in input order; `run_files` the
letters this run's rows refer to, with the chunk file holding each with ZIP output (anything
else in `letters/` or the chunk folder is removed at the end).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from secondlook import files
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
            CREATE TABLE IF NOT EXISTS run_rows(
                row INTEGER PRIMARY KEY, key TEXT, status TEXT NOT NULL, reused INTEGER NOT NULL,
                outcome TEXT NOT NULL);
            """
        )
        self.db.execute("BEGIN")

    def start_run(self) -> None:
        self.db.execute("DELETE FROM run_rows")
        # Made afresh for each run (a journal from before ZIP output lacks `chunk`).
        self.db.execute("DROP TABLE IF EXISTS run_files")
        self.db.execute(
            "CREATE TABLE run_files(name TEXT PRIMARY KEY, row INTEGER NOT NULL, chunk TEXT)"
        )
        self.commit()

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def cached(self, key: str) -> RowOutcome | None:
        hit = self.db.execute("SELECT outcome FROM results WHERE key = ?", (key,)).fetchone()
        return RowOutcome.from_json(hit[0]) if hit else None

    def record(self, key: str | None, outcome: RowOutcome, *, reused: bool = False) -> None:
        text = outcome.to_json()
        if outcome.status == "ok" and key and not reused:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (key, text))
        self.db.execute(
            "INSERT OR REPLACE INTO run_rows VALUES (?, ?, ?, ?, ?)",
            (outcome.row, key, outcome.status, int(reused), text),
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO run_files VALUES (?, ?, ?)",
            [(f.name, outcome.row, f.chunk or None) for f in outcome.files],
        )

    def outcomes(self) -> Iterator[RowOutcome]:
        cursor = self.db.execute("SELECT outcome FROM run_rows ORDER BY row")
        for (text,) in cursor:
            yield RowOutcome.from_json(text)

    def is_current_file(self, name: str) -> bool:
        """Whether a file in letters/ is one of this run's letters (with ZIP output none is)."""
        return (
            self.db.execute(
                "SELECT 1 FROM run_files WHERE name = ? AND chunk IS NULL", (name,)
            ).fetchone()
            is not None
        )

    def current_files(self) -> Iterator[tuple[str, str | None]]:
        """(letter file name, chunk file or None) of this run's rows, in input order."""
        return self.db.execute("SELECT name, chunk FROM run_files ORDER BY row, name")

    def current_chunks(self) -> set[str]:
        query = "SELECT DISTINCT chunk FROM run_files WHERE chunk IS NOT NULL"
        return {chunk for (chunk,) in self.db.execute(query)}

    def forget_stale_results(self) -> None:
        self.db.execute(
            "DELETE FROM results WHERE key NOT IN (SELECT key FROM run_rows WHERE key IS NOT NULL)"
        )

    def close(self) -> None:
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
