"""Shared Streamlit helpers for the navigator pages: the store, the auth gate, small widgets.

All logic lives in the `navigator` package; this module only draws. `gate()` is the one place
that decides who is logged in: tests under AppTest (where `st.user` does not work) either drive
its login form or put an `Actor` in `st.session_state[ACTOR_KEY]`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from navigator import auth, pipeline
from navigator.db import database_url, describe_url
from navigator.errors import AuthError, CaseConflict, FieldProblem, NavigatorError
from navigator.store import Actor, Store
from secondlook.safe_text import md

ACTOR_KEY = "nav_actor"
CASE_KEY = "nav_case_id"  # the case the detail page shows
LOGIN_PAGE = "app_pages/nav_login.py"
CASES_PAGE = "app_pages/nav_cases.py"
DETAIL_PAGE = "app_pages/nav_case_detail.py"
ADMIN_PAGE = "app_pages/nav_admin.py"
CONFLICT_MESSAGE = (
    "Someone else saved this case since you opened it. Nothing was overwritten: your change "
    "was not saved. Reload the case to see their changes, then make your change again."
)


@st.cache_resource(show_spinner="Opening the case store…")
def _store_for(url: str) -> Store:
    return Store.open(url)


def get_store() -> Store:
    """The case store for this server (created and migrated on first use)."""
    url = database_url()
    try:
        return _store_for(url)
    except Exception as exc:  # noqa: BLE001 - say which store, never a traceback
        st.error(
            f"The case store ({describe_url(url)}) could not be opened: {type(exc).__name__}. "
            "Check DATABASE_URL or SECONDLOOK_DB_PATH."
        )
        st.stop()


def oidc_configured() -> bool:
    """True when `[auth]` is set in secrets.toml, so `st.login` (OIDC) can be offered."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _oidc_email() -> str | None:
    try:
        if st.user.is_logged_in:
            return st.user.get("email")
    except Exception:  # noqa: BLE001 - st.user is unavailable (AppTest, no auth configured)
        return None
    return None


def current_actor() -> Actor | None:
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def gate() -> Actor:
    """The auth gate: returns the logged-in user, or draws login / first-run set-up and stops."""
    actor = current_actor()
    if actor is not None:
        return actor
    store = get_store()
    if oidc_configured():
        email = _oidc_email()
        if email:
            try:
                st.session_state[ACTOR_KEY] = auth.login_oidc(store, email)
                st.rerun()
            except AuthError as exc:
                st.error(md(exc))
    if auth.needs_setup(store):
        _setup_form(store)
    else:
        _login_form(store)
    st.stop()


def _setup_form(store: Store) -> None:
    st.title("Set up the navigator workspace")
    st.write(
        "No one has set up this workspace yet. Create your organisation and the first admin "
        "account. The admin then adds the navigators."
    )
    with st.form("nav_setup"):
        org = st.text_input("Organisation", placeholder="e.g. Riverside Cancer Center")
        name = st.text_input("Your name")
        username = st.text_input("Username", help="Lower-case letters, digits, . _ @ -")
        password = st.text_input(
            "Password", type="password", help=f"At least {auth.MIN_PASSWORD_LENGTH} characters."
        )
        again = st.text_input("Password again", type="password")
        submitted = st.form_submit_button("Create workspace", type="primary")
    if submitted:
        if password != again:
            st.error("The two passwords differ.")
            return
        try:
            actor = auth.first_run_setup(
                store, organisation=org, username=username, display_name=name, password=password
            )
        except NavigatorError as exc:
            show_error(exc)
            return
        st.session_state[ACTOR_KEY] = actor
        st.rerun()


def _login_form(store: Store) -> None:
    st.title("Navigator sign-in")
    if oidc_configured():
        st.button("Sign in with your organisation", type="primary", on_click=st.login)
        st.caption("Or with a Second Look username and password:")
    with st.form("nav_login"):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            st.session_state[ACTOR_KEY] = auth.login(store, username, password)
        except AuthError as exc:
            st.error(md(exc))
            return
        st.rerun()


def sign_out() -> None:
    actor = current_actor()
    if actor is not None:
        auth.logout(get_store(), actor)
    for key in list(st.session_state.keys()):
        if str(key).startswith("nav_"):
            del st.session_state[key]
    if _oidc_email():
        st.logout()
    st.rerun()


# A table's own "Download as CSV" would be an export that bypasses the audit log: exports go
# through the audited Import / export tab instead.
_HIDE_TABLE_DOWNLOAD = (
    "<style>[data-testid='stElementToolbar'] button[aria-label='Download as CSV']"
    "{display: none !important;}</style>"
)


def sidebar_account(actor: Actor) -> None:
    st.html(_HIDE_TABLE_DOWNLOAD)
    with st.sidebar:
        st.caption(f"Signed in as **{md(actor.display_name)}** · {md(actor.organisation_name)}")
        if st.button("Sign out", key="nav_sign_out", icon=":material/logout:"):
            sign_out()


def show_error(exc: Exception) -> None:
    """A domain error in words; field problems as a list naming the fields."""
    if isinstance(exc, CaseConflict):
        st.error(CONFLICT_MESSAGE, icon=":material/sync_problem:")
    elif isinstance(exc, FieldProblem):
        lines = "\n".join(
            f"- **{md(exc.label(field))}**: {md(msg)}" for field, msg in exc.problems.items()
        )
        st.error(f"Please correct:\n\n{lines}")
    else:
        st.error(md(exc))


def local_zone() -> dt.tzinfo:
    try:
        name = st.context.timezone
        return ZoneInfo(name) if name else dt.UTC
    except Exception:  # noqa: BLE001 - unknown zone name or no browser context
        return dt.UTC


def when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(local_zone())
    return local.strftime("%Y-%m-%d %H:%M")


def day(value: dt.date | None) -> str:
    return value.strftime("%a %d %b %Y") if value else ""


def status_label(status: str) -> str:
    return pipeline.label(status)


def days_text(days: int) -> str:
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days == 0:
        return "due today"
    return f"in {days} day{'s' if days != 1 else ''}"


def open_case_page(case_id: int) -> None:
    """Go to a case; it is read afresh (and the view logged) rather than from an old copy."""
    for key in [k for k in st.session_state if str(k).startswith("nav_detail:")]:
        del st.session_state[key]
    st.session_state[CASE_KEY] = case_id
    st.switch_page(DETAIL_PAGE, query_params={"case": str(case_id)})


def choice_index(options: list[Any], value: Any, default: int = 0) -> int:
    return options.index(value) if value in options else default
