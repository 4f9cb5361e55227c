"""The header row: column names matched without regard to case, spaces or hyphens, checked
before any row is read (an unknown or repeated column stops the run, naming it)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from coverage.loader import LoadError, Problem
from secondlook.batch.cells import cell_text
from secondlook.batch.columns import COLUMN_BY_NAME, COLUMN_NAMES, column_letter


def normalise_header(name: object) -> str:
    text = cell_text(name).lstrip("\ufeff").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


@dataclass
class Header:
    columns: list[str | None]  # names by position: "" for an empty header cell, None if ignored
    ignored: list[str]  # unknown columns ignored on request


def check_header(raw: list[object], file: str, *, ignore_unknown: bool = False) -> Header:
    """Validate the header row; problems are file-level (`file:1: column: message`)."""
    names = [normalise_header(c) for c in raw]
    while names and names[-1] == "":
        names.pop()
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(names):
        if not name:
            continue
        # An unknown header cell is named by its text only when it is a near-miss of a known
        # column (a typo); otherwise by its letter: a file without a header row would print a
        # patient's data as "column names".
        known = name in COLUMN_BY_NAME  # (difflib for every cell took 0.1-0.4 s a header)
        close = [] if known else difflib.get_close_matches(name, COLUMN_NAMES, n=1)
        where = name if name in COLUMN_BY_NAME or close else f"column {column_letter(index)}"
        if name in seen:
            problems.append(
                Problem(
                    file, 1, where, f"duplicate column (also column {column_letter(seen[name])})"
                )
            )
            continue
        seen[name] = index
        if name not in COLUMN_BY_NAME:
            if ignore_unknown:
                ignored.append(where)
                continue
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem(file, 1, where, f"unknown column{hint}; see docs/batch.md"))
    if "case_id" not in seen:
        problems.append(Problem(file, 1, "case_id", "required column is missing from the header"))
    if problems:
        raise LoadError(problems)
    columns: list[str | None] = [n if n in COLUMN_BY_NAME or not n else None for n in names]
    return Header(columns=columns, ignored=ignored)
