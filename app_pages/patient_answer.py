"""My answer: is the second opinion covered, what to do next, costs, deadlines and the rules."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from coverage import fields
from secondlook import ics
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook.safe_text import md

st.title("Your answer")
case = ui.get_case()
ui.warn_before_leaving()

if not ui.has_started():
    ui.need_a_plan_first()
    st.stop()

if not ui.has_plan(case):  # "Not sure" what kind of plan: say what we need and how to find out
    st.info(f"**We need to know more.** {flow.MARKET_UNKNOWN_HEADLINE}")
    st.subheader("How to find out")
    for tip in flow.HOW_TO_TELL_YOUR_PLAN:
        st.markdown(f"- {tip}")
    st.subheader("Questions to ask your plan")
    st.markdown("\n".join(f"{i}. {q}" for i, q in enumerate(flow.QUESTIONS_FOR_YOUR_PLAN, 1)))
    st.page_link(ui.CHECK_PAGE, label="Change my answers", icon=":material/edit:")
    st.stop()

plan, answer = ui.get_determination(case)
if answer is None or plan is None:
    st.page_link(ui.CHECK_PAGE, label="Change my answers", icon=":material/edit:")
    st.stop()

appeal = flow.appeal_first(case, plan, answer)
if appeal is not None:  # she was turned down: the appeal comes first
    st.error(f"**{appeal.headline}**", icon=":material/gavel:")
    for line in appeal.lines:
        st.markdown(f"- {md(line)}")
    if appeal.letters:
        titles = ", ".join(flow.LETTER_INFO[t][0] for t in appeal.letters)
        st.markdown(f"{md(fields.text().phrases['appeal_letters'])} {md(titles)}")
    if st.button("Get my appeal letters", type="primary", icon=":material/mail:"):
        st.switch_page(ui.LETTERS_PAGE)

generic = plan.id.startswith("generic-")
box = {
    "covered": st.success,
    "conditional": st.warning,
    "not-covered": st.error,
    "indeterminate": st.info,
}[answer.covered]
box(f"**{answer.headline}**")
st.caption(f"Plan: {md(flow.plan_title(plan))}. Checked on {flow.format_date(answer.as_of)}.")

facts = []
if answer.referral_needed:
    facts.append(flow.REFERRAL_LABELS[answer.referral_needed])
if answer.pa_needed:
    facts.append(flow.PA_LABELS[answer.pa_needed])
if answer.network.explanation:
    facts.append(answer.network.explanation)
for fact in facts:
    st.markdown(f"- {md(fact)}")
note = flow.timing_note(case, answer)
if note:
    st.info(md(note), icon=":material/event:")
if st.button("Get my letters", type="secondary" if appeal else "primary", icon=":material/mail:"):
    st.switch_page(ui.LETTERS_PAGE)

if answer.info_needed:
    st.subheader("What we still need to know")
    for question, why in flow.open_questions(answer):
        st.markdown(f"- **{md(question)}** {md(why)}")
    reported = case.plan is None and case.reported_plan is not None
    step = form.step_for_fields(
        [need.field for need in answer.info_needed], ui.route(), reported=reported
    )
    if step is not None and st.button("Answer these questions", icon=":material/edit:"):
        st.session_state[ui.STEP_KEY] = step
        st.switch_page(ui.CHECK_PAGE)

st.subheader("What to do next")
st.caption("Tick each step when it is done.")
for number, text in enumerate(flow.action_steps(answer), 1):
    st.checkbox(f"{number}. {text}", key=ui.widget_key("next", str(number)))

st.subheader("Records to gather")
st.caption("The second-opinion doctor needs to see what your first doctor saw.")
for number, text in enumerate(flow.records_checklist(answer), 1):
    st.checkbox(text, key=ui.widget_key("records", str(number)))

st.subheader("What it may cost")
for line in flow.cost_lines(answer):
    st.markdown(f"- {line}")
for line in flow.cost_notes(plan):
    st.markdown(f"- {md(line)}")

st.subheader("Deadlines")
if answer.deadlines:
    for deadline in answer.deadlines:
        when = flow.format_date(deadline.due) if deadline.due else "no date yet"
        st.markdown(f"**{deadline.title}:** {when}")
        st.caption("  \n".join(flow.deadline_lines(deadline)))
    st.caption(flow.NOTICE_NOTE)
    if ics.has_dated(answer.deadlines):
        st.download_button(
            "Add the dates to my calendar (.ics)",
            data=ics.deadlines_to_ics(answer.deadlines, scope=plan.id),
            file_name="second-look-deadlines.ics",
            mime="text/calendar",
            icon=":material/calendar_month:",
            on_click="ignore",
        )
else:
    st.write("No deadlines yet. If your plan says no, come back: we will work out your dates.")

if generic or answer.unverified:
    st.subheader("Questions to ask your plan")
    questions = list(flow.QUESTIONS_FOR_YOUR_PLAN) if generic else []
    questions += [q for q in answer.unverified if q not in questions]
    st.markdown("\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1)))

st.warning(flow.PAYMENT_NOTE)

with st.expander("The rules we used"):
    st.write(f"Main law for your plan: {answer.governing_law}")
    for entry in flow.trace_in_order(answer):
        label = flow.TRACE_STATUS.get(entry.status, entry.status)
        checked = f"Last checked {entry.last_verified:%B %d, %Y}." if entry.last_verified else ""
        confirm = "" if entry.verified else " Not yet confirmed: check with your plan."
        st.markdown(
            f"**{entry.title}** ({label})  \n{entry.effect}  \n"
            f"*{entry.citation}.* {checked}{confirm}"
        )

st.caption(answer.disclaimer)

st.divider()
st.page_link(ui.LETTERS_PAGE, label="Get my letters", icon=":material/mail:")
st.page_link(ui.CHECK_PAGE, label="Change my answers", icon=":material/edit:")
ui.save_case_button(case, key="save_from_answer")
