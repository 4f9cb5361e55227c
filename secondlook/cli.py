"""`secondlook`: the command line. Each area adds its commands to `cli` (see COMMANDS).

Commands of other modules are imported only when they run (or when --help lists them), so
`secondlook check` does not import the batch, the letters or Word.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
from pathlib import Path

import click

from coverage.catalog import PLANS_DIR, RULES_DIR, load_plan_file, plan_files
from coverage.loader import LoadError, Problem
from secondlook import schemas, service
from secondlook.report import determination_text

EXIT_INVALID_INPUT = 2

# Commands from other areas, one line each: name -> "module:attribute".
COMMANDS = {
    "batch": "secondlook.cli_batch:batch_command",
    "batch-template": "secondlook.cli_batch:batch_template_command",
    "letters": "secondlook.cli_letters:letters_group",
    "letter": "secondlook.cli_letters:letter_command",
    "authorization-form": "secondlook.cli_letters:authorization_command",
}


class _Commands(click.Group):
    """The group of every command; those in COMMANDS are imported when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, attribute = COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


def _fail(err: LoadError, code: int = EXIT_INVALID_INPUT) -> None:
    for problem in err.problems:
        click.echo(str(problem), err=True)
    sys.exit(code)


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(LoadError([Problem(option, None, option, f"not a date (YYYY-MM-DD): {value!r}")]))
    return None  # unreachable


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="secondlook")
def cli() -> None:
    """Second Look: get a cancer second opinion paid for.

    Check a plan's coverage of a second opinion, write the letters, run batches.
    """


@cli.group()
def plans() -> None:
    """The plan catalog (data/plans/) and its data checks."""


@plans.command("list")
@click.option("--market", help="Only this market (e.g. employer_group).")
@click.option("--state", help="Only plans sitused in this state (two letters).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def plans_list(market: str | None, state: str | None, fmt: str) -> None:
    """List the shipped plans."""
    try:
        found = service.catalog().search("", market=market or "", situs_state=(state or "").upper())
    except LoadError as err:
        _fail(err)
    if fmt == "json":
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "issuer": p.issuer,
                "market": p.market,
                "funding": p.funding,
                "plan_type": p.plan_type,
                "situs_state": p.situs_state,
                "plan_year": p.plan_year,
                "fictional": p.metadata.fictional,
            }
            for p in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for p in found:
        tag = " (fictional example)" if p.metadata.fictional else ""
        click.echo(
            f"{p.id:<40} {p.situs_state or 'US':<3} {p.market:<22} {p.funding:<14} "
            f"{p.plan_type:<15} {p.name}{tag}"
        )


@plans.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def plans_validate(paths: tuple[Path, ...]) -> None:
    """Check plan files (default: every shipped plan and legal rule).

    Prints one `file:line: field: message` line per problem and exits 1 if there are any.
    """
    from coverage.catalog import clear_cache, load_lawbook

    problems: list[Problem] = []
    files: list[Path] = []
    check_law = not paths
    for path in paths or (PLANS_DIR,):
        if path.is_dir():
            files.extend(plan_files(path))
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(path), None, "", "no such file or directory"))
    clear_cache()
    for path in files:
        try:
            load_plan_file(path)
        except LoadError as err:
            problems.extend(err.problems)
    if check_law:
        try:
            load_lawbook(RULES_DIR)
        except LoadError as err:
            problems.extend(err.problems)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(files)} plan file(s).", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(files)} plan file(s){' and the legal rules' if check_law else ''}.")


@plans.command("schema")
@click.option(
    "--kind",
    type=click.Choice(sorted(schemas.SCHEMAS)),
    default="plan",
    show_default=True,
    help="Which file format.",
)
@click.option("--write", is_flag=True, help="Write every schema to data/schema/ instead.")
def plans_schema(kind: str, write: bool) -> None:
    """Print the JSON Schema of a data file format (for editors and validators)."""
    if write:
        for path in schemas.write_all():
            click.echo(f"wrote {path}")
        return
    click.echo(schemas.schema_json(kind))


@cli.command()
@click.option("--plan", "plan_ref", help="Plan id or path to a plan YAML (default: the case's).")
@click.option("--case", "case_path", required=True, type=click.Path(path_type=Path))
@click.option("--as-of", help="Check as of this date (YYYY-MM-DD; default: the case's, or today).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "fhir"]),
    default="text",
    help="fhir: a FHIR R4 Bundle with the Da Vinci CRD coverage-information (docs/fhir.md).",
)
def check(plan_ref: str | None, case_path: Path, as_of: str | None, fmt: str) -> None:
    """Does the plan cover the second opinion in a case file, and what must the patient do?"""
    day = parse_date(as_of, "--as-of")
    try:
        case = service.load_case(case_path)
        plan = service.load_plan_argument(plan_ref) if plan_ref else None
        determination = service.check(case, plan, day)
        if fmt == "fhir":
            from secondlook import fhir

            plan = plan or service.resolve_plan(case.plan or "")
            bundle = fhir.coverage_bundle(determination, case, plan, law=service.lawbook())
    except LoadError as err:
        _fail(err)
    except ValueError as err:  # FhirDataError and the engine's checks name fields, never values
        _fail(LoadError([Problem(str(case_path), None, "case", str(err))]))
    if fmt == "fhir":
        click.echo(fhir.to_json(bundle), nl=False)
    elif fmt == "json":
        click.echo(determination.model_dump_json(indent=2))
    else:
        click.echo(determination_text(determination))


def main() -> None:
    cli(prog_name="secondlook")
