"""My answer: is the second opinion covered, what to do next, costs, deadlines and the rules."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from coverage import fields
from coverage.text import say
from secondlook import ics
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook.safe_text import md

st.title(say("pages.answer_page.title"))
case = ui.get_case()
ui.warn_before_leaving()

if not ui.has_started():
    ui.need_a_plan_first()
    st.stop()

if not ui.has_plan(case):  # "Not sure" what kind of plan: say what we need and how to find out
    st.info(f"**{say('pages.answer_page.need_more')}** {flow.MARKET_UNKNOWN_HEADLINE}")
    st.subheader(say("pages.answer_page.how_to_find_out"))
    for tip in flow.HOW_TO_TELL_YOUR_PLAN:
        st.markdown(f"- {tip}")
    st.subheader(say("pages.answer_page.questions_for_plan"))
    st.markdown("\n".join(f"{i}. {q}" for i, q in enumerate(flow.QUESTIONS_FOR_YOUR_PLAN, 1)))
    st.page_link(
        ui.CHECK_PAGE, label=say("pages.answer_page.change_answers"), icon=":material/edit:"
    )
    st.stop()

plan, answer = ui.get_determination(case)
if answer is None or plan is None:
    st.page_link(
        ui.CHECK_PAGE, label=say("pages.answer_page.change_answers"), icon=":material/edit:"
    )
    st.stop()

appeal = flow.appeal_first(case, plan, answer)
if appeal is not None:  # she was turned down: the appeal comes first
    st.error(f"**{appeal.headline}**", icon=":material/gavel:")
    for line in appeal.lines:
        st.markdown(f"- {md(line)}")
    if appeal.letters:
        titles = ", ".join(flow.LETTER_INFO[t][0] for t in appeal.letters)
        st.markdown(f"{md(fields.text().phrases['appeal_letters'])} {md(titles)}")
    if st.button(
        say("pages.answer_page.get_appeal_letters"), type="primary", icon=":material/mail:"
    ):
        st.switch_page(ui.LETTERS_PAGE)

generic = plan.id.startswith("generic-")
box = {
    "covered": st.success,
    "conditional": st.warning,
    "not-covered": st.error,
    "indeterminate": st.info,
}[answer.covered]
box(f"**{flow.answer_headline(case, answer)}**")
st.caption(say("pages.answer_page.plan_line", plan=md(flow.plan_title(plan)), day=answer.as_of))

for fact in flow.answer_facts(answer):
    st.markdown(f"- {md(fact)}")
note = flow.timing_note(case, answer)
if note:
    st.info(md(note), icon=":material/event:")
if st.button(
    say("pages.answer_page.get_letters"),
    type="secondary" if appeal else "primary",
    icon=":material/mail:",
):
    st.switch_page(ui.LETTERS_PAGE)

if answer.info_needed:
    st.subheader(say("pages.answer_page.still_need"))
    for question, why in flow.open_questions(answer):
        st.markdown(f"- **{md(question)}** {md(why)}")
    reported = case.plan is None and case.reported_plan is not None
    step = form.step_for_fields(
        [need.field for need in answer.info_needed], ui.route(), reported=reported
    )
    if step is not None and st.button(
        say("pages.answer_page.answer_these"), icon=":material/edit:"
    ):
        st.session_state[ui.STEP_KEY] = step
        st.switch_page(ui.CHECK_PAGE)

st.subheader(say("pages.answer_page.next"))
st.caption(say("pages.answer_page.tick"))
for number, text in enumerate(flow.action_steps(answer), 1):
    st.checkbox(f"{number}. {text}", key=ui.widget_key("next", str(number)))

st.subheader(say("pages.answer_page.records"))
st.caption(say("pages.answer_page.records_caption"))
for number, text in enumerate(flow.records_checklist(answer), 1):
    st.checkbox(text, key=ui.widget_key("records", str(number)))

st.subheader(say("pages.answer_page.cost"))
for line in flow.cost_lines(answer):
    st.markdown(f"- {line}")
for line in flow.cost_notes(plan):
    st.markdown(f"- {md(line)}")

st.subheader(say("pages.answer_page.deadlines"))
if answer.deadlines:
    for deadline in answer.deadlines:
        when = flow.format_date(deadline.due) if deadline.due else say("pages.deadline.no_date")
        st.markdown(f"**{deadline.title}:** {when}")
        st.caption("  \n".join(flow.deadline_lines(deadline)))
    st.caption(flow.NOTICE_NOTE)
    if ics.has_dated(answer.deadlines):
        st.download_button(
            say("pages.answer_page.calendar"),
            data=ics.deadlines_to_ics(answer.deadlines, scope=plan.id),
            file_name="second-look-deadlines.ics",
            mime="text/calendar",
            icon=":material/calendar_month:",
            on_click="ignore",
        )
else:
    st.write(say("pages.deadline.none_yet"))

if generic or answer.unverified:
    st.subheader(say("pages.answer_page.questions_for_plan"))
    questions = list(flow.QUESTIONS_FOR_YOUR_PLAN) if generic else []
    questions += [q for q in answer.unverified if q not in questions]
    st.markdown("\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1)))

st.warning(flow.PAYMENT_NOTE)

with st.expander(say("pages.answer_page.rules")):
    st.write(say("pages.answer_page.main_law", law=answer.governing_law))
    for entry in flow.trace_in_order(answer):
        label = flow.TRACE_STATUS.get(entry.status, entry.status)
        checked = (
            say("pages.answer_page.last_checked", day=entry.last_verified)
            if entry.last_verified
            else ""
        )
        confirm = "" if entry.verified else " " + say("pages.answer_page.not_confirmed")
        st.markdown(
            f"**{entry.title}** ({label})  \n{entry.effect}  \n"
            f"*{entry.citation}.* {checked}{confirm}"
        )

st.caption(answer.disclaimer)

st.divider()
st.page_link(ui.LETTERS_PAGE, label=say("pages.answer_page.get_letters"), icon=":material/mail:")
st.page_link(ui.CHECK_PAGE, label=say("pages.answer_page.change_answers"), icon=":material/edit:")
ui.save_case_button(case, key="save_from_answer")
