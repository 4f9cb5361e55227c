"""Database location, engine and migrations.

- `DATABASE_URL` set: that database (PostgreSQL: `postgresql+psycopg://...`; a plain
  `postgresql://` or `postgres://` URL is switched to the psycopg 3 driver).
- Otherwise a SQLite file at `SECONDLOOK_DB_PATH`, default `var/secondlook.db` (relative to the
  working directory), created with its folder on first run.

`open_engine` runs the Alembic migrations (`upgrade head`) before returning, so a fresh database is
ready to use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from secondlook.files import make_private, private_dir, private_file

DEFAULT_DB_PATH = Path("var") / "secondlook.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def database_url(environ: dict[str, str] | None = None) -> str:
    """The database URL from the environment (see the module docstring)."""
    env = os.environ if environ is None else environ
    url = (env.get("DATABASE_URL") or "").strip()
    if url:
        return normalise_url(url)
    path = Path(env.get("SECONDLOOK_DB_PATH") or DEFAULT_DB_PATH)
    return f"sqlite:///{path}"


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Write-ahead logging: navigators reading cases do not block one saving a case.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _private_sqlite(path: Path) -> None:
    """The database and its write-ahead files hold member data: 0600, in a 0700 folder. SQLite
    creates -wal and -shm with the database file's mode, which is set first."""
    private_dir(path.parent)
    private_file(path)
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            make_private(extra)


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; creates the SQLite file (0600) and its folder (0700), and keeps the
    -wal/-shm files 0600 on every connection. Does not migrate."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        if db and db != ":memory:" and not db.startswith("file:"):
            path = Path(db).expanduser()
            _private_sqlite(path)
            event.listen(engine, "connect", lambda *_: _private_sqlite(path))
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def open_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: from the environment), migrated to the newest schema."""
    engine = create_db_engine(url or database_url())
    if current_revision(engine) != head_revision():
        upgrade(engine)
    return engine
