"""Save or open my answers: the case as a file on the user's device, never on the server."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from coverage import fields
from coverage.loader import LoadError
from coverage.text import say
from secondlook import patient_form as form

lang = ui.language_switch()
st.title(ui.words("save.title"))
st.write(ui.words("save.intro"))

st.subheader(ui.words("save.save"))
if ui.has_started():
    st.caption(ui.words("save.private"))
    ui.save_case_button(ui.get_case(), key="save_from_save_page")
else:
    st.write(ui.words("save.nothing_yet"))
    st.page_link(ui.CHECK_PAGE, label=ui.words("nav.check"), icon=":material/fact_check:")

st.subheader(ui.words("save.open"))
with st.form("open_case", clear_on_submit=True):
    upload = st.file_uploader(
        ui.words("save.upload"),
        type=["yaml", "yml", "json"],
        max_upload_size=1,  # MB: a case file is a few kilobytes
        key=ui.widget_key("open", "file"),
    )
    opened = st.form_submit_button(ui.words("save.open_button"), type="primary")
if opened:
    if upload is None:
        st.error(ui.words("save.choose_first"))
    else:
        try:
            case = form.read_case_file(upload.getvalue().decode("utf-8"), lang)
            if case.plan:
                ui.get_plan(case)  # the plan must still exist
        except UnicodeDecodeError:
            st.error(ui.words("save.not_text"))
        except form.FormError as err:
            ui.show_problems(
                [message for _, message in err.problems], ui.words("save.could_not_open")
            )
        except LoadError:
            st.error(fields.text(lang).phrases["plan_gone"])
        else:
            ui.replace_case(case)
            st.session_state["patient_opened"] = True
            st.rerun()
if st.session_state.pop("patient_opened", False):
    st.success(ui.words("save.back"))
    st.page_link(ui.ANSWER_PAGE, label=ui.words("check.see_answer"), icon=":material/task_alt:")
    change = say("pages.answer_page.change_answers", lang)
    st.page_link(ui.CHECK_PAGE, label=change, icon=":material/edit:")
