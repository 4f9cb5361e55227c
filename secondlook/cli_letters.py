"""`secondlook letters list` and `secondlook letter TYPE --case PATH --out PATH.docx [--pdf]`.

Errors never show a traceback: a bad case or plan file prints `file:line: field: message`
lines, a letter that lacks data prints the missing fields; both exit 2. Files are written
atomically (a temporary file in the same folder, then a rename), so a failed run never leaves a
partial .docx or .pdf behind.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import click

from coverage.loader import LoadError, Problem

EXIT_INVALID_INPUT = 2
EXIT_CONVERSION = 1


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    sys.exit(EXIT_INVALID_INPUT)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _problems([Problem(option, None, option, f"not a date (YYYY-MM-DD): {value!r}")])
    return None


def _letter_error_lines(err: Exception, case_path: Path, plan_id: str) -> list[str]:
    """`file: field: message` lines; plan fields are named with the plan's id."""
    from letters import MissingFieldError

    if not isinstance(err, MissingFieldError):
        return [f"{case_path}: {err}"]
    lines = []
    for path, why in err.fields:
        if path.startswith("plan."):
            where, field = f"plan {plan_id}", path.removeprefix("plan.")
        else:
            where, field = str(case_path), path.removeprefix("case.")
        lines.append(f"{where}: {field}: {why} (needed for the {err.letter_type} letter)")
    return lines


@click.group("letters")
def letters_group() -> None:
    """The second-opinion letter pack."""


@letters_group.command("list")
def letters_list() -> None:
    """List the letter types, in the order a patient usually needs them."""
    from letters import LETTER_TYPES

    width = max(len(name) for name in LETTER_TYPES)
    for info in LETTER_TYPES.values():
        click.echo(f"{info.name:<{width}}  {info.title}")
        click.echo(
            f"{'':<{width}}  {info.description} Signed by the {info.signer}; "
            f"sent to {info.recipient}."
        )


@click.command("letter")
@click.argument("letter_type", metavar="TYPE")
@click.option("--case", "case_path", required=True, type=click.Path(path_type=Path))
@click.option("--plan", "plan_ref", help="Plan id or path to a plan YAML (default: the case's).")
@click.option("--as-of", help="Check and date the letter as of this day (YYYY-MM-DD).")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="The .docx to write; a folder for TYPE auto.",
)
@click.option("--pdf", is_flag=True, help="Also write a PDF next to each .docx (LibreOffice).")
@click.option("--pdfa", is_flag=True, help="Make the PDF a PDF/A-2b (implies --pdf).")
def letter_command(
    letter_type: str,
    case_path: Path,
    plan_ref: str | None,
    as_of: str | None,
    out: Path,
    pdf: bool,
    pdfa: bool,
) -> None:
    """Write a letter (TYPE from `secondlook letters list`) for a case file.

    TYPE `auto` writes every letter the coverage check recommends into the --out folder.
    """
    import letters
    from secondlook import service

    pdf = pdf or pdfa
    if letter_type != "auto" and letter_type not in letters.LETTER_TYPES:
        _problems(
            [
                Problem(
                    "secondlook letter",
                    None,
                    "TYPE",
                    f"unknown letter type {letter_type!r}; "
                    f"choose auto or one of: {', '.join(letters.LETTER_TYPES)}",
                )
            ]
        )
    day = _date(as_of, "--as-of")
    try:
        case = service.load_case(case_path)
        plan = service.load_plan_argument(plan_ref) if plan_ref else None
        determination = service.check(case, plan, day)
        if plan is None:
            plan = service.resolve_plan(case.plan or "")
    except LoadError as err:
        _problems(err.problems)
    except ValueError as err:  # the engine's consistency checks name fields, never values
        _problems([Problem(str(case_path), None, "case", str(err))])
    today = day or dt.date.today()

    if letter_type == "auto":
        if out.suffix.lower() == ".docx":
            _problems(
                [
                    Problem(
                        "--out",
                        None,
                        "--out",
                        "TYPE auto writes several letters: give a folder, not a .docx file",
                    )
                ]
            )
        wanted = list(determination.letters)
        if not wanted:
            click.echo("The coverage check recommends no letters for this case.")
            return
        stem = case.case_id or case_path.stem
        targets = {t: out / f"{stem}-{t}.docx" for t in wanted}
    else:
        if out.is_dir() or not out.suffix:
            out = out / f"{case.case_id or case_path.stem}-{letter_type}.docx"
        elif out.suffix.lower() != ".docx":
            _problems(
                [
                    Problem(
                        "--out",
                        None,
                        "--out",
                        "the letter is a Word file: use a .docx name (add --pdf for a PDF too)",
                    )
                ]
            )
        targets = {letter_type: out}

    rendered: dict[str, bytes] = {}
    failed: list[str] = []
    for kind in targets:
        try:
            rendered[kind] = letters.render_letter(
                kind, case, plan, determination, today=today, law=service.lawbook()
            )
        except letters.NotApplicableError as err:
            if letter_type != "auto":
                failed.append(kind)
            click.echo(
                f"{case_path}: {'skipped: ' if letter_type == 'auto' else ''}{err}", err=True
            )
        except letters.LetterError as err:
            failed.append(kind)
            for line in _letter_error_lines(err, case_path, plan.id):
                click.echo(line, err=True)
    for kind, data in rendered.items():
        write_atomic(targets[kind], data)
        click.echo(f"wrote {targets[kind]}")

    if pdf and rendered:
        from letters.pdf import PdfError, convert_batch

        try:
            pdfs = convert_batch(rendered, pdfa=pdfa)
        except (PdfError, OSError) as err:
            click.echo(f"PDF conversion failed: {err}", err=True)
            sys.exit(EXIT_CONVERSION)
        for kind, data in pdfs.items():
            path = targets[kind].with_suffix(".pdf")
            write_atomic(path, data)
            click.echo(f"wrote {path}")
    if failed:
        sys.exit(EXIT_INVALID_INPUT)
