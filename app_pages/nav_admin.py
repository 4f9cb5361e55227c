"""Admin: the organisation's users (add with a one-time password, change role, deactivate,
reset a password, unlock), its letter templates (letterhead, own letters), its time zone, the
address and phone on letters its navigators sign as a patient's representative, and
its audit log. Organisations are created by the site operator on the command line, never here."""

from __future__ import annotations

import streamlit as st

from app_pages import _nav_ui as ui
from navigator import auth, org_templates, representative
from navigator.errors import NavigatorError
from secondlook.safe_text import md

actor = ui.gate()
store = ui.get_store()
ui.sidebar_account(actor)

st.title("Admin")
if not actor.is_admin:
    st.info("Only admins manage users and read the audit log. Ask an admin of your organisation.")
    st.stop()

st.caption(
    f"Organisation: **{md(actor.organisation_name)}** · sign-in code `{actor.organisation_code}`"
)
users_tab, templates_tab, audit_tab, org_tab = st.tabs(
    ["Users", "Letter templates", "Audit log", "Organisation"]
)
ONE_TIME = "nav_admin_one_time"  # shown once, then forgotten


def show_one_time_password() -> None:
    handed = st.session_state.pop(ONE_TIME, None)
    if handed:
        username, password = handed
        st.success(
            f"One-time password for **{md(username)}** (shown once; hand it over privately — "
            "it must be replaced at the first sign-in):"
        )
        st.code(password, language=None)


with users_tab:
    users = auth.list_users(store, actor)
    show_one_time_password()
    st.dataframe(
        [
            {
                "Name": u.display_name,
                "Username": u.username,
                "Role": u.role,
                "Active": u.active,
                "Password": ("one-time" if u.must_change_password else "set")
                if u.has_password
                else "",
                "SSO e-mail": u.email or "",
            }
            for u in users
        ],
        hide_index=True,
    )
    with st.form("nav_add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        c1, c2 = st.columns(2)
        name = c1.text_input("Name")
        username = c2.text_input("Username")
        role = c1.selectbox("Role", ["navigator", "admin"])
        email = c2.text_input("E-mail (for organisation sign-in)", help="Optional.")
        password_sign_in = st.checkbox(
            "Can sign in with a password (a one-time password is made now)", value=True
        )
        if st.form_submit_button("Add user", type="primary"):
            try:
                made = auth.create_user(store, actor, username=username, display_name=name,
                                        role=role, email=email or None,
                                        password_sign_in=password_sign_in)  # fmt: skip
                if made.one_time_password:
                    st.session_state[ONE_TIME] = (made.username, made.one_time_password)
                st.rerun()
            except NavigatorError as exc:
                ui.show_error(exc)
    with st.form("nav_change_user"):
        st.markdown("**Change a user**")
        others = [u for u in users if u.id != actor.user_id]
        if not others:
            st.caption("No other users yet.")
        target = st.selectbox(
            "User",
            [u.id for u in others],
            format_func=lambda uid: next(
                f"{u.display_name} ({u.username})" for u in others if u.id == uid
            ),  # fmt: skip
        )
        c1, c2 = st.columns(2)
        new_role = c1.selectbox("Role", [None, "navigator", "admin"],
                                format_func=lambda r: "Keep" if r is None else r)  # fmt: skip
        new_active = c2.selectbox("Active", [None, True, False],
                                  format_func=lambda a: "Keep" if a is None
                                  else ("Active" if a else "Deactivated"))  # fmt: skip
        reset = c1.checkbox("Reset the password (ends their sessions; one-time password)")
        unlock = c2.checkbox("Unlock sign-in (after too many wrong passwords)")
        if st.form_submit_button("Save user") and target is not None:
            try:
                change = auth.update_user(store, actor, target, role=new_role, active=new_active,
                                          reset_password=reset, unlock=unlock)  # fmt: skip
                if change.one_time_password:
                    st.session_state[ONE_TIME] = (change.user.username, change.one_time_password)
                    st.rerun()
                st.success("Saved.")
            except NavigatorError as exc:
                ui.show_error(exc)

with templates_tab:
    st.caption(
        "Your letterhead (a Word .docx with your logo and address in the page header) goes on "
        "every letter; or replace a letter with your own .docx using the letter's fields "
        "(docs/letters.md). Each upload is checked before it is used."
    )
    stored = org_templates.list_templates(store, actor)
    if stored:
        st.dataframe(
            [{"Template": t.title, "Size": f"{t.size / 1024:.0f} KB", "By": t.uploaded_by,
              "When": ui.when(t.uploaded_at)} for t in stored],
            hide_index=True,
        )  # fmt: skip
    else:
        st.caption("None yet: letters use the shipped templates.")
    with st.form("nav_template_upload", clear_on_submit=True):
        kind = st.selectbox("Template", [k for k, _ in org_templates.kinds()],
                            format_func=dict(org_templates.kinds()).get)  # fmt: skip
        upload = st.file_uploader(
            "Word .docx (at most 5 MB)", type=["docx"], accept_multiple_files=False
        )
        if st.form_submit_button("Check and use", type="primary") and upload is not None:
            try:
                with st.spinner("Checking (a sample letter is made and opened in LibreOffice)"):
                    org_templates.upload_template(store, actor, kind, upload.getvalue())
                st.success("Checked and stored: new letters use it.")
            except org_templates.TemplateRejected as exc:
                st.error("This file cannot be used:")
                for problem in exc.problems:
                    st.text(problem)  # template text, shown as text, never as Markdown
            except NavigatorError as exc:
                ui.show_error(exc)
    if stored:
        with st.form("nav_template_remove"):
            gone = st.selectbox("Stop using", [t.kind for t in stored],
                                format_func=lambda k: dict(org_templates.kinds()).get(k, k))  # fmt: skip
            if st.form_submit_button("Remove"):
                try:
                    org_templates.remove_template(store, actor, gone)
                    st.success("Removed: new letters use the shipped template.")
                except NavigatorError as exc:
                    ui.show_error(exc)

with audit_tab:
    st.caption("Who did what, when. The log holds ids and field names only, never member data.")
    if st.button("Show the latest 500 events", key="nav_audit_show"):
        rows = auth.audit_log(store, actor)
        st.dataframe(
            [
                {
                    "When": ui.when(r.at),
                    "User": r.username or "",
                    "Action": r.action,
                    "Object": f"{r.object_type} #{r.object_id}" if r.object_type else "",
                    "Detail": r.detail,
                }
                for r in rows
            ],
            hide_index=True,
        )

with org_tab:
    st.write(
        "New organisations are added by the server's operator "
        "(`secondlook-navigator create-organisation`), never from this page."
    )
    with st.form("nav_org_time_zone"):
        zone = st.text_input(
            "Organisation's time zone",
            value=actor.organisation_time_zone or "",
            placeholder="America/Chicago",
            help="Used for dates when a user has set none and the browser gives none.",
        )
        if st.form_submit_button("Save time zone"):
            try:
                auth.set_organisation_time_zone(store, actor, zone)
                st.session_state[ui.ACTOR_KEY] = auth.check_session(store, actor)
                st.rerun()
            except NavigatorError as exc:
                ui.show_error(exc)
    contact = representative.letter_contact(store, actor)
    with st.form("nav_org_letter_contact"):
        st.markdown("**On letters a navigator signs as the patient's representative**")
        address = st.text_area(
            "Organisation's postal address (one line per line)",
            value="\n".join(contact.address_lines),
            help="Printed under the navigator's name and the organisation's, so the plan can "
            "answer. The navigator's own e-mail is added when their account has one.",
        )
        phone = st.text_input("Organisation's phone for letters", value=contact.phone or "")
        if st.form_submit_button("Save letter address"):
            try:
                representative.set_letter_contact(store, actor, address, phone)
                st.rerun()  # the fields show what is saved
            except NavigatorError as exc:
                ui.show_error(exc)
