"""Getting a second opinion: when, how to ask, where to go, and the usual worries."""

from __future__ import annotations

import streamlit as st

from app_pages import _patient_ui as ui
from secondlook import guidance

st.title("Getting a second opinion")

for section in guidance.SECTIONS:
    st.subheader(section.title)
    if section.intro:
        st.write(section.intro)
    if section is guidance.ASK:
        st.info(f"*\u201c{guidance.ASK_SCRIPT}\u201d*")
    for point in section.points:
        st.markdown(f"- {point}")
    if section.outro:
        st.write(section.outro)
    if section is guidance.WHERE:
        st.link_button(
            "Find an NCI cancer center",
            guidance.NCI_FIND_A_CENTER_URL,
            icon=":material/open_in_new:",
        )

st.divider()
st.page_link(ui.CHECK_PAGE, label="Check my coverage", icon=":material/fact_check:")
