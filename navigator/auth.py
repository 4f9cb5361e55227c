"""Accounts: organisations (created by the site operator), password sign-in (argon2) with a
throttle, organisation sign-in (OIDC) by verified e-mail, sessions, user management.

Roles: `navigator` (works cases of their organisation) and `admin` (also manages the
organisation's users and reads its audit log). A user belongs to exactly one organisation;
usernames and e-mail addresses are unique within an organisation only, so nothing an admin does
reveals who has an account elsewhere. Organisations are created only from the command line
(`secondlook-navigator create-organisation`), never from a web page.

Every new password an admin or the operator hands out is a one-time password: the account must
choose its own at the next sign-in before it can do anything else. A password change or reset
and a deactivation raise the account's session epoch, which ends its open sessions.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from navigator import audit, throttle
from navigator.errors import AuthError, FieldProblem, NotFound
from navigator.store import ROLES, Actor, Store, current_user
from navigator.tables import Organisation, User, utcnow

MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
LOGIN_FAILED = (
    "Wrong username or password (after 10 wrong tries, sign-in from this network waits "
    "15 minutes; an admin can unlock the account)."
)
NO_OIDC_ACCOUNT = (
    "You are signed in with your organisation, but there is no active Second Look account for "
    "your e-mail address. Ask your admin to add you."
)
OIDC_UNVERIFIED = (
    "Your organisation's sign-in did not confirm that this e-mail address is yours, so it "
    "cannot open a Second Look account. Ask your IT team to verify the address."
)
LOCKOUT_ATTEMPTS = throttle.ACCOUNT_ATTEMPTS
LOCKOUT_WINDOW = throttle.WINDOW
LOCAL_SOURCE = "local"


def idle_timeout(environ: dict[str, str] | None = None) -> dt.timedelta:
    """How long a signed-in page may sit unused before it signs out (SECONDLOOK_IDLE_MINUTES,
    default 30)."""
    env = os.environ if environ is None else environ
    try:
        minutes = float(env.get("SECONDLOOK_IDLE_MINUTES", "30"))
    except ValueError:
        minutes = 30.0
    return dt.timedelta(minutes=max(minutes, 0.05))


_hasher = PasswordHasher()
# Verified against when the username does not exist, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return stored is not None and _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    """A password to hand over once (about 96 bits); the account must replace it."""
    return secrets.token_urlsafe(12)


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldProblem({field: f"must be at least {MIN_PASSWORD_LENGTH} characters"})
    if password.strip() != password or not password.strip():
        raise FieldProblem({field: "must not start or end with spaces"})


def _clean_username(username: str) -> str:
    value = username.strip().lower()
    if not USERNAME_RE.match(value):
        raise FieldProblem(
            {"username": "2-100 characters: lower-case letters, digits, and . _ @ -"}
        )
    return value


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    value = email.strip().lower()
    if not EMAIL_RE.match(value):
        raise FieldProblem({"email": "is not an e-mail address"})
    return value


def _clean_name(value: str, field: str, limit: int = 200) -> str:
    value = " ".join(value.split())
    if not value:
        raise FieldProblem({field: "is required"})
    if len(value) > limit:
        raise FieldProblem({field: f"must be at most {limit} characters"})
    return value


def clean_time_zone(value: str | None) -> str | None:
    """An IANA time-zone name (America/Chicago), or None for "not set"."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldProblem(
            {"time_zone": "is not a time zone name such as America/Chicago"}
        ) from None
    return value


def _clean_code(code: str) -> str:
    value = code.strip().lower()
    if not CODE_RE.match(value):
        raise FieldProblem({"code": "2-40 characters: lower-case letters, digits and -"})
    return value


# ---------------------------------------------------------------------------------------------
# Organisations (site operator)


@dataclass(frozen=True)
class NewAccount:
    """An account just made, with the one-time password to hand over (None for SSO only)."""

    organisation_id: int
    organisation_code: str
    user_id: int
    username: str
    one_time_password: str | None


def needs_setup(store: Store) -> bool:
    """True until the operator has created the first organisation."""
    return store.organisation_count() == 0


def create_organisation(
    store: Store,
    *,
    name: str,
    code: str,
    admin_username: str,
    admin_display_name: str,
    admin_email: str | None = None,
    time_zone: str | None = None,
) -> NewAccount:
    """The site operator adds an organisation and its first admin (from the command line: no
    web page can do this). The admin gets a one-time password, to change at first sign-in."""
    name = _clean_name(name, "organisation")
    code = _clean_code(code)
    username = _clean_username(admin_username)
    display_name = _clean_name(admin_display_name, "display_name")
    email = _clean_email(admin_email)
    zone = clean_time_zone(time_zone)
    password = one_time_password()
    with store.transaction() as session:
        problems = {}
        if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
            problems["organisation"] = "an organisation with this name exists"
        if session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
            problems["code"] = "is already used by another organisation"
        if problems:
            raise FieldProblem(problems)
        org = Organisation(name=name, code=code, time_zone=zone, created_at=utcnow())
        session.add(org)
        session.flush()
        user = User(
            organisation_id=org.id, username=username, display_name=display_name, email=email,
            password_hash=hash_password(password), role="admin", active=True,
            must_change_password=True, session_epoch=0, created_at=utcnow(),
        )  # fmt: skip
        session.add(user)
        session.flush()
        audit.record(
            session, "organisation_create", organisation_id=org.id, user_id=None,
            object_type="organisation", object_id=org.id, detail="by the site operator",
        )  # fmt: skip
        audit.record(
            session, "user_create", organisation_id=org.id, user_id=None, object_type="user",
            object_id=user.id, detail="role=admin (first admin, one-time password)",
        )  # fmt: skip
        return NewAccount(org.id, org.code, user.id, username, password)


def operator_reset_password(store: Store, organisation_code: str, username: str) -> NewAccount:
    """The site operator gives an account a new one-time password (an organisation whose only
    admin is locked out). Ends the account's sessions and clears its sign-in throttle."""
    code = organisation_code.strip().lower()
    name = username.strip().lower()
    password = one_time_password()
    with store.transaction() as session:
        user = session.scalar(
            select(User)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(Organisation.code == code, User.username == name)
        )
        if user is None:
            raise NotFound("No such user in that organisation.")
        _new_one_time_password(session, user, password)
        audit.record(
            session, "user_update", organisation_id=user.organisation_id, user_id=None,
            object_type="user", object_id=user.id, detail="password reset by the site operator",
        )  # fmt: skip
        return NewAccount(user.organisation_id, code, user.id, user.username, password)


def list_organisations(store: Store) -> list[tuple[str, str, int]]:
    """(code, name, users) of every organisation, for the site operator."""
    with store.transaction() as session:
        rows = session.execute(
            select(Organisation.code, Organisation.name, func.count(User.id))
            .outerjoin(User, User.organisation_id == Organisation.id)
            .group_by(Organisation.id)
            .order_by(Organisation.code)
        )
        return [(code, name, count) for code, name, count in rows]


def _new_one_time_password(session, user: User, password: str) -> None:  # noqa: ANN001
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_epoch = (user.session_epoch or 0) + 1
    throttle.clear_account(session, user.id)


# ---------------------------------------------------------------------------------------------
# Signing in and out


def _organisation(session, code: str | None) -> Organisation | None:  # noqa: ANN001
    """The organisation named by its code; without a code, the only one there is."""
    if code and code.strip():
        return session.scalar(select(Organisation).where(Organisation.code == code.strip().lower()))
    orgs = session.scalars(select(Organisation).limit(2)).all()
    return orgs[0] if len(orgs) == 1 else None


def login(
    store: Store,
    username: str,
    password: str,
    *,
    organisation: str | None = None,
    source: str | None = None,
) -> Actor:
    """Check a username and password; raises AuthError with one message for every failure.

    `organisation` is the organisation's code (needed when the server holds several); `source`
    the client's address (the throttle's key). The attempt is counted and committed *before*
    the password is checked; every failure is in the audit log (without the typed username).
    """
    src = (source or LOCAL_SOURCE)[:100]
    name = username.strip().lower()
    with store.transaction() as session:
        org = _organisation(session, organisation)
        user = None
        if org is not None and name:
            user = session.scalar(
                select(User).where(User.organisation_id == org.id, User.username == name)
            )
        user_id, org_id = (user.id if user else None), (org.id if org else None)
        password_hash = user.password_hash if user else None
    with store.transaction() as session:  # writes only: waits for the lock, never a stale read
        allowed = throttle.take(session, throttle.source_key(src), throttle.SOURCE_ATTEMPTS)
        if user_id is not None:
            key = throttle.account_key(user_id, src)
            allowed = throttle.take(session, key, throttle.ACCOUNT_ATTEMPTS) and allowed
    stored = password_hash if allowed else None
    # The slow check runs after the count is committed, so parallel tries see each other.
    ok = _verify(stored or _DUMMY_HASH, password) and stored is not None
    with store.transaction() as session:
        user = session.get(User, user_id) if user_id is not None else None
        if ok and user is not None and user.active and user.password_hash == stored:
            throttle.clear(session, throttle.account_key(user.id, src))
            throttle.give_back(session, throttle.source_key(src))
            throttle.forget_old(session)
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            audit.record(
                session, "login", organisation_id=user.organisation_id, user_id=user.id,
                detail="password (one-time)" if user.must_change_password else "password",
            )  # fmt: skip
            return Actor.of(user, user.organisation)
        # The typed username is not logged: it could be anything, even a patient's name.
        reason = "unknown username" if user is None else "rejected" if stored else "throttled"
        audit.record(session, "login_failed", organisation_id=org_id, user_id=user_id,
                     detail=reason)  # fmt: skip
    raise AuthError(LOGIN_FAILED)


class ChooseOrganisation(AuthError):
    """A verified e-mail address has accounts in several organisations: the person picks one."""

    def __init__(self, choices: list[tuple[str, str]]):
        self.choices = choices  # (code, name), only organisations where this address has one
        super().__init__("Your e-mail address has an account in several organisations.")


def _is_verified(flag: object) -> bool:
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def login_oidc(
    store: Store, email: str | None, *, email_verified: object, organisation: str | None = None
) -> Actor:
    """Map an identity from `st.login` (OIDC) to an active account by its e-mail address.

    Only an address the identity provider marks `email_verified` counts. Accounts are never
    created from a sign-in: an admin adds the user with that e-mail first.
    """
    address = (email or "").strip().lower()
    if not _is_verified(email_verified):
        with store.transaction() as session:
            audit.record(session, "login_failed", organisation_id=None, user_id=None,
                         detail="oidc: e-mail not verified")  # fmt: skip
        raise AuthError(OIDC_UNVERIFIED)
    with store.transaction() as session:
        stmt = select(User).where(User.email == address, User.active.is_(True))
        if organisation:
            stmt = stmt.join(Organisation, Organisation.id == User.organisation_id).where(
                Organisation.code == organisation.strip().lower()
            )
        users = session.scalars(stmt).all() if address else []
        if len(users) == 1:
            user = users[0]
            user.last_login_at = utcnow()
            audit.record(session, "login", organisation_id=user.organisation_id,
                         user_id=user.id, detail="oidc")  # fmt: skip
            return Actor.of(user, user.organisation, via="oidc")
        if len(users) > 1:
            raise ChooseOrganisation(
                sorted((u.organisation.code, u.organisation.name) for u in users)
            )
        audit.record(session, "login_failed", organisation_id=None, user_id=None,
                     detail="oidc: no active account")  # fmt: skip
    raise AuthError(NO_OIDC_ACCOUNT)


def check_session(store: Store, actor: Actor) -> Actor:
    """The signed-in user as the database has them now; AuthError if the session has ended
    (deactivated, role changed, password changed or reset since signing in)."""
    with store.transaction() as session:
        user = current_user(session, actor)
        return Actor.of(user, user.organisation, via=actor.via)


def change_password(store: Store, actor: Actor, old_password: str, new_password: str) -> Actor:
    """A user replaces their password (the current one is checked; a one-time password too).

    Other open sessions of the account end; the returned Actor keeps this one going.
    """
    _check_password(new_password, "new_password")
    with store.transaction() as session:
        user = session.get(User, actor.user_id)
        if user is None or not user.active or (user.session_epoch or 0) != actor.session_epoch:
            raise AuthError("Your session has ended or your account changed: sign in again.")
        if not _verify(user.password_hash, old_password):
            raise FieldProblem({"current_password": "is not right"})
        if _verify(user.password_hash, new_password):
            raise FieldProblem({"new_password": "must differ from the current password"})
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        user.session_epoch = (user.session_epoch or 0) + 1
        audit.record(
            session, "user_update", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="user", object_id=user.id, detail="own password",
        )  # fmt: skip
        return Actor.of(user, user.organisation, via=actor.via)


def set_own_time_zone(store: Store, actor: Actor, zone: str | None) -> Actor:
    """A user's own time zone (None: the browser's, then the organisation's)."""
    clean = clean_time_zone(zone)
    with store.acting(actor) as (session, user):
        user.time_zone = clean
        audit.record(session, "user_update", organisation_id=actor.organisation_id,
                     user_id=user.id, object_type="user", object_id=user.id,
                     detail="own time zone")  # fmt: skip
        return Actor.of(user, user.organisation, via=actor.via)


def set_organisation_time_zone(store: Store, actor: Actor, zone: str | None) -> None:
    clean = clean_time_zone(zone)
    with store.acting(actor, admin=True) as (session, user):
        user.organisation.time_zone = clean
        audit.record(session, "user_update", organisation_id=actor.organisation_id,
                     user_id=user.id, object_type="organisation",
                     object_id=actor.organisation_id, detail="time zone")  # fmt: skip


def logout(store: Store, actor: Actor, *, reason: str = "") -> None:
    with store.transaction() as session:
        audit.record(
            session, "logout", organisation_id=actor.organisation_id, user_id=actor.user_id,
            detail=reason,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Users (an organisation's admin)


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    active: bool
    has_password: bool
    must_change_password: bool = False


def _info(user: User) -> UserInfo:
    return UserInfo(
        user.id, user.username, user.display_name, user.email, user.role, user.active,
        user.password_hash is not None, bool(user.must_change_password),
    )  # fmt: skip


def list_users(store: Store, actor: Actor, *, include_inactive: bool = True) -> list[UserInfo]:
    """The users of the actor's organisation (any role may list them, to assign cases)."""
    with store.acting(actor) as (session, _):
        stmt = select(User).where(User.organisation_id == actor.organisation_id)
        if not include_inactive:
            stmt = stmt.where(User.active.is_(True))
        return [_info(u) for u in session.scalars(stmt.order_by(User.display_name, User.id))]


def _check_unique(
    session, organisation_id: int, username: str, email: str | None, exclude_id: int | None = None
) -> None:  # noqa: ANN001
    """Unique within the organisation (other organisations' accounts are never consulted)."""
    problems = {}
    in_org = User.organisation_id == organisation_id
    taken = session.scalar(select(User.id).where(in_org, User.username == username))
    if taken is not None and taken != exclude_id:
        problems["username"] = "is already taken"
    if email is not None:
        taken = session.scalar(select(User.id).where(in_org, User.email == email))
        if taken is not None and taken != exclude_id:
            problems["email"] = "already belongs to another account"
    if problems:
        raise FieldProblem(problems)


def create_user(
    store: Store,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str = "navigator",
    email: str | None = None,
    password_sign_in: bool = True,
) -> NewAccount:
    """An admin adds a user to their own organisation: with a one-time password (shown once,
    changed at first sign-in), an e-mail for organisation sign-in, or both."""
    username = _clean_username(username)
    display_name = _clean_name(display_name, "display_name")
    email = _clean_email(email)
    if role not in ROLES:
        raise FieldProblem({"role": f"must be one of {', '.join(ROLES)}"})
    if not password_sign_in and email is None:
        raise FieldProblem({"email": "give an e-mail address for organisation sign-in, or "
                                     "let the user sign in with a password"})  # fmt: skip
    password = one_time_password() if password_sign_in else None
    with store.acting(actor, admin=True) as (session, _):
        _check_unique(session, actor.organisation_id, username, email)
        user = User(
            organisation_id=actor.organisation_id, username=username, display_name=display_name,
            email=email, password_hash=hash_password(password) if password else None, role=role,
            active=True, must_change_password=password is not None, session_epoch=0,
            created_at=utcnow(),
        )  # fmt: skip
        session.add(user)
        try:
            session.flush()
        except IntegrityError:  # a parallel add of the same name
            raise FieldProblem({"username": "is already taken"}) from None
        audit.record(
            session, "user_create", organisation_id=actor.organisation_id,
            user_id=actor.user_id, object_type="user", object_id=user.id, detail=f"role={role}",
        )  # fmt: skip
        return NewAccount(actor.organisation_id, actor.organisation_code, user.id, username,
                          password)  # fmt: skip


@dataclass(frozen=True)
class UserChange:
    user: UserInfo
    one_time_password: str | None  # set when the password was reset


def update_user(
    store: Store,
    actor: Actor,
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    reset_password: bool = False,
    email: str | None = None,
    unlock: bool = False,
) -> UserChange:
    """An admin changes a user of their organisation. A deactivation, role change or password
    reset ends the user's open sessions. Admins cannot lock themselves out."""
    if role is not None and role not in ROLES:
        raise FieldProblem({"role": f"must be one of {', '.join(ROLES)}"})
    with store.acting(actor, admin=True) as (session, _):
        user = session.get(User, user_id)
        if user is None or user.organisation_id != actor.organisation_id:
            raise NotFound(f"No user #{user_id} in your organisation.")
        if user.id == actor.user_id and (role == "navigator" or active is False or reset_password):
            raise FieldProblem({"role": "you cannot remove your own admin role, deactivate "
                                "yourself or reset your own password here; ask another admin"})  # fmt: skip
        changed: list[str] = []
        password = None
        if role is not None and role != user.role:
            user.role = role
            changed.append(f"role={role}")
        if active is not None and active != user.active:
            user.active = active
            user.session_epoch = (user.session_epoch or 0) + 1
            changed.append(f"active={active}")
        if reset_password:
            password = one_time_password()
            _new_one_time_password(session, user, password)
            changed.append("password reset")
        if email is not None:
            clean = _clean_email(email)
            _check_unique(session, actor.organisation_id, user.username, clean, exclude_id=user.id)
            user.email = clean
            changed.append("email")
        if unlock and throttle.clear_account(session, user.id):
            changed.append("unlocked")
        if changed:
            audit.record(
                session, "user_update", organisation_id=actor.organisation_id,
                user_id=actor.user_id, object_type="user", object_id=user.id,
                detail=", ".join(changed),
            )  # fmt: skip
        return UserChange(_info(user), password)


def audit_log(store: Store, actor: Actor, *, limit: int = 500) -> list[audit.AuditRow]:
    """The admin's view of their organisation's audit log (the viewing is itself logged)."""
    with store.acting(actor, admin=True) as (session, _):
        rows = audit.rows(session, actor.organisation_id, limit=limit)
        audit.record(
            session, "audit_view", organisation_id=actor.organisation_id, user_id=actor.user_id
        )
        return rows
