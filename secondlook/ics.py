"""Calendar export (RFC 5545 iCalendar) for the deadlines in a determination.

The events hold no member data (no name, member id or diagnosis): calendars sync to phones and
cloud services, so an event says only what is due, when, and under which rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from coverage.determination import Deadline
from coverage.text import say

PRODID = "-//Second Look//Second opinion deadlines//EN"
REMINDER_DAYS = 3


def _escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = " " + char
            limit = 75
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def _uid(deadline: Deadline, due: dt.date, scope: str) -> str:
    # Stable across downloads, so importing the file again updates the event instead of doubling
    # it. The scope (plan id) keeps two plans' deadlines apart; it is not member data.
    digest = hashlib.sha256(f"{scope}|{deadline.id}|{due.isoformat()}".encode()).hexdigest()
    return f"{digest[:32]}@secondlook"


def _description(deadline: Deadline, language: str) -> str:
    lines = [
        deadline.within,
        say("app.calendar.worked_out", language, basis=deadline.basis),
        deadline.citation,
    ]
    if not deadline.verified:
        lines.append(say("app.calendar.unconfirmed", language))
    lines.append(say("app.calendar.notice_counts", language))
    return "\n".join(lines)


def deadlines_to_ics(
    deadlines: Iterable[Deadline],
    *,
    scope: str = "",
    now: dt.datetime | None = None,
    language: str = "en",
) -> bytes:
    """An .ics calendar with one all-day event (and a reminder) per deadline that has a date,
    in the patient's language (the deadlines come worded in it).

    Deadlines without a computed date are left out: a calendar entry needs a day.
    """
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for deadline in deadlines:
        if deadline.due is None:
            continue
        due = deadline.due
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid(deadline, due, scope)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{due.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(due + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape(deadline.title)}",
            f"DESCRIPTION:{_escape(_description(deadline, language))}",
            "TRANSP:TRANSPARENT",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{_escape(say('app.calendar.coming_up', language, title=deadline.title))}",
            f"TRIGGER:-P{REMINDER_DAYS}D",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def has_dated(deadlines: Iterable[Deadline]) -> bool:
    return any(d.due is not None for d in deadlines)
