"""Import and export cases as CSV or XLSX in the batch format (`secondlook/batch/`).

Export writes exactly the batch columns, so an export can be fed to `secondlook batch` or
imported again. Every exported row is parsed back with the batch reader and compared with the
stored case: anything the format cannot hold (a third records holder, an address that does not
fit its columns) is reported by case number and field name, never silently dropped.

Import is all or nothing: every row is read and validated first; any problem (named by row and
column, never echoing member data) and nothing is stored. Exports and imports are audited.
Formula injection: a CSV cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading apostrophe (`secondlook.files.neutralise`, as in the batch manifest), which the batch
reader removes again, so an export imports back unchanged. XLSX cells are typed text with
Excel's quote-prefix style: the value is exact and stays text even when a cell is edited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from coverage.case import Case
from coverage.determination import Determination
from coverage.loader import LoadError
from navigator import audit, facts
from navigator.cases import _case, _create_record
from navigator.coverage_link import check as coverage_check
from navigator.errors import FieldProblem, NavigatorError, NotFound
from navigator.store import Actor, Store
from navigator.tables import CaseRecord, Letter
from secondlook.batch.columns import COLUMN_NAMES, COLUMNS
from secondlook.batch.readers import InputFile
from secondlook.batch.rows import RowError, parse_row
from secondlook.files import neutralise

Format = Literal["csv", "xlsx"]
MAX_IMPORT_ROWS = 5000
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_CITY_LINE = re.compile(
    r"^(?:(?P<city>[^,]+?),\s*)?(?P<state>[A-Z]{2})(?:\s+(?P<zip>\d{5}(?:-\d{4})?))?$"
    r"|^(?P<city2>[^,]+?)\s+(?P<zip2>\d{5}(?:-\d{4})?)$"
)
_PARTIES = {
    "patient": "patient",
    "provider": "provider",
    "physician": "referring_physician",
}


# --------------------------------------------------------------------------------------------
# Case -> row


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _split_address(lines: list[str], fixed_state: str | None, own_state: bool) -> dict[str, str]:
    """Address lines → line1, line2, city, state, zip (the reverse of the batch reader).

    The last line is read as `City, ST 12345` when it has that shape; for the patient the state
    must be the residence state (`patient_state`), which the reader puts there.
    """
    lines = list(lines)
    parts = {"address_line1": "", "address_line2": "", "city": "", "state": "", "zip": ""}
    if lines:
        match = _CITY_LINE.match(lines[-1])
        if match:
            city = (match["city"] or match["city2"] or "").strip()
            state = match["state"] or ""
            zip_code = match["zip"] or match["zip2"] or ""
            state_fits = own_state or state == (fixed_state or "")
            if (city or zip_code) and state_fits:
                parts.update(city=city, zip=zip_code, state=state if own_state else "")
                lines = lines[:-1]
    if len(lines) > 2:
        lines = [lines[0], ", ".join(lines[1:])]
    for index, line in enumerate(lines):
        parts[f"address_line{index + 1}"] = line
    return parts


def case_to_cells(case: Case, fallback_id: str) -> dict[str, str]:
    """One batch row (column name → text) for a case."""
    data = facts.to_json(case)
    cells = {name: "" for name in COLUMN_NAMES}
    for column in COLUMNS:
        if not column.field:
            continue
        node: Any = data
        for part in column.field.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        cells[column.name] = _text(node)
    if not cells["case_id"]:
        cells["case_id"] = fallback_id
    for prefix, attr in _PARTIES.items():
        party = data.get(attr) or {}
        own_state = prefix != "patient"
        split = _split_address(party.get("address_lines") or [], case.patient.state, own_state)
        for part, value in split.items():
            if part == "state" and not own_state:
                continue
            cells[f"{prefix}_{part}"] = value
    for index, holder in enumerate(case.records_from[:2], start=1):
        prefix = f"records{index}"
        cells[f"{prefix}_name"] = holder.name
        cells[f"{prefix}_phone"] = holder.phone or ""
        cells[f"{prefix}_fax"] = holder.fax or ""
        for part, value in _split_address(holder.address_lines, None, True).items():
            cells[f"{prefix}_{part}"] = value
    return cells


def lost_fields(case: Case, cells: dict[str, str]) -> list[str]:
    """Field paths that would not come back the same from this row (names only)."""
    try:
        parsed = parse_row({k: v for k, v in cells.items() if v}, 2).case
    except RowError as err:
        return sorted({p.column or "(row)" for p in err.problems})
    if case.case_id is None:
        parsed = parsed.model_copy(update={"case_id": None})
    return facts.diff_paths(case, parsed)


# --------------------------------------------------------------------------------------------
# Export


@dataclass(frozen=True)
class ExportResult:
    data: bytes
    format: Format
    count: int
    warnings: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"second-look-cases-{dt.date.today().isoformat()}.{self.format}"

    @property
    def mime(self) -> str:
        return MIME[self.format]


def _csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    for row in rows:
        writer.writerow([neutralise(row[name]) for name in COLUMN_NAMES])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(rows: list[dict[str, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Cases")
    sheet.freeze_panes = "B2"

    def text_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value if value else None)
        if value:
            cell.data_type = "s"  # never a formula
            cell.number_format = "@"
            if neutralise(value) != value:
                cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
        return cell

    sheet.append([text_cell(name) for name in COLUMN_NAMES])
    for row in rows:
        sheet.append([text_cell(row[name]) for name in COLUMN_NAMES])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_cases(
    store: Store, actor: Actor, case_ids: Sequence[int] | None = None, *, fmt: Format = "csv"
) -> ExportResult:
    """The actor's organisation's cases (all, or the given ids) as a batch file."""
    if fmt not in MIME:
        raise FieldProblem({"format": "must be csv or xlsx"})
    with store.acting(actor) as (session, user):
        stmt = select(CaseRecord).where(CaseRecord.organisation_id == actor.organisation_id)
        if case_ids is not None:
            stmt = stmt.where(CaseRecord.id.in_(list(case_ids)))
        records = session.scalars(stmt.order_by(CaseRecord.id)).all()
        if case_ids is not None:
            missing = sorted(set(case_ids) - {r.id for r in records})
            if missing:
                raise NotFound(f"No case #{missing[0]} in your organisation.")
        rows, warnings = [], []
        for record in records:
            case = facts.from_json(record.facts)
            cells = case_to_cells(case, f"nav-{record.id}")
            lost = lost_fields(case, cells)
            if len(case.records_from) > 2:
                lost.append("records_from[2:]")
            if lost:
                warnings.append(
                    f"case #{record.id}: the batch format cannot hold {', '.join(lost)} exactly"
                )
            rows.append(cells)
        data = _csv_bytes(rows) if fmt == "csv" else _xlsx_bytes(rows)
        audit.record(
            session, "export", organisation_id=actor.organisation_id, user_id=user.id,
            detail=f"format={fmt} cases={len(rows)}"
            + (f" ids={','.join(str(r.id) for r in records)}" if len(records) <= 50 else ""),
        )  # fmt: skip
        return ExportResult(data, fmt, len(rows), warnings)


# --------------------------------------------------------------------------------------------
# One case as FHIR (docs/fhir.md)

FhirKind = Literal["coverage", "preauth"]


@dataclass(frozen=True)
class FhirExport:
    data: bytes
    filename: str
    mime: str = "application/fhir+json"


def export_case_fhir(store: Store, actor: Actor, case_id: int, kind: FhirKind) -> FhirExport:
    """The case's stored coverage answer as a FHIR Bundle (Da Vinci CRD coverage-information),
    or its latest stored prior authorization letter as a PAS-style Bundle with the PDF."""
    from letters.pdf import PdfError
    from secondlook import fhir, service

    if kind not in ("coverage", "preauth"):
        raise FieldProblem({"format": "must be coverage or preauth"})
    with store.acting(actor) as (session, _user):
        record = _case(session, actor, case_id)
        case = facts.from_json(record.facts)
        answer = record.coverage
        letter = None
        if kind == "preauth":
            letter = session.scalar(
                select(Letter)
                .where(Letter.case_id == record.id, Letter.letter_type == "preauth_request")
                .order_by(Letter.id.desc())
            )
            letter = None if letter is None else (letter.id, letter.content)
    if answer is None:
        raise NavigatorError("This case has no coverage answer yet: check coverage first.")
    if kind == "preauth" and letter is None:
        raise NavigatorError("Generate the prior authorization request letter first (Letters).")
    determination = Determination.model_validate(answer)
    try:
        plan = service.resolve_plan(case.plan or "")
        if kind == "coverage":
            bundle = fhir.coverage_bundle(determination, case, plan, law=service.lawbook())
        else:
            pdf = service.letters_to_pdf({"letter": letter[1]})["letter"]
            bundle = fhir.preauth_bundle(
                determination, case, plan, letter_pdf=pdf, law=service.lawbook()
            )
    except LoadError as err:
        raise NavigatorError("The case's plan is not in the catalog: choose a plan.") from err
    except fhir.FhirDataError as err:
        raise FieldProblem({f: str(err) for f in err.fields or ("case",)}) from err
    except (PdfError, OSError) as err:
        raise NavigatorError("The letter could not be converted to PDF; try again.") from err
    with store.acting(actor) as (session, user):
        audit.record(
            session, "export", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="case", object_id=case_id,
            detail=f"format=fhir-{kind}" + (f" letter #{letter[0]}" if letter else ""),
        )  # fmt: skip
    return FhirExport(fhir.to_json(bundle).encode("utf-8"), f"case-{case_id}-{kind}.fhir.json")


# --------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class ImportResult:
    created: list[int]
    problems: list[str]
    rows: int
    statuses: dict[str, int] = field(default_factory=dict)  # status -> cases created there

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(data: bytes, filename: str) -> tuple[list[tuple[int, Case]], list[str], int]:
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx", ".txt", ".xlsm"):
        return [], [f"{Path(filename).name or 'the file'}: expected a .csv or .xlsx file"], 0
    cases: list[tuple[int, Case]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    rows = 0
    with tempfile.TemporaryDirectory(prefix="secondlook-import-") as tmp:
        path = Path(tmp) / f"import{suffix}"
        path.write_bytes(data)
        try:
            reader = InputFile(path)
            for raw in reader:
                rows += 1
                if rows > MAX_IMPORT_ROWS:
                    problems.append(f"more than {MAX_IMPORT_ROWS} rows: split the file")
                    break
                if raw.problems:
                    problems += [str(p) for p in raw.problems]
                    continue
                try:
                    parsed = parse_row(raw.cells, raw.number)
                except RowError as err:
                    problems += [str(p) for p in err.problems]
                    continue
                case_id = parsed.case.case_id or ""
                if case_id in seen:
                    problems.append(
                        f"row {raw.number}, column case_id: the same case id as row {seen[case_id]}"
                    )
                    continue
                seen[case_id] = raw.number
                cases.append((raw.number, parsed.case))
        except LoadError as err:
            name = Path(filename).name
            problems += [str(p).replace(path.name, name, 1) for p in err.problems]
    return cases, problems, rows


def status_from_facts(case: Case) -> str:
    """Where an imported case stands, from its dates: a denial on file means denied (the appeal
    clock runs), a request date means request sent (the plan's decision clock runs), else
    intake. Its deadlines then show at once instead of after a move a step at a time."""
    denial = case.denial
    if denial is not None and (denial.notice_date or denial.date_received):
        return "denied"
    if case.request_sent_date is not None:
        return "request_sent"
    return "intake"


def import_cases(
    store: Store, actor: Actor, data: bytes, filename: str, *, as_of: dt.date | None = None
) -> ImportResult:
    """Create one case per row (assigned to the actor; its status from its dates, see
    `status_from_facts`); all rows or none."""
    parsed, problems, rows = _read(data, filename)
    if not problems and not parsed:
        problems.append("the file has no case rows")
    results = {} if problems else {n: coverage_check(c, as_of) for n, c in parsed}
    with store.acting(actor) as (session, user):
        existing = {}
        if not problems:
            refs = [c.case_id for _, c in parsed if c.case_id]
            for chunk in range(0, len(refs), 500):
                for ref, cid in session.execute(
                    select(CaseRecord.case_ref, CaseRecord.id).where(
                        CaseRecord.organisation_id == actor.organisation_id,
                        CaseRecord.case_ref.in_(refs[chunk : chunk + 500]),
                    )
                ):
                    existing[ref] = cid
            for number, case in parsed:
                if case.case_id in existing:
                    problems.append(
                        f"row {number}, column case_id: already used by case "
                        f"#{existing[case.case_id]} in your organisation"
                    )
        if problems:
            audit.record(
                session, "import", organisation_id=actor.organisation_id, user_id=user.id,
                detail=f"rejected rows={rows} problems={len(problems)}",
            )  # fmt: skip
            return ImportResult([], problems, rows)
        created, statuses = [], Counter()
        for number, case in parsed:
            status = status_from_facts(case)
            record = _create_record(session, actor, user, case, results[number], status, user.id)
            created.append(record.id)
            statuses[status] += 1
        audit.record(
            session, "import", organisation_id=actor.organisation_id, user_id=user.id,
            detail=f"format={Path(filename).suffix.lower().lstrip('.')} rows={rows} "
            f"created={len(created)} "
            + " ".join(f"{status}={count}" for status, count in sorted(statuses.items())),
        )  # fmt: skip
        return ImportResult(created, [], rows, dict(statuses))
