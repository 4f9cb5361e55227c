"""Shared Streamlit helpers for the navigator pages: the store, the auth gate, small widgets.

All logic lives in the `navigator` package; this module only draws. `gate()` is the one place
that decides who is signed in, on every run of every navigator page: the session must still be
valid in the database (not deactivated, reset or changed), not idle for longer than the idle
timeout, and a one-time password must be replaced before anything else. Tests under AppTest
(where `st.user` does not work) either drive its sign-in form or put an `Actor` in
`st.session_state[ACTOR_KEY]`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import time
from pathlib import Path
from typing import Any

import streamlit as st

from navigator import auth, clock, pipeline
from navigator.db import database_url, describe_url
from navigator.errors import AuthError, CaseConflict, FieldProblem, NavigatorError
from navigator.store import Actor, Store
from secondlook.files import private_dir
from secondlook.safe_text import md

ACTOR_KEY = "nav_actor"
CASE_KEY = "nav_case_id"  # the case the detail page shows
LAST_ACTIVE_KEY = "nav_last_active"
WORK_DIRS_KEY = "nav_work_dirs"
SIGNED_OUT_KEY = "signed_out_reason"  # outlives sign-out (no nav_ prefix), shown once
OIDC_ORG_KEY = "nav_oidc_org"
LOGIN_PAGE = "app_pages/nav_login.py"
CASES_PAGE = "app_pages/nav_cases.py"
MY_DAY_PAGE = "app_pages/nav_my_day.py"
DETAIL_PAGE = "app_pages/nav_case_detail.py"
ADMIN_PAGE = "app_pages/nav_admin.py"
CONFLICT_MESSAGE = (
    "Someone else saved this case since you opened it. Nothing was overwritten: your change "
    "was not saved. Reload the case to see their changes, then make your change again (case "
    "facts you typed are kept, to put back after the reload)."
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


def _oidc_identity() -> tuple[str, object] | None:
    """(e-mail, email_verified) of the OIDC identity, or None when not signed in with one."""
    try:
        if st.user.is_logged_in:
            return st.user.get("email") or "", st.user.get("email_verified")
    except Exception:  # noqa: BLE001 - st.user is unavailable (AppTest, no auth configured)
        return None
    return None


def client_source() -> str:
    """The client's address for the sign-in throttle (behind a proxy on this host, uvicorn
    takes it from X-Forwarded-For; see docs/security.md)."""
    try:
        return st.context.ip_address or auth.LOCAL_SOURCE
    except Exception:  # noqa: BLE001 - no browser context (AppTest)
        return auth.LOCAL_SOURCE


def current_actor() -> Actor | None:
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def touch() -> None:
    """Record activity (each run of a page, each action in a fragment)."""
    st.session_state[LAST_ACTIVE_KEY] = time.time()


def _idle_seconds() -> float:
    last = st.session_state.get(LAST_ACTIVE_KEY)
    return time.time() - last if last else 0.0


def still_active() -> bool:
    """For a fragment's run or a widget's callback (the gate runs only with the whole page):
    True, and the activity recorded, while the idle timeout has not passed; False means the
    caller reruns the whole page so the gate signs the session out."""
    if _idle_seconds() > auth.idle_timeout().total_seconds():
        return False
    touch()
    return True


@st.fragment(run_every=min(60.0, max(1.0, auth.idle_timeout().total_seconds() / 3)))
def _idle_watch() -> None:
    """Signs an unattended page out (and clears it from the screen) once the idle time is up."""
    if _idle_seconds() > auth.idle_timeout().total_seconds():
        st.rerun(scope="app")


def gate() -> Actor:
    """The auth gate: the signed-in user, or the sign-in page (or the set-up note) and stop."""
    actor = current_actor()
    if actor is not None:
        store = get_store()
        if _idle_seconds() > auth.idle_timeout().total_seconds():
            minutes = round(auth.idle_timeout().total_seconds() / 60)
            sign_out(f"You were signed out after {minutes} minutes without activity.", "idle")
        try:
            actor = auth.check_session(store, actor)
        except AuthError as exc:
            sign_out(str(exc), "session ended")
        st.session_state[ACTOR_KEY] = actor
        touch()
        _idle_watch()
        if actor.must_change_password:
            _choose_password_form(store, actor)
            st.stop()
        return actor
    store = get_store()
    reason = st.session_state.pop(SIGNED_OUT_KEY, None)
    if reason:
        st.info(md(reason), icon=":material/logout:")
    if oidc_configured():
        _oidc_sign_in(store)
    if auth.needs_setup(store):
        _setup_note()
    else:
        _login_form(store)
    st.stop()


def _signed_in(actor: Actor) -> None:
    st.session_state[ACTOR_KEY] = actor
    touch()
    st.rerun()


def _oidc_sign_in(store: Store) -> None:
    identity = _oidc_identity()
    if identity is None:
        return
    email, verified = identity
    chosen = st.query_params.get("org") or st.session_state.get(OIDC_ORG_KEY)
    try:
        actor = auth.login_oidc(store, email, email_verified=verified, organisation=chosen)
    except auth.ChooseOrganisation as exc:
        st.title("Choose your organisation")
        st.write("Your e-mail address has an account in each of these organisations.")
        for code, name in exc.choices:
            if st.button(md(name), key=f"nav_oidc_{code}"):  # a label is Markdown
                st.session_state[OIDC_ORG_KEY] = code
                st.rerun()
        st.stop()
    except AuthError as exc:
        st.error(md(exc))
        return
    _signed_in(actor)


def _setup_note() -> None:
    st.title("Navigator sign-in")
    st.info(
        "This workspace has no organisation yet. The server's operator creates the first one on "
        "the server, and hands its admin a one-time password:",
        icon=":material/terminal:",
    )
    st.code(
        '.venv/bin/secondlook-navigator create-organisation "Riverside Cancer Center" \\\n'
        '    --code riverside --admin ada --admin-name "Ada Admin"',
        language="bash",
    )
    st.caption("No web page can set up the workspace or add an organisation.")


def _login_form(store: Store) -> None:
    st.title("Navigator sign-in")
    if oidc_configured():
        st.button("Sign in with your organisation", type="primary", on_click=st.login)
        st.caption("Or with a Second Look username and password:")
    several = store.organisation_count() > 1
    with st.form("nav_login"):
        organisation = None
        if several:
            organisation = st.text_input(
                "Organisation", value=st.query_params.get("org", ""),
                help="Your organisation's short name, e.g. riverside (ask your admin).",
            )  # fmt: skip
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            actor = auth.login(store, username, password, organisation=organisation,
                               source=client_source())  # fmt: skip
        except AuthError as exc:
            st.error(md(exc))
            return
        _signed_in(actor)


def _choose_password_form(store: Store, actor: Actor) -> None:
    st.title("Choose your password")
    st.write(
        "You signed in with a one-time password. Choose your own before you go on: at least "
        f"{auth.MIN_PASSWORD_LENGTH} characters, known only to you."
    )
    with st.form("nav_choose_password"):
        old = st.text_input("One-time password", type="password", autocomplete="current-password")
        new = st.text_input("New password", type="password", autocomplete="new-password")
        again = st.text_input("New password again", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Save my password", type="primary")
    if submitted:
        if new != again:
            st.error("The two new passwords differ.")
            return
        try:
            _signed_in(auth.change_password(store, actor, old, new))
        except NavigatorError as exc:
            show_error(exc)


def work_root() -> Path:
    """Where work folders (batch inputs and letters) live: SECONDLOOK_WORK_DIR, default
    var/work beside the database; private to this server's user (0700)."""
    return private_dir(os.environ.get("SECONDLOOK_WORK_DIR") or Path("var") / "work")


def private_work_dir(kind: str) -> Path:
    """A folder for this session's files of one kind (batch inputs and letters): 0700, removed
    at sign-out, and after the idle timeout plus an hour without use by `purge_stale_work`."""
    dirs = st.session_state.setdefault(WORK_DIRS_KEY, {})
    path = dirs.get(kind)
    if path is None or not Path(path).is_dir():
        actor = current_actor()
        owner = actor.user_id if actor else 0
        path = private_dir(work_root() / f"{kind}-{owner}-{os.urandom(8).hex()}")
        dirs[kind] = path
    os.utime(path)  # in use: the age purge counts from here
    return Path(path)


def forget_work_dir(kind: str) -> None:
    path = st.session_state.get(WORK_DIRS_KEY, {}).pop(kind, None)
    if path:
        shutil.rmtree(path, ignore_errors=True)


def purge_stale_work(now: float | None = None) -> None:
    """Remove work folders no session has used for the idle timeout plus an hour (a browser
    closed without signing out leaves its folder behind)."""
    limit = auth.idle_timeout().total_seconds() + 3600
    now = now or time.time()
    for entry in work_root().iterdir():
        with contextlib.suppress(OSError):
            if entry.is_dir() and now - entry.stat().st_mtime > limit:
                shutil.rmtree(entry, ignore_errors=True)


def sign_out(message: str | None = None, reason: str = "") -> None:
    """End the navigator session: audit it, delete its work folders and every nav_ key, leave
    the organisation's sign-in too (OIDC), and show the sign-in page (with `message`)."""
    actor = current_actor()
    if actor is not None:
        with contextlib.suppress(NavigatorError):
            auth.logout(get_store(), actor, reason=reason)
    for path in st.session_state.get(WORK_DIRS_KEY, {}).values():
        shutil.rmtree(path, ignore_errors=True)
    for key in list(st.session_state.keys()):
        if str(key).startswith("nav_"):
            del st.session_state[key]
    if message:
        st.session_state[SIGNED_OUT_KEY] = message
    if _oidc_identity():
        st.logout()
    st.switch_page(LOGIN_PAGE)  # the other navigator pages are gone from the menu now


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


def upload_limit_mb() -> int:
    """The one upload limit: Streamlit's server.maxUploadSize (.streamlit/config.toml)."""
    return int(st.get_option("server.maxUploadSize"))


def upload_limit_bytes() -> int:
    return upload_limit_mb() * 1024 * 1024


def browser_zone() -> str | None:
    try:
        return st.context.timezone
    except Exception:  # noqa: BLE001 - no browser context (AppTest)
        return None


def local_zone() -> dt.tzinfo:
    """The signed-in user's zone (own setting, browser, organisation), else the browser's."""
    actor = current_actor()
    if actor is None:
        return clock.zone_for(None, browser_zone(), None)
    return clock.zone_for(actor.time_zone, browser_zone(), actor.organisation_time_zone)


def today() -> dt.date:
    """Today in the user's time zone (never the server's)."""
    return clock.today_in(local_zone())


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
