"""Navigator sign-in and account: log in (or set up the workspace on first run), sign out,
change password."""

from __future__ import annotations

import streamlit as st

from app_pages import _nav_ui as ui
from navigator import auth
from navigator.errors import NavigatorError
from secondlook.safe_text import md

actor = ui.gate()
store = ui.get_store()
ui.sidebar_account(actor)

st.title("Navigator workspace")
role = "Admin" if actor.is_admin else "Navigator"
st.write(
    f"Signed in as **{md(actor.display_name)}** ({role}) at **{md(actor.organisation_name)}**."
)
st.page_link(ui.CASES_PAGE, label="Go to cases and deadlines", icon=":material/arrow_forward:")
if actor.is_admin:
    st.page_link(ui.ADMIN_PAGE, label="Manage users and read the audit log",
                 icon=":material/admin_panel_settings:")  # fmt: skip

with st.expander("Change my password"), st.form("nav_change_password", clear_on_submit=True):
    old = st.text_input("Current password", type="password")
    new = st.text_input(
        "New password", type="password", help=f"At least {auth.MIN_PASSWORD_LENGTH} characters."
    )
    again = st.text_input("New password again", type="password")
    if st.form_submit_button("Change password"):
        if new != again:
            st.error("The two new passwords differ.")
        else:
            try:
                auth.change_password(store, actor, old, new)
                st.success("Password changed.")
            except NavigatorError as exc:
                ui.show_error(exc)

if st.button("Sign out", type="secondary"):
    ui.sign_out()
