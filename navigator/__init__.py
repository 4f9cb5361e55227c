"""The navigator workspace: a case store for patient navigators at a cancer center.

Cases (the same `coverage.case.Case` model as everywhere, stored as JSON), the coverage answer and
its deadlines, generated letters, a call log, notes and uploaded documents; organisations, users
and an audit log. SQLite by default, PostgreSQL when `DATABASE_URL` is set; Alembic migrations.

Every function that reads or writes a case takes the acting user and filters by organisation.
This package never imports streamlit: the pages in app_pages/ are thin views over it.
"""
