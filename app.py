"""Second Look web app: routing only. Pages live in app_pages/."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # page files import their shared UI helpers from app_pages/
    sys.path.insert(0, str(ROOT))

from app_pages._nav_ui import current_actor  # noqa: E402 - needs the path above
from app_pages._patient_ui import page_titles  # noqa: E402 - needs the sys.path entry above

st.set_page_config(page_title="Second Look", page_icon=":material/health_and_safety:")
titles = page_titles()  # the patient pages' names, in the patient's language

PATIENT_PAGES = [
    st.Page(
        "app_pages/patient_check.py",
        title=titles["check"],
        icon=":material/fact_check:",
        url_path="check",
        default=True,
    ),
    st.Page(
        "app_pages/patient_answer.py",
        title=titles["answer"],
        icon=":material/task_alt:",
        url_path="answer",
    ),
    st.Page(
        "app_pages/patient_letters.py",
        title=titles["letters"],
        icon=":material/mail:",
        url_path="letters",
    ),
    st.Page(
        "app_pages/patient_guide.py",
        title=titles["guide"],
        icon=":material/menu_book:",
        url_path="guide",
    ),
    st.Page(
        "app_pages/patient_save.py",
        title=titles["save"],
        icon=":material/save:",
        url_path="save",
    ),
]


def navigator_pages(signed_in: bool, is_admin: bool) -> list:
    """A signed-in navigator's pages; anyone else sees only the sign-in entry."""
    account = st.Page(
        "app_pages/nav_login.py",
        title="My account" if signed_in else "Navigator sign-in",
        icon=":material/badge:",
        url_path="navigator",
    )
    if not signed_in:
        return [account]
    pages = [
        st.Page(
            "app_pages/nav_my_day.py", title="My day", icon=":material/today:",
            url_path="my-day",
        ),
        st.Page(
            "app_pages/nav_cases.py", title="Cases", icon=":material/folder_shared:",
            url_path="cases",
        ),
        st.Page(
            "app_pages/nav_case_detail.py", title="Case", icon=":material/assignment:",
            url_path="case",
        ),
        st.Page(
            "app_pages/nav_batch.py", title="Batch letters", icon=":material/stacks:",
            url_path="batch",
        ),
    ]  # fmt: skip
    if is_admin:
        pages.append(
            st.Page(
                "app_pages/nav_admin.py",
                title="Admin",
                icon=":material/admin_panel_settings:",
                url_path="admin",
            )  # fmt: skip
        )
    return [*pages, account]


# Patients see only their pages and, last, one entry for staff. The navigator pages exist (and
# can be reached by URL) only in a signed-in navigator's session; each page still checks.
# One flat list: Streamlit 1.67 draws section headings inside the navigation's <ul>, which is
# not valid list markup (axe-core "list", WCAG 1.3.1; tests/test_patient_stories.py).
actor = current_actor()
page = st.navigation(
    PATIENT_PAGES + navigator_pages(actor is not None, actor is not None and actor.is_admin)
)
st.set_page_config(page_title=f"{page.title} · Second Look")  # each page its own browser title
page.run()
