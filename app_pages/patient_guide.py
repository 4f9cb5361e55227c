"""Getting a second opinion: when, how to ask, where to go, and the usual worries."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from secondlook import guidance

lang = ui.language_switch()
st.title(ui.words("guide.title"))

for section in guidance.sections(lang):
    st.subheader(section.title)
    if section.intro:
        st.write(section.intro)
    if section.key == "ask":
        st.info(f"*\u201c{guidance.ask_script(lang)}\u201d*")
    for point in section.points:
        st.markdown(f"- {point}")
    if section.outro:
        st.write(section.outro)
    if section.key == "where":
        st.link_button(
            ui.words("guide.find_center"),
            guidance.NCI_FIND_A_CENTER_URL,
            icon=":material/open_in_new:",
        )

st.divider()
st.page_link(ui.CHECK_PAGE, label=ui.words("nav.check"), icon=":material/fact_check:")
