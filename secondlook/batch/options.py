"""What a batch run is asked to do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from secondlook.batch.columns import AUTO, LETTER_TYPES
from secondlook.batch.problems import BatchError
from secondlook.batch.renderers import DEFAULT_RENDERER

LETTERS_INTO = ("files", "zip")


@dataclass(frozen=True)
class BatchOptions:
    letter: str = AUTO
    pdf: bool = False
    zip: bool = False
    workers: int = 1
    scheduler: str | None = None
    renderer: str = DEFAULT_RENDERER
    ignore_unknown_columns: bool = False
    today: dt.date | None = None
    chunk_size: int | None = None
    scheduler_timeout: float = 15.0  # seconds to wait for the Dask scheduler to answer
    # "files": one file per letter in letters/; "zip": the letters only in letters.zip (written
    # a chunk of rows at a time into the journal's folder, assembled at the end).
    letters_into: str = "files"

    def __post_init__(self) -> None:
        if self.letter != AUTO and self.letter not in LETTER_TYPES:
            raise BatchError(
                f"unknown letter type {self.letter!r}: use auto or {', '.join(LETTER_TYPES)}"
            )
        if self.workers < 1:
            raise BatchError("workers must be at least 1")
        if self.letters_into not in LETTERS_INTO:
            raise BatchError(f"letters_into must be one of {', '.join(LETTERS_INTO)}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise BatchError("chunk_size must be at least 1")

    @property
    def zip_output(self) -> bool:
        """The letters go into letters.zip only (which is then always written)."""
        return self.letters_into == "zip"
