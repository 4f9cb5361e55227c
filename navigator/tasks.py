"""Tasks and "My day": what each navigator (and the team) has to do, soonest first.

A task belongs to a case and has a due day, an assignee (none: the team's) and a note. Follow-ups
come from the call log ("follow up on"), hand-offs from a colleague handing a case over with a
note. The queue puts these together with the legal deadlines the coverage check worked out for
each case (the clock that matters for the case's status, as on the deadline board): overdue
first, then due today, then the coming week.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from navigator import audit
from navigator.cases import (
    ACTION_STATUSES,
    DUE_SOON_DAYS,
    TASK_KINDS,
    WAITING_STATUSES,
    TaskInfo,
    UserRef,
    _case,
    _check_task,
    _names,
    _new_task,
    _task_info,
)
from navigator.errors import NotFound
from navigator.store import Actor, Store
from navigator.tables import CaseDeadline, CaseRecord, Task, User, utcnow

KINDS = {**TASK_KINDS, "deadline": "Deadline"}
__all__ = ["DUE_SOON_DAYS", "KINDS", "Queue", "QueueItem", "TaskInfo", "add_task", "case_tasks",
           "my_day", "queue_to_ics", "set_done"]  # fmt: skip
_UNSET: Any = object()


@dataclass(frozen=True)
class QueueItem:
    kind: str  # task | follow_up | handoff | deadline
    title: str
    note: str
    due: dt.date
    days: int  # negative: overdue by that many days
    case_id: int
    case_ref: str | None
    patient_name: str | None
    status: str
    assigned_to: UserRef | None
    task_id: int | None = None  # None for a legal deadline (it goes away when the case moves)


@dataclass(frozen=True)
class Queue:
    today: dt.date
    overdue: list[QueueItem]
    due_today: list[QueueItem]
    this_week: list[QueueItem]

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due_today) + len(self.this_week)


def add_task(
    store: Store,
    actor: Actor,
    case_id: int,
    *,
    title: str,
    due: dt.date,
    assigned_to_id: int | None = _UNSET,
    note: str = "",
    kind: str = "task",
) -> TaskInfo:
    """A task on a case, for the actor unless another user (or None: the team) is named."""
    _check_task(title, due, kind, note)
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        assignee = user.id if assigned_to_id is _UNSET else assigned_to_id
        task = _new_task(session, actor, user, record, title=title, due=due,
                        assigned_to_id=assignee, note=note, kind=kind)  # fmt: skip
        return _task_info(task, _names(session, [task.assigned_to_id, task.created_by_id]))


def set_done(store: Store, actor: Actor, task_id: int, done: bool = True) -> TaskInfo:
    """Tick a task off (or open it again)."""
    with store.acting(actor) as (session, user):
        task = session.scalar(
            select(Task).where(Task.id == task_id, Task.organisation_id == actor.organisation_id)
        )
        if task is None:
            raise NotFound(f"No task #{task_id} in your organisation.")
        task.done_at = utcnow() if done else None
        task.done_by_id = user.id if done else None
        audit.record(
            session, "task_done" if done else "task_reopen",
            organisation_id=actor.organisation_id, user_id=user.id, object_type="case",
            object_id=task.case_id, detail=f"task #{task.id}",
        )  # fmt: skip
        names = _names(session, [task.assigned_to_id, task.created_by_id, task.done_by_id])
        return _task_info(task, names)


def case_tasks(store: Store, actor: Actor, case_id: int) -> list[TaskInfo]:
    """A case's tasks: open ones by due day, then the done ones."""
    with store.acting(actor) as (session, _):
        record = _case(session, actor, case_id)
        rows = session.scalars(
            select(Task)
            .where(Task.case_id == record.id)
            .order_by(Task.done_at.is_not(None), Task.due, Task.id)
        ).all()
        ids = [x for t in rows for x in (t.assigned_to_id, t.created_by_id, t.done_by_id)]
        names = _names(session, ids)
        return [_task_info(t, names) for t in rows]


def my_day(
    store: Store,
    actor: Actor,
    *,
    today: dt.date,
    team: bool = False,
    within_days: int = DUE_SOON_DAYS,
) -> Queue:
    """The actor's queue (or, with `team`, everyone's): open tasks and the legal deadlines that
    count now, overdue first, then today, then up to `within_days` days ahead."""
    horizon = today + dt.timedelta(days=within_days)
    items = _task_items(store, actor, today, horizon, team) + _deadline_items(
        store, actor, today, horizon, team
    )
    items.sort(key=lambda i: (i.due, i.kind == "deadline", i.case_id, i.task_id or 0))
    return Queue(
        today,
        [i for i in items if i.due < today],
        [i for i in items if i.due == today],
        [i for i in items if i.due > today],
    )


def _task_items(
    store: Store, actor: Actor, today: dt.date, horizon: dt.date, team: bool
) -> list[QueueItem]:
    assignee = aliased(User)
    with store.acting(actor) as (session, _):
        stmt = (
            select(Task, CaseRecord, assignee.display_name)
            .join(CaseRecord, CaseRecord.id == Task.case_id)
            .outerjoin(assignee, assignee.id == Task.assigned_to_id)
            .where(Task.organisation_id == actor.organisation_id, Task.done_at.is_(None))
            .where(Task.due <= horizon)
        )
        if not team:
            stmt = stmt.where(Task.assigned_to_id == actor.user_id)
        return [
            QueueItem(
                kind=task.kind,
                title=task.title,
                note=task.note,
                due=task.due,
                days=(task.due - today).days,
                case_id=record.id,
                case_ref=record.case_ref,
                patient_name=record.patient_name,
                status=record.status,
                assigned_to=UserRef(task.assigned_to_id, name) if task.assigned_to_id else None,
                task_id=task.id,
            )  # fmt: skip
            for task, record, name in session.execute(stmt)
        ]


def _deadline_items(
    store: Store, actor: Actor, today: dt.date, horizon: dt.date, team: bool
) -> list[QueueItem]:
    assignee = aliased(User)
    relevant = or_(
        and_(CaseRecord.status.in_(WAITING_STATUSES), CaseDeadline.kind == "decide_by"),
        and_(CaseRecord.status.in_(ACTION_STATUSES), CaseDeadline.kind == "file_by"),
    )
    with store.acting(actor) as (session, _):
        stmt = (
            select(CaseDeadline, CaseRecord, assignee.display_name)
            .join(CaseRecord, CaseRecord.id == CaseDeadline.case_id)
            .outerjoin(assignee, assignee.id == CaseRecord.assigned_to_id)
            .where(CaseRecord.organisation_id == actor.organisation_id)
            .where(CaseDeadline.due.is_not(None), CaseDeadline.due <= horizon)
            .where(relevant)
        )
        if not team:
            stmt = stmt.where(CaseRecord.assigned_to_id == actor.user_id)
        return [
            QueueItem(
                kind="deadline",
                title=d.title,
                note=d.within,
                due=d.due,
                days=(d.due - today).days,
                case_id=record.id,
                case_ref=record.case_ref,
                patient_name=record.patient_name,
                status=record.status,
                assigned_to=(
                    UserRef(record.assigned_to_id, name) if record.assigned_to_id else None
                ),
            )  # fmt: skip
            for d, record, name in session.execute(stmt)
        ]


def queue_to_ics(queue: Queue, *, now: dt.datetime | None = None) -> bytes:
    """The queue as an iCalendar file (all-day events): calendars sync to phones and cloud
    services, so an event names only its kind, the case number and, for a legal deadline, the
    rule's title; never a patient, a typed task title or a note."""
    from secondlook.ics import PRODID, _escape, _fold

    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]  # fmt: skip
    for item in queue.overdue + queue.due_today + queue.this_week:
        what = KINDS.get(item.kind, item.kind)
        summary = f"{what} · case #{item.case_id}"
        if item.kind == "deadline":
            summary += f": {item.title}"
        key = f"{item.case_id}|{item.kind}|{item.task_id or item.title}|{item.due.isoformat()}"
        uid = hashlib.sha256(key.encode()).hexdigest()[:32]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@secondlook-navigator",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{item.due.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(item.due + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape(summary)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
