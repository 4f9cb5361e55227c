"""The case store: an engine, sessions, and the acting user.

Service functions (navigator.auth, navigator.cases, navigator.exchange) take a `Store` and an
`Actor`. `Store.acting` opens a transaction and re-reads the acting user, so a deactivated account
or a changed role takes effect on the next action, not at the next login.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from navigator import db
from navigator.errors import AuthError, PermissionDenied
from navigator.tables import Organisation, User

ROLES = ("navigator", "admin")


@dataclass(frozen=True)
class Actor:
    """The logged-in user, as the pages keep it in the session."""

    user_id: int
    username: str
    display_name: str
    organisation_id: int
    organisation_name: str
    role: str
    session_epoch: int = 0  # the account's epoch at sign-in: a reset or deactivation ends it
    via: str = "password"  # password | oidc | operator (a site operator's command)
    must_change_password: bool = False  # signed in with a one-time password
    time_zone: str | None = None  # the user's own setting (IANA name)
    organisation_time_zone: str | None = None
    organisation_code: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def of(cls, user: User, organisation: Organisation, via: str = "password") -> Actor:
        return cls(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            role=user.role,
            session_epoch=user.session_epoch or 0,
            via=via,
            must_change_password=via == "password" and bool(user.must_change_password),
            time_zone=user.time_zone,
            organisation_time_zone=organisation.time_zone,
            organisation_code=organisation.code,
        )


def current_user(session: Session, actor: Actor) -> User:
    """The signed-in user as the database has them now; AuthError if the session has ended
    (deactivated, moved, role changed, password changed or reset since signing in)."""
    user = session.get(User, actor.user_id)
    if (
        user is None
        or not user.active
        or user.organisation_id != actor.organisation_id
        or user.role != actor.role
        or (user.session_epoch or 0) != actor.session_epoch
    ):
        raise AuthError("Your session has ended or your account changed: sign in again.")
    return user


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (and create or migrate) the database at `url`, default from the environment."""
        return cls(db.open_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def acting(self, actor: Actor, *, admin: bool = False) -> Iterator[tuple[Session, User]]:
        """A transaction on behalf of `actor`, whose account must still be active."""
        with self.transaction() as session:
            user = current_user(session, actor)
            if actor.via == "password" and user.must_change_password:
                raise PermissionDenied("Choose your own password first (you signed in with a "
                                       "one-time password).")  # fmt: skip
            if admin and user.role != "admin":
                raise PermissionDenied("Only an admin can do this.")
            yield session, user

    def user_count(self) -> int:
        with self.transaction() as session:
            return session.scalar(select(func.count()).select_from(User)) or 0

    def organisation_count(self) -> int:
        with self.transaction() as session:
            return session.scalar(select(func.count()).select_from(Organisation)) or 0
