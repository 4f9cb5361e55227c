"""Checking a batch file without making anything: every row as the batch would see it (cells,
plan, coverage check, the data each letter needs), nothing drawn up or written."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from secondlook.batch.options import BatchOptions
from secondlook.batch.outcome import Job
from secondlook.batch.readers import InputFile
from secondlook.batch.renderers import renderer_for
from secondlook.batch.summary import ProgressCallback, ValidationReport
from secondlook.batch.triage import triage
from secondlook.batch.work import process_row


def validate_batch(
    input_path: str | Path,
    options: BatchOptions = BatchOptions(),  # noqa: B008
    progress: ProgressCallback | None = None,
    limit: int = 1000,
) -> ValidationReport:
    """Check every row as the batch would without drawing up or writing anything; the first
    `limit` rows in error are kept. Raises LoadError for a bad file."""
    source = InputFile(input_path, ignore_unknown=options.ignore_unknown_columns)
    source.read_header()
    total = source.count_rows()
    renderer_for(options.renderer)  # a renderer that cannot load stops here
    job = Job(
        run_id=f"validate-{time.time_ns()}",
        letter=options.letter,
        pdf=False,
        today=options.today or dt.date.today(),
        renderer=options.renderer,
        letters_dir=None,
        dry_run=True,
    )
    report = ValidationReport()
    seen_ids: dict[str, int] = {}
    for raw in source:
        _, outcome = triage(raw, "validate", seen_ids)
        if outcome is None:
            outcome = process_row(job, raw.number, raw.cells)
        report.rows += 1
        if outcome.status == "ok":
            report.ok += 1
            report.letters += len(outcome.letters)
            report.warning_rows += bool(outcome.warnings)
        else:
            report.errors += 1
            if len(report.error_rows) < limit:
                report.error_rows.append(outcome)
        if progress and report.rows % 50 == 0:
            progress(report.rows, total)
    if progress:
        progress(report.rows, total)
    report.blank_rows = source.blank_rows
    report.ignored_columns = source.header.ignored if source.header else []
    return report
