"""The deadline calculator: when the patient must file, and when the plan or reviewer must decide.

Every figure comes from the law book (data/rules/parameters/*.yaml, keyed by effective date);
this module only does the calendar arithmetic and says, in plain words and with the dates, how
each date was reached. Rules it follows:

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
from coverage.determination import Deadline
from coverage.law import LawBook, Parameter
from coverage.markets import MarketProfile, profile
from coverage.plan import Plan
from coverage.statements import say

# A Deadline is frozen and all its fields are immutable, so equal arguments share one instance
# (same keywords as the model, so exclude_unset dumps do not change).
_shared_deadline = lru_cache(maxsize=4096, typed=True)(Deadline)

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


@lru_cache(maxsize=4096)  # strftime is slow, and the same few dates recur in every answer
def format_date(day: dt.date) -> str:
    """A date as people read it: 'Monday, March 1, 2027'."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


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

    def citation(self, parameter: Parameter) -> str:
        hit = self.citations.get(id(parameter))
        if hit is None:
            hit = self.citations[id(parameter)] = (parameter, parameter.citation)
        return hit[1]

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


@lru_cache(maxsize=4096)  # the same few texts recur
def _one_line(text: str) -> str:
    """The text with each run of whitespace (line breaks in the source) made one space."""
    return " ".join(text.split())


def _amount(value: int, unit: str) -> str:
    word = {"day": "day", "hour": "hour", "month": "month"}[unit]
    return f"{value} {word}{'' if value == 1 else 's'}"


def _as_days(value: int, unit: str) -> int:
    return math.ceil(value / 24) if unit == "hour" else value


def _weekend_note(due: dt.date) -> str:
    """For windows that do not roll forward: say so when the date is not a business day."""
    if is_business_day(due):
        return ""
    if due.weekday() == SAT:
        what = "a Saturday"
    elif due.weekday() == SUN:
        what = "a Sunday"
    else:
        what = "a federal holiday"
    return (
        f" That day is {what}; the rule we have does not say the deadline moves to the next "
        "business day, so make sure your request arrives before it."
    )


def _late_note(due: dt.date, as_of: dt.date) -> str:
    if due >= as_of:
        return ""
    return (
        f" That date is before today ({format_date(as_of)}): the window may have closed. "
        "Contact the plan at once and ask whether a late request can still be accepted."
    )


class _Builder:
    """Collects deadlines for one case; all share the plan, the case facts, as_of and law book.

    It sees only the case facts passed in (see compute_deadlines), never the whole case."""

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
        self.out: list[Deadline] = []

    def note(self, role: str, day: dt.date) -> str:
        """The statement that qualifies a clock (an extension, an earlier figure), in words; ""
        when the profile names none or it cannot be stated on `day`."""
        name = self.market.clock_notes.get(role)  # type: ignore[call-overload]
        said = None if name is None else say(self.law, name, day, as_law=False)
        return "" if said is None else said.text

    def add(
        self,
        *,
        id: str,
        title: str,
        kind: str,
        due: dt.date | None,
        within: str,
        basis: str,
        parameter: Parameter,
        citation: str | None = None,
        verified: bool | None = None,
        last_verified: dt.date | None = None,
    ) -> None:
        self.out.append(
            _shared_deadline(
                id=id,
                title=title,
                kind=kind,
                due=due,
                within=within,
                basis=_one_line(basis),
                citation=citation or self.memo.citation(parameter),
                verified=parameter.verified if verified is None else verified,
                last_verified=last_verified or parameter.last_verified,
            )
        )

    def not_in_data(
        self, *, id: str, title: str, kind: str, within: str, parameter: Parameter, day: dt.date
    ) -> None:
        self.add(
            id=id,
            title=title,
            kind=kind,
            due=None,
            within=within,
            basis=f"Our law data has no figure for this time limit in force on "
            f"{format_date(day)}, so we do not compute a date. Go by the time "
            "stated on your notice or ask the plan which time limit applies.",
            parameter=parameter,
            verified=False,
        )

    # -- decision clocks ---------------------------------------------------------------------

    def decision_clock(
        self,
        *,
        id: str,
        title: str,
        name: str,
        day: dt.date,
        after: str,
        start: dt.date | None = None,
        start_words: str = "",
        extra: str = "",
        per_level: int | None = None,
        urgent_alternative: str | None = None,
    ) -> None:
        """A clock the plan or reviewer must decide within, counted from `start` when known."""
        value, parameter = self.memo.figure(name, day)
        within_stub = f"after {after}"
        if value is None:
            self.not_in_data(
                id=id,
                title=title,
                kind="decide_by",
                within=f"the time your plan states, {within_stub}",
                parameter=parameter,
                day=day,
            )
            return
        amount = _amount(value, parameter.unit)
        if per_level:
            within = f"{amount} {within_stub}, for each of the plan's {per_level} appeal levels"
        else:
            within = f"{amount} {within_stub}"
        if extra:
            within += f" ({extra})"
        days = _as_days(value, parameter.unit)
        hours_words = (
            f"{amount} is counted here as {days} calendar days (rounded up). "
            if parameter.unit == "hour"
            else ""
        )
        if start is not None:
            due = start + dt.timedelta(days=days)
            basis = (
                f"{start_words} {format_date(start)}. {hours_words}{_amount(days, 'day')} after "
                f"that is {format_date(due)}. The clock starts when the plan receives it, so the "
                "plan's own deadline may be a day or two later."
            )
        else:
            due = None
            basis = (
                f"The clock starts when {after}; we do not know that date yet, so no date is "
                f"shown. {hours_words}"
            )
        if urgent_alternative:
            alt_value, _ = self.memo.figure(urgent_alternative, day)
            if alt_value is not None:
                basis += (
                    f" If a physician says that waiting this long could seriously jeopardise the "
                    f"patient's life, health or ability to regain maximum function, ask for an "
                    f"urgent (expedited) decision: {_amount(alt_value, 'hour')}."
                )
        self.add(
            id=id,
            title=title,
            kind="decide_by",
            due=due,
            within=within,
            basis=basis,
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
        name = urgent_name if self.urgent else standard_name
        start = self.request_sent_date
        self.decision_clock(
            id="prior_auth_decision",
            title=("Urgent" if self.urgent else "Standard")
            + " decision on the prior-authorisation request",
            name=name,
            day=start or self.as_of,
            after="the plan receives the request",
            start=start,
            start_words="The request was sent on",
            extra=self.note(
                "prior_auth_urgent" if self.urgent else "prior_auth_standard", start or self.as_of
            ),
            urgent_alternative=None if self.urgent else urgent_name,
        )

    def records_request_clock(self) -> None:
        value, parameter = self.memo.figure("hipaa.access_response_days", self.as_of)
        extension, _ = self.memo.figure("hipaa.access_extension_days", self.as_of)
        if value is None or extension is None:
            self.not_in_data(
                id="records_request_response",
                title="Provider answers your medical-records request",
                kind="decide_by",
                within="the time set by HIPAA after the provider receives your request",
                parameter=parameter,
                day=self.as_of,
            )
            return
        due = self.as_of + dt.timedelta(days=value)
        extended = due + dt.timedelta(days=extension)
        self.add(
            id="records_request_response",
            title="Provider answers your medical-records request",
            kind="decide_by",
            due=due,
            within=f"{_amount(value, 'day')} after the provider receives your request (one "
            f"{extension}-day extension allowed, with written notice of the reason and the date)",
            basis=f"Assumes you send the request today, {format_date(self.as_of)}: "
            f"{_amount(value, 'day')} later is {format_date(due)} (the clock starts when the "
            "provider receives it, so allow for delivery). If the provider sends written notice "
            f"of its one extension, it has until {format_date(extended)}.",
            parameter=parameter,
        )

    # -- filing windows ----------------------------------------------------------------------

    def filing_window(
        self,
        *,
        id: str,
        title: str,
        name: str,
        day: dt.date,
        start: dt.date | None,
        start_words: str,
        from_words: str,
        extra: str = "",
    ) -> tuple[int, Parameter] | None:
        """A window in days that does not move off weekends or holidays."""
        value, parameter = self.memo.figure(name, day)
        if value is None:
            self.not_in_data(
                id=id,
                title=title,
                kind="file_by",
                within=f"the time stated on your notice, {from_words}",
                parameter=parameter,
                day=day,
            )
            return None
        within = f"{_amount(value, 'day')} {from_words}" + (f" ({extra})" if extra else "")
        if start is None:
            self.add(
                id=id,
                title=title,
                kind="file_by",
                due=None,
                within=within,
                basis=f"{start_words} Enter it to get the date.",
                parameter=parameter,
            )
            return value, parameter
        due = start + dt.timedelta(days=value)
        self.add(
            id=id,
            title=title,
            kind="file_by",
            due=due,
            within=within,
            basis=f"{start_words} {_amount(value, 'day')} after {format_date(start)} is "
            f"{format_date(due)}.{_weekend_note(due)}{_late_note(due, self.as_of)}",
            parameter=parameter,
        )
        return value, parameter


def _receipt(denial: Denial) -> tuple[dt.date | None, str]:
    """When the patient received the notice, or the notice date as a conservative stand-in."""
    if denial.date_received is not None:
        return (
            denial.date_received,
            f"You received the notice on {format_date(denial.date_received)}.",
        )
    if denial.notice_date is not None:
        return denial.notice_date, (
            "We do not know when you received the notice, so we count from the date printed on "
            f"it, {format_date(denial.notice_date)}. That is conservative: counting from the day "
            "it reached you gives a later date."
        )
    return None, "We do not know when you received the notice."


def _notice_start(denial: Denial) -> tuple[dt.date | None, str]:
    """For windows counted from the date on the notice (never from a later receipt date)."""
    if denial.notice_date is not None:
        return denial.notice_date, f"The notice is dated {format_date(denial.notice_date)}."
    return None, (
        "This window counts from the date printed on the notice, which we do not have (counting "
        "from the day you received it could give a date that is too late)."
    )


def _check_denial_dates(denial: Denial) -> None:
    if (
        denial.notice_date is not None
        and denial.date_received is not None
        and denial.date_received < denial.notice_date
    ):
        raise ValueError("denial.date_received is before denial.notice_date")


# --- the markets ---------------------------------------------------------------------------------


def _commercial(b: _Builder, denial: Denial) -> None:
    plan = b.plan
    levels = b.market.internal_levels(plan.appeals.levels)
    day = denial.notice_date or denial.date_received or b.as_of
    start, start_words = _receipt(denial)
    pre_service = denial.service_type == "pre_service"
    urgent = b.urgent and pre_service
    final = denial.level == "final_internal" or (denial.level == "internal_appeal" and levels <= 1)

    if not final:
        if denial.level == "initial":
            _internal_appeal_window(b, start, start_words, day)
        else:
            # A first-level appeal was denied and the plan has another level.
            _, parameter = b.memo.figure(b.clock("appeal_filing"), day)
            b.add(
                id="internal_appeal_filing",
                title="File the next-level internal appeal",
                kind="file_by",
                due=None,
                within="the time stated on your first-level appeal decision (your plan sets it)",
                basis=f"Your plan has {levels} internal appeal levels and the first level upheld "
                "the denial. The time to file the next level is set by the plan; it is not in "
                "our law data, so no date is shown. Ask the plan if the notice does not say.",
                parameter=parameter,
                citation=plan.appeals.source.document + ", " + plan.appeals.source.section,
                verified=False,
                last_verified=plan.appeals.last_verified,
            )
        if urgent:
            name, per_level = b.clock("appeal_decision_urgent"), None
        elif levels == 1:
            name = b.clock(
                "appeal_decision_pre_service" if pre_service else "appeal_decision_post_service"
            )
            per_level = None
        else:
            name = b.clock(
                "appeal_decision_pre_service_per_level"
                if pre_service
                else "appeal_decision_post_service_per_level"
            )
            per_level = levels
        b.decision_clock(
            id="internal_appeal_decision",
            title=("Urgent" if urgent else "Standard") + " decision on your internal appeal",
            name=name,
            day=day,
            after="the plan receives your appeal",
            per_level=per_level,
            extra=b.note("more_levels_than_allowed", day) if per_level and per_level > 2 else "",
            urgent_alternative=b.clock("appeal_decision_urgent")
            if pre_service and not urgent
            else None,
        )
        return

    if plan.grandfathered or plan.external_review.route == "none":
        return  # No ACA external review for this plan; the engine explains the governing law.
    _external_review_window(b, start, start_words, day)
    b.decision_clock(
        id="external_review_decision",
        title=("Expedited" if urgent else "Standard") + " external review decision",
        name=b.clock(
            "external_review_decision_expedited" if urgent else "external_review_decision_standard"
        ),
        day=day,
        after="the independent reviewer receives your request",
        extra=b.note("external_review_decision_expedited", day) if urgent else "",
        urgent_alternative=b.clock("external_review_decision_expedited")
        if pre_service and not urgent
        else None,
    )


def _internal_appeal_window(
    b: _Builder, start: dt.date | None, start_words: str, day: dt.date
) -> None:
    name = b.clock("appeal_filing")
    plan_days = b.plan.appeals.filing_window_days
    value, parameter = b.memo.figure(name, day)
    if value is None or plan_days is None or plan_days <= value:
        b.filing_window(
            id="internal_appeal_filing",
            title="File an internal appeal",
            name=name,
            day=day,
            start=start,
            start_words=start_words,
            from_words="after you receive the denial",
            extra="at least this long by law; your plan may allow more",
        )
        return
    # The plan allows longer than the federal minimum: its own term governs.
    source = b.plan.appeals.source
    citation = f"{source.document}, {source.section}; federal minimum: {parameter.citation}"
    last_verified = min(b.plan.appeals.last_verified, parameter.last_verified)
    within = (
        f"{plan_days} days after you receive the denial (your plan allows more than the federal "
        f"minimum of {value} days)"
    )
    if start is None:
        due, basis = None, f"{start_words} Enter it to get the date."
    else:
        due = start + dt.timedelta(days=plan_days)
        basis = (
            f"{start_words} Your plan allows {plan_days} days, more than the federal minimum of "
            f"{value}: {plan_days} days after {format_date(start)} is {format_date(due)}."
            f"{_weekend_note(due)}{_late_note(due, b.as_of)}"
        )
    b.add(
        id="internal_appeal_filing",
        title="File an internal appeal",
        kind="file_by",
        due=due,
        within=within,
        basis=basis,
        parameter=parameter,
        citation=citation,
        last_verified=last_verified,
    )


def _external_review_window(
    b: _Builder, start: dt.date | None, start_words: str, day: dt.date
) -> None:
    state_route = b.plan.external_review.route == "state"
    name = b.clock(
        "external_review_filing_state" if state_route else "external_review_filing_federal"
    )
    title = "Request external review"
    value, parameter = b.memo.figure(name, day)
    after = "after you receive the final internal denial"
    if value is None:
        b.not_in_data(
            id="external_review_filing",
            title=title,
            kind="file_by",
            within=f"the time stated on your notice, {after}",
            parameter=parameter,
            day=day,
        )
        return
    months = _amount(value, "month")
    if state_route:
        within = (
            f"at least {months} {after} (your state's process, run by "
            f"{b.plan.external_review.administered_by}; its notice gives the exact deadline)"
        )
    else:
        within = f"{months} {after} (moved to the next business day if it ends on a weekend or federal holiday)"
    if start is None:
        b.add(
            id="external_review_filing",
            title=title,
            kind="file_by",
            due=None,
            within=within,
            basis=f"{start_words} Enter it to get the date.",
            parameter=parameter,
        )
        return
    end = add_months(start, value)
    basis = f"{start_words} {months} after {format_date(start)}"
    if end.day != start.day:
        before = end - dt.timedelta(days=1)
        basis += (
            f" would fall in {before:%B} {before.year}, which has no day {start.day}, so the "
            f"window runs to the 1st day of the next month, {format_date(end)}."
        )
    else:
        basis += f" is {format_date(end)}."
    if state_route:
        due = end
        basis += (
            " A state process must allow at least this long; it may allow more, so check the "
            "notice for the exact deadline." + _weekend_note(due)
        )
    else:
        due = next_business_day(end)
        if due != end:
            basis += (
                " That is not a business day (weekend or federal holiday), so the deadline moves "
                f"to the next business day, {format_date(due)}."
            )
        myth = b.note("external_review_myth", day)
        basis += f" ({myth}.)" if myth else ""
    basis += _late_note(due, b.as_of)
    b.add(
        id="external_review_filing",
        title=title,
        kind="file_by",
        due=due,
        within=within,
        basis=basis,
        parameter=parameter,
    )


def _original_medicare(b: _Builder, denial: Denial) -> None:
    day = denial.notice_date or denial.date_received or b.as_of
    if denial.level == "initial":
        presumed, presumption = b.memo.figure(b.clock("notice_receipt_presumption"), day)
        if denial.date_received is not None:
            start = denial.date_received
            words = f"You received the notice on {format_date(start)}."
        elif denial.notice_date is not None and presumed is not None:
            start = denial.notice_date + dt.timedelta(days=presumed)
            words = (
                f"The notice is dated {format_date(denial.notice_date)}; Medicare presumes you "
                f"received it {_amount(presumed, 'day')} later, on {format_date(start)}, unless "
                f"you show otherwise ({presumption.citation})."
            )
        else:
            start = None
            words = "We do not know the date of the notice or when you received it."
        b.filing_window(
            id="medicare_redetermination_filing",
            title="Ask for a redetermination (Medicare appeal level 1)",
            name=b.clock("appeal_filing"),
            day=day,
            start=start,
            start_words=words,
            from_words="after you receive the notice",
        )
    elif denial.level == "internal_appeal":
        start, words = _receipt(denial)
        b.filing_window(
            id="medicare_qic_reconsideration_filing",
            title="Ask the QIC for a reconsideration (Medicare appeal level 2)",
            name=b.clock("second_level_filing"),
            day=day,
            start=start,
            start_words=words,
            from_words="after you receive the redetermination notice",
        )
    # Level 3 (ALJ hearing) and beyond are not in the law data yet.


def _medicare_advantage(b: _Builder, denial: Denial) -> None:
    if denial.level != "initial":
        return  # A plan that upholds its denial must forward the case to the IRE itself.
    day = denial.notice_date or denial.date_received or b.as_of
    start, words = _notice_start(denial)
    b.filing_window(
        id="ma_reconsideration_filing",
        title="Ask the plan for a reconsideration (Medicare Advantage appeal)",
        name=b.clock("appeal_filing"),
        day=day,
        start=start,
        start_words=words,
        from_words="after the date on the notice",
        extra=b.note("appeal_filing", day),
    )
    pre_service = denial.service_type == "pre_service"
    urgent = b.urgent and pre_service
    if urgent:
        name = b.clock("appeal_decision_urgent")
    elif pre_service:
        name = b.clock("appeal_decision_pre_service")
    else:
        name = b.clock("appeal_decision_post_service")
    b.decision_clock(
        id="ma_reconsideration_decision",
        title=("Expedited" if urgent else "Standard") + " decision on your reconsideration",
        name=name,
        day=day,
        after="the plan receives your request",
        urgent_alternative=b.clock("appeal_decision_urgent")
        if pre_service and not urgent
        else None,
    )


def _medicaid(b: _Builder, denial: Denial) -> None:
    day = denial.notice_date or denial.date_received or b.as_of
    start, words = _notice_start(denial)
    if denial.level != "initial":
        # One plan level: its decision is final and the next step is a State fair hearing.
        _, parameter = b.memo.figure(b.clock("fair_hearing_filing"), day)
        b.add(
            id="medicaid_state_fair_hearing_filing",
            title="Ask for a State fair hearing",
            kind="file_by",
            due=None,
            within=b.note("fair_hearing_filing", day) or "the time on your notice",
            basis=(f"{words} " if start else "") + b.note("fair_hearing_basis", day) + ".",
            parameter=parameter,
            verified=False,
        )
        return
    b.filing_window(
        id="medicaid_appeal_filing",
        title="File an appeal with the plan (Medicaid)",
        name=b.clock("appeal_filing"),
        day=day,
        start=start,
        start_words=words,
        from_words="after the date on the notice",
    )
    b.filing_window(
        id="medicaid_continue_benefits",
        title="File the appeal in time to keep your benefits during it",
        name=b.clock("continue_benefits"),
        day=day,
        start=start,
        start_words=words
        + " This matters if the notice stops or reduces a service you were already getting.",
        from_words="after the notice",
    )
    urgent = b.urgent and denial.service_type == "pre_service"
    b.decision_clock(
        id="medicaid_appeal_decision",
        title=("Expedited" if urgent else "Standard") + " decision on your Medicaid appeal",
        name=b.clock("appeal_decision_urgent" if urgent else "appeal_decision_pre_service"),
        day=day,
        after="the plan receives your appeal",
        extra=b.note("appeal_decision_urgent" if urgent else "appeal_decision_pre_service", day),
        urgent_alternative=b.clock("appeal_decision_urgent")
        if denial.service_type == "pre_service" and not urgent
        else None,
    )


# The calendar procedure of each appeal route, by the key its market profile gives.
_PROCEDURES = {
    "erisa_aca": _commercial,
    "medicare_parts_ab": _original_medicare,
    "medicare_part_c": _medicare_advantage,
    "medicaid_mco": _medicaid,
}


def compute_deadlines(plan: Plan, case: Case, as_of: dt.date, law: LawBook) -> list[Deadline]:
    """Every deadline that matters for this case on `as_of`, sorted by due date (dateless last),
    then id. Deterministic: the same inputs give the same list."""
    # The deadlines depend on these case facts alone (the builder never sees the rest of the
    # case), and the plan and law book are frozen: so each combination is worked out once.
    # The denial is hashed by value. Each caller gets its own list.
    facts = (as_of, case.urgency.physician_certifies_urgent == "yes", case.request_sent_date)
    denial = case.denial
    market = profile(plan.market)
    key = (id(law), id(plan), id(market), *facts, denial)
    done = _DEADLINES.get(key)
    if done is None:
        done = _DEADLINES.put(
            key, (law, plan, market), _compute_deadlines(plan, market, law, *facts, denial)
        )
    return list(done)


def _compute_deadlines(
    plan: Plan,
    market: MarketProfile,
    law: LawBook,
    as_of: dt.date,
    urgent: bool,
    request_sent_date: dt.date | None,
    denial: Denial | None,
) -> tuple[Deadline, ...]:
    b = _Builder(plan, market, as_of, law, urgent, request_sent_date)
    b.records_request_clock()
    if denial is None:
        b.prior_auth_clock()
    else:
        _check_denial_dates(denial)
        _PROCEDURES[market.appeals.procedure](b, denial)
    return tuple(sorted(b.out, key=lambda d: (d.due is None, d.due or dt.date.min, d.id)))


# Deadlines by (law book, plan) identity and (as_of, case facts); oldest out first when full.
_DEADLINES: IdentityCache[tuple[Deadline, ...]] = IdentityCache(maxsize=8192)


def clear_caches() -> None:
    """Forget every memoised figure, text and deadline (for tests and benchmarks: answers never
    depend on it, since each cache is keyed by everything its value is made from)."""
    _LAW_MEMOS.clear()
    _DEADLINES.clear()
    for cached in (_shared_deadline, format_date, _one_line):
        cached.cache_clear()
