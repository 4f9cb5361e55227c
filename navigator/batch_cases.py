"""Letters from a batch run kept with their cases (the navigator's Batch letters page).

A batch row's `case_id` column is the case's reference (the case-field registry's `case_id`,
"Your reference" on a case). After a run, each row that made letters and whose reference names a
case of the user's organisation can have its letters attached to that case
(`letter_store.store_rendered_letters`: one transaction, the letter's type and template
version, the case's version raised, the audit log). Rows whose reference names no case are
listed by row number (never by anything in the row) and left alone.

The letters are read from the run's own output folder: the manifest names each row's files and
their SHA-256, and a file that no longer matches is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from navigator.cases import case_numbers
from navigator.errors import NavigatorError
from navigator.letter_store import ForCase, Rendered, store_rendered_letters
from navigator.store import Actor, Store
from secondlook.batch import LETTERS_DIR, MANIFEST, read_manifest
from secondlook.files import unneutralise


@dataclass(frozen=True)
class BatchLetter:
    row: int
    letter_type: str
    path: Path
    sha256: str


@dataclass(frozen=True)
class Attachable:
    """What a run's letters would attach to: rows matched to cases, rows left alone."""

    matched: dict[int, tuple[int, list[BatchLetter]]]  # row -> (case id, its letters)
    unmatched_rows: list[int]  # rows with letters whose reference names no case of yours

    @property
    def letters(self) -> int:
        return sum(len(found) for _, found in self.matched.values())


@dataclass(frozen=True)
class Attached:
    letters: int
    cases: list[int]
    unmatched_rows: list[int] = field(default_factory=list)


def _letter_type(name: str, reference: str) -> str | None:
    """`<reference>__<letter type>.docx` -> the type (PDF copies are not attached)."""
    stem, dot, suffix = name.rpartition(".")
    head, sep, letter_type = stem.rpartition("__")
    if not dot or suffix != "docx" or not sep or head != reference:
        return None
    return letter_type


def _row_letters(out: Path, row: dict[str, str]) -> list[BatchLetter]:
    reference = unneutralise(row["case_id"])
    files = [f for f in unneutralise(row["files"]).split("; ") if f]
    digests = unneutralise(row["sha256"]).split("; ")
    found = []
    for relative, digest in zip(files, digests, strict=False):
        folder, _, name = relative.partition("/")
        letter_type = _letter_type(name, reference)
        if folder != LETTERS_DIR or "/" in name or letter_type is None:
            continue
        found.append(BatchLetter(int(row["row"]), letter_type, out / LETTERS_DIR / name, digest))
    return found


def attachable(store: Store, actor: Actor, out: Path) -> Attachable:
    """The run in `out` (its manifest) matched against the organisation's case references."""
    try:
        manifest = read_manifest(out / MANIFEST)
    except (OSError, KeyError, ValueError) as err:
        raise NavigatorError(
            f"The batch's list of letters cannot be read ({type(err).__name__})."
        ) from None
    by_row = {}
    for row in manifest:
        if row.get("status") == "ok":
            letters = _row_letters(out, row)
            if letters:
                by_row[int(row["row"])] = (unneutralise(row["case_id"]), letters)
    with store.acting(actor) as (session, _):
        ids = case_numbers(session, actor, (reference for reference, _ in by_row.values()))
    matched = {row: (ids[ref], letters) for row, (ref, letters) in by_row.items() if ref in ids}
    unmatched = sorted(row for row, (ref, _) in by_row.items() if ref not in ids)
    return Attachable(matched, unmatched)


def attach(store: Store, actor: Actor, out: Path) -> Attached:
    """Attach every matched row's letters to its case (all or none)."""
    import letters as letter_package

    found = attachable(store, actor, out)
    items = []
    for row, (case_id, letters) in sorted(found.matched.items()):
        for letter in letters:
            try:
                content = letter.path.read_bytes()
            except OSError:
                raise NavigatorError(f"Row {row}: a letter file of this run is missing; run the "
                                     "batch again.") from None  # fmt: skip
            if hashlib.sha256(content).hexdigest() != letter.sha256:
                raise NavigatorError(f"Row {row}: a letter file changed since the run; run the "
                                     "batch again.")  # fmt: skip
            # The page's batch draws up letters with the shipped templates, in English.
            version = letter_package.template_version(letter.letter_type)
            items.append(ForCase(case_id, letter.letter_type, Rendered(content, version),
                                 f"batch row {row}"))  # fmt: skip
    store_rendered_letters(store, actor, items)
    cases = sorted({case_id for case_id, _ in found.matched.values()})
    return Attached(len(items), cases, found.unmatched_rows)
