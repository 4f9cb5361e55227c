"""Save or open my answers: the case as a file on the user's device, never on the server."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from coverage import fields
from coverage.loader import LoadError
from secondlook import patient_form as form

st.title("Save or open my answers")
st.write(
    "We do not keep your answers on our server. To come back later, save them to a file on "
    "your phone or computer. Then open that file here."
)

st.subheader("Save")
if ui.has_started():
    st.caption("The file may hold private health details. Keep it somewhere safe.")
    ui.save_case_button(ui.get_case(), key="save_from_save_page")
else:
    st.write("You have no answers to save yet.")
    st.page_link(ui.CHECK_PAGE, label="Check my coverage", icon=":material/fact_check:")

st.subheader("Open")
with st.form("open_case", clear_on_submit=True):
    upload = st.file_uploader(
        "Open a saved file (.yaml or .json)",
        type=["yaml", "yml", "json"],
        max_upload_size=1,  # MB: a case file is a few kilobytes
        key=ui.widget_key("open", "file"),
    )
    opened = st.form_submit_button("Open my answers", type="primary")
if opened:
    if upload is None:
        st.error("Please choose your saved file first.")
    else:
        try:
            case = form.read_case_file(upload.getvalue().decode("utf-8"))
            if case.plan:
                ui.get_plan(case)  # the plan must still exist
        except UnicodeDecodeError:
            st.error("That file is not a Second Look file. It is not plain text.")
        except form.FormError as err:
            ui.show_problems(
                [message for _, message in err.problems], "We could not open that file:"
            )
        except LoadError:
            st.error(fields.text("en").phrases["plan_gone"])
        else:
            ui.replace_case(case)
            st.session_state["patient_opened"] = True
            st.rerun()
if st.session_state.pop("patient_opened", False):
    st.success("Your answers are back.")
    st.page_link(ui.ANSWER_PAGE, label="See my answer", icon=":material/task_alt:")
    st.page_link(ui.CHECK_PAGE, label="Change my answers", icon=":material/edit:")
