"""Check my coverage: the way in, the plan, then a few questions at a time."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from coverage import fields
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook import patient_notice as notice
from secondlook.safe_text import md

st.title("Does my plan pay for a second opinion?")
case = ui.get_case()
ui.warn_before_leaving()
words = fields.text("en")
reported = case.plan is None and case.reported_plan is not None
steps = form.sequence(ui.route(), reported=reported)
current = st.session_state.get(ui.STEP_KEY)
if current not in steps:
    current = "start"
index = steps.index(current)
if current == "start":
    st.write(
        "Answer a few short questions. In a few minutes you will know if your plan pays for a "
        "second opinion from another cancer doctor, what to do next, and you can get your "
        "letters."
    )
    st.caption("It is fine to pick Not sure. Nothing you type is stored on our server.")
    st.page_link(
        ui.GUIDE_PAGE, label="New to second opinions? Start here", icon=":material/menu_book:"
    )
st.progress(
    (index + 1) / len(steps),
    text=f"Step {index + 1} of {len(steps)}: {form.step_title(current)}",
)


def go(to: str) -> None:
    st.session_state[ui.STEP_KEY] = to
    st.rerun()


def following(key: str, *, plan_reported: bool) -> str:
    order = form.sequence(ui.route(), reported=plan_reported)
    return order[min(order.index(key) + 1, len(order) - 1)]


def start_step() -> None:
    st.subheader(form.step_title("start"))
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
        if st.form_submit_button("Next", type="primary"):
            st.session_state[ui.ROUTE_KEY] = picked
            go("plan")


def plan_step() -> None:
    st.subheader(form.step_title("plan"))
    how = st.radio(
        "How do you want to tell us about your plan?",
        ["find", "unlisted"],
        format_func={
            "find": "Find my plan in the list",
            "unlisted": "My plan is not in the list",
        }.__getitem__,
        index=1 if case.reported_plan or (case.plan or "").startswith("generic-") else 0,
        key=ui.widget_key("plan", "how"),
    )
    if how == "find":
        find_plan()
    else:
        unlisted_plan()
    if st.button("Back", icon=":material/arrow_back:", key="plan_back"):
        go("start")


def find_plan() -> None:
    catalog = ui.get_catalog()
    with st.form("plan_search"):
        text = st.text_input(
            "Search by company, plan name, or state",
            key=ui.widget_key("plan", "search"),
        )
        states = sorted({p.situs_state for p in catalog.plans.values() if p.situs_state})
        state = st.selectbox(
            "State",
            ["", *states],
            format_func=lambda s: flow.STATE_NAMES.get(s, "Any state"),
            key=ui.widget_key("plan", "state"),
        )
        markets = [m for m, _ in flow.MARKET_CHOICES if m != "unknown"]
        market = st.selectbox(
            "Kind of plan",
            ["", *markets],
            format_func=lambda m: dict(flow.MARKET_CHOICES).get(m, "Any kind"),
            key=ui.widget_key("plan", "market"),
        )
        st.form_submit_button("Search", icon=":material/search:")
    found = flow.search_plans(catalog.plans.values(), text or "", state=state, market=market)
    if not found:
        st.warning(
            "We could not find that plan. Try fewer words, or pick "
            '"My plan is not in the list" above.'
        )
        return
    if len(found) > flow.MAX_PLANS_LISTED:
        st.caption(
            f"Showing {flow.MAX_PLANS_LISTED} of {len(found)} plans. "
            "Search, or pick your state, to find yours."
        )
        found = found[: flow.MAX_PLANS_LISTED]
    ids = [p.id for p in found]
    with st.form("plan_pick"):
        picked = st.radio(
            f"Pick your plan ({len(found)} found)",
            ids,
            index=ids.index(case.plan) if case.plan in ids else None,
            format_func=lambda pid: catalog.plans[pid].name,
            captions=[flow.plan_caption(catalog.plans[pid]) for pid in ids],
            key=ui.widget_key("plan", "pick"),
        )
        if st.form_submit_button("Use this plan", type="primary"):
            if picked is None:
                st.error("Please pick your plan from the list.")
            else:
                ui.set_case(case.model_copy(update={"plan": picked, "reported_plan": None}))
                st.session_state[ui.MARKET_UNKNOWN_KEY] = False
                go(following("plan", plan_reported=False))


def unlisted_plan() -> None:
    """The kind of plan and the state first: the next questions depend on them."""
    kind = form.question("reported_plan.market")
    state = form.question("patient.state")
    known = case.reported_plan.market if case.reported_plan else None
    if case.plan and ui.get_plan(case) is not None and not case.plan.startswith("generic-"):
        known = ui.get_plan(case).market  # type: ignore[union-attr]
    st.write(
        "That is fine: most plans are not in our list. Tell us what kind of plan it is. Next, "
        "we ask for a few details from your plan card and papers."
    )
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
        submitted = st.form_submit_button("Next", type="primary")
    with st.expander("How can I tell what kind of plan I have?"):
        for tip in flow.HOW_TO_TELL_YOUR_PLAN:
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
        ui.set_case(form.write(updated, {"patient.state": where}))
        go(following("plan", plan_reported=False))
    answers = {"plan": "", "reported_plan.market": market, "patient.state": where}
    ui.set_case(form.write(case, answers))
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
            st.session_state[READING_KEY] = notice.start_reading(upload.getvalue(), upload.name)
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
    questions = tuple(form.question(key) for key in found)
    with st.form("notice_confirm"):
        values = {}
        for question in questions:
            shown, where = notice.prefill(case, question.field, found[question.field])
            values[question.field] = ui.render_question(
                question, shown, ui.widget_key("notice", question.field)
            )
            st.caption(md(where))
        use = st.form_submit_button(words.phrases["notice_use"], type="primary")
    if use:
        try:
            updated = form.write(case, {"denial": "yes", **values})
        except form.FormError as err:
            ui.show_problems(
                [f"{form.label(k)}: {m}" for k, m in err.problems], words.phrases["notice_check"]
            )
            return
        st.session_state.pop(NOTICE_KEY, None)
        ui.set_case(notice.settle_market(updated, ui.get_catalog().plans.values()))
        ui.refresh_widgets()
        st.session_state["patient_notice_used"] = True
        st.rerun()


def question_step(key: str) -> None:
    guided = form.step(key, market=ui.market_of(case))
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
        forward = st.form_submit_button("See my answer" if last else "Next", type="primary")
        now = False if last else st.form_submit_button("Skip the rest and see my answer")
        back = st.form_submit_button("Back", icon=":material/arrow_back:")
    if back or forward or now:
        try:
            updated = form.apply_answers(case, guided.questions, values)
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
