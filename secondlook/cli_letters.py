"""`secondlook letters list` and `secondlook letter TYPE --case PATH --out PATH.docx [--pdf]`.

Errors never show a traceback: a bad case or plan file prints `file:line: field: message`
lines, a letter that lacks data prints the missing fields; both exit 2. Files are written
atomically (a temporary file in the same folder, then a rename), so a failed run never leaves a
partial .docx or .pdf behind.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from coverage.loader import LoadError, Problem
from secondlook.files import write_atomic

EXIT_INVALID_INPUT = 2
EXIT_CONVERSION = 1


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


def _problem_lines(problem, case_path: Path, plan_id: str) -> list[str]:  # noqa: ANN001
    """`file: field: message` lines for a LetterProblem; plan fields are named by the plan id."""
    if problem.kind != "missing":
        return [f"{case_path}: {problem.message}"]
    lines = []
    for path, why in problem.fields:
        if path.startswith("plan."):
            where, field = f"plan {plan_id}", path.removeprefix("plan.")
        else:
            where, field = str(case_path), path.removeprefix("case.")
        lines.append(f"{where}: {field}: {why} (needed for the {problem.letter_type} letter)")
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
@click.option(
    "--pdf", is_flag=True, help="Also write a tagged PDF/A-2b next to each .docx (LibreOffice)."
)
@click.option("--pdfa", is_flag=True, hidden=True, help="The same as --pdf (PDFs are PDF/A-2b).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["docx", "fhir"]),
    default="docx",
    help="fhir (preauth_request only): a PAS-style FHIR Bundle (.json) with the letter's PDF "
    "attached (docs/fhir.md).",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path),
    help="Organisation templates: a letterhead .docx, or a folder with letterhead.docx and/or "
    "TYPE.docx (the organisation's own letter); checked before use (docs/letters.md).",
)
@click.option(
    "--representative",
    "representative_path",
    type=click.Path(path_type=Path),
    help="A YAML file naming the patient's authorised representative, who writes and signs the "
    "letters for her (name, role, organisation, address_lines, phone, email; "
    "docs/letters.md). The physician's letter stays the physician's.",
)
def letter_command(
    letter_type: str,
    case_path: Path,
    plan_ref: str | None,
    as_of: str | None,
    out: Path,
    pdf: bool,
    pdfa: bool,
    fmt: str,
    template_path: Path | None,
    representative_path: Path | None,
) -> None:
    """Write a letter (TYPE from `secondlook letters list`) for a case file.

    TYPE `auto` writes every letter the coverage check recommends into the --out folder.
    """
    import letters
    from secondlook import service

    _check_letter_type(letter_type)
    day = _date(as_of, "--as-of")
    if fmt == "fhir":
        _check_fhir_target(letter_type, out)
    renderer = organisation_renderer(template_path)
    representative = _representative(representative_path, letter_type, fmt)
    case, plan, determination = _checked_case(case_path, plan_ref, day)
    if fmt == "fhir":
        _write_fhir_preauth(case_path, case, plan, determination, day, out)
        return
    targets = _targets(letter_type, determination.letters, out, case.case_id or case_path.stem)
    if not targets:
        click.echo("The coverage check recommends no letters for this case.")
        return
    rendered: dict[str, bytes] = {}
    failed = False
    for kind in targets:
        signer = representative if kind in letters.VOICED_LETTERS else None
        result = service.render_letter(
            kind, case, plan, determination, today=day, renderer=renderer, representative=signer
        )
        if isinstance(result, service.RenderedLetter):
            rendered[kind] = result.docx
        elif letter_type == "auto" and result.kind == "not_applicable":
            click.echo(f"{case_path}: skipped: {result.message}", err=True)
        else:
            failed = True
            for line in _problem_lines(result, case_path, plan.id):
                click.echo(line, err=True)
    for kind, data in rendered.items():
        write_atomic(targets[kind], data, durable=True, parents=True)
        click.echo(f"wrote {targets[kind]}")
    if (pdf or pdfa) and rendered:
        _write_pdfs(rendered, targets)
    if failed:
        sys.exit(EXIT_INVALID_INPUT)


@click.command("authorization-form")
@click.option("--case", "case_path", required=True, type=click.Path(path_type=Path))
@click.option(
    "--representative",
    "representative_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The representative's YAML file (as for `secondlook letter --representative`).",
)
@click.option("--plan", "plan_ref", help="Plan id or path to a plan YAML (default: the case's).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="The .docx.")
def authorization_command(
    case_path: Path, representative_path: Path, plan_ref: str | None, out: Path
) -> None:
    """Write the one-page "Authorization of representative" for the patient to sign (the
    letters signed with --representative enclose it)."""
    import letters
    from letters.authorization import authorization_form

    if out.suffix.lower() != ".docx":
        _problems([Problem("--out", None, "--out", "use a .docx name")])
    representative = _representative(representative_path, "authorization", "docx")
    case, plan, _ = _checked_case(case_path, plan_ref, None)
    try:
        data = authorization_form(case, plan, representative)
    except letters.LetterError as err:
        _problems([Problem(str(case_path), None, "case", str(err))])
    write_atomic(out, data, durable=True, parents=True)
    click.echo(f"wrote {out}")


def organisation_renderer(path: Path | None):  # noqa: ANN201 - letters.Renderer | None
    """The renderer for --template (None: the shipped templates); a template that fails its
    checks prints `file: problem` lines and exits 2."""
    if path is None:
        return None
    from letters.organisation import TemplateProblem, load_templates

    try:
        return load_templates(path).renderer()
    except TemplateProblem as problem:
        for line in problem.problems:
            click.echo(f"{problem.name}: {line}", err=True)
        sys.exit(EXIT_INVALID_INPUT)


def _representative(path: Path | None, letter_type: str, fmt: str):  # noqa: ANN202
    """The --representative file as a letters.Representative (None without one); a bad file,
    or a letter only its own signer signs, prints `file:line: field: message` and exits 2."""
    if path is None:
        return None
    import letters
    from coverage.loader import load_model

    if letter_type == "physician_letter" or fmt == "fhir":
        what = "the physician's letter" if letter_type == "physician_letter" else "--format fhir"
        _problems(
            [
                Problem(
                    "--representative",
                    None,
                    "TYPE",
                    f"not for {what}: it is not signed by the patient's representative",
                )
            ]  # fmt: skip
        )
    try:
        return load_model(letters.Representative, path)
    except LoadError as err:
        _problems(err.problems)
    return None


def _check_letter_type(letter_type: str) -> None:
    from letters import LETTER_TYPES

    if letter_type != "auto" and letter_type not in LETTER_TYPES:
        _problems(
            [
                Problem(
                    "secondlook letter",
                    None,
                    "TYPE",
                    f"unknown letter type {letter_type!r}; "
                    f"choose auto or one of: {', '.join(LETTER_TYPES)}",
                )
            ]
        )


def _checked_case(case_path: Path, plan_ref: str | None, day: dt.date | None):  # noqa: ANN202
    """The case, its plan and the coverage check, or exit 2 with `file:line` problems."""
    from secondlook import service

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
    return case, plan, determination


def _targets(letter_type: str, recommended, out: Path, stem: str) -> dict[str, Path]:  # noqa: ANN001
    """The file each letter goes to: one .docx, or a folder of them for TYPE auto."""
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
        return {t: out / f"{stem}-{t}.docx" for t in recommended}
    if out.is_dir() or not out.suffix:
        return {letter_type: out / f"{stem}-{letter_type}.docx"}
    if out.suffix.lower() != ".docx":
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
    return {letter_type: out}


def _write_pdfs(rendered: dict[str, bytes], targets: dict[str, Path]) -> None:
    from letters.pdf import PdfError
    from secondlook import service

    try:
        pdfs = service.letters_to_pdf(rendered)
    except (PdfError, OSError) as err:
        click.echo(f"PDF conversion failed: {err}", err=True)
        sys.exit(EXIT_CONVERSION)
    for kind, data in pdfs.items():
        path = targets[kind].with_suffix(".pdf")
        write_atomic(path, data, durable=True, parents=True)
        click.echo(f"wrote {path}")


def _check_fhir_target(letter_type: str, out: Path) -> None:
    if letter_type != "preauth_request":
        _problems(
            [
                Problem(
                    "--format",
                    None,
                    "--format",
                    "fhir is the pre-authorisation request: use TYPE preauth_request",
                )
            ]
        )
    if out.suffix and not out.is_dir() and out.suffix.lower() != ".json":
        _problems([Problem("--out", None, "--out", "the FHIR Bundle is JSON: use a .json name")])


def _write_fhir_preauth(case_path: Path, case, plan, determination, day, out: Path):  # noqa: ANN001
    """The pre-authorisation request as a PAS-style FHIR Bundle with the letter's PDF."""
    from letters import LETTER_TYPES
    from secondlook import fhir, service

    kind = "preauth_request"
    if out.is_dir() or not out.suffix:
        out = out / f"{case.case_id or case_path.stem}-{kind}.json"
    result = service.render_letter(kind, case, plan, determination, today=day)
    if not isinstance(result, service.RenderedLetter):
        for line in _problem_lines(result, case_path, plan.id):
            click.echo(line, err=True)
        sys.exit(EXIT_INVALID_INPUT)
    from letters.pdf import PdfError

    try:
        pdf = service.letters_to_pdf({kind: result.docx})[kind]
    except (PdfError, OSError) as err:
        click.echo(f"PDF conversion failed: {err}", err=True)
        sys.exit(EXIT_CONVERSION)
    try:
        bundle = fhir.preauth_bundle(
            determination,
            case,
            plan,
            letter_pdf=pdf,
            letter_title=LETTER_TYPES[kind].title,
            letter_filename=out.with_suffix(".pdf").name,
            law=service.lawbook(),
        )
    except fhir.FhirDataError as err:
        _problems([Problem(str(case_path), None, f, str(err)) for f in err.fields or ("case",)])
    write_atomic(out, fhir.to_json(bundle).encode("utf-8"), durable=True, parents=True)
    click.echo(f"wrote {out}")
