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

lang = ui.language_switch()


def page(key: str, **args) -> str:  # noqa: ANN003
    return say(f"pages.answer_page.{key}", lang, **args)


st.title(page("title"))
case = ui.get_case()
ui.warn_before_leaving()

if not ui.has_started():
    ui.need_a_plan_first()
    st.stop()

if not ui.has_plan(case):  # "Not sure" what kind of plan: say what we need and how to find out
    st.info(f"**{page('need_more')}** {flow.market_unknown_headline(lang)}")
    st.subheader(page("how_to_find_out"))
    for tip in flow.how_to_tell_your_plan(lang):
        st.markdown(f"- {tip}")
    st.subheader(page("questions_for_plan"))
    questions = flow.questions_for_your_plan(lang)
    st.markdown("\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1)))
    st.page_link(ui.CHECK_PAGE, label=page("change_answers"), icon=":material/edit:")
    st.stop()

plan, answer = ui.get_determination(case)
if answer is None or plan is None:
    st.page_link(ui.CHECK_PAGE, label=page("change_answers"), icon=":material/edit:")
    st.stop()

letter_info = flow.letter_info(lang)
appeal = flow.appeal_first(case, plan, answer, lang)
if appeal is not None:  # she was turned down: the appeal comes first
    st.error(f"**{appeal.headline}**", icon=":material/gavel:")
    for line in appeal.lines:
        st.markdown(f"- {md(line)}")
    if appeal.letters:
        titles = ", ".join(letter_info[t][0] for t in appeal.letters)
        st.markdown(f"{md(fields.text(lang).phrases['appeal_letters'])} {md(titles)}")
    if st.button(page("get_appeal_letters"), type="primary", icon=":material/mail:"):
        st.switch_page(ui.LETTERS_PAGE)

generic = plan.id.startswith("generic-")
box = {
    "covered": st.success,
    "conditional": st.warning,
    "not-covered": st.error,
    "indeterminate": st.info,
}[answer.covered]
box(f"**{flow.answer_headline(case, answer, lang)}**")
st.caption(page("plan_line", plan=md(flow.plan_title(plan, lang)), day=answer.as_of))

for fact in flow.answer_facts(answer, lang):
    st.markdown(f"- {md(fact)}")
note = flow.timing_note(case, answer, lang)
if note:
    st.info(md(note), icon=":material/event:")
if st.button(
    page("get_letters"),
    type="secondary" if appeal else "primary",
    icon=":material/mail:",
):
    st.switch_page(ui.LETTERS_PAGE)

if answer.info_needed:
    st.subheader(page("still_need"))
    for question, why in flow.open_questions(answer):
        st.markdown(f"- **{md(question)}** {md(why)}")
    reported = case.plan is None and case.reported_plan is not None
    step = form.step_for_fields(
        [need.field for need in answer.info_needed], ui.route(), reported=reported
    )
    if step is not None and st.button(page("answer_these"), icon=":material/edit:"):
        st.session_state[ui.STEP_KEY] = step
        st.switch_page(ui.CHECK_PAGE)

st.subheader(page("next"))
st.caption(page("tick"))
for number, text in enumerate(flow.action_steps(answer), 1):
    st.checkbox(f"{number}. {text}", key=ui.widget_key("next", str(number)))

st.subheader(page("records"))
st.caption(page("records_caption"))
for number, text in enumerate(flow.records_checklist(answer, lang), 1):
    st.checkbox(text, key=ui.widget_key("records", str(number)))

st.subheader(page("cost"))
for line in flow.cost_lines(answer, lang):
    st.markdown(f"- {line}")
for line in flow.cost_notes(plan, lang):
    st.markdown(f"- {md(line)}")

st.subheader(page("deadlines"))
if answer.deadlines:
    for deadline in answer.deadlines:
        no_date = say("pages.deadline.no_date", lang)
        when = flow.format_date(deadline.due, lang) if deadline.due else no_date
        st.markdown(f"**{deadline.title}:** {when}")
        st.caption("  \n".join(flow.deadline_lines(deadline, lang)))
    st.caption(flow.notice_note(lang))
    if ics.has_dated(answer.deadlines):
        st.download_button(
            page("calendar"),
            data=ics.deadlines_to_ics(answer.deadlines, scope=plan.id, language=lang),
            file_name="second-look-deadlines.ics",
            mime="text/calendar",
            icon=":material/calendar_month:",
            on_click="ignore",
        )
else:
    st.write(say("pages.deadline.none_yet", lang))

if generic or answer.unverified:
    st.subheader(page("questions_for_plan"))
    questions = list(flow.questions_for_your_plan(lang)) if generic else []
    questions += [q for q in answer.unverified if q not in questions]
    st.markdown("\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1)))

st.warning(flow.payment_note(lang))

with st.expander(page("rules")):
    st.write(page("main_law", law=answer.governing_law))
    statuses = flow.trace_status(lang)
    for entry in flow.trace_in_order(answer):
        label = statuses.get(entry.status, entry.status)
        checked = page("last_checked", day=entry.last_verified) if entry.last_verified else ""
        confirm = "" if entry.verified else " " + page("not_confirmed")
        citation = flow.citation_words(entry.citation, lang)
        st.markdown(
            f"**{entry.title}** ({label})  \n{entry.effect}  \n*{citation}.* {checked}{confirm}"
        )

st.caption(answer.disclaimer)

st.divider()
st.page_link(ui.LETTERS_PAGE, label=page("get_letters"), icon=":material/mail:")
st.page_link(ui.CHECK_PAGE, label=page("change_answers"), icon=":material/edit:")
ui.save_case_button(case, key="save_from_answer")
