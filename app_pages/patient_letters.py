"""My letters: the recommended letters, prefilled from the answers; review, edit, download."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook.safe_text import md, md_lines

st.title("Your letters")
case = ui.get_case()
ui.warn_before_leaving()

if not ui.has_started() or not ui.has_plan(case):
    ui.need_a_plan_first()
    st.stop()

plan, answer = ui.get_determination(case)
if answer is None or plan is None:
    st.stop()

st.write(
    "We filled in these letters from your answers. Check the details below, fix anything that "
    "is wrong, then download the letters."
)

statuses = ui.letter_statuses(case, plan, answer)
missing = [path for t in answer.letters for path in statuses[t][2]]
open_groups = form.groups_needing(missing)  # the groups the suggested letters still need
groups = form.letter_groups_for(case)
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
    saved = st.form_submit_button("Save these details", type="primary")
if saved:
    try:
        updated = form.apply_answers(case, questions, values)
    except form.FormError as err:
        ui.refuse("letter_details", err)
    else:
        ui.set_case(updated)
        st.session_state["patient_letters_saved"] = True
        st.rerun()
if st.session_state.pop("patient_letters_saved", False):
    st.success("Saved. Your letters now use these details.")


def letter_card(letter_type: str, status: str, notes: list[str], _: list[str]) -> None:
    title, what = flow.LETTER_INFO[letter_type]
    who, lines = flow.send_to(letter_type, case, plan)
    with st.container(border=True):
        st.markdown(f"**{title}**  \n{what}")
        if status == "not_needed":
            st.caption("You do not need this letter now.")
            return
        address = md_lines(lines) if lines else "Ask for the address, fax or website."
        st.markdown(f"*Send to:* {md(who)}  \n{address}")
        if status == "missing":
            st.warning("To finish this letter, add:\n\n" + "\n".join(f"- {item}" for item in notes))
            return
        docx, pdf = ui.letter_downloads(letter_type, case, plan, answer)
        st.download_button(
            "Download Word file (.docx)",
            data=docx,
            file_name=flow.letter_filename(letter_type, "docx"),
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            icon=":material/description:",
            key=f"docx_{letter_type}",
            on_click="ignore",
        )
        st.download_button(
            "Download PDF",
            data=pdf,
            file_name=flow.letter_filename(letter_type, "pdf"),
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            key=f"pdf_{letter_type}",
            on_click="ignore",
        )


st.subheader("Letters we suggest")
if answer.letters:
    for letter_type in answer.letters:
        letter_card(letter_type, *statuses[letter_type])
else:
    st.write("You may not need a letter right now. Other letters are below if you need them.")

others = [t for t in flow.LETTER_INFO if t not in answer.letters]
with st.expander("Other letters"):
    for letter_type in others:
        letter_card(letter_type, *statuses[letter_type])

st.subheader("How to send your letters")
st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(flow.HOW_TO_SEND, 1)))
st.subheader("Write down every call")
st.write("Insurers lose things. Each time you call your plan or a doctor's office, write down:")
st.markdown("\n".join(f"- {tip}" for tip in flow.CALL_LOG_TIPS))

st.divider()
st.page_link(ui.ANSWER_PAGE, label="Back to my answer", icon=":material/arrow_back:")
ui.save_case_button(case, key="save_from_letters")
