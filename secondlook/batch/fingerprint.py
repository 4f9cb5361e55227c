"""Has the output's input changed? One fingerprint decides whether an old letter can be reused.

A row's key is a digest of
  * the row's content (every non-blank cell, whatever the column order or row position),
  * the run's settings: the letter choice, PDF or not, the letter date,
  * the renderer's version (templates and the code that fills them),
  * the code and data behind each answer: the coverage engine (with the case-field registry and
    its words), the service, the batch's own column mapping, and every plan and rule file.
The journal stores each finished row under its key; a re-run reuses a row only when its key is
unchanged and its files are intact on disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

BATCH_FORMAT_VERSION = "1"
_HERE = Path(__file__).resolve().parent
# The modules that turn a row into a case: a fix there must remake the letters too.
_MAPPING_MODULES = ("columns.py", "cells.py", "rows.py")


def digest_files(paths: Iterable[Path]) -> str:
    """A digest of files' names and contents, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def engine_fingerprint() -> str:
    """A digest of the coverage engine's code, the service, the column mapping and the plan and
    rule data they read."""
    from coverage import catalog, fields

    code = Path(catalog.__file__).resolve().parent
    files = [*code.glob("*.py"), _HERE.parent / "service.py"]
    files += [_HERE / name for name in _MAPPING_MODULES]
    files += list(fields.TEXT_DIR.glob("*.yaml"))  # the case-field registry's words
    for directory in (catalog.PLANS_DIR, catalog.RULES_DIR):
        files += [p for p in directory.rglob("*") if p.is_file()]
    return digest_files(files)


def run_fingerprint(*, letter: str, pdf: bool, today: dt.date | None, renderer_version: str) -> str:
    """Everything a row's letters depend on apart from the row itself."""
    blob = json.dumps(
        [
            BATCH_FORMAT_VERSION,
            letter,
            pdf,
            # The date is printed on every letter and dates checks for rows without as_of.
            today.isoformat() if today else None,
            renderer_version,
            engine_fingerprint(),
        ]
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def row_key(run: str, content_hash: str) -> str:
    """The journal key of one row under one run fingerprint."""
    return hashlib.sha256(f"{run}:{content_hash}".encode()).hexdigest()
