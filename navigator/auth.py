"""Accounts: first-run set-up, password login (argon2), OIDC login by e-mail, user management.

Roles: `navigator` (works cases of their organisation) and `admin` (also manages the
organisation's users, reads its audit log, and can create further organisations). A user belongs
to exactly one organisation.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, text

from navigator import audit
from navigator.errors import AuthError, FieldProblem, NotFound, SetupError
from navigator.store import ROLES, Actor, Store
from navigator.tables import AuditEvent, Organisation, User, utcnow

MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOGIN_FAILED = "Wrong username or password (after 10 wrong tries an account waits 15 minutes)."
LOCKOUT_ATTEMPTS = 10
LOCKOUT_WINDOW = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the username does not exist, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldProblem({"password": f"must be at least {MIN_PASSWORD_LENGTH} characters"})
    if password.strip() != password or not password.strip():
        raise FieldProblem({"password": "must not start or end with spaces"})


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


def needs_setup(store: Store) -> bool:
    """True until the first admin exists."""
    return store.user_count() == 0


def first_run_setup(
    store: Store, *, organisation: str, username: str, display_name: str, password: str
) -> Actor:
    """Create the first organisation and its admin. Refused once any user exists."""
    org_name = _clean_name(organisation, "organisation")
    username = _clean_username(username)
    display_name = _clean_name(display_name, "display_name")
    _check_password(password)
    with store.transaction() as session:
        if store.dialect == "postgresql":  # serialise concurrent set-ups
            session.execute(text("SELECT pg_advisory_xact_lock(7431001)"))
        if session.scalar(select(func.count()).select_from(User)):
            raise SetupError("Set-up is already done: log in instead.")
        org = Organisation(name=org_name, created_at=utcnow())
        session.add(org)
        session.flush()
        user = User(
            organisation_id=org.id,
            username=username,
            display_name=display_name,
            password_hash=hash_password(password),
            role="admin",
            active=True,
            created_at=utcnow(),
            last_login_at=utcnow(),
        )
        session.add(user)
        session.flush()
        if session.scalar(select(func.count()).select_from(User)) != 1:
            raise SetupError("Set-up is already done: log in instead.")
        audit.record(
            session, "setup", organisation_id=org.id, user_id=user.id, object_type="user",
            object_id=user.id, detail="first admin and organisation created",
        )  # fmt: skip
        return Actor.of(user, org)


def _recent_failures(session, user_id: int) -> int:  # noqa: ANN001
    """Failed sign-ins of an account within the lock-out window since its last good one."""
    since = utcnow() - LOCKOUT_WINDOW
    last_ok = session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.user_id == user_id, AuditEvent.action == "login"
        )
    )
    if last_ok is not None and last_ok > since:
        since = last_ok
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.user_id == user_id,
                AuditEvent.action == "login_failed",
                AuditEvent.at > since,
            )
        )
        or 0
    )


def login(store: Store, username: str, password: str) -> Actor:
    """Check a username and password; raises AuthError with one message for every failure.

    A failed attempt is written to the audit log (committed) before the error is raised.
    """
    name = username.strip().lower()
    with store.transaction() as session:
        user = session.scalar(select(User).where(User.username == name)) if name else None
        locked = user is not None and _recent_failures(session, user.id) >= LOCKOUT_ATTEMPTS
        usable = user is not None and user.password_hash and not locked
        stored = user.password_hash if usable else _DUMMY_HASH
        try:
            ok = _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if locked:
            ok = False
        if user is None or not user.active or user.password_hash is None or not ok:
            # The typed username is not logged: it could be anything, even a patient's name.
            audit.record(
                session,
                "login_failed",
                organisation_id=user.organisation_id if user else None,
                user_id=user.id if user else None,
                detail="unknown username" if user is None else "locked" if locked else "rejected",
            )
            actor = None
        else:
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            audit.record(
                session, "login", organisation_id=user.organisation_id, user_id=user.id,
                detail="password",
            )  # fmt: skip
            actor = Actor.of(user, user.organisation)
    if actor is None:
        raise AuthError(LOGIN_FAILED)
    return actor


def login_oidc(store: Store, email: str | None) -> Actor:
    """Map an identity from `st.login` (OIDC) to an account by its e-mail address.

    Accounts are never created from a login: an admin adds the user with that e-mail first.
    """
    address = (email or "").strip().lower()
    with store.transaction() as session:
        user = session.scalar(select(User).where(User.email == address)) if address else None
        if user is None or not user.active:
            audit.record(
                session, "login_failed", organisation_id=user.organisation_id if user else None,
                user_id=user.id if user else None, detail="oidc: no active account",
            )  # fmt: skip
            actor = None
        else:
            user.last_login_at = utcnow()
            audit.record(
                session, "login", organisation_id=user.organisation_id, user_id=user.id,
                detail="oidc",
            )  # fmt: skip
            actor = Actor.of(user, user.organisation)
    if actor is None:
        raise AuthError(
            "You are signed in with your organisation, but there is no active Second Look "
            "account for your e-mail address. Ask your admin to add you."
        )
    return actor


def change_password(store: Store, actor: Actor, old_password: str, new_password: str) -> None:
    """A user changes their own password (the old one is checked)."""
    _check_password(new_password)
    with store.acting(actor) as (session, user):
        try:
            ok = user.password_hash is not None and _hasher.verify(user.password_hash, old_password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            raise FieldProblem({"current_password": "is not right"})
        user.password_hash = hash_password(new_password)
        audit.record(
            session, "user_update", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="user", object_id=user.id, detail="own password",
        )  # fmt: skip


def logout(store: Store, actor: Actor) -> None:
    with store.transaction() as session:
        audit.record(
            session, "logout", organisation_id=actor.organisation_id, user_id=actor.user_id
        )


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    active: bool
    has_password: bool


def _info(user: User) -> UserInfo:
    return UserInfo(
        user.id,
        user.username,
        user.display_name,
        user.email,
        user.role,
        user.active,
        user.password_hash is not None,
    )


def list_users(store: Store, actor: Actor, *, include_inactive: bool = True) -> list[UserInfo]:
    """The users of the actor's organisation (any role may list them, to assign cases)."""
    with store.acting(actor) as (session, _):
        stmt = select(User).where(User.organisation_id == actor.organisation_id)
        if not include_inactive:
            stmt = stmt.where(User.active.is_(True))
        return [_info(u) for u in session.scalars(stmt.order_by(User.display_name, User.id))]


def _check_unique(session, username: str, email: str | None, exclude_id: int | None = None):  # noqa: ANN001
    problems = {}
    taken = session.scalar(select(User.id).where(User.username == username))
    if taken is not None and taken != exclude_id:
        problems["username"] = "is already taken"
    if email is not None:
        taken = session.scalar(select(User.id).where(User.email == email))
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
    password: str | None = None,
    email: str | None = None,
) -> UserInfo:
    """An admin adds a user to their own organisation (a password, an e-mail for OIDC, or both)."""
    username = _clean_username(username)
    display_name = _clean_name(display_name, "display_name")
    email = _clean_email(email)
    if role not in ROLES:
        raise FieldProblem({"role": f"must be one of {', '.join(ROLES)}"})
    if password is None and email is None:
        raise FieldProblem({"password": "give a password, or an e-mail address for SSO login"})
    if password is not None:
        _check_password(password)
    with store.acting(actor, admin=True) as (session, _):
        _check_unique(session, username, email)
        user = User(
            organisation_id=actor.organisation_id,
            username=username,
            display_name=display_name,
            email=email,
            password_hash=hash_password(password) if password is not None else None,
            role=role,
            active=True,
            created_at=utcnow(),
        )
        session.add(user)
        session.flush()
        audit.record(
            session, "user_create", organisation_id=actor.organisation_id,
            user_id=actor.user_id, object_type="user", object_id=user.id, detail=f"role={role}",
        )  # fmt: skip
        return _info(user)


def update_user(
    store: Store,
    actor: Actor,
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    email: str | None = None,
) -> UserInfo:
    """An admin changes a user of their organisation. Admins cannot lock themselves out."""
    if role is not None and role not in ROLES:
        raise FieldProblem({"role": f"must be one of {', '.join(ROLES)}"})
    if password is not None:
        _check_password(password)
    with store.acting(actor, admin=True) as (session, _):
        user = session.get(User, user_id)
        if user is None or user.organisation_id != actor.organisation_id:
            raise NotFound(f"No user #{user_id} in your organisation.")
        if user.id == actor.user_id and (role == "navigator" or active is False):
            raise FieldProblem({"role": "you cannot remove your own admin role or deactivate "
                                "yourself; ask another admin"})  # fmt: skip
        changed = []
        if role is not None and role != user.role:
            user.role, changed = role, [*changed, f"role={role}"]
        if active is not None and active != user.active:
            user.active, changed = active, [*changed, f"active={active}"]
        if password is not None:
            user.password_hash, changed = hash_password(password), [*changed, "password"]
        if email is not None:
            clean = _clean_email(email)
            _check_unique(session, user.username, clean, exclude_id=user.id)
            user.email, changed = clean, [*changed, "email"]
        if changed:
            audit.record(
                session, "user_update", organisation_id=actor.organisation_id,
                user_id=actor.user_id, object_type="user", object_id=user.id,
                detail=", ".join(changed),
            )  # fmt: skip
        return _info(user)


def create_organisation(
    store: Store,
    actor: Actor,
    *,
    name: str,
    admin_username: str,
    admin_display_name: str,
    admin_password: str,
) -> int:
    """An admin sets up another organisation with its first admin. The creating admin gets no
    access to the new organisation's cases. Returns the new organisation's id."""
    name = _clean_name(name, "organisation")
    username = _clean_username(admin_username)
    display_name = _clean_name(admin_display_name, "display_name")
    _check_password(admin_password)
    with store.acting(actor, admin=True) as (session, _):
        if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
            raise FieldProblem({"organisation": "an organisation with this name exists"})
        _check_unique(session, username, None)
        org = Organisation(name=name, created_at=utcnow())
        session.add(org)
        session.flush()
        user = User(
            organisation_id=org.id,
            username=username,
            display_name=display_name,
            password_hash=hash_password(admin_password),
            role="admin",
            active=True,
            created_at=utcnow(),
        )
        session.add(user)
        session.flush()
        audit.record(
            session, "organisation_create", organisation_id=actor.organisation_id,
            user_id=actor.user_id, object_type="organisation", object_id=org.id,
        )  # fmt: skip
        audit.record(
            session, "user_create", organisation_id=org.id, user_id=actor.user_id,
            object_type="user", object_id=user.id, detail="role=admin (new organisation)",
        )  # fmt: skip
        return org.id


def audit_log(store: Store, actor: Actor, *, limit: int = 500) -> list[audit.AuditRow]:
    """The admin's view of their organisation's audit log (the viewing is itself logged)."""
    with store.acting(actor, admin=True) as (session, _):
        rows = audit.rows(session, actor.organisation_id, limit=limit)
        audit.record(
            session, "audit_view", organisation_id=actor.organisation_id, user_id=actor.user_id
        )
        return rows
