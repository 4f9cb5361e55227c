"""The database tables (SQLAlchemy 2 declarative). Migrations in navigator/migrations/ create them.

Member data lives only in `cases` (the case facts as JSON plus a few copied columns for search),
`calls`, `notes`, `documents` and `letters`. `audit_events.detail` never holds member data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # A short name typed at sign-in when a server holds several organisations (usernames are
    # unique only within one organisation).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    # IANA zone (e.g. America/Chicago) for dates when neither the user nor the browser gives one.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # Where a plan answers a letter a navigator signs as the patient's representative: the
    # organisation's postal address (one line per line) and phone (the navigator's e-mail is
    # their own).
    letter_address: Mapped[str | None] = mapped_column(Text)
    letter_phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrganisationTemplate(Base):
    """An organisation's letterhead (kind "letterhead") or own template for a letter type
    (kind = the letter type), checked by letters.organisation on upload."""

    __tablename__ = "organisation_templates"
    __table_args__ = (
        Index("uq_organisation_templates_org_kind", "organisation_id", "kind", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(60))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    # Unique within an organisation only: an admin learns nothing about other organisations.
    __table_args__ = (
        UniqueConstraint("organisation_id", "username", name="uq_users_org_username"),
        UniqueConstraint("organisation_id", "email", name="uq_users_org_email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # navigator | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A one-time password (new account, reset) must be replaced at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Raised by a password change or reset and by deactivation: every open session of the
    # account (which remembers the epoch it signed in at) ends at its next action.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


class CaseRecord(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_org_status", "organisation_id", "status"),
        Index("ix_cases_org_next_due", "organisation_id", "next_due"),
        Index("ix_cases_org_patient_dob", "organisation_id", "patient_dob"),
        Index("ix_cases_org_case_ref", "organisation_id", "case_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(30))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Copied from the facts on every save, for search and filters.
    patient_name: Mapped[str | None] = mapped_column(String(300))
    member_id: Mapped[str | None] = mapped_column(String(100))
    patient_dob: Mapped[dt.date | None] = mapped_column(Date)
    case_ref: Mapped[str | None] = mapped_column(String(64))
    plan_id: Mapped[str | None] = mapped_column(String(200))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The coverage answer as of the last save (Determination JSON) or why there is none.
    coverage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    coverage_error: Mapped[str | None] = mapped_column(Text)
    coverage_checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_due: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    deadlines: Mapped[list[CaseDeadline]] = relationship(
        cascade="all, delete-orphan", order_by="CaseDeadline.position"
    )


class CaseDeadline(Base):
    """One deadline from the coverage core's answer, kept in a table for the deadline board."""

    __tablename__ = "case_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # file_by | decide_by
    due: Mapped[dt.date | None] = mapped_column(Date, index=True)
    within: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(Boolean)


class StatusEvent(Base):
    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Letter(Base):
    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    letter_type: Mapped[str] = mapped_column(String(60))
    template_version: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # False for a letter imported from a workspace spreadsheet, which lists letters without
    # their files (read without loading the file).
    has_file: Mapped[bool] = column_property((func.length(content) > 0) | (size == 0))
    case_version: Mapped[int] = mapped_column(Integer)
    cited_call_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "Mark sent": the day it went out (the user's day), how, who recorded it and when.
    sent_on: Mapped[dt.date | None] = mapped_column(Date)
    sent_via: Mapped[str | None] = mapped_column(String(20))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Who signs: "patient" (her own letter) or "representative" (the navigator who made it, as
    # her authorised representative); NULL for letters made before voices existed (hers).
    voice: Mapped[str | None] = mapped_column(String(20))


class Call(Base):
    """The call log / evidence tracker: who said what, when, and the reference number."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    call_date: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))  # phone | fax | portal | email | mail | visit
    organisation: Mapped[str | None] = mapped_column(String(300))
    person: Mapped[str] = mapped_column(String(300))
    reference_number: Mapped[str | None] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    logged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    has_file: Mapped[bool] = column_property((func.length(content) > 0) | (size == 0))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Task(Base):
    """Work on a case with a due day: a task, a follow-up (from the call log) or a hand-off
    (from a colleague, with their note). Unassigned tasks belong to the team's queue."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_org_done_due", "organisation_id", "done_at", "due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # task | follow_up | handoff
    title: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    due: Mapped[dt.date] = mapped_column(Date)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Who did what, when. `detail` holds ids, field names and counts only, never member data."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class LoginThrottle(Base):
    """Sign-in attempts counted per key (`account:<user id>:<source>` and `source:<source>`) in a
    fixed window. A slot is taken atomically (one INSERT … ON CONFLICT DO UPDATE … RETURNING)
    before the password is checked, so parallel attempts cannot slip past the limit."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
