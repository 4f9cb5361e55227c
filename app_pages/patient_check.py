"""Check my coverage: a short guided form, a few questions at a time."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from coverage.loader import LoadError
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook import service

st.title("Does my plan pay for a second opinion?")
case = ui.get_case()
step = st.session_state.setdefault(ui.STEP_KEY, 0)
if step == 0:
    st.write(
        "Answer a few short questions. In a few minutes you will know if your plan pays for a "
        "second opinion from another cancer doctor, what to do next, and you can get your "
        "letters."
    )
    st.caption("It is fine to pick Not sure. Nothing you type is stored on our server.")
    st.page_link(
        ui.GUIDE_PAGE, label="New to second opinions? Start here", icon=":material/menu_book:"
    )
total = len(form.STEP_TITLES)
st.progress((step + 1) / total, text=f"Step {step + 1} of {total}: {form.STEP_TITLES[step]}")


def go(to: int) -> None:
    st.session_state[ui.STEP_KEY] = max(0, min(total - 1, to))
    st.rerun()


def plan_step() -> None:
    st.subheader("Your plan")
    how = st.radio(
        "How do you want to tell us about your plan?",
        ["find", "generic"],
        format_func={
            "find": "Find my plan in the list",
            "generic": "I don't know my plan's details",
        }.__getitem__,
        index=1 if case.plan and case.plan.startswith("generic-") else 0,
        key=ui.widget_key("plan", "how"),
    )
    if how == "find":
        find_plan()
    else:
        generic_plan()


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
            "\"I don't know my plan's details\" above."
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
                ui.set_case(case.model_copy(update={"plan": picked}))
                st.session_state[ui.MARKET_UNKNOWN_KEY] = False
                go(1)


def generic_plan() -> None:
    current = ui.get_plan(case) if case.plan and case.plan.startswith("generic-") else None
    market_values = [m for m, _ in flow.MARKET_CHOICES]
    state_values = [s for s, _ in flow.STATE_CHOICES]
    funding_values = [f for f, _ in flow.FUNDING_CHOICES]
    st.write(
        "We will answer from the rules for your kind of plan and your state, and tell you what "
        "to ask your plan."
    )
    with st.form("plan_generic"):
        market = st.radio(
            "How do you get your health plan?",
            market_values,
            index=market_values.index(current.market) if current else None,
            format_func=dict(flow.MARKET_CHOICES).__getitem__,
            key=ui.widget_key("plan", "market_generic"),
        )
        known_state = (current.situs_state if current else None) or case.patient.state
        state = st.selectbox(
            "Which state do you live in?",
            state_values,
            index=state_values.index(known_state) if known_state in state_values else None,
            format_func=flow.STATE_NAMES.__getitem__,
            placeholder="Pick your state",
            key=ui.widget_key("plan", "state_generic"),
        )
        funding = st.radio(
            "If you get the plan through a job: who pays the medical bills?",
            funding_values,
            index=funding_values.index(current.funding)
            if current and current.funding in funding_values
            else 2,
            format_func=dict(flow.FUNDING_CHOICES).__getitem__,
            help=flow.FUNDING_HELP,
            key=ui.widget_key("plan", "funding"),
        )
        if st.form_submit_button("Next", type="primary"):
            if market is None:
                st.error("Please pick how you get your plan, or pick Not sure.")
                return
            patient = case.patient.model_copy(update={"state": state})
            if market == "unknown":
                ui.set_case(case.model_copy(update={"plan": None, "patient": patient}))
                st.session_state[ui.MARKET_UNKNOWN_KEY] = True
                go(1)
            if state is None and flow.needs_state(market):
                st.error("Please pick your state.")
                return
            try:
                plan = service.generic_plan(market, state, flow.generic_funding(market, funding))
            except LoadError as err:
                ui.show_problems(err.problems, "We could not use those answers:")
                return
            ui.set_case(case.model_copy(update={"plan": plan.id, "patient": patient}))
            st.session_state[ui.MARKET_UNKNOWN_KEY] = False
            go(1)
    with st.expander("How can I tell what kind of plan I have?"):
        for tip in flow.HOW_TO_TELL_YOUR_PLAN:
            st.markdown(f"- {tip}")


def question_step(index: int) -> None:
    guided = form.GUIDED_STEPS[index - 1]
    form_key = f"step_{guided.key}"
    st.subheader(guided.title)
    st.write(guided.intro)
    problems = ui.take_problems(form_key)
    ui.show_problem_summary(problems, guided.questions)
    with st.form(form_key):
        values = ui.render_questions(guided, case, problems)
        last = index == total - 1
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
            go(index - 1)
        if forward and not last:
            go(index + 1)
        st.switch_page(ui.ANSWER_PAGE)


if step == 0:
    plan_step()
elif not case.plan and not st.session_state.get(ui.MARKET_UNKNOWN_KEY):
    st.session_state[ui.STEP_KEY] = 0
    st.rerun()
else:
    question_step(step)
