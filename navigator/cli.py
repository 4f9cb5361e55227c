"""`secondlook-navigator`: the site operator's commands for the navigator workspace.

Organisations are created here and nowhere else (no web page can set up a workspace or add an
organisation). Each prints a one-time password for the organisation's first admin, who must
replace it at first sign-in. The store is the app's (DATABASE_URL or SECONDLOOK_DB_PATH, default
var/secondlook.db) unless --database names another. Bad input: one line naming the field, exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from navigator import auth
from navigator.db import database_url, describe_url
from navigator.errors import FieldProblem, NavigatorError
from navigator.store import Store


def _open(database: str | None) -> Store:
    url = database or database_url()
    try:
        return Store.open(url)
    except Exception as exc:  # noqa: BLE001 - say which store, never a traceback
        click.echo(f"error: the case store ({describe_url(url)}) could not be opened: "
                   f"{type(exc).__name__}", err=True)  # fmt: skip
        sys.exit(2)


def _fail(exc: NavigatorError) -> None:
    if isinstance(exc, FieldProblem):
        for field, message in exc.problems.items():
            click.echo(f"error: {field}: {message}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)
    sys.exit(2)


database_option = click.option(
    "--database", metavar="URL", help="The store's URL (default: DATABASE_URL or var/)."
)


@click.group()
def main() -> None:
    """Operator commands for the Second Look navigator workspace."""


@main.command("create-organisation")
@click.argument("name")
@click.option("--code", required=True, help="Short name typed at sign-in, e.g. riverside.")
@click.option("--admin", "admin_username", required=True, help="The first admin's username.")
@click.option("--admin-name", required=True, help="The first admin's name as shown.")
@click.option("--admin-email", default=None, help="For organisation sign-in (OIDC), optional.")
@click.option("--time-zone", default=None, help="IANA zone for dates, e.g. America/Chicago.")
@database_option
def create_organisation(
    name: str,
    code: str,
    admin_username: str,
    admin_name: str,
    admin_email: str | None,
    time_zone: str | None,
    database: str | None,
) -> None:
    """Add an organisation and its first admin; prints the admin's one-time password."""
    store = _open(database)
    try:
        made = auth.create_organisation(
            store, name=name, code=code, admin_username=admin_username,
            admin_display_name=admin_name, admin_email=admin_email, time_zone=time_zone,
        )  # fmt: skip
    except NavigatorError as exc:
        _fail(exc)
    finally:
        store.close()
    click.echo(f"Organisation created (code: {made.organisation_code}).")
    click.echo(f"First admin: {made.username}")
    click.echo(f"One-time password: {made.one_time_password}")
    click.echo("Hand it over privately; it must be replaced at the first sign-in.")


@main.command("reset-password")
@click.option("--organisation", "code", required=True, help="The organisation's code.")
@click.argument("username")
@database_option
def reset_password(code: str, username: str, database: str | None) -> None:
    """Give an account a new one-time password (ends its sessions, unlocks it)."""
    store = _open(database)
    try:
        made = auth.operator_reset_password(store, code, username)
    except NavigatorError as exc:
        _fail(exc)
    finally:
        store.close()
    click.echo(f"One-time password for {made.username}: {made.one_time_password}")


@main.command("list-organisations")
@database_option
def list_organisations(database: str | None) -> None:
    """The organisations on this server: code, users, name."""
    store = _open(database)
    try:
        for code, name, users in auth.list_organisations(store):
            click.echo(f"{code}\t{users} users\t{name}")
    finally:
        store.close()


organisation_option = click.option(
    "--organisation", "code", required=True, help="The organisation's code."
)
as_option = click.option(
    "--as", "username", required=True,
    help="An active user of the organisation, recorded as the one who exported or imported.",
)  # fmt: skip


@main.command("export-workspace")
@organisation_option
@as_option
@click.option("--format", "fmt", type=click.Choice(["json", "xlsx"]), default="json",
              show_default=True, help="json: complete, with the files; xlsx: without them.")  # fmt: skip
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="The file to write (replaced whole, never half written).")  # fmt: skip
@database_option
def export_workspace(code: str, username: str, fmt: str, out: str, database: str | None) -> None:
    """Every case of an organisation with its history, calls, notes, tasks, letters and
    documents (docs/navigator.md, "Workspace export")."""
    from navigator import workspace
    from secondlook.files import write_atomic

    store = _open(database)
    try:
        actor = workspace.operator_actor(store, code, username)
        made = workspace.export_workspace(store, actor, fmt=fmt)  # type: ignore[arg-type]
    except NavigatorError as exc:
        _fail(exc)
    finally:
        store.close()
    try:
        write_atomic(Path(out), made.data)
    except OSError as err:
        click.echo(f"error: {out}: cannot write there ({err.strerror})", err=True)
        sys.exit(2)
    for warning in made.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Exported {made.cases} case{'s' if made.cases != 1 else ''} to {out}.")


@main.command("import-workspace")
@organisation_option
@as_option
@click.argument("file", type=click.Path(dir_okay=False))
@database_option
def import_workspace(code: str, username: str, file: str, database: str | None) -> None:
    """Recreate every case of a workspace file in an organisation, all or nothing."""
    from navigator import workspace

    try:
        data = Path(file).read_bytes()
    except OSError as err:
        click.echo(f"error: {file}: cannot be read ({err.strerror})", err=True)
        sys.exit(2)
    store = _open(database)
    try:
        actor = workspace.operator_actor(store, code, username)
        done = workspace.import_workspace(store, actor, data, Path(file).name)
    except NavigatorError as exc:
        _fail(exc)
    finally:
        store.close()
    if not done.ok:
        for problem in done.problems:
            click.echo(f"error: {Path(file).name}: {problem}", err=True)
        click.echo("Nothing was imported.", err=True)
        sys.exit(2)
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Imported {workspace.counts_text(done.counts)}.")


if __name__ == "__main__":  # pragma: no cover
    main()
