"""What a run reports: counts, the first errors, where the manifest is (`BatchSummary`), and for
a check without output the rows in error (`ValidationReport`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from secondlook.batch.outcome import RowOutcome

ProgressCallback = Callable[[int, int | None], None]


@dataclass
class BatchSummary:
    out_dir: Path
    manifest: Path
    zip_path: Path | None = None
    into_zip: bool = False  # the letters went into letters.zip only
    rows: int = 0
    ok: int = 0
    errors: int = 0
    reused: int = 0
    files_written: int = 0
    letters: int = 0
    blank_rows: int = 0
    removed_files: int = 0  # letter files of rows that changed or are gone
    removed_for_zip: int = 0  # letter files removed because the letters now go into letters.zip
    seconds: float = 0.0
    first_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class ValidationReport:
    """What a batch would give, without making anything: counts and the rows in error."""

    rows: int = 0
    ok: int = 0
    errors: int = 0
    letters: int = 0
    blank_rows: int = 0
    error_rows: list[RowOutcome] = field(default_factory=list)  # the first `limit` of them
    warning_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
