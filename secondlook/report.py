"""Plain-text rendering of a determination, for `secondlook check` and logs-free printing.

The words are in data/text/<language>/report.yaml; the answer's own sentences come with it."""

from __future__ import annotations

from coverage.determination import Determination
from coverage.text import say


def _label(key: str, value: str) -> str:
    return f"{say(f'report.label.{key}'):<22} {value}"


def _head(d: Determination) -> list[str]:
    pa = say(f"report.pa.{d.pa_needed}") if d.pa_needed else say("report.not_applicable")
    network = say(f"report.network.{d.network.outcome}")
    return [
        say("report.heading", plan=d.plan_name, day=d.as_of),
        "",
        f"{say(f'report.covered.{d.covered}').upper()}: {d.headline}",
        "",
        _label("network", f"{network}. {d.network.explanation}"),
        _label("prior_auth", pa),
        _label("referral", d.referral_needed or say("report.not_applicable")),
        _label("cost", d.cost_sharing.summary),
        _label("governing_law", d.governing_law),
    ]


def _deadlines(d: Determination) -> list[str]:
    lines = ["", say("report.deadlines")]
    for dl in d.deadlines:
        due = dl.due.isoformat() if dl.due else say("report.no_date")
        flag = "" if dl.verified else "  " + say("report.unverified_flag")
        lines.append(f"  {due:<10}  {dl.title}: {dl.within}. {dl.basis} [{dl.citation}]{flag}")
    return lines


def _trace(d: Determination) -> list[str]:
    lines = ["", say("report.rules")]
    for t in d.trace:
        verified = (
            say("report.last_verified", day=t.last_verified)
            if t.last_verified
            else say("report.date_unknown")
        )
        if not t.verified:
            verified += ", " + say("report.unverified")
        over = " " + say("report.wins_over", rules=", ".join(t.overrides)) if t.overrides else ""
        lines.append(f"  [{t.layer}/{t.priority}] {t.status:<14} {t.title}{over}")
        lines.append(f"      {t.effect}")
        lines.append(f"      {t.citation}; {verified}")
    return lines


def determination_text(d: Determination) -> str:
    out = _head(d)
    if d.info_needed:
        out += ["", say("report.need_to_know")]
        out += [f"  - {need.question}  [{need.field}] {need.why}" for need in d.info_needed]
    out += ["", say("report.next_steps")]
    out += [f"  {n}. {step}" for n, step in enumerate(d.next_steps, 1)]
    if d.deadlines:
        out += _deadlines(d)
    if d.letters:
        out += ["", say("report.letters", letters=", ".join(d.letters))]
    if d.unverified:
        out += ["", say("report.confirm")]
        out += [f"  - {item}" for item in d.unverified]
    out += _trace(d)
    out += ["", d.disclaimer]
    return "\n".join(out)
