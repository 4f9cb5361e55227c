"""What the main process decides about a row before any worker sees it: its journal key, and
the problems found while reading it (an unreadable row, a case id used twice)."""

from __future__ import annotations

from secondlook.batch.cells import shown_case_id
from secondlook.batch.fingerprint import row_key
from secondlook.batch.outcome import RowOutcome
from secondlook.batch.problems import CellProblem, RowError
from secondlook.batch.rows import RawRow, parse_row


def triage(raw: RawRow, run: str, seen_ids: dict[str, int]) -> tuple[str, RowOutcome | None]:
    """(the row's key, an error outcome or None when the row goes on to a worker).

    `seen_ids` maps each case id seen so far (case-folded: the letter files are named after it)
    to its row; it is updated."""
    key = row_key(run, raw.content_hash())
    case_id = raw.case_id()
    problems = list(raw.problems)
    folded = case_id.casefold()
    if case_id and folded in seen_ids:
        problems.append(
            CellProblem(
                raw.number,
                "case_id",
                f"duplicate case id (first on row {seen_ids[folded]}); each row needs its own",
            )
        )
    elif case_id:
        seen_ids[folded] = raw.number
    if not problems:
        return key, None
    try:  # report the row's other problems too, in one go
        parse_row(raw.cells, raw.number)
    except RowError as err:
        problems += [p for p in err.problems if p not in problems]
    shown = shown_case_id(case_id)
    return key, RowOutcome.error(raw.number, shown, [str(p) for p in problems])
