"""Her plan's letter on the patient pages: read in the background, and what it says about her plan.

Reading a scan or a photo takes seconds a page (OCR), so the page hands the bytes to
`start_reading` and keeps drawing; it asks the `NoticeJob` whether the reading is done. A reading
that fails gives a plain sentence, never a traceback, and she types the details instead.

The plan details a letter names (plan name, how the plan was obtained, type, self-funded) become
answers to her plan-details questions, each with where it was found, for her to confirm like the
denial's values. This module never imports streamlit.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from coverage import fields
from coverage.case import Case
from coverage.plan import Plan
from coverage.text import say
from secondlook import notices, patient_flow
from secondlook import patient_form as form

# Letters read at once on this server, and waiting to be read: each OCR run takes one core, so
# more would only make every patient wait longer (and hold more uploads in memory).
READERS = 2
MAX_WAITING = 8

_pool = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="notice-reader")
_lock = threading.Lock()
_in_flight = 0


@dataclass(frozen=True)
class Outcome:
    """A finished reading: the reading, or `problem` in plain words for her (never the file's
    name or content, never a program error)."""

    reading: notices.NoticeReading | None = None
    problem: str | None = None


class Pages:
    """How far the reader is: pages read and pages to read (set from the reading thread)."""

    def __init__(self) -> None:
        self.read = 0
        self.total = 0

    def report(self, read: int, total: int) -> None:
        self.read, self.total = read, total


class NoticeJob:
    """One letter being read in the background."""

    def __init__(self, future: Future[Outcome], pages: Pages | None = None):
        self._future = future
        self._started = time.monotonic()
        self._pages = pages or Pages()

    def pages(self) -> tuple[int, int] | None:
        """(pages read, pages to read) once the reader knows how many pages there are."""
        read, total = self._pages.read, self._pages.total
        return (read, total) if total else None

    def done(self) -> bool:
        return self._future.done()

    def seconds(self) -> int:
        """How long she has waited, in whole seconds."""
        return int(time.monotonic() - self._started)

    def outcome(self) -> Outcome:
        """The reading (waits for it if it is not done)."""
        return self._future.result()


def start_reading(
    data: bytes,
    filename: str,
    *,
    read: Callable[[bytes, str], notices.NoticeReading] | None = None,
    language: str = "en",
) -> NoticeJob:
    """Start reading her letter in the background (`read`: `notices.read_notice`) and return at
    once. When too many letters are waiting, the job is done at once with a problem saying so."""
    global _in_flight
    pages = Pages()
    if read is None:
        read = functools.partial(notices.read_notice, progress=pages.report)
    with _lock:
        busy = _in_flight >= READERS + MAX_WAITING
        if not busy:
            _in_flight += 1
    if busy:
        finished: Future[Outcome] = Future()
        finished.set_result(Outcome(problem=_words(language, "notice_busy")))
        return NoticeJob(finished)
    return NoticeJob(_pool.submit(_read, bytes(data), filename, read, language), pages)


def _read(data: bytes, filename: str, read: Callable[[bytes, str], Any], language: str) -> Outcome:
    global _in_flight
    try:
        return Outcome(reading=read(data, filename))
    except notices.NoticeError as error:
        return Outcome(problem=problem_text(error, language))
    except Exception:  # noqa: BLE001 - her page gets a sentence, never a traceback
        return Outcome(problem=problem_text(notices.NoticeError(), language))
    finally:
        with _lock:
            _in_flight -= 1


def problem_text(error: notices.NoticeError, language: str = "en") -> str:
    """Why her letter could not be read, and that she can type the details instead. The
    reader's own sentence where it speaks to her (too large, locked, a blurry photo); a plain
    one where it speaks to the server's keeper (a missing program, an unexpected fault)."""
    if error.kind == "tool_missing":
        reason = _words(language, "notice_unavailable")
    elif type(error) is notices.NoticeError:
        reason = _words(language, "notice_failed")
    elif language == "en":
        reason = str(error)
    else:  # the reader's sentence is English: the same sentence for its kind, in her language
        reason = say(f"app.notice_error.{error.kind}", language)
    return f"{reason} {_words(language, 'notice_type_instead')}"


def _words(language: str, name: str) -> str:
    return fields.text(language).phrases[name]


# --------------------------------------------------------------------------------------------
# What the letter says about her plan

# The plan hints of a reading (`NoticeReading.plan_hints`) and the question each one answers.
PLAN_QUESTIONS: dict[str, str] = {
    "name": "reported_plan.name",
    "market": "reported_plan.market",
    "plan_type": "reported_plan.plan_type",
    "funding": "reported_plan.self_funded",
}
_FUNDING_ANSWERS = {"self_funded": "yes", "fully_insured": "no"}


def plan_values(reading: notices.NoticeReading, case: Case) -> dict[str, notices.Found[Any]]:
    """What the letter says about her plan, by question key, each value as the question takes
    it and with where it was found. Only for a plan she told us about: a plan from our list
    has its terms from its own documents. A question her kind of plan is not asked is left out.
    """
    if case.plan or case.reported_plan is None:
        return {}
    hints = reading.plan_hints()
    market_hint = hints.get("market")
    market = market_hint.value if market_hint else case.reported_plan.market
    skipped = form.not_asked(market)
    out: dict[str, notices.Found[Any]] = {}
    for hint, key in PLAN_QUESTIONS.items():
        found = hints.get(hint)
        if found is None or key in skipped:
            continue
        value = _FUNDING_ANSWERS.get(found.value) if hint == "funding" else found.value
        if fields.spec(key).options() and value not in fields.spec(key).options():
            continue  # nothing the question offers (a funding the letter leaves open)
        out[key] = dataclasses.replace(found, value=value)
    return out


def _answered(value: Any) -> bool:
    return value not in (None, "", "unknown")


def prefill(
    case: Case, key: str, found: notices.Found[Any], language: str = "en"
) -> tuple[Any, str]:
    """The value a confirm question shows first, and the line under it.

    The letter's value, "found on page 1, line 9"; but where she already answered a plan
    question differently (she read it on her card), her answer stays and the line says what the
    letter says and where, so she picks."""
    phrases = fields.text(language).phrases
    read = "\n".join(found.value) if isinstance(found.value, tuple | list) else found.value
    if key.startswith("reported_plan."):
        yours = form.get_answer(case, key)
        if _answered(yours) and yours != read:
            return yours, phrases["notice_differs"].format(
                value=_value_words(key, read, language), where=_where(found, language)
            )
    if found.page is None:
        return read, phrases["notice_assumed"]
    return read, phrases["notice_found"].format(where=_where(found, language))


def _where(found: notices.Found[Any], language: str) -> str:
    """Where on her letter a value was read ("page 1, line 9"), in her language."""
    if language == "en":
        return found.where
    if found.page is None:
        return say("app.check.notice_not_printed", language)
    return say("app.check.notice_page_line", language, page=found.page, line=found.line)


def _value_words(key: str, value: Any, language: str) -> str:
    """A value as the question shows it ("Through a job (mine or a family member's)")."""
    if fields.spec(key).options():
        return dict(fields.text(language).choices(key)).get(value, str(value))
    return str(value)


def settle_market(case: Case, plans: Iterable[Plan]) -> Case:
    """After she confirmed what the letter says: a kind of plan that is the same for everyone
    (Original Medicare) is the plan from our list, as when she picks it on the plan step."""
    report = case.reported_plan
    if case.plan or report is None:
        return case
    nationwide = patient_flow.nationwide_plan(plans, report.market)
    if nationwide is None:
        return case
    return case.model_copy(update={"plan": nationwide, "reported_plan": None})
