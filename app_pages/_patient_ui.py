"""Shared Streamlit helpers for the patient pages: session state and widgets only.

Everything that is not drawing (questions, mapping to a Case, plain-language text) lives in
secondlook.patient_flow. Nothing here writes to disk: the case lives in the session only.

The patient's language is the case's (`case.language`), so it is saved in her case file; every
page draws `language_switch()` first and takes its words from `words()`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from coverage.case import Case
from coverage.catalog import Catalog
from coverage.determination import Determination
from coverage.loader import LoadError
from coverage.plan import Plan
from coverage.text import say
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook import service
from secondlook.safe_text import md

CASE_KEY = "patient_case"
VERSION_KEY = "patient_case_version"
STEP_KEY = "patient_step"  # the key of the step of "Check my coverage" shown
ROUTE_KEY = "patient_route"  # the way in: second_opinion, denied or urgent
MARKET_UNKNOWN_KEY = "patient_market_unknown"
PROBLEMS_KEY = "patient_problems"  # {form: [(field key, message)]} after a refused submit

CHECK_PAGE = "app_pages/patient_check.py"
ANSWER_PAGE = "app_pages/patient_answer.py"
LETTERS_PAGE = "app_pages/patient_letters.py"
GUIDE_PAGE = "app_pages/patient_guide.py"
SAVE_PAGE = "app_pages/patient_save.py"


@st.cache_resource(show_spinner=False)
def get_catalog() -> Catalog:
    """The shipped plan catalog, loaded once per server process (plans are frozen)."""
    return service.catalog()


def get_case() -> Case:
    if CASE_KEY not in st.session_state:
        st.session_state[CASE_KEY] = Case()
    return st.session_state[CASE_KEY]


def set_case(case: Case) -> None:
    st.session_state[CASE_KEY] = case


def language() -> str:
    """The patient's language: "en" or "es" (kept in her case, so her case file remembers it)."""
    case = st.session_state.get(CASE_KEY)
    return case.language if case is not None else "en"


def words(key: str, **args: Any) -> str:
    """A page's words (data/text/<language>/app.yaml) in the patient's language."""
    return say(f"app.{key}", language(), **args)


def page_titles() -> dict[str, str]:
    """The patient pages' names in the navigation, in the patient's language."""
    return {key: words(f"nav.{key}") for key in ("check", "answer", "letters", "guide", "save")}


LANGUAGES = ("en", "es")


def language_switch() -> str:
    """English / Español at the top of every patient page; the choice is kept in the case."""
    case = get_case()
    current = case.language
    picked = st.radio(
        say("app.language.label", current),
        LANGUAGES,
        index=LANGUAGES.index(current),
        format_func=lambda code: say(f"app.language.{code}", code),
        horizontal=True,
        key="patient_language",
    )
    if picked != current:
        set_case(case.model_copy(update={"language": picked}))
        st.rerun()
    # A screen reader reads the page in its language (WCAG 3.1.1, language of page).
    components.html(
        f"<script>window.parent.document.documentElement.lang = {json.dumps(current)};</script>",
        height=0,
    )
    return current


def has_plan(case: Case) -> bool:
    """A plan to check against: one from the list, or the one she told us about."""
    report = case.reported_plan
    return bool(case.plan) or (report is not None and report.market != "unknown")


def has_started() -> bool:
    return CASE_KEY in st.session_state and (
        has_plan(get_case()) or st.session_state.get(MARKET_UNKNOWN_KEY, False)
    )


# The browser's own "Leave site? Changes may not be saved" prompt: the answers live in this
# browser session only, so a reload or a closed tab loses them.
_WARN_BEFORE_LEAVING = """<script>
window.parent.addEventListener("beforeunload", (event) => {
  event.preventDefault();
  event.returnValue = "";
});
</script>"""


def warn_before_leaving() -> None:
    """Once she has answered something, ask the browser to warn before a reload loses it."""
    if has_started():
        components.html(_WARN_BEFORE_LEAVING, height=0)


def route() -> str:
    return st.session_state.get(ROUTE_KEY) or form.route_of(get_case())


def replace_case(case: Case) -> None:
    """Load a whole case (from a file): widgets are rebuilt with the new answers (and the page
    speaks the language saved in the file)."""
    st.session_state[CASE_KEY] = case
    st.session_state.pop("patient_language", None)
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1
    st.session_state[MARKET_UNKNOWN_KEY] = False
    st.session_state[ROUTE_KEY] = form.route_of(case)
    reported = case.plan is None and case.reported_plan is not None
    st.session_state[STEP_KEY] = form.sequence(route(), reported=reported)[-1]


def refresh_widgets() -> None:
    """Draw every input afresh from the case (after values were filled in for her)."""
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1


def widget_key(*parts: str) -> str:
    return ":".join([*parts, str(st.session_state.get(VERSION_KEY, 0))])


def get_plan(case: Case) -> Plan | None:
    if case.plan and case.plan in get_catalog().plans:
        return get_catalog().plans[case.plan]
    if not has_plan(case):
        return None
    return service.plan_for(case)


def market_of(case: Case) -> str | None:
    """The kind of plan, as far as we know it (it picks the words of some questions)."""
    if case.plan:
        try:
            return get_plan(case).market  # type: ignore[union-attr]
        except LoadError:
            return None
    report = case.reported_plan
    return report.market if report is not None and report.market != "unknown" else None


def show_problems(problems: list[Any], intro: str) -> None:
    lines = "\n".join(f"- {md(p)}" for p in problems)
    st.error(f"{intro}\n\n{lines}")


def get_determination(case: Case) -> tuple[Plan | None, Determination | None]:
    """Run the check for the session's case; show a plain error instead of a traceback."""
    try:
        plan = get_plan(case)
        if plan is None:
            return None, None
        return plan, service.check(case, plan, language=case.language)
    except LoadError as err:
        show_problems(err.problems, words("problems.plan_or_answers"))
    except Exception:  # noqa: BLE001 - never show details: they may hold member data
        st.error(words("problems.went_wrong"))
    return None, None


def need_a_plan_first() -> None:
    st.info(words("problems.need_plan_first"))
    st.page_link(CHECK_PAGE, label=words("nav.check"), icon=":material/arrow_forward:")


def render_question(question: form.Question, value: Any, key: str) -> Any:
    """One labelled input; returns what the user entered."""
    kind = question.kind
    if kind in ("tri", "choice"):
        choices = question.choices()
        values = [v for v, _ in choices]
        labels = dict(choices)
        index = (
            values.index(value)
            if value in values
            else (values.index("unknown") if "unknown" in values else 0)
        )
        return st.radio(
            question.label,
            values,
            index=index,
            format_func=labels.__getitem__,
            horizontal=kind == "tri",
            help=question.help,
            key=key,
        )
    if kind == "text":
        return st.text_input(question.label, value=value or "", help=question.help, key=key)
    if kind == "area":
        return st.text_area(question.label, value=value or "", help=question.help, key=key)
    if kind == "lines":
        return st.text_area(
            question.label, value=value or "", height=100, help=question.help, key=key
        )
    if kind == "state":
        choices = flow.state_choices(language())
        codes = [code for code, _ in choices]
        return st.selectbox(
            question.label,
            codes,
            index=codes.index(value) if value in codes else None,
            format_func=dict(choices).__getitem__,
            help=question.help,
            placeholder=words("check.choose"),
            key=key,
        )
    if kind == "date":
        today = dt.date.today()
        return st.date_input(
            question.label,
            value=value,
            min_value=dt.date(1900, 1, 1),
            max_value=dt.date(today.year + 2, 12, 31),
            format="MM/DD/YYYY",
            help=question.help,
            key=key,
        )
    if kind == "count":
        return st.number_input(
            question.label,
            min_value=0,
            max_value=10,
            value=int(value if value is not None else 1),
            step=1,
            help=question.help,
            key=key,
        )
    raise ValueError(f"unknown question kind {kind!r}")


def take_problems(form_key: str) -> dict[str, str]:
    """The problems a refused submit left for this form (shown once: a later visit to the page
    starts clean)."""
    return dict(st.session_state.pop(PROBLEMS_KEY, {}).get(form_key, []))


def render_questions(step: form.Step, case: Case, problems: dict[str, str]) -> dict[str, Any]:
    """The step's inputs, each with the problem found in it on the last submit right below."""
    values = {}
    for q in step.questions:
        values[q.field] = render_question(
            q, form.get_answer(case, q.field), widget_key(step.key, q.field)
        )
        if q.field in problems:
            st.error(md(problems[q.field]), icon=":material/error:")
    return values


def show_problem_summary(problems: dict[str, str], questions: tuple[form.Question, ...]) -> None:
    """Above a form after a refused submit: how many answers to check, and any problem that
    belongs to no question on this page (named by its label, never by a field path)."""
    if not problems:
        return
    asked = {q.field for q in questions}
    lang = language()
    elsewhere = [
        f"- {md(form.label(key, lang))}: {md(msg)}"
        for key, msg in problems.items()
        if key not in asked
    ]
    intro = (
        words("problems.check_one")
        if len(problems) == 1
        else words("problems.check_many", count=len(problems))
    )
    st.error("\n".join([intro, "", *elsewhere]) if elsewhere else intro)


def refuse(form_key: str, err: form.FormError) -> None:
    """Keep the problems and draw the form again: each message then sits under its question."""
    st.session_state[PROBLEMS_KEY] = {form_key: err.problems}
    st.rerun()


def save_case_button(case: Case, *, key: str) -> None:
    st.download_button(
        words("save_button"),
        data=flow.case_to_yaml(case),
        file_name=flow.CASE_FILE_NAME,
        mime="application/x-yaml",
        icon=":material/download:",
        key=key,
        on_click="ignore",
    )


def english_answer(case: Case, plan: Plan, answer: Determination) -> Determination:
    """The answer the letters are built from: always the English one (a letter words every
    sentence itself, in the language it is written in)."""
    return answer if case.language == "en" else service.check(case, plan)


def letter_statuses(case: Case, plan: Plan, answer: Determination) -> dict[str, tuple]:
    """Per letter type: (status, notes, missing field paths), with status "ready", "missing"
    (what to add) or "not_needed"."""
    out = {}
    for status in service.letters_for(case, plan, answer, every_type=True):
        problem = status.problem
        if problem is None:
            out[status.letter_type] = ("ready", [], [])
        elif problem.kind == "missing":
            notes = flow.missing_field_labels(list(problem.fields), language())
            out[status.letter_type] = ("missing", notes, [p for p, _ in problem.fields])
        else:
            out[status.letter_type] = ("not_needed", [problem.message], [])
    return out


def letter_downloads(
    letter_type: str, case: Case, plan: Plan, answer: Determination, language: str = "en"
):
    """Callables that build the DOCX and the PDF when the user clicks (PDF takes seconds).
    `language`: "es" gives the Spanish copy (a reading copy of a letter to the plan, or the
    records request in Spanish)."""

    def docx() -> bytes:
        result = service.render_letter(letter_type, case, plan, answer, language=language)
        if isinstance(result, service.RenderedLetter):
            return result.docx
        raise RuntimeError("the letter could not be built")

    def pdf() -> bytes:
        return _safely(lambda: service.letters_to_pdf({"letter": docx()})["letter"])

    return docx, pdf


def _safely(build):
    # Streamlit logs a failed download's exception text; ours may quote member data, so the
    # original exception is dropped and a plain one raised instead.
    try:
        return build()
    except Exception:  # noqa: BLE001
        pass
    raise RuntimeError("the letter could not be built")
