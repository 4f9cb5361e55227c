"""The deadline calculator: when the patient must file, and when the plan or reviewer must decide.

Every figure comes from the law book (data/rules/parameters/*.yaml, keyed by effective date);
this module only does the calendar arithmetic and says, as messages (data/text/<language>/
deadlines.yaml) with the dates, how each date was reached. Rules it follows:

- Day counts are calendar days. A clock in hours is shown as calendar days rounded up
  (72 hours -> 3 days), and the basis says so.
- Only the federal external review window moves off a weekend or federal holiday to the next
  business day (regulatory-facts.md section 2). For every other window the law data says nothing
  about weekends, so the date is not moved and the basis says to file before it.
- When a notice's receipt date is unknown, filing windows that run from receipt are counted from
  the date printed on the notice (earlier, so conservative) and the basis says so; windows that
  run from the notice date are never counted from a later date.
- A figure not in force on the date that matters (for example a notice older than the data) gives
  a deadline without a date, marked unverified, instead of a guess.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from functools import lru_cache

from coverage._memo import IdentityCache
from coverage.case import Case, Denial
from coverage.decision import DeadlineFacts
from coverage.law import LawBook, Parameter
from coverage.markets import MarketProfile, profile
from coverage.plan import Plan
from coverage.statements import say
from coverage.text import LANGUAGES, Amount, Cited, Msg, msg

# Federal holidays (5 U.S.C. 6103) in their present form: Veterans Day back on November 11 from
# 1978, Martin Luther King Jr. Day from 1986, Juneteenth from 2021.
FIRST_HOLIDAY_YEAR = 1978
MON, THU, SAT, SUN = 0, 3, 5, 6


# --- calendar ------------------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    """A holiday on a Saturday is observed on the Friday before, on a Sunday the Monday after."""
    if day.weekday() == SAT:
        return day - dt.timedelta(days=1)
    if day.weekday() == SUN:
        return day + dt.timedelta(days=1)
    return day


@lru_cache(maxsize=256)
def federal_holidays(year: int) -> frozenset[dt.date]:
    """The observed federal holidays that fall in `year`.

    Observed dates: a holiday on a Saturday is observed on the Friday before, on a Sunday on the
    Monday after. So New Year's Day on a Saturday (2022) is observed on Friday December 31 of the
    year before, and that date belongs to the earlier year's set.
    """
    if not FIRST_HOLIDAY_YEAR <= year <= dt.MAXYEAR - 1:
        raise ValueError(
            f"federal holidays are computed for {FIRST_HOLIDAY_YEAR} to {dt.MAXYEAR - 1}, "
            f"not {year}"
        )
    fixed = [(1, 1), (7, 4), (11, 11), (12, 25)]
    if year >= 2021:
        fixed.append((6, 19))  # Juneteenth National Independence Day
    days = {_observed(dt.date(year, month, day)) for month, day in fixed}
    days.add(_observed(dt.date(year + 1, 1, 1)))  # next New Year's Day, observed December 31
    if year >= 1986:
        days.add(_nth_weekday(year, 1, MON, 3))  # Birthday of Martin Luther King, Jr.
    days.add(_nth_weekday(year, 2, MON, 3))  # Washington's Birthday
    days.add(_last_weekday(year, 5, MON))  # Memorial Day
    days.add(_nth_weekday(year, 9, MON, 1))  # Labor Day
    days.add(_nth_weekday(year, 10, MON, 2))  # Columbus Day
    days.add(_nth_weekday(year, 11, THU, 4))  # Thanksgiving Day
    return frozenset(day for day in days if day.year == year)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < SAT and day not in federal_holidays(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """`day` itself when it is a business day, else the next one (no weekend, no federal holiday)."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day of the month `months` months later; if that month has no such day, the 1st
    day of the month after it (2026-10-30 + 4 months -> 2027-03-01)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day <= last:
        return dt.date(year, month, start.day)
    return dt.date(year, month, last) + dt.timedelta(days=1)


# --- figures from the law book -------------------------------------------------------------------


def _figure(law: LawBook, name: str, day: dt.date) -> tuple[int | None, Parameter]:
    """The whole-number value of parameter `name` in force on `day` (None when the data has no
    value then), with its citation record. An unknown name is an error (KeyError)."""
    try:
        value, parameter = law.param(name, day)
    except KeyError:
        raise
    except LookupError:
        return None, law.parameters[name]
    if value != value.to_integral_value():
        raise ValueError(f"parameter {name!r} must be a whole number for deadlines, got {value}")
    return int(value), parameter


class _LawMemo:
    """What depends on the (frozen) law book alone: figures by (name, day) and parameter
    citations. Bounded: the figures are cleared when they grow past MAX."""

    MAX = 4096

    def __init__(self, law: LawBook) -> None:
        self.law = law
        self.figures: dict[tuple[str, dt.date], tuple[int | None, Parameter]] = {}
        # Parameter.citation joins its references on every call: once per parameter here.
        self.citations: dict[int, tuple[Parameter, str]] = {}  # keeps the parameter alive
        self.made: dict[tuple, tuple[DeadlineFacts, ...]] = {}
        self.notes: dict[tuple[str, dt.date], Cited | None] = {}

    def citation(self, parameter: Parameter) -> str:
        hit = self.citations.get(id(parameter))
        if hit is None:
            hit = self.citations[id(parameter)] = (parameter, parameter.citation)
        return hit[1]

    def facts(self, key: tuple, out: list[DeadlineFacts], compute) -> None:  # noqa: ANN001
        """Append the deadlines `compute()` appends to `out`, worked out once per `key` (the
        arguments they are made from: equal cases on other plans share them)."""
        hit = self.made.get(key)
        if hit is None:
            start = len(out)
            compute()
            if len(self.made) >= self.MAX:
                self.made.clear()
            self.made[key] = tuple(out[start:])
        else:
            out.extend(hit)

    def note(self, name: str, day: dt.date) -> Cited | None:
        """Statement `name` in words in every language, for a note beside a clock."""
        key = (name, day)
        if key not in self.notes:
            self.notes[key] = _note(self.law, name, day)
        return self.notes[key]

    def figure(self, name: str, day: dt.date) -> tuple[int | None, Parameter]:
        key = (name, day)
        hit = self.figures.get(key)
        if hit is None:
            hit = _figure(self.law, name, day)  # errors are raised, never cached
            if len(self.figures) >= self.MAX:
                self.figures.clear()
            self.figures[key] = hit
        return hit


_LAW_MEMOS: IdentityCache[_LawMemo] = IdentityCache(maxsize=8)


def _note(law: LawBook, name: str, day: dt.date) -> Cited | None:
    texts = []
    for language in LANGUAGES:
        said = say(law, name, day, lang=language, as_law=False)
        if said is None:
            return None
        texts.append((language, said.text))
    return Cited(tuple(texts), "")


EMPTY = ""  # a part of a sentence that says nothing


def sentences(*parts: Msg | str) -> Msg:
    """Sentences said one after the other (empty parts left out)."""
    return msg("text.sentences", parts=tuple(p for p in parts if p))


def _as_days(value: int, unit: str) -> int:
    return math.ceil(value / 24) if unit == "hour" else value


def _weekend_note(due: dt.date) -> Msg | str:
    """For windows that do not roll forward: say so when the date is not a business day."""
    if is_business_day(due):
        return EMPTY
    what = {SAT: "saturday", SUN: "sunday"}.get(due.weekday(), "holiday")
    return msg("deadlines.basis.weekend", what=Msg(f"deadlines.basis.{what}"))


def _late_note(due: dt.date, as_of: dt.date) -> Msg | str:
    return EMPTY if due >= as_of else msg("deadlines.basis.late", today=as_of)


def _title(name: str) -> Msg:
    return Msg(f"deadlines.title.{name}")


class _Builder:
    """Collects deadlines for one case; all share the plan, the case facts, as_of and law book.

    It sees only the case facts passed in (see deadline_facts), never the whole case."""

    def __init__(
        self,
        plan: Plan,
        market: MarketProfile,
        as_of: dt.date,
        law: LawBook,
        urgent: bool,
        request_sent_date: dt.date | None,
    ):
        self.plan, self.market, self.as_of, self.law = plan, market, as_of, law
        self.clock = market.clock  # role -> parameter name
        memo = _LAW_MEMOS.get(id(law))
        self.memo = memo or _LAW_MEMOS.put(id(law), (law,), _LawMemo(law))
        self.urgent = urgent
        self.request_sent_date = request_sent_date
        self.out: list[DeadlineFacts] = []

    def note(self, role: str, day: dt.date) -> Cited | None:
        """The statement that qualifies a clock (an extension, an earlier figure), in every
        language; None when the profile names none or it cannot be stated on `day`."""
        name = self.market.clock_notes.get(role)  # type: ignore[call-overload]
        return None if name is None else self.memo.note(name, day)

    def add(
        self,
        *,
        id: str,
        title: Msg,
        kind: str,
        due: dt.date | None,
        within: Msg,
        basis: Msg,
        parameter: Parameter,
        citation: str | None = None,
        verified: bool | None = None,
        last_verified: dt.date | None = None,
    ) -> None:
        self.out.append(
            DeadlineFacts(
                id=id,
                title=title,
                kind=kind,
                due=due,
                within=within,
                basis=basis,
                citation=citation or self.memo.citation(parameter),
                verified=parameter.verified if verified is None else verified,
                last_verified=last_verified or parameter.last_verified,
            )
        )

    def not_in_data(
        self, *, id: str, title: Msg, kind: str, within: Msg, parameter: Parameter, day: dt.date
    ) -> None:
        self.add(
            id=id,
            title=title,
            kind=kind,
            due=None,
            within=within,
            basis=msg("deadlines.basis.not_in_data", day=day),
            parameter=parameter,
            verified=False,
        )

    # -- decision clocks ---------------------------------------------------------------------

    def decision_clock(
        self,
        *,
        id: str,
        title: Msg,
        name: str,
        day: dt.date,
        after: Msg,
        start: dt.date | None = None,
        start_words: Msg | str = EMPTY,
        note: Cited | None = None,
        per_level: int | None = None,
        urgent_alternative: str | None = None,
    ) -> None:
        """A clock the plan or reviewer must decide within, counted from `start` when known."""
        args = (id, title, name, day, after, start, start_words, note, per_level)
        self.memo.facts(
            ("decide", *args, urgent_alternative),
            self.out,
            lambda: self._decision_clock(*args, urgent_alternative),
        )

    def _decision_clock(
        self,
        id: str,
        title: Msg,
        name: str,
        day: dt.date,
        after: Msg,
        start: dt.date | None,
        start_words: Msg | str,
        note: Cited | None,
        per_level: int | None,
        urgent_alternative: str | None,
    ) -> None:
        value, parameter = self.memo.figure(name, day)
        if value is None:
            within = msg("deadlines.within.decide_not_in_data", after=after)
            self.not_in_data(
                id=id, title=title, kind="decide_by", within=within, parameter=parameter, day=day
            )
            return
        amount = Amount(value, parameter.unit)
        if per_level:
            within = msg(
                "deadlines.within.decide_per_level", amount=amount, after=after, levels=per_level
            )
        else:
            within = msg("deadlines.within.decide", amount=amount, after=after)
        if note:
            within = msg("deadlines.within.with_note", within=within, note=note)
        days = _as_days(value, parameter.unit)
        hours = (
            msg("deadlines.basis.hours_as_days", amount=amount, days=days)
            if parameter.unit == "hour"
            else EMPTY
        )
        due = None if start is None else start + dt.timedelta(days=days)
        if start is not None:
            basis = [
                msg("deadlines.basis.decide_start", start_words=start_words, start=start),
                hours,
                msg("deadlines.basis.decide_due", days=Amount(days, "day"), due=due),
            ]
        else:
            basis = [msg("deadlines.basis.decide_undated", after=after), hours]
        if urgent_alternative:
            alt_value, alt = self.memo.figure(urgent_alternative, day)
            if alt_value is not None:
                alt_amount = Amount(alt_value, alt.unit)
                basis.append(msg("deadlines.basis.urgent_alternative", amount=alt_amount))
        self.add(
            id=id,
            title=title,
            kind="decide_by",
            due=due,
            within=within,
            basis=sentences(*basis),
            parameter=parameter,
        )

    def prior_auth_clock(self) -> None:
        """No denial yet: how long the plan has to decide the prior-authorisation request."""
        if not self.market.features.prior_authorization:
            return  # e.g. Original Medicare: no prior authorisation for a second opinion.
        urgent_name, standard_name = (
            self.clock("prior_auth_urgent"),
            self.clock("prior_auth_standard"),
        )
        start = self.request_sent_date
        self.decision_clock(
            id="prior_auth_decision",
            title=_title("prior_auth_decision_" + ("urgent" if self.urgent else "standard")),
            name=urgent_name if self.urgent else standard_name,
            day=start or self.as_of,
            after=Msg("deadlines.after.plan_receives_request"),
            start=start,
            start_words=Msg("deadlines.basis.request_sent"),
            note=self.note(
                "prior_auth_urgent" if self.urgent else "prior_auth_standard", start or self.as_of
            ),
            urgent_alternative=None if self.urgent else urgent_name,
        )

    def records_request_clock(self) -> None:
        self.memo.facts(("records", self.as_of), self.out, self._records_request_clock)

    def _records_request_clock(self) -> None:
        value, parameter = self.memo.figure("hipaa.access_response_days", self.as_of)
        extension, _ = self.memo.figure("hipaa.access_extension_days", self.as_of)
        title = _title("records_request_response")
        if value is None or extension is None:
            within = Msg("deadlines.within.records_not_in_data")
            self.not_in_data(
                id="records_request_response",
                title=title,
                kind="decide_by",
                within=within,
                parameter=parameter,
                day=self.as_of,
            )
            return
        due = self.as_of + dt.timedelta(days=value)
        amount = Amount(value, "day")
        self.add(
            id="records_request_response",
            title=title,
            kind="decide_by",
            due=due,
            within=msg("deadlines.within.records", amount=amount, extension=extension),
            basis=msg(
                "deadlines.basis.records",
                today=self.as_of,
                amount=amount,
                due=due,
                extended=due + dt.timedelta(days=extension),
            ),
            parameter=parameter,
        )

    # -- filing windows ----------------------------------------------------------------------

    def filing_window(
        self,
        *,
        id: str,
        name: str,
        day: dt.date,
        start: dt.date | None,
        start_words: Msg,
        after: Msg,
        note: Msg | Cited | None = None,
    ) -> None:
        """A window in days that does not move off weekends or holidays."""
        args = (id, name, day, start, start_words, after, note)
        self.memo.facts(("file", *args, self.as_of), self.out, lambda: self._filing_window(*args))

    def _filing_window(
        self,
        id: str,
        name: str,
        day: dt.date,
        start: dt.date | None,
        start_words: Msg,
        after: Msg,
        note: Msg | Cited | None,
    ) -> None:
        value, parameter = self.memo.figure(name, day)
        title = _title(id)
        if value is None:
            within = msg("deadlines.within.file_not_in_data", after=after)
            self.not_in_data(
                id=id, title=title, kind="file_by", within=within, parameter=parameter, day=day
            )
            return
        amount = Amount(value, "day")
        within = msg("deadlines.within.file", amount=amount, after=after)
        if note:
            within = msg("deadlines.within.with_note", within=within, note=note)
        if start is None:
            basis = sentences(start_words, Msg("deadlines.basis.enter_date"))
            due = None
        else:
            due = start + dt.timedelta(days=value)
            basis = sentences(
                start_words,
                msg("deadlines.basis.file_due", amount=amount, start=start, due=due),
                _weekend_note(due),
                _late_note(due, self.as_of),
            )
        self.add(
            id=id,
            title=title,
            kind="file_by",
            due=due,
            within=within,
            basis=basis,
            parameter=parameter,
        )


def _receipt(denial: Denial) -> tuple[dt.date | None, Msg]:
    """When the patient received the notice, or the notice date as a conservative stand-in."""
    if denial.date_received is not None:
        return denial.date_received, msg("deadlines.basis.received", day=denial.date_received)
    if denial.notice_date is not None:
        return denial.notice_date, msg(
            "deadlines.basis.received_unknown_dated", day=denial.notice_date
        )
    return None, Msg("deadlines.basis.received_unknown")


def _notice_start(denial: Denial) -> tuple[dt.date | None, Msg]:
    """For windows counted from the date on the notice (never from a later receipt date)."""
    if denial.notice_date is not None:
        return denial.notice_date, msg("deadlines.basis.notice_dated", day=denial.notice_date)
    return None, Msg("deadlines.basis.notice_undated")


def _check_denial_dates(denial: Denial) -> None:
    if (
        denial.notice_date is not None
        and denial.date_received is not None
        and denial.date_received < denial.notice_date
    ):
        raise ValueError("denial.date_received is before denial.notice_date")


# --- the procedures ------------------------------------------------------------------------------


def _commercial(b: _Builder, denial: Denial) -> None:
    """Employer and individual plans: internal appeals, then external review (erisa_aca)."""
    levels = b.market.internal_levels(b.plan.appeals.levels)
    day = denial.notice_date or denial.date_received or b.as_of
    start, start_words = _receipt(denial)
    final = denial.level == "final_internal" or (denial.level == "internal_appeal" and levels <= 1)
    if final:
        _external_review(b, denial, start, start_words, day)
        return
    if denial.level == "initial":
        _internal_appeal_window(b, start, start_words, day)
    else:
        _next_level_window(b, levels, day)
    _internal_appeal_decision(b, denial, levels, day)
    if denial.level == "initial" and _simultaneous_review(b, denial):
        b.decision_clock(
            id="external_review_decision",
            title=_title("external_review_decision_urgent"),
            name=b.clock("external_review_decision_expedited"),
            day=day,
            after=Msg("deadlines.after.reviewer_receives_request"),
            note=b.note("external_review_decision_expedited", day),
        )


def _simultaneous_review(b: _Builder, denial: Denial) -> bool:
    """Urgent pre-service: an expedited external review may run beside the expedited appeal."""
    plan = b.plan
    return (
        b.urgent
        and denial.service_type == "pre_service"
        and b.market.features.urgent_external_review_with_appeal
        and not plan.grandfathered
        and plan.external_review.route != "none"
    )


def _next_level_window(b: _Builder, levels: int, day: dt.date) -> None:
    """A first-level appeal was denied and the plan has another level: the plan sets the time."""
    _, parameter = b.memo.figure(b.clock("appeal_filing"), day)
    appeals = b.plan.appeals
    b.add(
        id="internal_appeal_filing",
        title=_title("internal_appeal_next_filing"),
        kind="file_by",
        due=None,
        within=Msg("deadlines.within.next_level"),
        basis=msg("deadlines.basis.next_level", levels=levels),
        parameter=parameter,
        citation=f"{appeals.source.document}, {appeals.source.section}",
        verified=False,
        last_verified=appeals.last_verified,
    )


def _internal_appeal_decision(b: _Builder, denial: Denial, levels: int, day: dt.date) -> None:
    pre_service = denial.service_type == "pre_service"
    urgent = b.urgent and pre_service
    per_level = None
    if urgent:
        name = b.clock("appeal_decision_urgent")
    elif levels == 1:
        name = b.clock(
            "appeal_decision_pre_service" if pre_service else "appeal_decision_post_service"
        )
    else:
        name = b.clock(
            "appeal_decision_pre_service_per_level"
            if pre_service
            else "appeal_decision_post_service_per_level"
        )
        per_level = levels
    b.decision_clock(
        id="internal_appeal_decision",
        title=_title("internal_appeal_decision_" + ("urgent" if urgent else "standard")),
        name=name,
        day=day,
        after=Msg("deadlines.after.plan_receives_appeal"),
        per_level=per_level,
        note=b.note("more_levels_than_allowed", day) if per_level and per_level > 2 else None,
        urgent_alternative=b.clock("appeal_decision_urgent")
        if pre_service and not urgent
        else None,
    )


def _external_review(
    b: _Builder, denial: Denial, start: dt.date | None, start_words: Msg, day: dt.date
) -> None:
    if b.plan.grandfathered or b.plan.external_review.route == "none":
        return  # No ACA external review for this plan; the engine explains the governing law.
    pre_service = denial.service_type == "pre_service"
    urgent = b.urgent and pre_service
    _external_review_window(b, start, start_words, day)
    b.decision_clock(
        id="external_review_decision",
        title=_title("external_review_decision_" + ("urgent" if urgent else "standard")),
        name=b.clock(
            "external_review_decision_expedited" if urgent else "external_review_decision_standard"
        ),
        day=day,
        after=Msg("deadlines.after.reviewer_receives_request"),
        note=b.note("external_review_decision_expedited", day) if urgent else None,
        urgent_alternative=b.clock("external_review_decision_expedited")
        if pre_service and not urgent
        else None,
    )


def _internal_appeal_window(
    b: _Builder, start: dt.date | None, start_words: Msg, day: dt.date
) -> None:
    name = b.clock("appeal_filing")
    plan_days = b.plan.appeals.filing_window_days
    value, parameter = b.memo.figure(name, day)
    if value is None or plan_days is None or plan_days <= value:
        b.filing_window(
            id="internal_appeal_filing",
            name=name,
            day=day,
            start=start,
            start_words=start_words,
            after=Msg("deadlines.from.receive_denial"),
            note=Msg("deadlines.within.at_least_by_law"),
        )
        return
    # The plan allows longer than the federal minimum: its own term governs.
    source = b.plan.appeals.source
    within = msg("deadlines.within.plan_allows_more", plan_days=plan_days, minimum=value)
    if start is None:
        due, basis = None, sentences(start_words, Msg("deadlines.basis.enter_date"))
    else:
        due = start + dt.timedelta(days=plan_days)
        basis = sentences(
            start_words,
            msg(
                "deadlines.basis.plan_allows_more",
                plan_days=plan_days,
                minimum=value,
                start=start,
                due=due,
            ),
            _weekend_note(due),
            _late_note(due, b.as_of),
        )
    b.add(
        id="internal_appeal_filing",
        title=_title("internal_appeal_filing"),
        kind="file_by",
        due=due,
        within=within,
        basis=basis,
        parameter=parameter,
        citation=f"{source.document}, {source.section}; federal minimum: {parameter.citation}",
        last_verified=min(b.plan.appeals.last_verified, parameter.last_verified),
    )


def _months_basis(start: dt.date, months: Amount, end: dt.date) -> Msg:
    if end.day != start.day:
        before = end - dt.timedelta(days=1)
        return msg(
            "deadlines.basis.months_no_such_day",
            months=months,
            start=start,
            month=before,
            day=start.day,
            end=end,
        )
    return msg("deadlines.basis.months_end", months=months, start=start, end=end)


def _external_review_window(
    b: _Builder, start: dt.date | None, start_words: Msg, day: dt.date
) -> None:
    route = b.plan.external_review.route
    state_route = route == "state"
    name = b.clock(
        "external_review_filing_state" if state_route else "external_review_filing_federal"
    )
    title = _title("external_review_filing")
    value, parameter = b.memo.figure(name, day)
    after = Msg("deadlines.from.receive_final_denial")
    if value is None:
        within = msg("deadlines.within.file_not_in_data", after=after)
        b.not_in_data(
            id="external_review_filing",
            title=title,
            kind="file_by",
            within=within,
            parameter=parameter,
            day=day,
        )
        return
    months = Amount(value, "month")
    if state_route:
        reviewer = b.plan.external_review.administered_by
        within = msg(
            "deadlines.within.external_state", months=months, after=after, reviewer=reviewer
        )
    elif route == "unknown":
        within = msg("deadlines.within.external_unknown", months=months, after=after)
    else:
        within = msg("deadlines.within.external_federal", months=months, after=after)
    if start is None:
        basis = sentences(start_words, Msg("deadlines.basis.enter_date"))
        b.add(
            id="external_review_filing",
            title=title,
            kind="file_by",
            due=None,
            within=within,
            basis=basis,
            parameter=parameter,
        )
        return
    end = add_months(start, value)
    parts: list[Msg | str | Cited] = [start_words, _months_basis(start, months, end)]
    if state_route:
        due = end
        parts += [Msg("deadlines.basis.state_minimum"), _weekend_note(due)]
    elif route == "unknown":
        # A state deadline does not move off a weekend; the federal one does: the earlier date.
        due = end
        parts += [Msg("deadlines.basis.route_unknown"), _weekend_note(due)]
    else:
        due = next_business_day(end)
        if due != end:
            parts.append(msg("deadlines.basis.moved", due=due))
        myth = b.note("external_review_myth", day)
        if myth:
            parts.append(msg("deadlines.basis.myth", note=myth))
    parts.append(_late_note(due, b.as_of))
    b.add(
        id="external_review_filing",
        title=title,
        kind="file_by",
        due=due,
        within=within,
        basis=sentences(*parts),
        parameter=parameter,
    )


def _original_medicare(b: _Builder, denial: Denial) -> None:
    """Redetermination, then reconsideration by the QIC (medicare_parts_ab)."""
    day = denial.notice_date or denial.date_received or b.as_of
    if denial.level == "initial":
        start, words = _presumed_receipt(b, denial, day)
        b.filing_window(
            id="medicare_redetermination_filing",
            name=b.clock("appeal_filing"),
            day=day,
            start=start,
            start_words=words,
            after=Msg("deadlines.from.receive_notice"),
        )
    elif denial.level == "internal_appeal":
        start, words = _receipt(denial)
        b.filing_window(
            id="medicare_qic_reconsideration_filing",
            name=b.clock("second_level_filing"),
            day=day,
            start=start,
            start_words=words,
            after=Msg("deadlines.from.receive_redetermination"),
        )
    # Level 3 (ALJ hearing) and beyond are not in the law data yet.


def _presumed_receipt(b: _Builder, denial: Denial, day: dt.date) -> tuple[dt.date | None, Msg]:
    """Medicare presumes the notice arrived some days after its date, unless shown otherwise."""
    presumed, presumption = b.memo.figure(b.clock("notice_receipt_presumption"), day)
    if denial.date_received is not None:
        return denial.date_received, msg("deadlines.basis.received", day=denial.date_received)
    if denial.notice_date is not None and presumed is not None:
        start = denial.notice_date + dt.timedelta(days=presumed)
        return start, msg(
            "deadlines.basis.medicare_presumed",
            notice=denial.notice_date,
            presumed=Amount(presumed, "day"),
            start=start,
            citation=presumption.citation,
        )
    return None, Msg("deadlines.basis.medicare_unknown")


def _medicare_advantage(b: _Builder, denial: Denial) -> None:
    """Reconsideration by the plan; after it, the plan forwards the case (medicare_part_c)."""
    if denial.level != "initial":
        return  # A plan that upholds its denial must forward the case to the IRE itself.
    day = denial.notice_date or denial.date_received or b.as_of
    start, words = _notice_start(denial)
    b.filing_window(
        id="ma_reconsideration_filing",
        name=b.clock("appeal_filing"),
        day=day,
        start=start,
        start_words=words,
        after=Msg("deadlines.from.notice_date"),
        note=b.note("appeal_filing", day),
    )
    pre_service = denial.service_type == "pre_service"
    urgent = b.urgent and pre_service
    if urgent:
        name = b.clock("appeal_decision_urgent")
    else:
        name = b.clock(
            "appeal_decision_pre_service" if pre_service else "appeal_decision_post_service"
        )
    b.decision_clock(
        id="ma_reconsideration_decision",
        title=_title("ma_reconsideration_decision_" + ("urgent" if urgent else "standard")),
        name=name,
        day=day,
        after=Msg("deadlines.after.plan_receives_your_request"),
        urgent_alternative=b.clock("appeal_decision_urgent")
        if pre_service and not urgent
        else None,
    )


def _medicaid(b: _Builder, denial: Denial) -> None:
    """One plan appeal, then a State fair hearing (medicaid_mco)."""
    day = denial.notice_date or denial.date_received or b.as_of
    start, words = _notice_start(denial)
    if denial.level != "initial":
        _fair_hearing(b, start, words, day)
        return
    b.filing_window(
        id="medicaid_appeal_filing",
        name=b.clock("appeal_filing"),
        day=day,
        start=start,
        start_words=words,
        after=Msg("deadlines.from.notice_date"),
    )
    b.filing_window(
        id="medicaid_continue_benefits",
        name=b.clock("continue_benefits"),
        day=day,
        start=start,
        start_words=sentences(words, Msg("deadlines.basis.keep_benefits")),
        after=Msg("deadlines.from.notice"),
    )
    urgent = b.urgent and denial.service_type == "pre_service"
    role = "appeal_decision_urgent" if urgent else "appeal_decision_pre_service"
    b.decision_clock(
        id="medicaid_appeal_decision",
        title=_title("medicaid_appeal_decision_" + ("urgent" if urgent else "standard")),
        name=b.clock(role),
        day=day,
        after=Msg("deadlines.after.plan_receives_appeal"),
        note=b.note(role, day),
        urgent_alternative=b.clock("appeal_decision_urgent")
        if denial.service_type == "pre_service" and not urgent
        else None,
    )


def _fair_hearing(b: _Builder, start: dt.date | None, words: Msg, day: dt.date) -> None:
    """One plan level: its decision is final and the next step is a State fair hearing, whose
    time limit the state sets (the federal figure is unverified: no date is computed)."""
    _, parameter = b.memo.figure(b.clock("fair_hearing_filing"), day)
    within = b.note("fair_hearing_filing", day) or Msg("deadlines.within.fair_hearing")
    note = b.note("fair_hearing_basis", day)
    b.add(
        id="medicaid_state_fair_hearing_filing",
        title=_title("medicaid_state_fair_hearing_filing"),
        kind="file_by",
        due=None,
        within=msg("text.sentences", parts=(within,)),
        basis=sentences(
            words if start else EMPTY,
            msg("deadlines.basis.fair_hearing", note=note) if note else EMPTY,
        ),
        parameter=parameter,
        verified=False,
    )


# The calendar procedure of each appeal route, by the key its market profile gives.
_PROCEDURES = {
    "erisa_aca": _commercial,
    "medicare_parts_ab": _original_medicare,
    "medicare_part_c": _medicare_advantage,
    "medicaid_mco": _medicaid,
}


def deadline_facts(
    plan: Plan, case: Case, as_of: dt.date, law: LawBook, market: MarketProfile | None = None
) -> tuple[DeadlineFacts, ...]:
    """Every deadline that matters for this case on `as_of`, sorted by due date (dateless last),
    then id. Deterministic: the same inputs give the same deadlines (without a denial or a
    request date, the very same tuple, so the explanation layer words it once)."""
    # The deadlines depend on these case facts alone (the builder never sees the rest of the
    # case), and the plan and law book are frozen: so each combination is worked out once, but
    # only when it holds no member data. A denial (its dates, and the free text and numbers
    # the model holds) or a request date is one case's: worked out for this answer alone.
    facts = (as_of, case.urgency.physician_certifies_urgent == "yes", case.request_sent_date)
    denial = case.denial
    market = market or profile(plan.market)
    if denial is not None or case.request_sent_date is not None:
        return _compute_deadlines(plan, market, law, *facts, denial)
    key = (id(law), id(plan), id(market), *facts)
    done = _DEADLINES.get(key)
    if done is None:
        done = _DEADLINES.put(
            key, (law, plan, market), _compute_deadlines(plan, market, law, *facts, None)
        )
    return done


def _compute_deadlines(
    plan: Plan,
    market: MarketProfile,
    law: LawBook,
    as_of: dt.date,
    urgent: bool,
    request_sent_date: dt.date | None,
    denial: Denial | None,
) -> tuple[DeadlineFacts, ...]:
    b = _Builder(plan, market, as_of, law, urgent, request_sent_date)
    b.records_request_clock()
    if denial is None:
        b.prior_auth_clock()
    else:
        _check_denial_dates(denial)
        _PROCEDURES[market.appeals.procedure](b, denial)
    return tuple(sorted(b.out, key=lambda d: (d.due is None, d.due or dt.date.min, d.id)))


# Deadlines by (law book, plan) identity, the day and whether it is urgent; oldest out first.
_DEADLINES: IdentityCache[tuple[DeadlineFacts, ...]] = IdentityCache(maxsize=8192)


def compute_deadlines(
    plan: Plan, case: Case, as_of: dt.date, law: LawBook, language: str = "en"
) -> list:
    """The deadlines as the answer gives them (coverage.determination.Deadline), in words."""
    from coverage import explain

    return explain.deadlines(deadline_facts(plan, case, as_of, law), language)


def clear_caches() -> None:
    """Forget every memoised figure and deadline (for tests and benchmarks: answers never
    depend on it, since each cache is keyed by everything its value is made from)."""
    _LAW_MEMOS.clear()
    _DEADLINES.clear()
