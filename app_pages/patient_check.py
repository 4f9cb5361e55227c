"""Check my coverage: the way in, the plan, then a few questions at a time."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from coverage import fields
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook import patient_notice as notice
from secondlook.safe_text import md

lang = ui.language_switch()
st.title(ui.words("check.title"))
case = ui.get_case()
ui.warn_before_leaving()
words = fields.text(lang)
reported = case.plan is None and case.reported_plan is not None
steps = form.sequence(ui.route(), reported=reported)
current = st.session_state.get(ui.STEP_KEY)
if current not in steps:
    current = "start"
index = steps.index(current)
if current == "start":
    st.write(ui.words("check.intro"))
    st.caption(ui.words("check.caption"))
    st.page_link(ui.GUIDE_PAGE, label=ui.words("check.guide_link"), icon=":material/menu_book:")
st.progress(
    (index + 1) / len(steps),
    text=ui.words(
        "check.progress", number=index + 1, total=len(steps), step=form.step_title(current, lang)
    ),
)


def go(to: str) -> None:
    st.session_state[ui.STEP_KEY] = to
    st.rerun()


def following(key: str, *, plan_reported: bool) -> str:
    order = form.sequence(ui.route(), reported=plan_reported)
    return order[min(order.index(key) + 1, len(order) - 1)]


def start_step() -> None:
    st.subheader(form.step_title("start", lang))
    routes = list(form.ROUTES)
    with st.form("start"):
        picked = st.radio(
            words.phrases["route_question"],
            routes,
            index=routes.index(ui.route()),
            format_func=lambda r: words.phrases[f"route_{r}"],
            help=words.phrases["route_help"],
            key=ui.widget_key("start", "route"),
        )
        if st.form_submit_button(ui.words("check.next"), type="primary"):
            st.session_state[ui.ROUTE_KEY] = picked
            go("plan")


def plan_step() -> None:
    st.subheader(form.step_title("plan", lang))
    how = st.radio(
        ui.words("check.how_to_tell_us"),
        ["find", "unlisted"],
        format_func=lambda way: ui.words(f"check.{way}"),
        index=1 if case.reported_plan or (case.plan or "").startswith("generic-") else 0,
        key=ui.widget_key("plan", "how"),
    )
    if how == "find":
        find_plan()
    else:
        unlisted_plan()
    if st.button(ui.words("check.back"), icon=":material/arrow_back:", key="plan_back"):
        go("start")


def find_plan() -> None:
    catalog = ui.get_catalog()
    with st.form("plan_search"):
        text = st.text_input(ui.words("check.search"), key=ui.widget_key("plan", "search"))
        states = sorted({p.situs_state for p in catalog.plans.values() if p.situs_state})
        names = dict(flow.state_choices(lang))
        state = st.selectbox(
            ui.words("check.state"),
            ["", *states],
            format_func=lambda s: names.get(s, ui.words("check.any_state")),
            key=ui.widget_key("plan", "state"),
        )
        kinds = dict(flow.market_choices(lang))
        markets = [m for m in kinds if m != "unknown"]
        market = st.selectbox(
            ui.words("check.kind"),
            ["", *markets],
            format_func=lambda m: kinds.get(m, ui.words("check.any_kind")),
            key=ui.widget_key("plan", "market"),
        )
        st.form_submit_button(ui.words("check.search_button"), icon=":material/search:")
    found = flow.search_plans(catalog.plans.values(), text or "", state=state, market=market)
    if not found:
        st.warning(ui.words("check.not_found"))
        return
    if len(found) > flow.MAX_PLANS_LISTED:
        st.caption(ui.words("check.showing", shown=flow.MAX_PLANS_LISTED, found=len(found)))
        found = found[: flow.MAX_PLANS_LISTED]
    ids = [p.id for p in found]
    with st.form("plan_pick"):
        picked = st.radio(
            ui.words("check.pick_plan", found=len(found)),
            ids,
            index=ids.index(case.plan) if case.plan in ids else None,
            format_func=lambda pid: catalog.plans[pid].name,
            captions=[flow.plan_caption(catalog.plans[pid], lang) for pid in ids],
            key=ui.widget_key("plan", "pick"),
        )
        if st.form_submit_button(ui.words("check.use_plan"), type="primary"):
            if picked is None:
                st.error(ui.words("check.pick_plan_error"))
            else:
                ui.set_case(case.model_copy(update={"plan": picked, "reported_plan": None}))
                st.session_state[ui.MARKET_UNKNOWN_KEY] = False
                go(following("plan", plan_reported=False))


def unlisted_plan() -> None:
    """The kind of plan and the state first: the next questions depend on them."""
    kind = form.question("reported_plan.market", lang)
    state = form.question("patient.state", lang)
    known = case.reported_plan.market if case.reported_plan else None
    if case.plan and ui.get_plan(case) is not None and not case.plan.startswith("generic-"):
        known = ui.get_plan(case).market  # type: ignore[union-attr]
    st.write(ui.words("check.unlisted_intro"))
    problems = ui.take_problems("plan_unlisted")
    ui.show_problem_summary(problems, (kind, state))
    values = [v for v, _ in kind.options]
    with st.form("plan_unlisted"):
        market = st.radio(
            kind.label,
            values,
            index=values.index(known) if known in values else None,
            format_func=dict(kind.options).__getitem__,
            key=ui.widget_key("plan", "market_reported"),
        )
        if "reported_plan.market" in problems:
            st.error(md(problems["reported_plan.market"]), icon=":material/error:")
        where = ui.render_question(state, case.patient.state, ui.widget_key("plan", "state_own"))
        if "patient.state" in problems:
            st.error(md(problems["patient.state"]), icon=":material/error:")
        submitted = st.form_submit_button(ui.words("check.next"), type="primary")
    with st.expander(ui.words("check.how_to_tell_kind")):
        for tip in flow.how_to_tell_your_plan(lang):
            st.markdown(f"- {tip}")
    if not submitted:
        return
    if market is None:
        ui.refuse(
            "plan_unlisted",
            form.FormError([("reported_plan.market", words.phrases["pick_market"])]),
        )
    if market == "unknown":  # we cannot answer yet: say what we need and how to find out
        ui.set_case(case.model_copy(update={"plan": None, "reported_plan": None}))
        st.session_state[ui.MARKET_UNKNOWN_KEY] = True
        st.switch_page(ui.ANSWER_PAGE)
    if flow.needs_state(market) and where is None:
        ui.refuse("plan_unlisted", form.FormError([("patient.state", words.phrases["pick_state"])]))
    st.session_state[ui.MARKET_UNKNOWN_KEY] = False
    nationwide = flow.nationwide_plan(ui.get_catalog().plans.values(), market)
    if nationwide:  # the same plan for everyone (Original Medicare): it is in our list
        updated = case.model_copy(update={"plan": nationwide, "reported_plan": None})
        ui.set_case(form.write(updated, {"patient.state": where}, language=lang))
        go(following("plan", plan_reported=False))
    answers = {"plan": "", "reported_plan.market": market, "patient.state": where}
    ui.set_case(form.write(case, answers, language=lang))
    go(following("plan", plan_reported=True))


NOTICE_KEY = "patient_notice_found"  # {field key: Found} read from her letter, until she confirms
READING_KEY = "patient_notice_reading"  # the NoticeJob while her letter is read


def notice_reader() -> None:
    """Read the plan's letter (in memory only, in the background: OCR takes seconds a page) and
    let her check each value before it counts."""
    phrases = words.phrases
    with st.expander(phrases["notice_upload"], expanded=ui.route() == "denied"):
        st.write(phrases["notice_intro"])
        with st.form("notice_read", clear_on_submit=True):
            upload = st.file_uploader(
                phrases["notice_upload"],
                type=["pdf", "png", "jpg", "jpeg", "tif", "tiff"],
                max_upload_size=20,
                key=ui.widget_key("notice", "file"),
            )
            read = st.form_submit_button(phrases["notice_read"], icon=":material/document_scanner:")
        if read and upload is not None:
            st.session_state.pop(NOTICE_KEY, None)
            st.session_state[READING_KEY] = notice.start_reading(
                upload.getvalue(), upload.name, language=lang
            )
        job = st.session_state.get(READING_KEY)
        if job is not None and not job.done():
            reading_progress()
        elif job is not None:
            del st.session_state[READING_KEY]
            take_reading(job.outcome())
        found = st.session_state.get(NOTICE_KEY)
        if found:
            confirm_notice(found)


@st.fragment(run_every=1)
def reading_progress() -> None:
    """While her letter is read: a running status, redrawn each second; the whole page runs
    again when the reading is done. The rest of the page stays usable meanwhile."""
    job = st.session_state.get(READING_KEY)
    if job is None or job.done():
        st.rerun()
    with st.status(words.phrases["notice_reading"], state="running"):
        st.write(words.phrases["notice_reading_wait"].format(seconds=job.seconds()))
        pages = job.pages()
        if pages is not None:  # OCR goes page by page: show which one
            read, total = pages
            page = min(read + 1, total)
            st.progress(read / total, text=words.phrases["notice_reading_page"].format(
                page=page, total=total))  # fmt: skip


def take_reading(outcome: notice.Outcome) -> None:
    if outcome.reading is None:
        st.error(md(outcome.problem or words.phrases["notice_failed"]))
        return
    found = {**notice.plan_values(outcome.reading, case), **flow.notice_values(outcome.reading)}
    if not found:
        st.warning(words.phrases["notice_nothing"])
        return
    st.session_state[NOTICE_KEY] = found


def confirm_notice(found: dict) -> None:
    st.write(words.phrases["notice_check"])
    questions = tuple(form.question(key, lang) for key in found)
    with st.form("notice_confirm"):
        values = {}
        for question in questions:
            shown, where = notice.prefill(case, question.field, found[question.field], lang)
            values[question.field] = ui.render_question(
                question, shown, ui.widget_key("notice", question.field)
            )
            st.caption(md(where))
        use = st.form_submit_button(words.phrases["notice_use"], type="primary")
    if use:
        try:
            updated = form.write(case, {"denial": "yes", **values}, language=lang)
        except form.FormError as err:
            ui.show_problems(
                [f"{form.label(k, lang)}: {m}" for k, m in err.problems],
                words.phrases["notice_check"],
            )
            return
        st.session_state.pop(NOTICE_KEY, None)
        ui.set_case(notice.settle_market(updated, ui.get_catalog().plans.values()))
        ui.refresh_widgets()
        st.session_state["patient_notice_used"] = True
        st.rerun()


def question_step(key: str) -> None:
    guided = form.step(key, lang, market=ui.market_of(case))
    form_key = f"step_{key}"
    st.subheader(guided.title)
    st.write(guided.intro)
    if key == "denial":
        notice_reader()
        if st.session_state.pop("patient_notice_used", False):
            st.success(words.phrases["notice_used"])
    problems = ui.take_problems(form_key)
    ui.show_problem_summary(problems, guided.questions)
    last = index == len(steps) - 1
    with st.form(form_key):
        values = ui.render_questions(guided, case, problems)
        forward = st.form_submit_button(
            ui.words("check.see_answer" if last else "check.next"), type="primary"
        )
        now = False if last else st.form_submit_button(ui.words("check.skip"))
        back = st.form_submit_button(ui.words("check.back"), icon=":material/arrow_back:")
    if back or forward or now:
        try:
            updated = form.apply_answers(case, guided.questions, values, language=lang)
        except form.FormError as err:
            ui.refuse(form_key, err)
            return
        ui.set_case(updated)
        if back:
            go(steps[index - 1])
        if forward and not last:
            go(steps[index + 1])
        st.switch_page(ui.ANSWER_PAGE)


if current == "start":
    start_step()
elif current == "plan":
    plan_step()
elif not ui.has_plan(case) and not st.session_state.get(ui.MARKET_UNKNOWN_KEY):
    go("plan")
else:
    question_step(current)
