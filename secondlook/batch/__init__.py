"""Batch letters: a spreadsheet in, one letter (or a clear error) per row out, nothing lost.

    from secondlook.batch import BatchOptions, run_batch
    run_batch("cases.csv", "out/", BatchOptions(letter="auto", workers=2))

For every non-blank row of the input: parse the row into a `Case` -> `service.check` -> draw up
the chosen letter type, or with `auto` the letters the check recommends -> write each file
atomically into `out/letters/`; `out/manifest.csv` has one row per input row. docs/batch.md is
the user's guide.

The modules, in the order a row meets them:
    columns     the column catalogue (names, kinds, help, the Case field each fills)
    readers     CSV and XLSX (`xlsx`) read one row at a time; `header` checks the header row
    cells, rows a cell converted for its column; a row's cells -> a validated Case
    triage      in the main process: the row's journal key (`fingerprint`), duplicate case ids
    executors   in-process, a pool of local processes (started warm: `warm`), or Dask;
                `dispatch` feeds them chunks
    work        per row: service check, letters (`renderers`), PDFs (`pdf`), files written
    messages    the service's problems said as `row N, column C: ...`
    journal     SQLite state that makes re-runs and resumes exact
    manifest    manifest.csv and letters.zip (`storedzip`: deterministic stored ZIPs);
                `outdir` the output directory and its lock
    chunks      ZIP output: one chunk file per chunk of rows, letters.zip assembled from them
    run         run_batch; `validate` the check without output; `template` the input template
"""

from secondlook.batch.columns import AUTO, LETTER_TYPES
from secondlook.batch.fingerprint import engine_fingerprint
from secondlook.batch.manifest import (
    MANIFEST_COLUMNS,
    read_manifest,
)
from secondlook.batch.options import BatchOptions
from secondlook.batch.outcome import FileOut, Job, RowOutcome
from secondlook.batch.outdir import LETTERS_DIR, MANIFEST, STATE_DIR, ZIP_NAME
from secondlook.batch.pdf import close_worker_resources
from secondlook.batch.problems import BatchError, CellProblem, RowError
from secondlook.batch.renderers import (
    DEFAULT_RENDERER,
    LettersRenderer,
    Renderer,
    letters_renderer,
)
from secondlook.batch.run import run_batch
from secondlook.batch.summary import BatchSummary, ProgressCallback, ValidationReport
from secondlook.batch.validate import validate_batch

__all__ = [
    "AUTO",
    "DEFAULT_RENDERER",
    "LETTERS_DIR",
    "LETTER_TYPES",
    "MANIFEST",
    "MANIFEST_COLUMNS",
    "STATE_DIR",
    "ZIP_NAME",
    "BatchError",
    "BatchOptions",
    "BatchSummary",
    "CellProblem",
    "FileOut",
    "Job",
    "LettersRenderer",
    "ProgressCallback",
    "Renderer",
    "RowError",
    "RowOutcome",
    "ValidationReport",
    "close_worker_resources",
    "engine_fingerprint",
    "letters_renderer",
    "read_manifest",
    "run_batch",
    "validate_batch",
]
