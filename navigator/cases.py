"""Case service functions: every one takes the acting user and sees only their organisation.

A case that belongs to another organisation is reported exactly like a case that does not exist
(`NotFound`), so ids cannot be probed. Saving uses optimistic locking: the caller passes the
version it opened, and a save over someone else's newer save raises `CaseConflict` (checked
up front, and again by the database through SQLAlchemy's `version_id_col`, which turns the UPDATE
into `... WHERE id = ? AND version = ?`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from coverage.case import Case
from coverage.determination import Determination
from navigator import audit, facts, pipeline
from navigator.case_form import label
from navigator.coverage_link import CoverageResult
from navigator.coverage_link import check as coverage_check
from navigator.errors import CaseConflict, FieldProblem, NavigatorError, NotFound
from navigator.store import Actor, Store
from navigator.tables import (
    Call,
    CaseDeadline,
    CaseRecord,
    Document,
    Letter,
    Note,
    StatusEvent,
    Task,
    User,
    utcnow,
)

# Which of the coverage core's deadlines matter depends on where the case is: while waiting for
# the plan, its decide-by clock; while the next move is ours, the file-by clock; none once done.
WAITING_STATUSES = ("request_sent", "awaiting_decision", "appeal", "external_review")
ACTION_STATUSES = ("intake", "coverage_checked", "denied")
DeadlineFilter = Literal["overdue", "week", "later", "none"]
DUE_SOON_DAYS = 7

CHANNELS = ("phone", "fax", "portal", "email", "mail", "visit")
DOCUMENT_KINDS = {
    "denial_letter": "Denial letter",
    "plan_document": "Plan document (SBC, certificate)",
    "medical_records": "Medical records",
    "insurer_correspondence": "Other letter from the plan",
    "authorisation": "Authorisation or approval",
    "other": "Other",
}
TASK_KINDS = {"task": "Task", "follow_up": "Follow-up", "handoff": "Hand-off"}
MAX_TASK_TITLE = 300
MAX_LINE = 300  # who was called, for which office
MAX_REFERENCE = 100  # a call's reference number
MAX_TEXT = 1_000_000  # characters in a note, a call's summary or a task's note
# The pages pass Streamlit's server.maxUploadSize (.streamlit/config.toml, tested equal to this).
MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
_UNSET: Any = object()


def relevant_kind(status: str) -> str | None:
    if status in WAITING_STATUSES:
        return "decide_by"
    if status in ACTION_STATUSES:
        return "file_by"
    return None


# ---------------------------------------------------------------------------------------------
# Views returned to the pages (plain data, detached from the session)


@dataclass(frozen=True)
class UserRef:
    id: int
    display_name: str


@dataclass(frozen=True)
class CaseSummary:
    id: int
    version: int
    status: str
    case_ref: str | None
    patient_name: str | None
    plan_id: str | None
    assigned_to: UserRef | None
    next_due: dt.date | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class DeadlineInfo:
    key: str
    title: str
    kind: str
    due: dt.date | None
    within: str
    citation: str
    verified: bool
    relevant: bool


@dataclass(frozen=True)
class LetterInfo:
    id: int
    letter_type: str
    template_version: str
    sha256: str
    size: int
    filename: str
    case_version: int
    cited_call_ids: list[int]
    created_by: str
    created_at: dt.datetime
    sent_on: dt.date | None = None
    sent_via: str | None = None
    sent_by: str | None = None
    voice: str = "patient"  # "representative": signed by its maker for the patient
    has_file: bool = True  # False: imported from a workspace spreadsheet, which lists letters only


@dataclass(frozen=True)
class CallInfo:
    id: int
    call_date: dt.date
    channel: str
    organisation: str | None
    person: str
    reference_number: str | None
    summary: str
    logged_by: str
    logged_at: dt.datetime

    def citation(self) -> str:
        """One line a letter can cite: date, channel, who, reference number, what was said."""
        who = self.person + (f" ({self.organisation})" if self.organisation else "")
        ref = f", reference number {self.reference_number}" if self.reference_number else ""
        return f"On {self.call_date.isoformat()} by {self.channel}, {who}{ref}: {self.summary}"


@dataclass(frozen=True)
class NoteInfo:
    id: int
    body: str
    created_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime
    has_file: bool = True  # False: imported from a workspace spreadsheet, which lists it only


@dataclass(frozen=True)
class StatusChange:
    from_status: str | None
    to_status: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class TaskInfo:
    id: int
    case_id: int
    kind: str
    title: str
    note: str
    due: dt.date
    assigned_to: UserRef | None
    done_at: dt.datetime | None
    done_by: str | None
    created_by: str
    created_at: dt.datetime

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class CaseDetail:
    id: int
    version: int
    status: str
    case: Case
    determination: Determination | None
    coverage_error: str | None
    coverage_checked_at: dt.datetime | None
    deadlines: list[DeadlineInfo]
    assigned_to: UserRef | None
    created_by: str
    created_at: dt.datetime
    updated_by: str
    updated_at: dt.datetime
    letters: list[LetterInfo] = field(default_factory=list)
    calls: list[CallInfo] = field(default_factory=list)
    notes: list[NoteInfo] = field(default_factory=list)
    documents: list[DocumentInfo] = field(default_factory=list)
    history: list[StatusChange] = field(default_factory=list)
    tasks: list[TaskInfo] = field(default_factory=list)

    @property
    def next_steps(self) -> list[str]:
        return pipeline.next_statuses(self.status)


@dataclass(frozen=True)
class BoardItem:
    case_id: int
    case_ref: str | None
    patient_name: str | None
    status: str
    assigned_to: UserRef | None
    title: str
    kind: str
    due: dt.date
    days: int  # negative: overdue by that many days


@dataclass(frozen=True)
class Board:
    today: dt.date
    overdue: list[BoardItem]
    due_soon: list[BoardItem]


# ---------------------------------------------------------------------------------------------
# Helpers


def _case(session: Session, actor: Actor, case_id: int) -> CaseRecord:
    record = session.scalar(
        select(CaseRecord).where(
            CaseRecord.id == case_id, CaseRecord.organisation_id == actor.organisation_id
        )
    )
    if record is None:
        raise NotFound(f"No case #{case_id} in your organisation.")
    return record


def _org_user(session: Session, actor: Actor, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or user.organisation_id != actor.organisation_id or not user.active:
        raise FieldProblem({"assigned_to": "is not an active user of your organisation"})
    return user


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows}


def _apply_facts(record: CaseRecord, case: Case) -> None:
    record.facts = facts.to_json(case)
    record.patient_name = case.patient.name
    record.member_id = case.patient.member_id
    record.patient_dob = case.patient.date_of_birth
    record.case_ref = case.case_id
    record.plan_id = case.plan


def _check_reference_free(
    session: Session, actor: Actor, reference: str | None, own_id: int | None = None
) -> None:
    """A case reference names one case in an organisation: a second use is refused."""
    if not reference:
        return
    stmt = select(CaseRecord.id).where(
        CaseRecord.organisation_id == actor.organisation_id, CaseRecord.case_ref == reference
    )
    if own_id is not None:
        stmt = stmt.where(CaseRecord.id != own_id)
    other = session.scalars(stmt.limit(1)).first()
    if other is not None:
        raise FieldProblem(
            {"case_id": f"is already the reference of case #{other} in your organisation"},
            {"case_id": label("case_id")},
        )


def case_numbers(
    session: Session, actor: Actor, references: Iterable[str | None]
) -> dict[str, int]:
    """Reference -> case number, for the given references the organisation uses."""
    wanted = sorted({r for r in references if r})
    if not wanted:
        return {}
    rows = session.execute(
        select(CaseRecord.case_ref, CaseRecord.id).where(
            CaseRecord.organisation_id == actor.organisation_id, CaseRecord.case_ref.in_(wanted)
        )
    )
    return {ref: number for ref, number in rows}


def _touch(session: Session, record: CaseRecord, user: User) -> None:
    """A call, note or document changes the case: its version goes up, so a colleague's open
    page sees that it is stale (the same warning as after a save)."""
    record.updated_by_id = user.id
    record.updated_at = utcnow()
    _flush(session, record, record.version)


def _apply_coverage(record: CaseRecord, result: CoverageResult) -> None:
    record.coverage = result.json
    record.coverage_error = result.error
    record.coverage_checked_at = utcnow()
    record.deadlines.clear()
    for position, d in enumerate(result.deadlines):
        record.deadlines.append(
            CaseDeadline(
                position=position,
                key=d.id,
                title=d.title,
                kind=d.kind,
                due=d.due,
                within=d.within,
                citation=d.citation,
                verified=d.verified,
            )
        )
    _apply_next_due(record)


def _apply_next_due(record: CaseRecord) -> None:
    kind = relevant_kind(record.status)
    dues = [d.due for d in record.deadlines if d.kind == kind and d.due is not None]
    record.next_due = min(dues) if dues else None


def _summary(record: CaseRecord, names: dict[int, str]) -> CaseSummary:
    assigned = (
        UserRef(record.assigned_to_id, names.get(record.assigned_to_id, "?"))
        if record.assigned_to_id is not None
        else None
    )
    return CaseSummary(
        id=record.id,
        version=record.version,
        status=record.status,
        case_ref=record.case_ref,
        patient_name=record.patient_name,
        plan_id=record.plan_id,
        assigned_to=assigned,
        next_due=record.next_due,
        updated_at=record.updated_at,
    )


def _flush(session: Session, record: CaseRecord, expected_version: int) -> None:
    """Flush the UPDATE ... WHERE version = expected; a lost race becomes CaseConflict."""
    case_id = record.id
    try:
        session.flush()
    except StaleDataError:
        # The session's transaction is rolled back: read the winner's version on a new connection.
        with session.get_bind().connect() as conn:
            current = conn.scalar(select(CaseRecord.version).where(CaseRecord.id == case_id))
        raise CaseConflict(case_id, expected_version, current) from None


# ---------------------------------------------------------------------------------------------
# Cases


def _task_info(task: Task, names: dict[int, str]) -> TaskInfo:
    assigned = (
        UserRef(task.assigned_to_id, names.get(task.assigned_to_id, "?"))
        if task.assigned_to_id is not None
        else None
    )
    return TaskInfo(
        task.id, task.case_id, task.kind, task.title, task.note, task.due, assigned,
        task.done_at, names.get(task.done_by_id) if task.done_by_id else None,
        names.get(task.created_by_id, "?"), task.created_at,
    )  # fmt: skip


def _longer_than(limit: int, **texts: str | None) -> dict[str, str]:
    """A problem for each text longer than `limit` characters (never repeats the text)."""
    return {
        name: f"is longer than {limit:,} characters"
        for name, text in texts.items()
        if text and len(text) > limit
    }


def _check_task(title: str, due: dt.date | None, kind: str, note: str | None = None) -> str:
    problems = _longer_than(MAX_TEXT, note=note)
    title = " ".join((title or "").split())
    if not title:
        problems["title"] = "is required (what is to be done)"
    elif len(title) > MAX_TASK_TITLE:
        problems["title"] = f"is longer than {MAX_TASK_TITLE} characters"
    if not isinstance(due, dt.date):
        problems["due"] = "is required (the day it is due)"
    if kind not in TASK_KINDS:
        problems["kind"] = "must be task, follow_up or handoff"
    if problems:
        raise FieldProblem(problems)
    return title


def _new_task(
    session: Session,
    actor: Actor,
    user: User,
    record: CaseRecord,
    *,
    title: str,
    due: dt.date,
    assigned_to_id: int | None,
    note: str = "",
    kind: str = "task",
) -> Task:
    """Add a task inside an open transaction (the call log and hand-offs use this too)."""
    title = _check_task(title, due, kind, note)
    _org_user(session, actor, assigned_to_id)
    task = Task(
        organisation_id=actor.organisation_id, case_id=record.id, kind=kind, title=title,
        note=(note or "").strip(), due=due, assigned_to_id=assigned_to_id,
        created_by_id=user.id, created_at=utcnow(),
    )  # fmt: skip
    session.add(task)
    session.flush()
    audit.record(
        session, "task_add", organisation_id=actor.organisation_id, user_id=user.id,
        object_type="case", object_id=record.id,
        detail=f"task #{task.id} kind={kind} "
        + (f"assigned_to=user#{assigned_to_id}" if assigned_to_id else "team"),
    )  # fmt: skip
    return task


def _hand_off(
    session: Session, actor: Actor, user: User, record: CaseRecord, note: str, day: dt.date
) -> None:
    """The receiver (or the team, when unassigned) gets a hand-off task with the note; the
    note is also kept on the case."""
    note = (note or "").strip()
    _new_task(session, actor, user, record, title=f"Hand-off from {user.display_name}",
              due=day, assigned_to_id=record.assigned_to_id, note=note, kind="handoff")  # fmt: skip
    if note:
        receiver = _names(session, [record.assigned_to_id]).get(record.assigned_to_id, "the team")
        kept = Note(case_id=record.id, body=f"Hand-off to {receiver}: {note}",
                    created_by_id=user.id, created_at=utcnow())  # fmt: skip
        session.add(kept)
        session.flush()
        audit.record(
            session, "note_add", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="case", object_id=record.id, detail=f"note #{kept.id} (hand-off)",
        )  # fmt: skip


def create_case(
    store: Store,
    actor: Actor,
    case: Case,
    *,
    assigned_to_id: int | None = _UNSET,
    status: str = "intake",
    as_of: dt.date | None = None,
) -> CaseDetail:
    """Store a new case in the actor's organisation (assigned to the actor unless told)."""
    if status not in pipeline.STATUSES:
        raise FieldProblem({"status": f"unknown status {status!r}"})
    result = coverage_check(case, as_of)
    with store.acting(actor) as (session, user):
        assignee = user.id if assigned_to_id is _UNSET else assigned_to_id
        record = _create_record(session, actor, user, case, result, status, assignee)
        return _detail(session, record)


def _create_record(
    session: Session,
    actor: Actor,
    user: User,
    case: Case,
    result: CoverageResult,
    status: str,
    assignee: int | None,
) -> CaseRecord:
    _org_user(session, actor, assignee)
    _check_reference_free(session, actor, case.case_id)
    now = utcnow()
    record = CaseRecord(
        organisation_id=actor.organisation_id,
        status=status,
        assigned_to_id=assignee,
        created_by_id=user.id,
        created_at=now,
        updated_by_id=user.id,
        updated_at=now,
    )
    _apply_facts(record, case)
    _apply_coverage(record, result)
    session.add(record)
    session.flush()
    session.add(StatusEvent(case_id=record.id, from_status=None, to_status=status,
                            user_id=user.id, at=now))  # fmt: skip
    audit.record(
        session, "case_create", organisation_id=actor.organisation_id, user_id=user.id,
        object_type="case", object_id=record.id, detail=f"status={status}",
    )  # fmt: skip
    return record


def save_case(
    store: Store,
    actor: Actor,
    case_id: int,
    expected_version: int,
    case: Case | None = None,
    *,
    status: str | None = None,
    assigned_to_id: int | None = _UNSET,
    handoff_note: str = "",
    as_of: dt.date | None = None,
) -> CaseDetail:
    """Save changes to a case the actor opened at `expected_version`.

    Any of the facts, the status and the assignee can change; the coverage answer and deadlines
    are recomputed from the facts. Handing the case to someone else puts a hand-off (with
    `handoff_note`) in their queue, due `as_of`. Raises CaseConflict when someone else saved in
    between.
    """
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        if record.version != expected_version:
            raise CaseConflict(case_id, expected_version, record.version)
        handing_over = assigned_to_id is not _UNSET and assigned_to_id not in (
            record.assigned_to_id,
            user.id,
        )
        if (handoff_note or "").strip() and not handing_over:
            raise FieldProblem({"handoff_note": "goes with a hand-off: choose the colleague "
                                "(Navigator) you hand the case to"}, {"handoff_note":
                                "Hand-off note"})  # fmt: skip
        # No autoflush: the one UPDATE (with its version check) happens in _flush below.
        with session.no_autoflush:
            old_case = facts.from_json(record.facts)
            new_case = case if case is not None else old_case
            changes = facts.diff_paths(old_case, new_case)
            if new_case.case_id != old_case.case_id:
                _check_reference_free(session, actor, new_case.case_id, record.id)
            status_detail = assign_detail = None
            if status is not None and status != record.status:
                pipeline.check_transition(record.status, status)
                session.add(StatusEvent(case_id=record.id, from_status=record.status,
                                        to_status=status, user_id=user.id, at=utcnow()))  # fmt: skip
                status_detail = f"{record.status} -> {status}"
                record.status = status
            if assigned_to_id is not _UNSET and assigned_to_id != record.assigned_to_id:
                _org_user(session, actor, assigned_to_id)
                record.assigned_to_id = assigned_to_id
                assign_detail = (
                    f"assigned_to=user#{assigned_to_id}" if assigned_to_id else "unassigned"
                )
            _apply_facts(record, new_case)
            _apply_coverage(record, coverage_check(new_case, as_of))
            record.updated_by_id = user.id
            record.updated_at = utcnow()
        _flush(session, record, expected_version)
        if changes:
            audit.record(
                session, "case_edit", organisation_id=actor.organisation_id, user_id=user.id,
                object_type="case", object_id=record.id, detail="fields: " + ", ".join(changes),
            )  # fmt: skip
        if status_detail:
            audit.record(
                session, "status_change", organisation_id=actor.organisation_id, user_id=user.id,
                object_type="case", object_id=record.id, detail=status_detail,
            )  # fmt: skip
        if assign_detail:
            audit.record(
                session, "case_edit", organisation_id=actor.organisation_id, user_id=user.id,
                object_type="case", object_id=record.id, detail=assign_detail,
            )  # fmt: skip
            if record.assigned_to_id != user.id:
                _hand_off(session, actor, user, record, handoff_note, as_of or dt.date.today())
        if not (changes or status_detail or assign_detail):
            audit.record(
                session, "coverage_check", organisation_id=actor.organisation_id,
                user_id=user.id, object_type="case", object_id=record.id,
                detail="answer" if record.coverage is not None else "no answer",
            )  # fmt: skip
        return _detail(session, record)


@dataclass(frozen=True)
class VersionInfo:
    version: int
    updated_by: str
    updated_at: dt.datetime


def current_version(store: Store, actor: Actor, case_id: int) -> VersionInfo:
    """The case's version now (cheap; not logged as a view), to warn a user whose copy is old."""
    with store.acting(actor) as (session, _):
        row = session.execute(
            select(CaseRecord.version, User.display_name, CaseRecord.updated_at)
            .join(User, User.id == CaseRecord.updated_by_id)
            .where(CaseRecord.id == case_id, CaseRecord.organisation_id == actor.organisation_id)
        ).first()
        if row is None:
            raise NotFound(f"No case #{case_id} in your organisation.")
        return VersionInfo(*row)


def open_case(store: Store, actor: Actor, case_id: int, *, record_view: bool = True) -> CaseDetail:
    """Everything about one case; logs a view unless `record_view` is False."""
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        if record_view:
            audit.record(
                session, "case_view", organisation_id=actor.organisation_id, user_id=user.id,
                object_type="case", object_id=record.id,
            )  # fmt: skip
        return _detail(session, record)


def _detail(session: Session, record: CaseRecord) -> CaseDetail:
    cid = record.id
    letters = session.scalars(select(Letter).where(Letter.case_id == cid).order_by(Letter.id)).all()
    calls = session.scalars(
        select(Call).where(Call.case_id == cid).order_by(Call.call_date, Call.id)
    ).all()
    notes = session.scalars(select(Note).where(Note.case_id == cid).order_by(Note.id)).all()
    docs = session.scalars(select(Document).where(Document.case_id == cid).order_by(Document.id))
    docs = docs.all()
    history = session.scalars(
        select(StatusEvent).where(StatusEvent.case_id == cid).order_by(StatusEvent.id)
    ).all()
    tasks = session.scalars(
        select(Task)
        .where(Task.case_id == cid)
        .order_by(Task.done_at.is_not(None), Task.due, Task.id)
    ).all()
    names = _names(
        session,
        [record.assigned_to_id, record.created_by_id, record.updated_by_id]
        + [x.created_by_id for x in letters]
        + [x.logged_by_id for x in calls]
        + [x.created_by_id for x in notes]
        + [x.uploaded_by_id for x in docs]
        + [x.user_id for x in history]
        + [x.sent_by_id for x in letters]
        + [i for t in tasks for i in (t.assigned_to_id, t.created_by_id, t.done_by_id)],
    )
    kind = relevant_kind(record.status)
    return CaseDetail(
        id=cid,
        version=record.version,
        status=record.status,
        case=facts.from_json(record.facts),
        determination=(
            Determination.model_validate(record.coverage) if record.coverage is not None else None
        ),
        coverage_error=record.coverage_error,
        coverage_checked_at=record.coverage_checked_at,
        deadlines=[
            DeadlineInfo(
                d.key, d.title, d.kind, d.due, d.within, d.citation, d.verified, d.kind == kind
            )  # fmt: skip
            for d in record.deadlines
        ],
        assigned_to=(
            UserRef(record.assigned_to_id, names.get(record.assigned_to_id, "?"))
            if record.assigned_to_id is not None
            else None
        ),
        created_by=names.get(record.created_by_id, "?"),
        created_at=record.created_at,
        updated_by=names.get(record.updated_by_id, "?"),
        updated_at=record.updated_at,
        letters=[
            LetterInfo(
                x.id,
                x.letter_type,
                x.template_version,
                x.sha256,
                x.size,
                x.filename,
                x.case_version,
                list(x.cited_call_ids or []),
                names.get(x.created_by_id, "?"),
                x.created_at,
                x.sent_on,
                x.sent_via,
                names.get(x.sent_by_id) if x.sent_by_id else None,
                x.voice or "patient",
                x.has_file,
            )  # fmt: skip
            for x in letters
        ],
        calls=[_call_info(x, names) for x in calls],
        notes=[
            NoteInfo(x.id, x.body, names.get(x.created_by_id, "?"), x.created_at) for x in notes
        ],
        documents=[_doc_info(x, names) for x in docs],
        history=[
            StatusChange(x.from_status, x.to_status, names.get(x.user_id, "?"), x.at)
            for x in history
        ],
        tasks=[_task_info(t, names) for t in tasks],
    )


def _call_info(x: Call, names: dict[int, str]) -> CallInfo:
    return CallInfo(x.id, x.call_date, x.channel, x.organisation, x.person, x.reference_number,
                    x.summary, names.get(x.logged_by_id, "?"), x.logged_at)  # fmt: skip


def _doc_info(x: Document, names: dict[int, str]) -> DocumentInfo:
    return DocumentInfo(x.id, x.kind, x.filename, x.content_type, x.size, x.sha256,
                        names.get(x.uploaded_by_id, "?"), x.uploaded_at, x.has_file)  # fmt: skip


def list_cases(
    store: Store,
    actor: Actor,
    *,
    search: str = "",
    statuses: Sequence[str] = (),
    plan_id: str | None = None,
    assigned_to_id: int | None = None,
    unassigned: bool = False,
    deadline: DeadlineFilter | None = None,
    today: dt.date | None = None,
    limit: int = 500,
) -> list[CaseSummary]:
    """The organisation's cases, filtered; soonest deadline first, then most recently updated.

    `search` matches the patient's name (also written "Last, First"), member id, case
    reference, date of birth (2026-05-04 or 05/04/2026), or `#<case number>`; every word must
    match.
    """
    today = today or dt.date.today()
    with store.acting(actor) as (session, _):
        stmt = select(CaseRecord).where(CaseRecord.organisation_id == actor.organisation_id)
        words = search.replace(",", " ").split()
        for word in words:
            term = word.lower()
            born = search_date(term)
            if born is not None:
                stmt = stmt.where(CaseRecord.patient_dob == born)
                continue
            conds = [
                func.lower(CaseRecord.patient_name).contains(term, autoescape=True),
                func.lower(CaseRecord.member_id).contains(term, autoescape=True),
                func.lower(CaseRecord.case_ref).contains(term, autoescape=True),
            ]
            number = term.removeprefix("#")
            if number.isdigit() and len(number) < 10:
                conds.append(CaseRecord.id == int(number))
            stmt = stmt.where(or_(*conds))
        if statuses:
            stmt = stmt.where(CaseRecord.status.in_(list(statuses)))
        if plan_id:
            stmt = stmt.where(CaseRecord.plan_id == plan_id)
        if unassigned:
            stmt = stmt.where(CaseRecord.assigned_to_id.is_(None))
        elif assigned_to_id is not None:
            stmt = stmt.where(CaseRecord.assigned_to_id == assigned_to_id)
        soon = today + dt.timedelta(days=DUE_SOON_DAYS)
        if deadline == "overdue":
            stmt = stmt.where(CaseRecord.next_due < today)
        elif deadline == "week":
            stmt = stmt.where(CaseRecord.next_due >= today, CaseRecord.next_due <= soon)
        elif deadline == "later":
            stmt = stmt.where(CaseRecord.next_due > soon)
        elif deadline == "none":
            stmt = stmt.where(CaseRecord.next_due.is_(None))
        stmt = stmt.order_by(
            CaseRecord.next_due.is_(None), CaseRecord.next_due, CaseRecord.updated_at.desc()
        ).limit(limit)
        records = session.scalars(stmt).all()
        names = _names(session, [r.assigned_to_id for r in records])
        return [_summary(r, names) for r in records]


def search_date(word: str) -> dt.date | None:
    """A search word that is a date: ISO (1971-05-04) or US style (05/04/1971, 5/4/1971)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
            return dt.date.fromisoformat(word)
        found = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", word)
        if found:
            month, day_, year = (int(x) for x in found.groups())
            return dt.date(year, month, day_)
    except ValueError:
        return None
    return None


def plan_ids_in_use(store: Store, actor: Actor) -> list[str]:
    with store.acting(actor) as (session, _):
        rows = session.scalars(
            select(CaseRecord.plan_id)
            .where(CaseRecord.organisation_id == actor.organisation_id)
            .where(CaseRecord.plan_id.is_not(None))
            .distinct()
        )
        return sorted(rows)


def deadline_board(
    store: Store, actor: Actor, *, today: dt.date | None = None, within_days: int = DUE_SOON_DAYS
) -> Board:
    """Deadlines that matter now: overdue, and due within `within_days` days (inclusive)."""
    today = today or dt.date.today()
    horizon = today + dt.timedelta(days=within_days)
    assignee = aliased(User)
    with store.acting(actor) as (session, _):
        relevant = or_(
            and_(CaseRecord.status.in_(WAITING_STATUSES), CaseDeadline.kind == "decide_by"),
            and_(CaseRecord.status.in_(ACTION_STATUSES), CaseDeadline.kind == "file_by"),
        )
        stmt = (
            select(CaseDeadline, CaseRecord, assignee.display_name)
            .join(CaseRecord, CaseRecord.id == CaseDeadline.case_id)
            .outerjoin(assignee, assignee.id == CaseRecord.assigned_to_id)
            .where(CaseRecord.organisation_id == actor.organisation_id)
            .where(CaseDeadline.due.is_not(None), CaseDeadline.due <= horizon)
            .where(relevant)
            .order_by(CaseDeadline.due, CaseRecord.id, CaseDeadline.position)
        )
        overdue: list[BoardItem] = []
        soon: list[BoardItem] = []
        for d, record, assignee_name in session.execute(stmt):
            item = BoardItem(
                case_id=record.id,
                case_ref=record.case_ref,
                patient_name=record.patient_name,
                status=record.status,
                assigned_to=(
                    UserRef(record.assigned_to_id, assignee_name)
                    if record.assigned_to_id is not None
                    else None
                ),
                title=d.title,
                kind=d.kind,
                due=d.due,
                days=(d.due - today).days,
            )
            (overdue if d.due < today else soon).append(item)
        return Board(today, overdue, soon)


# ---------------------------------------------------------------------------------------------
# Call log, notes, documents


def add_call(
    store: Store,
    actor: Actor,
    case_id: int,
    *,
    call_date: dt.date,
    person: str,
    summary: str,
    channel: str = "phone",
    organisation: str | None = None,
    reference_number: str | None = None,
    follow_up_on: dt.date | None = None,
    today: dt.date | None = None,
) -> CallInfo:
    """Log a call (or fax, portal message...): when, with whom, the reference number, what was
    said. Letters can cite these entries. `follow_up_on` puts a follow-up in the logger's queue."""
    today = today or dt.date.today()
    problems = {}
    person = " ".join((person or "").split())
    summary = (summary or "").strip()
    organisation = (organisation or "").strip()
    reference_number = (reference_number or "").strip()
    if not person:
        problems["person"] = "is required (who you spoke with, e.g. 'Dana, UM nurse')"
    if not summary:
        problems["summary"] = "is required (what was said)"
    problems |= _longer_than(MAX_LINE, person=person, organisation=organisation)
    problems |= _longer_than(MAX_REFERENCE, reference_number=reference_number)
    problems |= _longer_than(MAX_TEXT, summary=summary)
    if channel not in CHANNELS:
        problems["channel"] = f"must be one of {', '.join(CHANNELS)}"
    if call_date > today + dt.timedelta(days=1):
        problems["call_date"] = "is in the future"
    if follow_up_on is not None and follow_up_on < today:
        problems["follow_up_on"] = "is in the past"
    if problems:
        raise FieldProblem(problems)
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        call = Call(
            case_id=record.id,
            call_date=call_date,
            channel=channel,
            organisation=organisation or None,
            person=person,
            reference_number=reference_number or None,
            summary=summary,
            logged_by_id=user.id,
            logged_at=utcnow(),
        )
        session.add(call)
        session.flush()
        if follow_up_on is not None:
            _new_task(session, actor, user, record, title=f"Follow up: call with {person}"[:MAX_TASK_TITLE],
                      due=follow_up_on, assigned_to_id=user.id, kind="follow_up")  # fmt: skip
        _touch(session, record, user)
        audit.record(
            session, "call_add", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="case", object_id=record.id, detail=f"call #{call.id} channel={channel}",
        )  # fmt: skip
        return _call_info(call, {user.id: user.display_name})


def add_note(store: Store, actor: Actor, case_id: int, body: str) -> NoteInfo:
    body = (body or "").strip()
    if not body:
        raise FieldProblem({"note": "is empty"})
    if problems := _longer_than(MAX_TEXT, note=body):
        raise FieldProblem(problems)
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        note = Note(case_id=record.id, body=body, created_by_id=user.id, created_at=utcnow())
        session.add(note)
        session.flush()
        _touch(session, record, user)
        audit.record(
            session, "note_add", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="case", object_id=record.id, detail=f"note #{note.id}",
        )  # fmt: skip
        return NoteInfo(note.id, note.body, user.display_name, note.created_at)


def _safe_filename(name: str) -> str:
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/\\|?*').strip(". ")
    return base[:255] or "document"


def add_document(
    store: Store,
    actor: Actor,
    case_id: int,
    *,
    kind: str,
    filename: str,
    content_type: str | None,
    data: bytes,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> DocumentInfo:
    """Keep an uploaded document (the denial letter, records...) with the case."""
    problems = {}
    if kind not in DOCUMENT_KINDS:
        problems["kind"] = f"must be one of {', '.join(DOCUMENT_KINDS)}"
    if not data:
        problems["file"] = "is empty"
    elif len(data) > max_bytes:
        problems["file"] = f"is larger than {max_bytes / (1024 * 1024):g} MB"
    if problems:
        raise FieldProblem(problems)
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        doc = Document(
            case_id=record.id,
            kind=kind,
            filename=_safe_filename(filename),
            content_type=(content_type or "application/octet-stream")[:200],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content=data,
            uploaded_by_id=user.id,
            uploaded_at=utcnow(),
        )
        session.add(doc)
        session.flush()
        _touch(session, record, user)
        # The file name is not logged: it often contains the patient's name.
        audit.record(
            session, "document_upload", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="case", object_id=record.id,
            detail=f"document #{doc.id} kind={kind} bytes={doc.size}",
        )  # fmt: skip
        return _doc_info(doc, {user.id: user.display_name})


def document_content(
    store: Store, actor: Actor, case_id: int, document_id: int
) -> tuple[DocumentInfo, bytes]:
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        doc = session.scalar(
            select(Document).where(Document.id == document_id, Document.case_id == record.id)
        )
        if doc is None:
            raise NotFound(f"No document #{document_id} in case #{case_id}.")
        if not doc.content and doc.size:
            raise NavigatorError(
                f"Document #{document_id} was imported from a spreadsheet without its file (a "
                "workspace XLSX lists documents only); the JSON export carries the files."
            )
        audit.record(
            session, "document_download", organisation_id=actor.organisation_id,
            user_id=user.id, object_type="case", object_id=record.id,
            detail=f"document #{doc.id}",
        )  # fmt: skip
        names = _names(session, [doc.uploaded_by_id])
        return _doc_info(doc, names), doc.content
