"""The sign-in throttle: attempts counted per key in a fixed window, atomically in the database.

Keys: `account:<user id>:<source>` (one account from one source: 10 tries per 15 minutes) and
`source:<source>` (every account from one source: 100 tries). The source is the client's address
as the server sees it. Counting per account *and source* means a stranger who knows a username
locks only their own source out, never the account's owner signing in from elsewhere; the
per-source count stops one source spraying many accounts. A distributed guesser is slowed by
argon2, 10-character passwords and the audit log, not by locking the owner out.

`take()` counts the attempt before the password is checked, in one statement
(`INSERT … ON CONFLICT (key) DO UPDATE … RETURNING attempts`), which SQLite and PostgreSQL run
atomically per row; the caller commits it before the slow password check. Forty attempts sent
at once therefore get at most ten password checks: the eleventh sees the count it would exceed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, delete, update
from sqlalchemy.orm import Session

from navigator.tables import LoginThrottle, utcnow

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_ATTEMPTS = 10
SOURCE_ATTEMPTS = 100


def account_key(user_id: int, source: str) -> str:
    return f"account:{user_id}:{source}"[:200]


def source_key(source: str) -> str:
    return f"source:{source}"[:200]


def _insert(session: Session):  # noqa: ANN202 - the dialect's INSERT with ON CONFLICT
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(LoginThrottle)


def take(session: Session, key: str, limit: int, *, now: dt.datetime | None = None) -> bool:
    """Count one attempt under `key`; True while the count is within `limit` in the window."""
    now = now or utcnow()
    expired = LoginThrottle.window_start <= now - WINDOW
    stmt = (
        _insert(session)
        .values(key=key, attempts=1, window_start=now)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "attempts": case((expired, 1), else_=LoginThrottle.attempts + 1),
                "window_start": case((expired, now), else_=LoginThrottle.window_start),
            },
        )
        .returning(LoginThrottle.attempts)
    )
    return session.execute(stmt).scalar_one() <= limit


def give_back(session: Session, key: str) -> None:
    """A successful attempt does not count against its source."""
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.attempts > 0)
        .values(attempts=LoginThrottle.attempts - 1)
    )


def clear(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def clear_account(session: Session, user_id: int) -> int:
    """Unlock an account from every source (an admin's unlock, a password reset)."""
    prefix = account_key(user_id, "")
    result = session.execute(
        delete(LoginThrottle).where(LoginThrottle.key.startswith(prefix, autoescape=True))
    )
    return result.rowcount or 0


def forget_old(session: Session, *, now: dt.datetime | None = None) -> None:
    """Drop counts whose window has passed (they hold client addresses)."""
    now = now or utcnow()
    session.execute(delete(LoginThrottle).where(LoginThrottle.window_start <= now - WINDOW))
