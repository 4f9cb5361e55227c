"""`secondlook batch` and `secondlook batch-template`: letters by the hundred from a spreadsheet.

Exit codes of `batch`: 0 every row ok; 1 the batch finished but some rows are errors (listed in
the manifest); 2 the input file, the options or the output directory are not usable; 130
interrupted (run the same command again to resume).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from coverage.loader import LoadError
from secondlook.batch import (
    AUTO,
    DEFAULT_RENDERER,
    LETTER_TYPES,
    BatchError,
    BatchOptions,
    BatchSummary,
    ValidationReport,
    cells,
    run_batch,
    validate_batch,
)
from secondlook.batch.options import LETTERS_INTO
from secondlook.batch.template import write_template

EXIT_ROW_ERRORS = 1
EXIT_UNUSABLE = 2


def _default_workers() -> int:
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, min(os.cpu_count() or 1, 8))


class _Progress:
    """A tqdm bar on stderr with rate and ETA (rows/s); silent when not wanted."""

    def __init__(self, enabled: bool):
        self.bar = None
        self.enabled = enabled

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                unit="row",
                desc="letters",
                file=sys.stderr,
                dynamic_ncols=True,
                smoothing=0.1,
            )
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command("batch")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--letter",
    required=True,
    type=click.Choice([AUTO, *LETTER_TYPES]),
    help="Letter type for every row, or auto: the letters the coverage check recommends "
    "(a `letters` column overrides it per row).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Output directory (created; re-use it to resume or update the batch).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Only check every row (cells, plan, coverage check, each letter's data) and list the "
    "problems; write nothing.",
)
@click.option("--pdf", is_flag=True, help="Also convert every letter to PDF (LibreOffice).")
@click.option(
    "--zip", "make_zip", is_flag=True, help="Also write letters.zip (letters + manifest)."
)
@click.option(
    "--letters-into",
    type=click.Choice(LETTERS_INTO),
    default="files",
    show_default=True,
    help="files: one .docx per letter in OUT/letters/; zip: the letters only in "
    "OUT/letters.zip (faster: no file per letter; --zip is then implied).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes on this machine [default: CPU cores, at most 8].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on a Dask distributed cluster, e.g. tcp://scheduler:8786.",
)
@click.option(
    "--ignore-unknown-columns",
    is_flag=True,
    help="Skip columns the batch format does not know instead of stopping.",
)
@click.option("--today", metavar="YYYY-MM-DD", help="Date printed on the letters [default: today].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path),
    help="Organisation templates: a letterhead .docx, or a folder with letterhead.docx and/or "
    "TYPE.docx; checked before the run (docs/letters.md).",
)
@click.option(
    "--renderer",
    default=DEFAULT_RENDERER,
    hidden=True,
    help="module:factory of the letter renderer (for tests).",
)
def batch_command(
    input_path: Path,
    letter: str,
    out_dir: Path | None,
    check_only: bool,
    pdf: bool,
    make_zip: bool,
    letters_into: str,
    workers: int | None,
    scheduler: str | None,
    ignore_unknown_columns: bool,
    today: str | None,
    quiet: bool,
    template_path: Path | None,
    renderer: str,
) -> None:
    """Make letters for every row of a CSV or XLSX file (columns: see docs/batch.md).

    Writes OUT/letters/<case_id>__<letter_type>.docx (or with --letters-into zip only
    OUT/letters.zip) and OUT/manifest.csv, one manifest row per input row (ok, or an error
    naming the row and column). Running the same command again skips
    letters already made and redoes failed or changed rows; an interrupted run resumes.
    """
    try:
        day = cells.date(today) if today else None
    except cells.CellError as err:
        raise click.BadParameter(str(err), param_hint="--today") from None
    if out_dir is None and not check_only:
        raise click.UsageError("--out DIR is required (or --check to only check the rows)")
    if check_only and (letters_into != "files" or make_zip):
        option = "--zip" if make_zip else f"--letters-into {letters_into}"
        raise click.UsageError(f"{option} says where letters go; --check writes nothing")
    if template_path is not None:
        renderer = _with_templates(renderer, template_path)
    progress = _Progress(enabled=not quiet)
    try:
        options = BatchOptions(
            letter=letter,
            pdf=pdf,
            zip=make_zip,
            letters_into=letters_into,
            workers=workers or _default_workers(),
            scheduler=scheduler,
            renderer=renderer,
            ignore_unknown_columns=ignore_unknown_columns,
            today=day,
        )
        if check_only:
            report = validate_batch(input_path, options, progress=progress)
            progress.close()
            click.echo(check_text(report))
            sys.exit(EXIT_ROW_ERRORS if report.errors else 0)
        assert out_dir is not None
        summary = run_batch(input_path, out_dir, options, progress=progress)
    except LoadError as err:
        progress.close()
        for problem in err.problems:
            click.echo(str(problem), err=True)
        sys.exit(EXIT_UNUSABLE)
    except BatchError as err:
        progress.close()
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_UNUSABLE)
    except KeyboardInterrupt as err:  # Ctrl-C, SIGTERM, SIGHUP (secondlook.console)
        progress.close()
        click.echo("interrupted: run the same command again to resume", err=True)
        sys.exit(getattr(err, "exit_status", 130))  # 143 for SIGTERM (secondlook.console)
    progress.close()
    click.echo(summary_text(summary))
    sys.exit(EXIT_ROW_ERRORS if summary.errors else 0)


def summary_text(summary: BatchSummary) -> str:
    rate = f"{summary.rows_per_second:,.0f} rows/s" if summary.seconds else ""
    lines = [
        f"{summary.rows:,} rows: {summary.ok:,} ok, {summary.errors:,} errors "
        f"in {summary.seconds:.1f} s ({rate})",
        f"letters: {summary.letters:,} ({summary.files_written:,} "
        f"{'made' if summary.into_zip else 'files written'}, "
        f"{summary.reused:,} rows already done)",
    ]
    if summary.blank_rows:
        lines.append(f"blank rows skipped: {summary.blank_rows:,}")
    if summary.removed_files:
        lines.append(f"old letters removed (rows changed or gone): {summary.removed_files:,}")
    if summary.removed_for_zip:
        lines.append(
            f"letter files removed from letters/ (the letters are in letters.zip now): "
            f"{summary.removed_for_zip:,}"
        )
    if summary.ignored_columns:
        lines.append(f"columns ignored: {', '.join(summary.ignored_columns)}")
    lines.append(f"manifest: {summary.manifest}")
    if summary.zip_path:
        lines.append(f"zip: {summary.zip_path}")
    if summary.errors:
        lines.append("errors (all of them are in the manifest):")
        lines += [f"  {e}" for e in summary.first_errors[:10]]
        if summary.errors > 10:
            lines.append(f"  ... and {summary.errors - 10:,} more")
    return "\n".join(lines)


def check_text(report: ValidationReport) -> str:
    lines = [
        f"{report.rows:,} rows checked: {report.ok:,} ready ({report.letters:,} letters), "
        f"{report.errors:,} with errors"
    ]
    if report.blank_rows:
        lines.append(f"blank rows skipped: {report.blank_rows:,}")
    for outcome in report.error_rows:
        lines += [f"  {e}" for e in outcome.errors]
    if report.errors > len(report.error_rows):
        lines.append(f"  ... and {report.errors - len(report.error_rows):,} more rows")
    return "\n".join(lines)


def _with_templates(renderer: str, path: Path) -> str:
    """The default renderer with the organisation's templates, checked once here (LibreOffice
    included); a template that fails prints `file: problem` lines and exits 2."""
    from letters.organisation import TemplateProblem, load_templates

    if renderer != DEFAULT_RENDERER:
        raise click.UsageError("--template works with the default renderer only")
    try:
        load_templates(path)
    except TemplateProblem as problem:
        for line in problem.problems:
            click.echo(f"{problem.name}: {line}", err=True)
        sys.exit(EXIT_UNUSABLE)
    return f"{DEFAULT_RENDERER}:{path.resolve()}"


@click.command("batch-template")
@click.argument("out", metavar="OUT.csv|OUT.xlsx", type=click.Path(path_type=Path))
def batch_template_command(out: Path) -> None:
    """Write a batch input template: the header row and one fictional example row.

    The XLSX template has drop-downs for yes/no/unknown and a `Columns` sheet explaining each
    column.
    """
    try:
        write_template(out)
    except LoadError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        sys.exit(EXIT_UNUSABLE)
    click.echo(f"wrote {out}")
