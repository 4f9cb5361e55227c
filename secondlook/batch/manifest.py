"""`manifest.csv` (one row per input row, in input order) and `letters.zip`.

Both are written through a temporary file renamed into place, so a reader sees the old one or
the new one; every manifest cell is neutralised for spreadsheet programs (CSV injection).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable
from pathlib import Path

from secondlook.batch.outcome import RowOutcome
from secondlook.batch.outdir import LETTERS_DIR, MANIFEST
from secondlook.files import atomic_output, neutralise

MANIFEST_COLUMNS = (
    "row",
    "case_id",
    "status",
    "letters",
    "files",
    "sha256",
    "covered",
    "warnings",
    "errors",
)


def manifest_row(outcome: RowOutcome) -> list[object]:
    return [
        outcome.row,
        outcome.case_id,
        outcome.status,
        " ".join(outcome.letters),
        "; ".join(f"{LETTERS_DIR}/{f.name}" for f in outcome.files),
        "; ".join(f.sha256 for f in outcome.files),
        outcome.covered,
        " | ".join(outcome.warnings),
        " | ".join(outcome.errors),
    ]


def write_manifest(outcomes: Iterable[RowOutcome], path: Path) -> Path:
    """The manifest, one row per input row, every cell neutralised for spreadsheets."""
    with atomic_output(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(MANIFEST_COLUMNS)
        for outcome in outcomes:
            writer.writerow([neutralise(c) for c in manifest_row(outcome)])
    return path


def write_zip(out: Path, names: Iterable[str], path: Path) -> Path:
    """letters.zip: every current letter and the manifest (stored: .docx is compressed)."""
    with (
        atomic_output(path, "wb") as handle,
        zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive,
    ):
        archive.write(out / MANIFEST, MANIFEST)
        for name in names:
            archive.write(out / LETTERS_DIR / name, f"{LETTERS_DIR}/{name}")
    return path


def read_manifest(path: Path | str) -> list[dict[str, str]]:
    """The manifest as dicts (for tests, the app and scripts)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
