"""Export an organisation's whole workspace and import it into another (docs/navigator.md,
"Workspace export"): a backup and a hand-off, not only the case facts.

Every case goes out with its reference, status and status history, assignee (by username),
calls, notes, tasks, letters and documents, as JSON (`secondlook-workspace` version 1, the
letter and document files inside as base64) or as XLSX (one sheet per kind, keyed by case
reference; letters and documents as rows without their files, as the file's About sheet says).

Import is all or nothing, in one transaction: the file is read and checked first (a problem is
named by JSON path, or by sheet, row and column, never with the value) and nothing is stored
when anything is wrong, or when a reference in the file is already used in the organisation.
Usernames the organisation does not have are listed in a warning: their cases and tasks come in
unassigned, and what they wrote or did is recorded as the importing user's. Times (created,
logged, sent, done) are kept as in the file; the coverage answer and deadlines are worked out
again. Exports and imports are audited with counts only.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from navigator import audit, facts
from navigator.cases import _apply_coverage, _apply_facts, case_numbers
from navigator.coverage_link import CoverageResult
from navigator.coverage_link import check as coverage_check
from navigator.errors import FieldProblem, NavigatorError, NotFound
from navigator.store import Actor, Store
from navigator.tables import (
    Call,
    CaseRecord,
    Document,
    Letter,
    Note,
    Organisation,
    StatusEvent,
    Task,
    User,
    utcnow,
)
from navigator.workspace_format import (
    FORMAT,
    MAX_JSON_BYTES,
    VERSION,
    CaseItem,
    DocumentItem,
    LetterItem,
    Workspace,
    header_problem,
    problems_of,
)

WorkspaceFormat = Literal["json", "xlsx"]
MIME = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
JSON_NOTE = (
    "Every case with its history, calls, notes, tasks, letters and documents (files in base64)."
)
XLSX_NOTE = (
    "Letters and documents are listed on their sheets without their files: for a complete "
    "backup with the files, use the JSON export."
)
MAX_PROBLEMS = 200
_CASE_NUMBER = re.compile(r"^case-\d+-")


@dataclass(frozen=True)
class WorkspaceExport:
    data: bytes
    format: WorkspaceFormat
    cases: int
    warnings: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"second-look-workspace-{dt.date.today().isoformat()}.{self.format}"

    @property
    def mime(self) -> str:
        return MIME[self.format]


@dataclass(frozen=True)
class WorkspaceImport:
    created: list[int]
    problems: list[str]
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # kind -> items created

    @property
    def ok(self) -> bool:
        return not self.problems


def operator_actor(store: Store, organisation_code: str, username: str) -> Actor:
    """The site operator's command acts as a named active user of an organisation (the audit
    log and an import record them), without that user's password."""
    with store.transaction() as session:
        row = session.execute(
            select(User, Organisation)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(
                Organisation.code == organisation_code.strip().lower(),
                User.username == username.strip().lower(),
                User.active.is_(True),
            )
        ).first()
        if row is None:
            raise NotFound("No such active user in that organisation.")
        return Actor.of(row[0], row[1], via="operator")


# --------------------------------------------------------------------------------------------
# Export


def _b64(content: bytes | None, size: int) -> str | None:
    """A stored file in base64; None when the store holds only its description (a letter
    imported from a spreadsheet)."""
    if not content and size:
        return None
    return base64.b64encode(content or b"").decode("ascii")


def _case_item(session: Session, record: CaseRecord, names: dict[int, str]) -> CaseItem:
    def by(user_id: int | None) -> str | None:
        return names.get(user_id) if user_id is not None else None

    def rows(table, order):  # noqa: ANN001, ANN202
        stmt = select(table).where(table.case_id == record.id).order_by(order)
        if table in (Letter, Document):
            stmt = stmt.options(undefer(table.content))
        return session.scalars(stmt).all()

    calls = rows(Call, Call.id)
    position = {c.id: n for n, c in enumerate(calls, start=1)}
    # Plain dicts, checked once: a problem's path names the item (notes[1].body).
    return CaseItem.model_validate(dict(
        reference=record.case_ref, status=record.status, assigned_to=by(record.assigned_to_id),
        created_by=by(record.created_by_id), created_at=record.created_at,
        updated_by=by(record.updated_by_id), updated_at=record.updated_at,
        facts=facts.from_json(record.facts),
        history=[dict(from_status=e.from_status, to_status=e.to_status, by=by(e.user_id), at=e.at)
                 for e in rows(StatusEvent, StatusEvent.id)],
        calls=[dict(call_date=c.call_date, channel=c.channel, organisation=c.organisation,
                    person=c.person, reference_number=c.reference_number, summary=c.summary,
                    logged_by=by(c.logged_by_id), logged_at=c.logged_at) for c in calls],
        notes=[dict(body=n.body, created_by=by(n.created_by_id), created_at=n.created_at)
               for n in rows(Note, Note.id)],
        tasks=[dict(kind=t.kind, title=t.title, note=t.note or "", due=t.due,
                    assigned_to=by(t.assigned_to_id), done_at=t.done_at, done_by=by(t.done_by_id),
                    created_by=by(t.created_by_id), created_at=t.created_at)
               for t in rows(Task, Task.id)],
        letters=[dict(letter_type=x.letter_type, template_version=x.template_version,
                      voice=x.voice, filename=x.filename, sha256=x.sha256, size=x.size,
                      cited_calls=[position[i] for i in x.cited_call_ids or [] if i in position],
                      created_by=by(x.created_by_id), created_at=x.created_at, sent_on=x.sent_on,
                      sent_via=x.sent_via, sent_by=by(x.sent_by_id),
                      sent_recorded_at=x.sent_recorded_at, content_base64=_b64(x.content, x.size))
                 for x in rows(Letter, Letter.id)],
        documents=[dict(kind=d.kind, filename=d.filename, content_type=d.content_type, size=d.size,
                        sha256=d.sha256, uploaded_by=by(d.uploaded_by_id),
                        uploaded_at=d.uploaded_at, content_base64=_b64(d.content, d.size))
                   for d in rows(Document, Document.id)],
    ))  # fmt: skip


def collect(session: Session, actor: Actor, note: str = JSON_NOTE) -> Workspace:
    """The actor's organisation's workspace (every case, oldest first)."""
    names = dict(
        session.execute(
            select(User.id, User.username).where(User.organisation_id == actor.organisation_id)
        ).all()
    )
    records = session.scalars(
        select(CaseRecord)
        .where(CaseRecord.organisation_id == actor.organisation_id)
        .order_by(CaseRecord.id)
    ).all()
    return Workspace(
        format=FORMAT, version=VERSION, exported_at=utcnow(),
        organisation=actor.organisation_name, note=note,
        cases=[_exportable(session, r, names) for r in records],
    )  # fmt: skip


def _exportable(session: Session, record: CaseRecord, names: dict[int, str]) -> CaseItem:
    """The case as an item of the format, or a clear refusal naming the case and the fields
    (a note longer than the format takes, say), never a traceback."""
    try:
        return _case_item(session, record, names)
    except ValidationError as err:
        fields = "; ".join(problems_of(err)[:5])
        raise NavigatorError(f"Case #{record.id} cannot be exported: {fields}") from None


def to_json_bytes(workspace: Workspace) -> bytes:
    return json.dumps(workspace.model_dump(mode="json"), ensure_ascii=False, indent=1).encode()


def export_workspace(
    store: Store, actor: Actor, *, fmt: WorkspaceFormat = "json"
) -> WorkspaceExport:
    """Every case of the actor's organisation as a workspace file (audited: counts only)."""
    from navigator import workspace_xlsx

    if fmt not in MIME:
        raise FieldProblem({"format": "must be json or xlsx"})
    with store.acting(actor) as (session, user):
        workspace = collect(session, actor, JSON_NOTE if fmt == "json" else XLSX_NOTE)
        warnings: list[str] = []
        if fmt == "json":
            data = to_json_bytes(workspace)
        else:
            data, warnings = workspace_xlsx.to_xlsx(workspace)
        count = Counter()
        for item in workspace.cases:
            for kind in ("calls", "notes", "tasks", "letters", "documents"):
                count[kind] += len(getattr(item, kind))
        audit.record(
            session, "export", organisation_id=actor.organisation_id, user_id=user.id,
            detail=f"format=workspace-{fmt} cases={len(workspace.cases)} "
            + " ".join(f"{kind}={n}" for kind, n in sorted(count.items())),
        )  # fmt: skip
        return WorkspaceExport(data, fmt, len(workspace.cases), warnings)


# --------------------------------------------------------------------------------------------
# Reading a file


def read_json(data: bytes) -> tuple[Workspace | None, list[str]]:
    """A JSON workspace file, checked (bounded: size; the models bound every count)."""
    if len(data) > MAX_JSON_BYTES:
        return None, [f"the file is larger than {MAX_JSON_BYTES // 2**20:,} MB"]
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, ["the file is not UTF-8 text"]
    except json.JSONDecodeError as err:
        return None, [f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"]
    except RecursionError:
        return None, ["the JSON is nested too deeply"]
    problem = header_problem(raw)
    if problem:
        return None, [problem]
    try:
        return Workspace.model_validate(raw), []
    except ValidationError as err:
        return None, problems_of(err)[:MAX_PROBLEMS]


def _decoded(content: str | None, sha256: str, size: int, where: str) -> tuple[bytes, str | None]:
    """A file from base64, checked against its SHA-256 and size; (b"", None) when absent."""
    if content is None:
        return b"", None
    try:
        raw = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return b"", f"{where}.content_base64: not valid base64"
    if len(raw) != size or hashlib.sha256(raw).hexdigest() != sha256:
        return b"", f"{where}.content_base64: does not match its size and sha256"
    return raw, None


def _check_links(workspace: Workspace) -> list[str]:
    """What the models cannot see: references unique in the file, cited calls that exist,
    files that match their checksums."""
    problems: list[str | None] = []
    files: list[tuple[LetterItem | DocumentItem, str]] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(workspace.cases):
        where = f"cases[{n}]"
        if item.reference != item.facts.case_id:
            problems.append(f"{where}.reference: differs from facts.case_id")
        if item.reference in seen:
            problems.append(f"{where}.reference: the same as cases[{seen[item.reference]}]")
        elif item.reference:
            seen[item.reference] = n
        for k, letter in enumerate(item.letters):
            if any(c < 1 or c > len(item.calls) for c in letter.cited_calls):
                problems.append(f"{where}.letters[{k}].cited_calls: not a call of this case "
                                f"(calls are numbered 1 to {len(item.calls)})")  # fmt: skip
            files.append((letter, f"{where}.letters[{k}]"))
        files += [(doc, f"{where}.documents[{k}]") for k, doc in enumerate(item.documents)]
    for thing, where in files:
        problems.append(_decoded(thing.content_base64, thing.sha256, thing.size, where)[1])
    return [p for p in problems if p]


def read_file(data: bytes, filename: str) -> tuple[Workspace | None, list[str]]:
    from navigator import workspace_xlsx

    suffix = Path(filename or "").suffix.lower()
    if suffix == ".json":
        workspace, problems = read_json(data)
    elif suffix == ".xlsx":
        workspace, problems = workspace_xlsx.read_xlsx(data)
    else:
        return None, [f"{_shown_name(filename)}: expected a .json or .xlsx workspace file"]
    if workspace is not None and not problems:
        problems = _check_links(workspace)
        if not workspace.cases:
            problems.append("cases: the file has no cases")
    return (workspace if not problems else None), problems[:MAX_PROBLEMS]


def _shown_name(filename: str) -> str:
    name = Path(filename or "").name
    return name if re.fullmatch(r"[\w .()-]{1,100}", name) else "the file"


# --------------------------------------------------------------------------------------------
# Import


class _People:
    """Usernames in the file -> users of the target organisation."""

    def __init__(self, session: Session, actor: Actor, importer: User):
        rows = session.execute(
            select(User.username, User.id, User.active).where(
                User.organisation_id == actor.organisation_id
            )
        ).all()
        self.ids = {name: uid for name, uid, _ in rows}
        self.active = {name: uid for name, uid, active in rows if active}
        self.importer = importer.id
        self.unknown: set[str] = set()

    def assignee(self, username: str | None) -> int | None:
        if username is None:
            return None
        if username not in self.active:
            self.unknown.add(username)
        return self.active.get(username)

    def author(self, username: str | None) -> int:
        if username is not None and username not in self.ids:
            self.unknown.add(username)
        return self.ids.get(username or "", self.importer)

    def maybe(self, username: str | None) -> int | None:
        return None if username is None else self.author(username)


def _taken_references(session: Session, actor: Actor, workspace: Workspace) -> list[str]:
    taken = case_numbers(session, actor, (c.reference for c in workspace.cases))
    return [
        f"cases[{n}].reference: already the reference of case #{taken[c.reference]} in your "
        "organisation (import into an empty workspace, or remove that case from the file)"
        for n, c in enumerate(workspace.cases)
        if c.reference in taken
    ]


def _filename(old: str, case_id: int) -> str:
    """A stored letter's file name with the new case number (file names carry it)."""
    return _CASE_NUMBER.sub(f"case-{case_id}-", old, count=1)


def _store_case(
    session: Session, actor: Actor, people: _People, item: CaseItem, result: CoverageResult
) -> tuple[CaseRecord, Counter]:
    record = CaseRecord(
        organisation_id=actor.organisation_id, status=item.status,
        assigned_to_id=people.assignee(item.assigned_to),
        created_by_id=people.author(item.created_by), created_at=item.created_at,
        updated_by_id=people.author(item.updated_by), updated_at=item.updated_at,
    )  # fmt: skip
    _apply_facts(record, item.facts)
    _apply_coverage(record, result)
    session.add(record)
    session.flush()
    cid = record.id
    for e in item.history:
        session.add(StatusEvent(case_id=cid, from_status=e.from_status, to_status=e.to_status,
                                user_id=people.author(e.by), at=e.at))  # fmt: skip
    calls = [
        Call(case_id=cid, call_date=c.call_date, channel=c.channel, organisation=c.organisation,
             person=c.person, reference_number=c.reference_number, summary=c.summary,
             logged_by_id=people.author(c.logged_by), logged_at=c.logged_at)
        for c in item.calls
    ]  # fmt: skip
    session.add_all(calls)
    session.flush()
    for n in item.notes:
        session.add(Note(case_id=cid, body=n.body, created_by_id=people.author(n.created_by),
                         created_at=n.created_at))  # fmt: skip
    for t in item.tasks:
        session.add(Task(
            organisation_id=actor.organisation_id, case_id=cid, kind=t.kind, title=t.title,
            note=t.note, due=t.due, assigned_to_id=people.assignee(t.assigned_to),
            done_at=t.done_at, done_by_id=people.maybe(t.done_by) if t.done_at else None,
            created_by_id=people.author(t.created_by), created_at=t.created_at,
        ))  # fmt: skip
    for x in item.letters:
        content = _decoded(x.content_base64, x.sha256, x.size, "")[0]
        session.add(Letter(
            case_id=cid, letter_type=x.letter_type, template_version=x.template_version,
            voice=x.voice,
            sha256=x.sha256, size=x.size, filename=_filename(x.filename, cid), content=content,
            case_version=record.version, cited_call_ids=[calls[n - 1].id for n in x.cited_calls],
            created_by_id=people.author(x.created_by), created_at=x.created_at,
            sent_on=x.sent_on, sent_via=x.sent_via, sent_by_id=people.maybe(x.sent_by),
            sent_recorded_at=x.sent_recorded_at,
        ))  # fmt: skip
    for d in item.documents:
        content = _decoded(d.content_base64, d.sha256, d.size, "")[0]
        session.add(Document(
            case_id=cid, kind=d.kind, filename=d.filename, content_type=d.content_type,
            size=d.size, sha256=d.sha256, content=content,
            uploaded_by_id=people.author(d.uploaded_by), uploaded_at=d.uploaded_at,
        ))  # fmt: skip
    session.flush()
    counts = Counter({kind: len(getattr(item, kind)) for kind in
                      ("calls", "notes", "tasks", "letters", "documents")})  # fmt: skip
    return record, counts


def counts_text(counts: dict[str, int]) -> str:
    """{"cases": 2, "notes": 1} -> "2 cases, 1 note"."""
    return ", ".join(
        f"{n:,} {kind if n != 1 else kind.removesuffix('s')}" for kind, n in sorted(counts.items())
    )


def unknown_users_warning(usernames: set[str]) -> str:
    return (
        "These usernames are not active users of your organisation: "
        + ", ".join(sorted(usernames))
        + ". Their cases and tasks came in unassigned; what they wrote or did is recorded as "
        "done by you."
    )


def import_workspace(
    store: Store, actor: Actor, data: bytes, filename: str, *, as_of: dt.date | None = None
) -> WorkspaceImport:
    """Recreate every case of a workspace file in the actor's organisation: all or nothing."""
    workspace, problems = read_file(data, filename)
    results = [coverage_check(item.facts, as_of) for item in workspace.cases] if workspace else []
    kind = Path(filename or "").suffix.lower().lstrip(".")
    with store.acting(actor) as (session, user):
        if workspace is not None:
            problems = _taken_references(session, actor, workspace)[:MAX_PROBLEMS]
        if problems:
            audit.record(
                session, "import", organisation_id=actor.organisation_id, user_id=user.id,
                detail=f"workspace rejected problems={len(problems)}",
            )  # fmt: skip
            return WorkspaceImport([], problems)
        assert workspace is not None
        people = _People(session, actor, user)
        created, counts = [], Counter()
        for item, result in zip(workspace.cases, results, strict=True):
            record, added = _store_case(session, actor, people, item, result)
            created.append(record.id)
            counts += added
            audit.record(
                session, "case_create", organisation_id=actor.organisation_id, user_id=user.id,
                object_type="case", object_id=record.id,
                detail=f"status={record.status} (workspace import)",
            )  # fmt: skip
        counts["cases"] = len(created)
        audit.record(
            session, "import", organisation_id=actor.organisation_id, user_id=user.id,
            detail=f"format=workspace-{kind} "
            + " ".join(f"{k}={n}" for k, n in sorted(counts.items()))
            + (f" unknown_users={len(people.unknown)}" if people.unknown else ""),
        )  # fmt: skip
        warnings = [unknown_users_warning(people.unknown)] if people.unknown else []
        return WorkspaceImport(created, [], warnings, dict(counts))
