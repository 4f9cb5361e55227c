"""`manifest.csv` (one row per input row, in input order) and `letters.zip`.

Both are written through a temporary file renamed into place, so a reader sees the old one or
the new one; every manifest cell is neutralised for spreadsheet programs (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from secondlook.batch.outcome import RowOutcome
from secondlook.batch.outdir import LETTERS_DIR, MANIFEST
from secondlook.batch.storedzip import StoredZip
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


class ManifestLines:
    """Each outcome's manifest row as CSV text, every cell neutralised for spreadsheets: the
    journal keeps a run's rows so, and the manifest is these lines in input order."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def __call__(self, outcome: RowOutcome) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([neutralise(c) for c in manifest_row(outcome)])
        return self._buffer.getvalue()


def write_manifest_lines(lines: Iterable[str], path: Path) -> Path:
    """The manifest from its rows as `ManifestLines` made them, in input order."""
    with atomic_output(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerow(MANIFEST_COLUMNS)
        for line in lines:
            handle.write(line)
    return path


def write_zip(manifest: Path, letters: Iterable[tuple[str, bytes, int | None]], path: Path) -> Path:
    """letters.zip: the manifest, then every current letter as (member name, bytes, CRC-32 if
    known), stored (.docx is compressed) with fixed timestamps: the same letters in the same
    order give the same bytes, however many runs made them."""
    with atomic_output(path, "wb") as handle:
        archive = StoredZip(handle)
        archive.add(MANIFEST, manifest.read_bytes())
        for name, data, crc in letters:
            archive.add(name, data, crc)
        archive.close()
    return path


def letter_files(letters_dir: Path, names: Iterable[str]) -> Iterator[tuple[str, bytes, None]]:
    """(member name, bytes, None) of letter files, for `write_zip`."""
    for name in names:
        yield f"{LETTERS_DIR}/{name}", (letters_dir / name).read_bytes(), None


def read_manifest(path: Path | str) -> list[dict[str, str]]:
    """The manifest as dicts (for tests, the app and scripts)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
