"""My letters: the recommended letters, prefilled from the answers; review, edit, download.

A letter to a US plan is sent in English; a patient who reads Spanish gets, beside it, a Spanish
reading copy of the same letter (titled as a translation, not to send). The records request goes
to an office that keeps her records, so it exists as a real letter in both languages.
"""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook.safe_text import md, md_lines

lang = ui.language_switch()
st.title(ui.words("letters.title"))
case = ui.get_case()
ui.warn_before_leaving()

if not ui.has_started() or not ui.has_plan(case):
    ui.need_a_plan_first()
    st.stop()

plan, answer = ui.get_determination(case)
if answer is None or plan is None:
    st.stop()

st.write(ui.words("letters.intro"))

english = ui.english_answer(case, plan, answer)  # the letters are built from it
statuses = ui.letter_statuses(case, plan, english)
missing = [path for t in answer.letters for path in statuses[t][2]]
open_groups = form.groups_needing(missing)  # the groups the suggested letters still need
groups = form.letter_groups_for(case, lang)
questions = tuple(q for group in groups for q in group.questions)
problems = ui.take_problems("letter_details")

ui.show_problem_summary(problems, questions)
with st.form("letter_details"):
    values: dict = {}
    for group in groups:
        has_problem = any(q.field in problems for q in group.questions)
        with st.expander(group.title, expanded=group.key in open_groups or has_problem):
            st.caption(group.intro)
            values.update(ui.render_questions(group, case, problems))
    saved = st.form_submit_button(ui.words("letters.save_details"), type="primary")
if saved:
    try:
        updated = form.apply_answers(case, questions, values, language=lang)
    except form.FormError as err:
        ui.refuse("letter_details", err)
    else:
        ui.set_case(updated)
        st.session_state["patient_letters_saved"] = True
        st.rerun()
if st.session_state.pop("patient_letters_saved", False):
    st.success(ui.words("letters.saved"))

letter_info = flow.letter_info(lang)


def downloads(letter_type: str, language: str, docx_label: str, pdf_label: str) -> None:
    """The letter as Word and as PDF, in one language (built when she clicks)."""
    docx, pdf = ui.letter_downloads(letter_type, case, plan, english, language)
    st.download_button(
        docx_label,
        data=docx,
        file_name=flow.letter_filename(letter_type, "docx", language),
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        icon=":material/description:",
        key=f"docx_{letter_type}_{language}",
        on_click="ignore",
    )
    st.download_button(
        pdf_label,
        data=pdf,
        file_name=flow.letter_filename(letter_type, "pdf", language),
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key=f"pdf_{letter_type}_{language}",
        on_click="ignore",
    )


def letter_card(letter_type: str, status: str, notes: list[str], _: list[str]) -> None:
    title, what = letter_info[letter_type]
    who, lines = flow.send_to(letter_type, case, plan, lang)
    with st.container(border=True):
        st.markdown(f"**{title}**  \n{what}")
        if status == "not_needed":
            st.caption(ui.words("letters.not_needed"))
            return
        address = md_lines(lines) if lines else ui.words("letters.ask_address")
        st.markdown(f"*{ui.words('letters.send_to')}* {md(who)}  \n{address}")
        if status == "missing":
            items = "\n".join(f"- {item}" for item in notes)  # our own words, never hers
            st.warning(f"{ui.words('letters.to_finish')}\n\n{items}")
            return
        english = ("letters.download_docx", "letters.download_pdf")
        downloads(letter_type, "en", *(ui.words(key) for key in english))
        if lang == "en":
            return
        if letter_type == "records_request":  # a real letter she may send in Spanish
            st.caption(ui.words("letters.records_spanish"))
            spanish = ("letters.records_docx", "letters.records_pdf")
        else:
            st.caption(ui.words("letters.reading_copy"))
            spanish = ("letters.reading_docx", "letters.reading_pdf")
        downloads(letter_type, lang, *(ui.words(key) for key in spanish))


st.subheader(ui.words("letters.suggested"))
if answer.letters:
    for letter_type in answer.letters:
        letter_card(letter_type, *statuses[letter_type])
else:
    st.write(ui.words("letters.none_now"))

others = [t for t in letter_info if t not in answer.letters]
with st.expander(ui.words("letters.others")):
    for letter_type in others:
        letter_card(letter_type, *statuses[letter_type])

st.subheader(ui.words("letters.how_to_send"))
st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(flow.how_to_send(lang), 1)))
st.subheader(ui.words("letters.call_log"))
st.write(ui.words("letters.call_log_intro"))
st.markdown("\n".join(f"- {tip}" for tip in flow.call_log_tips(lang)))

st.divider()
st.page_link(ui.ANSWER_PAGE, label=ui.words("letters.back_to_answer"), icon=":material/arrow_back:")
ui.save_case_button(case, key="save_from_letters")
