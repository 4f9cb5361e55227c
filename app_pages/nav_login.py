"""Navigator sign-in and account: sign in (the gate draws the form), sign out, change the
password, choose a time zone."""

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
st.page_link(ui.MY_DAY_PAGE, label="My day: what is due", icon=":material/today:")
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
                st.session_state[ui.ACTOR_KEY] = auth.change_password(store, actor, old, new)
                st.success("Password changed. Your other open sessions have ended.")
            except NavigatorError as exc:
                ui.show_error(exc)

with st.expander("My time zone"), st.form("nav_time_zone"):
    st.caption(
        f"Dates (today, the call log, letters, deadlines) are shown for {ui.local_zone()}. "
        "Leave empty to use your browser's zone, then your organisation's."
    )
    zone = st.text_input("Time zone", value=actor.time_zone or "",
                         placeholder=ui.browser_zone() or "America/Chicago")  # fmt: skip
    if st.form_submit_button("Save time zone"):
        try:
            st.session_state[ui.ACTOR_KEY] = auth.set_own_time_zone(store, actor, zone)
            st.rerun()
        except NavigatorError as exc:
            ui.show_error(exc)

if st.button("Sign out", type="secondary"):
    ui.sign_out()
