"""The audit log: who did what to which object, and when.

`detail` is built only from ids, field names, letter types, counts and formats, never from member
data (patient name, date of birth, member id, diagnosis) or free text typed by a user (file names,
search words), so the log can be read, exported and shipped to a log server safely. Each event is
also written to the Python logger `navigator.audit` with the same safe text.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from navigator.tables import AuditEvent, User, utcnow

log = logging.getLogger("navigator.audit")

Action = Literal[
    "setup",
    "login",
    "login_failed",
    "logout",
    "user_create",
    "user_update",
    "organisation_create",
    "case_create",
    "case_view",
    "case_edit",
    "status_change",
    "coverage_check",
    "letter_generate",
    "letter_download",
    "letter_sent",
    "authorization_form",
    "document_upload",
    "document_download",
    "call_add",
    "note_add",
    "task_add",
    "task_done",
    "task_reopen",
    "export",
    "import",
    "audit_view",
    "template_upload",
    "template_remove",
]


def record(
    session: Session,
    action: Action,
    *,
    organisation_id: int | None,
    user_id: int | None,
    object_type: str | None = None,
    object_id: int | None = None,
    detail: str = "",
) -> AuditEvent:
    event = AuditEvent(
        at=utcnow(),
        organisation_id=organisation_id,
        user_id=user_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
    session.add(event)
    log.info(
        "%s org=%s user=%s %s%s %s",
        action,
        organisation_id,
        user_id,
        object_type or "-",
        f"#{object_id}" if object_id is not None else "",
        detail,
    )
    return event


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    username: str | None
    action: str
    object_type: str | None
    object_id: int | None
    detail: str


def rows(session: Session, organisation_id: int, *, limit: int = 500) -> list[AuditRow]:
    """The newest events of one organisation, newest first."""
    stmt = (
        select(AuditEvent, User.username)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.organisation_id == organisation_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return [
        AuditRow(e.id, e.at, name, e.action, e.object_type, e.object_id, e.detail)
        for e, name in session.execute(stmt)
    ]
