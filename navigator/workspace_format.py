"""The workspace file (docs/navigator.md, "Workspace export"): every case of an organisation
with its status and history, assignee, calls, notes, tasks, letters and documents.

These models are the one description of the format: the JSON file is `Workspace` dumped as
JSON, the XLSX file holds the same items one sheet per kind, and both are read back through
them, so a problem is named by its JSON path or by its sheet, row and column. Users are named by
username (never by internal id); a letter cites calls by their position in the case's call list
(from 1). Validation messages never repeat a value (`hide_input_in_errors`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from coverage.case import Case
from navigator import pipeline
from navigator.cases import (
    CHANNELS,
    DOCUMENT_KINDS,
    MAX_LINE,
    MAX_REFERENCE,
    MAX_TASK_TITLE,
    MAX_TEXT,
    TASK_KINDS,
)
from navigator.letter_store import SEND_CHANNELS

FORMAT = "secondlook-workspace"
VERSION = 1
MAX_CASES = 5000  # as many as the batch import takes
MAX_ITEMS = 10_000  # calls, notes, tasks, letters, documents or status changes of one case
MAX_JSON_BYTES = 256 * 2**20  # the JSON file (letters and documents inside, base64)


def _utc(value: dt.datetime) -> dt.datetime:
    """A time as UTC (a time without a zone, e.g. typed into a spreadsheet, is read as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _one_of(choices: tuple[str, ...] | list[str]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in choices:
            raise PydanticCustomError("choice", "must be one of {choices}",
                                      {"choices": ", ".join(choices)})  # fmt: skip
        return value

    return AfterValidator(check)


Stamp = Annotated[dt.datetime, AfterValidator(_utc)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Line = Annotated[str, StringConstraints(max_length=MAX_LINE)]
Status = Annotated[str, _one_of(pipeline.STATUSES)]


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class StatusChangeItem(Item):
    from_status: Status | None = None
    to_status: Status
    by: Username | None = None
    at: Stamp


class CallItem(Item):
    call_date: dt.date
    channel: Annotated[str, _one_of(CHANNELS)]
    organisation: Line | None = None
    person: Annotated[str, StringConstraints(min_length=1, max_length=MAX_LINE)]
    reference_number: Annotated[str, StringConstraints(max_length=MAX_REFERENCE)] | None = None
    summary: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
    logged_by: Username | None = None
    logged_at: Stamp


class NoteItem(Item):
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
    created_by: Username | None = None
    created_at: Stamp


class TaskItem(Item):
    kind: Annotated[str, _one_of(list(TASK_KINDS))] = "task"
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TASK_TITLE)]
    note: Annotated[str, StringConstraints(max_length=MAX_TEXT)] = ""
    due: dt.date
    assigned_to: Username | None = None
    done_at: Stamp | None = None
    done_by: Username | None = None
    created_by: Username | None = None
    created_at: Stamp


Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
FileName = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class LetterItem(Item):
    letter_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}$")]
    template_version: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    voice: Annotated[str, _one_of(["patient", "representative"])] | None = None
    filename: FileName
    sha256: Sha256
    size: int = Field(ge=0)
    cited_calls: list[int] = Field(default_factory=list, max_length=MAX_ITEMS)
    created_by: Username | None = None
    created_at: Stamp
    sent_on: dt.date | None = None
    sent_via: Annotated[str, _one_of(list(SEND_CHANNELS))] | None = None
    sent_by: Username | None = None
    sent_recorded_at: Stamp | None = None
    content_base64: str | None = None  # the file (JSON only; null: not in this file)


class DocumentItem(Item):
    kind: Annotated[str, _one_of(list(DOCUMENT_KINDS))]
    filename: FileName
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    size: int = Field(ge=0)
    sha256: Sha256
    uploaded_by: Username | None = None
    uploaded_at: Stamp
    content_base64: str | None = None


class CaseItem(Item):
    reference: Annotated[str, StringConstraints(max_length=64)] | None = None
    status: Status = "intake"
    assigned_to: Username | None = None
    created_by: Username | None = None
    created_at: Stamp
    updated_by: Username | None = None
    updated_at: Stamp
    facts: Case
    history: list[StatusChangeItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    calls: list[CallItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    notes: list[NoteItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    tasks: list[TaskItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    letters: list[LetterItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    documents: list[DocumentItem] = Field(default_factory=list, max_length=MAX_ITEMS)


class Workspace(Item):
    format: str
    version: int
    exported_at: Stamp
    organisation: str = ""
    note: str = ""
    cases: list[CaseItem] = Field(default_factory=list, max_length=MAX_CASES)


def json_path(loc: tuple[Any, ...]) -> str:
    """A validation error's location as a JSON path: `cases[3].calls[0].call_date`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def problems_of(err: ValidationError, where=json_path) -> list[str]:  # noqa: ANN001
    """One line per problem: where (path, or sheet/row/column) and what, never the value."""
    return [f"{where(tuple(e['loc']))}: {e['msg']}" for e in err.errors(include_input=False)]


def header_problem(raw: object) -> str | None:
    """Is this a workspace file this program reads? (checked before anything else)"""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return f'format: not a Second Look workspace file (expected "format": "{FORMAT}")'
    version = raw.get("version")
    if version != VERSION:
        shown = version if isinstance(version, int) and not isinstance(version, bool) else "?"
        return f"version: this program reads version {VERSION} of the format, not {shown}"
    return None
