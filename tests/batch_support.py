"""Helpers for the batch tests and benchmark: fictional input rows, broken rows, a quick renderer.

Every person, member id and provider here is invented.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import zipfile
from pathlib import Path

from secondlook.batch.columns import COLUMN_NAMES

PLANS = (
    "mo-ppo-gateway-employer-insured",
    "mo-ppo-riverfront-employer-self-funded",
    "ny-epo-hudson-employer",
    "ca-hmo-pacific-employer-dmhc",
    "ma-hmo-riverbend-example",
    "original-medicare",
    "il-ppo-prairie-employer-insured",
    "tx-epo-lonestar-employer-self-funded",
)
FIRST = ("Avery", "Jordan", "Casey", "Riley", "Morgan", "Quinn", "Rowan", "Sage", "Elliot", "Noa")
LAST = ("Example", "Sample", "Testwell", "Placeholder", "Fictive", "Madeup", "Notreal")
DIAGNOSES = (
    ("Stage II breast cancer", "C50.911", "IIA"),
    ("Non-small cell lung cancer", "C34.90", "IIIA"),
    ("Pancreatic adenocarcinoma", "C25.9", "IIB"),
    ("Diffuse large B-cell lymphoma", "C83.30", "II"),
    ("Colon cancer, ECOG < 2", "C18.9", "III"),
)

# Ten kinds of broken row: (column, bad value, what the error must say).
BROKEN = (
    ("patient_dob", "03/14/1958", "not a date"),
    ("plan", "no-such-plan", "no plan with this id"),
    ("provider_in_network", "maybe", "expected yes, no or unknown"),
    ("patient_state", "Missouri", "two-letter state"),
    ("provider_npi", "12345", "NPI is 10 digits"),
    ("diagnosis_icd10", "breast", "ICD-10-CM"),
    ("opinions_so_far", "two", "whole number"),
    ("denial_notice_date", "2026-02-30", "not a real calendar date"),
    ("provider_visit_type", "video call", "expected one of"),
    ("patient_zip", "ABCDE", "ZIP code"),
)


def good_row(n: int, seed: int = 0) -> dict[str, str]:
    rng = random.Random(n * 7919 + seed)
    diagnosis, icd10, stage = rng.choice(DIAGNOSES)
    denial = rng.random() < 0.3
    return {
        "case_id": f"C{n:06d}",
        "plan": rng.choice(PLANS),
        "as_of": "2026-11-24",
        "patient_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "patient_dob": (dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25000))).isoformat(),
        "member_id": f"XM{rng.randrange(10**9):09d}",
        "patient_state": rng.choice(("MO", "NY", "CA", "IL", "TX")),
        "patient_address_line1": f"{rng.randrange(1, 999)} Example Street",
        "patient_city": "Springfield",
        "patient_zip": f"{rng.randrange(10000, 99999)}",
        "diagnosis": diagnosis,
        "diagnosis_icd10": icd10,
        "diagnosis_stage": stage,
        "newly_diagnosed": rng.choice(("yes", "no", "unknown")),
        "reason_surgery_recommended": rng.choice(("yes", "no")),
        "provider_name": "Dr. Casey Example",
        "provider_specialty": "Medical oncology",
        "provider_institution": "Example Comprehensive Cancer Center",
        "provider_address_line1": "1 Example Plaza",
        "provider_city": "St. Louis",
        "provider_state": "MO",
        "provider_zip": "63110",
        "provider_phone": "314-555-0100",
        "provider_fax": "314-555-0101",
        "provider_in_network": rng.choice(("yes", "no", "unknown")),
        "qualified_in_network_specialist": rng.choice(("yes", "no", "unknown")),
        "urgent": rng.choice(("no", "no", "yes")),
        "physician_name": "Dr. Riley Example",
        "physician_practice": "Example Oncology Associates",
        "physician_address_line1": "20 Sample Avenue",
        "physician_city": "Springfield",
        "physician_state": "MO",
        "physician_zip": "65802",
        "physician_phone": "417-555-0150",
        "physician_fax": "417-555-0151",
        "records1_name": "Example Pathology Lab",
        "records1_address_line1": "5 Testing Road",
        "records1_city": "Springfield",
        "records1_state": "MO",
        "records1_zip": "65803",
        "records1_fax": "417-555-0190",
        "denial_notice_date": "2026-11-01" if denial else "",
        "denial_received_date": "2026-11-04" if denial else "",
        "denial_reason": "Not medically necessary & out of network" if denial else "",
    }


def broken_row(n: int, kind: int) -> tuple[dict[str, str], str, str]:
    """A row with one bad cell: (row, column, expected message fragment)."""
    column, value, message = BROKEN[kind % len(BROKEN)]
    row = good_row(n)
    row[column] = value
    if column == "denial_notice_date":
        row["denial_received_date"] = ""
    return row, column, message


def write_rows(path: Path, rows: list[dict[str, str]], columns=None) -> Path:
    columns = list(columns or COLUMN_NAMES)
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook()  # shared strings, as Excel writes them
        sheet = workbook.active
        sheet.title = "Cases"
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) or None for c in columns])
        workbook.save(path)
        return path
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


def acceptance_rows(total: int = 1000, broken_every: int = 100) -> tuple[list[dict], dict]:
    """`total` rows, one in `broken_every` broken; returns (rows, {row number: (column, msg)})."""
    rows, broken = [], {}
    for i in range(total):
        number = i + 2  # the header is row 1
        if i % broken_every == broken_every // 2:
            row, column, message = broken_row(i, len(broken))
            broken[number] = (column, message)
        else:
            row = good_row(i)
        rows.append(row)
    return rows, broken


class QuickRenderer:
    """A small but valid .docx per letter, for testing the batch machinery on its own.

    Its bytes depend on the letter type, the case, the plan and the determination.
    """

    version = "quick-1"

    def render(self, letter_type, case, plan, determination, *, today, law=None) -> bytes:  # noqa: ANN001
        text = (
            f"{letter_type} {case.case_id} {plan.id} {determination.covered} "
            f"{today.isoformat()} {case.patient.name or ''}"
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{_xml(text)}</w:t></w:r></w:p></w:body></w:document>"
        )
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in _DOCX_PARTS.items():
                archive.writestr(zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0)), data)
            archive.writestr(zipfile.ZipInfo("word/document.xml", (2000, 1, 1, 0, 0, 0)), body)
        return out.getvalue()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    ),
}


TODAY = dt.date(2026, 11, 24)
QUICK = "batch_support:quick_renderer"
LETTER = "records_request"


def quick_options(**kw):  # noqa: ANN003, ANN201
    """BatchOptions for tests: one records request a row, the quick renderer, one worker."""
    from secondlook.batch import BatchOptions

    base = {"letter": LETTER, "renderer": QUICK, "today": TODAY, "workers": 1}
    return BatchOptions(**(base | kw))


def quick_renderer() -> QuickRenderer:
    return QuickRenderer()


def tree_digest(directory: Path) -> dict[str, str]:
    """name -> sha256 of every file under directory (for comparing runs)."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


class CrashingRenderer(QuickRenderer):
    """Kills its whole process on one patient, as a segfault in a native library would."""

    def render(self, letter_type, case, plan, determination, *, today, law=None) -> bytes:  # noqa: ANN001
        if case.patient.name == "CRASH THE WORKER":
            import os

            os._exit(70)
        return super().render(letter_type, case, plan, determination, today=today)


class OnceKilledRenderer(QuickRenderer):
    """Kills its worker the first time it meets a patient named `KILL ONCE ...`, as an
    out-of-memory killer or a person would: the row itself is healthy. A marker file in
    `markers` (the renderer's argument) remembers the kill across worker processes."""

    def __init__(self, markers: str) -> None:
        self.markers = Path(markers)

    def render(self, letter_type, case, plan, determination, *, today, law=None) -> bytes:  # noqa: ANN001
        import multiprocessing

        name = case.patient.name or ""
        if name.startswith("KILL ONCE") and multiprocessing.parent_process() is not None:
            marker = self.markers / name.replace(" ", "_")
            try:
                marker.touch(exist_ok=False)
            except FileExistsError:
                pass
            else:
                import os

                os._exit(71)
        return super().render(letter_type, case, plan, determination, today=today)


def once_killed_renderer(markers: str) -> OnceKilledRenderer:
    return OnceKilledRenderer(markers)


def crashing_renderer() -> CrashingRenderer:
    return CrashingRenderer()


class SlowLettersRenderer:
    """The real letters renderer, slowed down so that a test can kill a run part-way."""

    def __init__(self) -> None:
        from secondlook.batch import LettersRenderer

        self._inner = LettersRenderer()
        self.version = self._inner.version

    def render(self, *args, **kwargs) -> bytes:  # noqa: ANN002, ANN003
        import time

        time.sleep(0.003)
        return self._inner.render(*args, **kwargs)


def slow_letters_renderer() -> SlowLettersRenderer:
    return SlowLettersRenderer()


class NoWorkersRenderer(QuickRenderer):
    """Dies in any worker process, as when worker processes cannot run on a machine at all."""

    def render(self, *args, **kwargs) -> bytes:  # noqa: ANN002, ANN003
        import multiprocessing
        import os

        if multiprocessing.parent_process() is not None:
            os._exit(71)
        return super().render(*args, **kwargs)


def no_workers_renderer() -> NoWorkersRenderer:
    return NoWorkersRenderer()
