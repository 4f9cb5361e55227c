"""Second Look web app: routing only. Pages live in app_pages/."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # page files import their shared UI helpers from app_pages/
    sys.path.insert(0, str(ROOT))

st.set_page_config(page_title="Second Look", page_icon=":material/health_and_safety:")

PATIENT_PAGES = [
    st.Page(
        "app_pages/patient_check.py",
        title="Check my coverage",
        icon=":material/fact_check:",
        url_path="check",
        default=True,
    ),
    st.Page(
        "app_pages/patient_answer.py",
        title="My answer",
        icon=":material/task_alt:",
        url_path="answer",
    ),
    st.Page(
        "app_pages/patient_letters.py",
        title="My letters",
        icon=":material/mail:",
        url_path="letters",
    ),
    st.Page(
        "app_pages/patient_guide.py",
        title="Getting a second opinion",
        icon=":material/menu_book:",
        url_path="guide",
    ),
    st.Page(
        "app_pages/patient_save.py",
        title="Save or open my answers",
        icon=":material/save:",
        url_path="save",
    ),
]

# Navigator and batch pages: add one st.Page(...) entry per page to this list.
NAVIGATOR_PAGES: list = [
    st.Page(
        "app_pages/nav_login.py",
        title="Navigator sign-in",
        icon=":material/badge:",
        url_path="navigator",
    ),
    st.Page(
        "app_pages/nav_cases.py", title="Cases", icon=":material/folder_shared:", url_path="cases"
    ),
    st.Page(
        "app_pages/nav_case_detail.py", title="Case", icon=":material/assignment:", url_path="case"
    ),
    st.Page(
        "app_pages/nav_batch.py", title="Batch letters", icon=":material/stacks:", url_path="batch"
    ),
    st.Page(
        "app_pages/nav_admin.py",
        title="Admin",
        icon=":material/admin_panel_settings:",
        url_path="admin",
    ),
]

# One flat list: Streamlit 1.67 draws section headings inside the navigation's <ul>, which is
# not valid list markup (axe-core "list", WCAG 1.3.1; tests/test_patient_stories.py).
st.navigation(PATIENT_PAGES + NAVIGATOR_PAGES).run()
