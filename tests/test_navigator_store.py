"""Navigator store: database location, first run, migrations up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from navigator import db
from navigator.store import Store
from navigator.tables import Base

TABLES = {
    "organisations",
    "users",
    "cases",
    "case_deadlines",
    "status_events",
    "letters",
    "calls",
    "notes",
    "documents",
    "audit_events",
}


def test_database_url_defaults_to_sqlite_under_var():
    assert db.database_url({}) == "sqlite:///var/secondlook.db"


def test_database_url_path_is_configurable():
    assert db.database_url({"SECONDLOOK_DB_PATH": "/srv/sl/cases.db"}) == (
        "sqlite:////srv/sl/cases.db"
    )


def test_database_url_prefers_database_url_and_uses_psycopg3():
    env = {"DATABASE_URL": "postgres://u:p@db.example/sl", "SECONDLOOK_DB_PATH": "x.db"}
    assert db.database_url(env) == "postgresql+psycopg://u:p@db.example/sl"
    assert db.database_url({"DATABASE_URL": "postgresql://h/x"}) == "postgresql+psycopg://h/x"
    assert db.database_url({"DATABASE_URL": "sqlite:///a.db"}) == "sqlite:///a.db"


def test_describe_url_hides_the_password():
    assert "secret" not in db.describe_url("postgresql+psycopg://u:secret@h/db")


def test_first_run_creates_the_sqlite_file_and_its_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECONDLOOK_DB_PATH", raising=False)
    store = Store.open()
    try:
        assert (tmp_path / "var" / "secondlook.db").is_file()
        assert set(sa.inspect(store.engine).get_table_names()) >= TABLES
        assert db.current_revision(store.engine) == db.head_revision()
    finally:
        store.close()


def test_opening_again_keeps_the_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = Store.open(url)
    with store.transaction() as s:
        s.execute(
            sa.text(
                "INSERT INTO organisations (name, code, created_at) VALUES ('X', 'x', '2026-01-01')"
            )
        )
    store.close()
    store = Store.open(url)
    with store.transaction() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM organisations")) == 1
    store.close()


def _schema_diff(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)


def test_migrations_up_down_up_match_the_models(nav_db_url):
    engine = db.create_db_engine(nav_db_url)
    try:
        assert db.current_revision(engine) is None
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        assert set(sa.inspect(engine).get_table_names()) >= TABLES
        assert _schema_diff(engine) == []  # the migration builds exactly the models' schema

        db.downgrade(engine, "base")
        assert db.current_revision(engine) is None
        assert set(sa.inspect(engine).get_table_names()) - {"alembic_version"} == set()

        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        store.close()


def test_every_store_setting_is_documented():
    text = (Path(__file__).resolve().parent.parent / "docs" / "navigator.md").read_text()
    for setting in ("DATABASE_URL", "SECONDLOOK_DB_PATH", "var/secondlook.db", "TEST_DATABASE_URL"):
        assert setting in text, setting
    assert str(db.DEFAULT_DB_PATH) in text


def test_an_existing_store_gets_organisation_codes_and_per_organisation_names(nav_db_url):
    engine = db.create_db_engine(nav_db_url)
    try:
        db.upgrade(engine, "0002")
        with engine.begin() as conn:
            for name in ("Riverside Cancer Center", "Riverside  Cancer-Center!"):
                conn.execute(
                    sa.text("INSERT INTO organisations (name, created_at) VALUES (:n, :t)"),
                    {"n": name, "t": "2026-01-01 00:00:00"},
                )
            conn.execute(sa.text(
                "INSERT INTO users (organisation_id, username, display_name, role, active, "
                "created_at) VALUES (1, 'ada', 'Ada', 'admin', true, '2026-01-01 00:00:00')"
            ))  # fmt: skip
        db.upgrade(engine)
        with engine.begin() as conn:
            codes = conn.execute(sa.text("SELECT code FROM organisations ORDER BY id")).scalars()
            assert list(codes) == ["riverside-cancer-center", "riverside-cancer-center-2"]
            row = conn.execute(
                sa.text("SELECT must_change_password, session_epoch FROM users")
            ).one()
            assert tuple(row) == (False, 0)
            # The same username in another organisation is allowed now.
            conn.execute(sa.text(
                "INSERT INTO users (organisation_id, username, display_name, role, active, "
                "must_change_password, session_epoch, created_at) "
                "VALUES (2, 'ada', 'Ada 2', 'admin', true, false, 0, '2026-01-01 00:00:00')"
            ))  # fmt: skip
    finally:
        engine.dispose()


def test_an_existing_store_gets_each_patients_date_of_birth_for_search(nav_db_url):
    engine = db.create_db_engine(nav_db_url)
    cases = sa.table(
        "cases", sa.column("organisation_id", sa.Integer), sa.column("version", sa.Integer),
        sa.column("status", sa.String), sa.column("facts", sa.JSON),
        sa.column("created_by_id", sa.Integer), sa.column("created_at", sa.DateTime),
        sa.column("updated_by_id", sa.Integer), sa.column("updated_at", sa.DateTime),
    )  # fmt: skip
    when = sa.func.current_timestamp()
    try:
        db.upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO organisations (name, code, created_at) VALUES ('R', 'r', "
                "CURRENT_TIMESTAMP)"
            ))  # fmt: skip
            conn.execute(sa.text(
                "INSERT INTO users (organisation_id, username, display_name, role, active, "
                "must_change_password, session_epoch, created_at) "
                "VALUES (1, 'ada', 'Ada', 'admin', true, false, 0, CURRENT_TIMESTAMP)"
            ))  # fmt: skip
            for born in ("1971-05-04", None, "not a date"):
                conn.execute(cases.insert().values(
                    organisation_id=1, version=1, status="intake",
                    facts={"patient": {"name": "Z", "date_of_birth": born}},
                    created_by_id=1, created_at=when, updated_by_id=1, updated_at=when,
                ))  # fmt: skip
        db.upgrade(engine)
        with engine.begin() as conn:
            born = conn.execute(sa.text("SELECT patient_dob FROM cases ORDER BY id")).scalars()
            assert [str(b) if b else None for b in born] == ["1971-05-04", None, None]
        db.downgrade(engine, "0003")
    finally:
        engine.dispose()


def _mode(path) -> int:  # noqa: ANN001
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_its_folder_and_wal_files_are_private(tmp_path):
    old_umask = os.umask(0o022)  # what a server usually runs with
    try:
        folder = tmp_path / "var"
        store = Store.open(f"sqlite:///{folder / 'secondlook.db'}")
        try:
            with store.transaction() as s:  # a write: the -wal and -shm files exist now
                s.execute(sa.text(
                    "INSERT INTO organisations (name, code, created_at) VALUES ('X', 'x', '2026-01-01')"
                ))  # fmt: skip
            db_file = folder / "secondlook.db"
            assert _mode(folder) == 0o700
            assert _mode(db_file) == 0o600
            for suffix in ("-wal", "-shm"):
                assert _mode(f"{db_file}{suffix}") == 0o600, suffix
        finally:
            store.close()
    finally:
        os.umask(old_umask)


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    folder = tmp_path / "var"
    folder.mkdir(mode=0o755)
    db_file = folder / "secondlook.db"
    Store.open(f"sqlite:///{db_file}").close()
    for path, mode in ((folder, 0o755), (db_file, 0o644)):
        os.chmod(path, mode)
    Store.open(f"sqlite:///{db_file}").close()
    assert (_mode(folder), _mode(db_file)) == (0o700, 0o600)
