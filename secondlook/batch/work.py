"""The work done for each row, in a worker process, a Dask worker or in-process.

    row cells -> parse_row -> Case -> service.resolve_plan, service.check -> the letters chosen
    (a letter type, or with `auto` those the check recommends) -> render -> PDF -> write

Every row becomes a `RowOutcome`: ok with its files, or an error naming the row and column.
A bad row never stops the batch. Rows that agree on what the engine reads share the plan and
the check's answer within a worker (batch/shared.py: keyed by exactly those facts, so nothing
of one row reaches another); nothing else is kept between rows or runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage.loader import LoadError
from secondlook import files
from secondlook.batch.cells import shown_case_id
from secondlook.batch.chunks import write_chunk
from secondlook.batch.columns import AUTO
from secondlook.batch.messages import (
    info_needed_warning,
    letter_problem_texts,
    load_problem_text,
    value_error_text,
)
from secondlook.batch.outcome import FileOut, Job, RowOutcome
from secondlook.batch.problems import CellProblem, RowError
from secondlook.batch.renderers import renderer_for
from secondlook.batch.rows import parse_row
from secondlook.batch.shared import shared_work


def process_rows(job: Job, rows: list[tuple[int, dict[str, object]]]) -> list[RowOutcome]:
    """Process one chunk of rows. Never raises for a bad row: each row becomes an outcome."""
    shares_files = not job.shared_mark or os.path.exists(job.shared_mark)
    if not shares_files:  # a Dask worker on another file system: the bytes go back to the run
        job = dataclasses.replace(job, letters_dir=None)
    outcomes = []
    for number, row_cells in rows:
        try:
            outcomes.append(process_row(job, number, row_cells))
        except Exception as err:  # noqa: BLE001 - e.g. a full disk: this row fails, a re-run redoes it
            outcomes.append(_unprocessed(number, _case_id(row_cells), err))
    if job.chunks_dir is not None and shares_files:
        _write_chunk(job, outcomes)
    return outcomes


def _write_chunk(job: Job, outcomes: list[RowOutcome]) -> None:
    """ZIP output: the chunk's letters as one file. If it cannot be written (a full disk),
    every row with letters is an error, which a re-run redoes."""
    directory = Path(job.chunks_dir or "")
    _stop_if_orphaned(job)
    try:
        write_chunk(directory / job.chunk, outcomes)
    except OSError as err:
        for n, outcome in enumerate(outcomes):
            if outcome.status == "ok" and outcome.files:
                outcomes[n] = _unprocessed(outcome.row, outcome.case_id, err)


def _unprocessed(row: int, case_id: str, err: Exception) -> RowOutcome:
    reason = type(err).__name__
    if isinstance(err, OSError) and err.strerror:
        reason += f": {err.strerror}"
    problem = CellProblem(row, None, f"this row could not be processed ({reason})")
    return RowOutcome.error(row, case_id, [str(problem)])


def _case_id(row_cells: dict[str, object]) -> str:
    return shown_case_id(row_cells.get("case_id"))


@dataclass
class _Letters:
    """The letters of one row as they are drawn up."""

    wanted: list[str]
    warnings: list[str] = field(default_factory=list)
    made: list[str] = field(default_factory=list)
    rendered: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, bytes)
    errors: list[str] = field(default_factory=list)


def process_row(job: Job, row: int, row_cells: dict[str, object]) -> RowOutcome:
    case_id = _case_id(row_cells)
    try:
        parsed = parse_row(row_cells, row)
    except RowError as err:
        return RowOutcome.error(row, case_id, [str(p) for p in err.problems])
    checked = _check(job, parsed.case, row)
    if isinstance(checked, list):
        return RowOutcome.error(row, case_id, checked)
    plan, determination = checked
    auto = (parsed.letters or (job.letter,)) == (AUTO,)
    letters = _choose(parsed.letters or (job.letter,), determination)
    _draw_up(job, letters, auto, case_id, row, (parsed.case, plan, determination))
    covered = determination.covered
    if letters.errors:
        return RowOutcome.error(row, case_id, letters.errors, covered)
    if auto and letters.wanted and not letters.made:
        letters.warnings.append("no letter made: none of the recommended letters applies")
    if job.dry_run:
        return RowOutcome(row, case_id, "ok", letters.made, [], covered, letters.warnings)
    if job.pdf and letters.rendered:
        try:
            letters.rendered += _pdfs(letters.rendered)
        except Exception as err:  # noqa: BLE001 - LibreOffice failing is a row error, not a stop
            reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
            problem = CellProblem(row, None, f"PDF conversion failed: {reason}")
            return RowOutcome.error(row, case_id, [str(problem)], covered)
    written = _write(job, letters.rendered)
    return RowOutcome(row, case_id, "ok", letters.made, written, covered, letters.warnings)


def _check(job: Job, case: Any, row: int) -> tuple[Any, Any] | list[str]:
    """(plan, determination) through the service, or the row's error texts."""
    from secondlook import service

    shared = shared_work()
    if not case.plan and not service.has_reported_plan(case):
        problem = CellProblem(
            row,
            "plan",
            "required: the plan id (see `secondlook plans list`), or for a plan not in the "
            "catalog the reported_plan_* columns (at least reported_plan_market)",
        )
        return [str(problem)]
    try:
        # Ids only (service.resolve_plan never opens a file a spreadsheet names), else the
        # plan the patient reported.
        plan = shared.plan_for(case)
    except LoadError as err:
        return [str(CellProblem(row, "plan", _plan_message(p.message))) for p in err.problems]
    try:  # rows that agree on what the engine reads share one answer (batch/shared.py)
        return plan, shared.check(case, plan, case.as_of or job.today)
    except LoadError as err:
        return [load_problem_text(p, row) for p in err.problems]
    except Exception as err:  # noqa: BLE001 - one bad row never stops the batch
        return [value_error_text(err, row, "the check")]


def _plan_message(message: str) -> str:
    """The service's plan problem without the id it quotes (a shifted column can put member
    data in the plan cell)."""
    if message.startswith("no plan with id"):
        return "no plan with this id (see `secondlook plans list`)"
    if "'" in message or '"' in message:
        return "not a plan id: use one from `secondlook plans list` or generic-<market>-<state>-<funding>"
    return message


def _choose(chosen: tuple[str, ...], determination: Any) -> _Letters:
    """The letters to make: those named, or with `auto` those the check recommends."""
    if chosen == (AUTO,):
        letters = _Letters(list(determination.letters))
        if not letters.wanted:
            letters.warnings.append("no letter made: the check recommends none for this case")
    else:
        letters = _Letters(list(chosen))
        not_advised = [t for t in letters.wanted if t not in determination.letters]
        if not_advised:
            letters.warnings.append(
                f"the check does not recommend {', '.join(not_advised)} for this case"
            )
    depends = info_needed_warning(determination)
    if depends:
        letters.warnings.append(depends)
    return letters


def _draw_up(
    job: Job, letters: _Letters, auto: bool, case_id: str, row: int, answer: tuple[Any, Any, Any]
) -> None:
    """Render each wanted letter into `letters` (with `dry_run`, only check that it can be
    made: the service's `letters_for`, nothing drawn up)."""
    for letter_type, result in _results(job, letters.wanted, answer):
        if isinstance(result, bytes):
            letters.made.append(letter_type)
            letters.rendered.append((f"{case_id}__{letter_type}.docx", result))
        elif auto and result.kind == "not_applicable":
            letters.warnings.append(f"{letter_type} skipped: {result.message}")
        else:
            letters.errors += letter_problem_texts(result, row)


def _results(job: Job, wanted: list[str], answer: tuple[Any, Any, Any]) -> list[tuple[str, Any]]:
    """(letter type, .docx bytes or the service's LetterProblem) for each wanted letter."""
    from secondlook import service

    if job.dry_run:
        every_type = any(t not in answer[2].letters for t in wanted)
        found = service.letters_for(*answer, today=job.today, every_type=every_type)
        problems = {status.letter_type: status.problem for status in found}
        return [(t, problems.get(t) or b"") for t in wanted]
    renderer = renderer_for(job.renderer)
    out = []
    for letter_type in wanted:
        try:
            result = renderer.render(letter_type, *answer, today=job.today)
        except Exception as err:  # noqa: BLE001 - a pluggable renderer's fault: this row only
            result = service.LetterProblem(
                letter_type,
                "error",
                f"the {letter_type} letter could not be made ({type(err).__name__})",
            )
        out.append((letter_type, result))
    return out


def _pdfs(rendered: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    from secondlook.batch.pdf import to_pdf

    return to_pdf(rendered)


def _stop_if_orphaned(job: Job) -> None:
    if job.owner_pid and not process_alive(job.owner_pid):
        os._exit(1)  # orphaned by a killed run: leave the rest to the resumed run


def _write(job: Job, rendered: list[tuple[str, bytes]]) -> list[FileOut]:
    """Write the row's files (or keep their bytes: for the chunk's ZIP, or for Dask to hand
    back to the client)."""
    if job.letters_dir is not None:
        _stop_if_orphaned(job)
    out = []
    for name, data in rendered:
        item = FileOut(name, hashlib.sha256(data).hexdigest(), len(data))
        if job.letters_dir is None:
            item.data = data
        else:
            item.mtime_ns = _write_letter(job, Path(job.letters_dir) / name, data).st_mtime_ns
        out.append(item)
    return out


_HOST_TOKEN = secrets.token_hex(4)  # with the pid, unique among processes sharing a file system


def _write_letter(job: Job, path: Path, data: bytes) -> os.stat_result:
    """Write one letter file, its temporary file in this process's own folder under
    `Job.temp_root`, made when missing (the run removes them all when it ends)."""
    if not job.temp_root:
        return files.write_atomic(path, data)
    own = Path(job.temp_root, f"{os.getpid()}-{_HOST_TOKEN}")
    try:
        return files.write_atomic(path, data, temp_dir=own)
    except FileNotFoundError:
        if own.is_dir():
            raise  # letters_dir is gone: the run reports it
        files.private_dir(own.parent)  # 0700, like every folder that holds member data
        files.private_dir(own)
        return files.write_atomic(path, data, temp_dir=own)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - exists, owned by someone else
        return True
    return True
