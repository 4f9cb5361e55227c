"""Calendar export: valid RFC 5545, one event per dated deadline, no member data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from coverage.determination import Deadline
from secondlook import ics, service

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 3, 10, 15, 4, 5, tzinfo=dt.UTC)


def deadline(**overrides) -> Deadline:
    data = dict(
        id="external_review_file_by",
        title="Ask for an outside review",
        kind="file_by",
        due=dt.date(2026, 7, 6),
        within="4 months after you got the final no",
        basis="You got the final no on March 6, 2026; 4 months later is July 6, 2026.",
        citation="45 CFR 147.136(d)(2)(i)",
        verified=True,
        last_verified=dt.date(2026, 1, 15),
    )
    data.update(overrides)
    return Deadline(**data)


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def events(lines: list[str]) -> list[dict[str, str]]:
    found, current, depth = [], None, 0
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif line == "BEGIN:VALARM":
            depth += 1
        elif line == "END:VALARM":
            depth -= 1
        elif current is not None and depth == 0:
            key, _, value = line.partition(":")
            current[key] = value
    return found


def test_one_all_day_event_per_dated_deadline():
    data = ics.deadlines_to_ics(
        [deadline(), deadline(id="no_date", due=None)], scope="plan-a", now=NOW
    )
    lines = unfold(data.decode("utf-8"))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    (event,) = events(lines)
    assert event["DTSTART;VALUE=DATE"] == "20260706"
    assert event["DTEND;VALUE=DATE"] == "20260707"
    assert event["DTSTAMP"] == "20260310T150405Z"
    assert event["SUMMARY"] == "Ask for an outside review"
    assert "45 CFR 147.136(d)(2)(i)" in event["DESCRIPTION"]
    assert "TRIGGER:-P3D" in lines


def test_lines_are_folded_at_75_octets_and_text_is_escaped():
    long_basis = "Ünïcödé, with; commas\\ and a newline\n" * 10
    data = ics.deadlines_to_ics([deadline(basis=long_basis)], now=NOW)
    for physical in data.split(b"\r\n"):
        assert len(physical) <= 75
    text = data.decode("utf-8")  # folding never splits a UTF-8 character
    (event,) = events(unfold(text))
    description = event["DESCRIPTION"]
    assert "\\;" in description and "\\," in description and "\\\\" in description
    assert "\\n" in description and "\n" not in description


def test_uid_is_stable_and_scoped_to_the_plan():
    first = events(unfold(ics.deadlines_to_ics([deadline()], scope="a", now=NOW).decode()))
    again = events(unfold(ics.deadlines_to_ics([deadline()], scope="a", now=NOW).decode()))
    other = events(unfold(ics.deadlines_to_ics([deadline()], scope="b", now=NOW).decode()))
    assert first[0]["UID"] == again[0]["UID"] != other[0]["UID"]


def test_unverified_rules_say_so():
    (event,) = events(
        unfold(ics.deadlines_to_ics([deadline(verified=False)], now=NOW).decode("utf-8"))
    )
    assert "not yet confirmed" in event["DESCRIPTION"]


def test_real_case_calendar_has_no_member_data():
    case = service.load_case(ROOT / "examples" / "cases" / "ny-final-denial-external-review.yaml")
    answer = service.check(case)
    assert ics.has_dated(answer.deadlines)
    text = ics.deadlines_to_ics(answer.deadlines, scope=answer.plan_id, now=NOW).decode()
    for private in (case.patient.name, case.patient.member_id, case.diagnosis.description):
        if private:
            assert private not in text
    assert len(events(unfold(text))) == sum(1 for d in answer.deadlines if d.due)
