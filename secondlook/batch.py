"""Batch letters: a spreadsheet in, one letter (or a clear error) per row out, nothing lost.

    run_batch("cases.csv", "out/", BatchOptions(letter="auto", workers=2))

For every non-blank row of the input (CSV or XLSX, see `secondlook.batch_format`):
parse the row into a `Case` -> `service.check` -> render the chosen letter type, or with `auto`
the letters the determination recommends -> write each file atomically into `out/letters/`.

What the output directory holds:
    manifest.csv               one row per input row: row, case_id, status (ok/error), letters,
                               files, sha256, covered, warnings, errors
    letters/<case_id>__<letter_type>.docx   (and .pdf with `pdf=True`)
    letters.zip                the letters and the manifest (with `zip=True`)
    .secondlook-batch/         the journal (SQLite) that makes re-runs and resumes exact

Nothing lost, nothing twice:
* every file is written to a temporary name and renamed into place, so a letter is either
  complete or absent; file names are fixed by case id and letter type, so redoing a row
  overwrites, never duplicates;
* the journal records each finished row, keyed by a digest of the row's content, the letter
  choice, the PDF option and the versions of the templates, the engine and the plan/rule data.
  A re-run skips rows whose letters are already made and intact, and redoes failed or changed
  rows; a run killed at any point resumes the same way;
* the manifest is rebuilt from the journal at the end of every run (atomically), in input order;
  letters left over from rows that changed or disappeared are removed then.

Rows go to a pool of worker processes (`workers`), or to a Dask cluster (`scheduler`), in small
chunks with a bounded number in flight, so memory stays flat however long the input is.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import dataclasses
import datetime as dt
import fcntl
import hashlib
import importlib
import json
import multiprocessing.util
import os
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from coverage.loader import LoadError, Problem
from secondlook.batch_format import (
    AUTO,
    LETTER_TYPES,
    CellProblem,
    InputFile,
    RawRow,
    RowError,
    column_for_field,
    parse_row,
)

BATCH_FORMAT_VERSION = "1"
STATE_DIR = ".secondlook-batch"
LETTERS_DIR = "letters"
MANIFEST = "manifest.csv"
ZIP_NAME = "letters.zip"
MANIFEST_COLUMNS = (
    "row",
    "case_id",
    "status",
    "letters",
    "files",
    "sha256",
    "covered",
    "warnings",
    "errors",
)
DEFAULT_RENDERER = "secondlook.batch:letters_renderer"
_TMP_MARK = ".tmp-"


class BatchError(Exception):
    """A problem with the run itself (output directory, scheduler), not with a row."""


# ---------------------------------------------------------------------------------------------
# Small utilities


def write_atomic(path: Path | str, data: bytes, *, durable: bool = False) -> os.stat_result:
    """Write `data` to `path` via a temporary file in the same directory and a rename.

    Readers see the old file or the new one, never a part. The file is private to the user
    (mode 0600: letters hold member data). `durable` also fsyncs (for the manifest and ZIP).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{_TMP_MARK}", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
            written = os.fstat(handle.fileno())  # this file's size and time, whoever comes next
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return written


@contextlib.contextmanager
def _atomic_output(path: Path, mode: str = "w", **kwargs: Any) -> Iterator[Any]:
    """Write a large file (manifest, ZIP) through a temporary file renamed at the end."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{_TMP_MARK}", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """Make a manifest cell safe to open in a spreadsheet (CSV injection).

    A cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return) would be run as a
    formula by Excel or LibreOffice; a leading apostrophe makes it plain text.
    """
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _digest_files(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def engine_fingerprint() -> str:
    """A digest of the coverage engine's code and the plan and rule data it reads."""
    from coverage import catalog

    code = Path(catalog.__file__).resolve().parent
    here = Path(__file__).resolve().parent
    # batch_format maps columns to the case: a fix there must remake the letters too.
    files = [*code.glob("*.py"), here / "service.py", here / "batch_format.py"]
    for directory in (catalog.PLANS_DIR, catalog.RULES_DIR):
        files += [p for p in directory.rglob("*") if p.is_file()]
    return _digest_files(files)


# ---------------------------------------------------------------------------------------------
# Renderers: pluggable, so the batch machinery is independent of how letters are drawn up.


class Renderer(Protocol):
    """Draws up one letter. `version` must change whenever the output could change."""

    version: str

    def render(
        self, letter_type: str, case, plan, determination, *, today: dt.date, law=None
    ) -> bytes: ...


def load_renderer(spec: str) -> Renderer:
    """Build a renderer from `module:factory` (a class or a function taking no arguments)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise BatchError(f"renderer {spec!r}: expected module:factory")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise BatchError(f"renderer {spec!r} cannot be loaded ({type(err).__name__})") from None
    return factory()


class LettersRenderer:
    """The letters package's compile-once `letters.Renderer`: each template is compiled once
    per process, then filled for every row."""

    def __init__(self) -> None:
        import letters

        self._renderer = letters.Renderer()
        package = Path(letters.__file__).resolve().parent
        self.version = _digest_files(
            [p for p in package.rglob("*") if p.is_file() and p.suffix in (".py", ".docx")]
        )

    def render(self, letter_type: str, case, plan, determination, *, today: dt.date, law=None):
        return self._renderer.render(letter_type, case, plan, determination, today=today, law=law)

    def check(self, letter_type: str, case, plan, determination, *, today: dt.date, law=None):
        """Everything `render` checks (required fields, applicability), without drawing it up."""
        from letters import build_context

        build_context(letter_type, case, plan, determination, today=today, law=law)


def letters_renderer() -> Renderer:
    return LettersRenderer()


# ---------------------------------------------------------------------------------------------
# The work done for each row (in a worker process, a Dask worker, or in-process)


@dataclass(frozen=True)
class Job:
    """What every row of one run shares; small and picklable (it travels with each chunk)."""

    run_id: str
    letter: str  # a letter type or "auto"
    pdf: bool
    today: dt.date
    renderer: str
    letters_dir: str | None  # workers write here; None: they return the bytes (Dask)
    owner_pid: int = 0  # local workers stop writing once the process that started them is gone
    dry_run: bool = False  # validate only: check each letter can be made, write nothing


@dataclass
class FileOut:
    name: str  # file name inside letters/
    sha256: str
    size: int
    mtime_ns: int = 0
    data: bytes | None = None  # only when the worker does not write (Dask)


@dataclass
class RowOutcome:
    row: int
    case_id: str
    status: Literal["ok", "error"]
    letters: list[str] = field(default_factory=list)
    files: list[FileOut] = field(default_factory=list)
    covered: str = ""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        data = {
            "row": self.row,
            "case_id": self.case_id,
            "status": self.status,
            "letters": self.letters,
            "files": [
                {"name": f.name, "sha256": f.sha256, "size": f.size, "mtime_ns": f.mtime_ns}
                for f in self.files
            ],
            "covered": self.covered,
            "warnings": self.warnings,
            "errors": self.errors,
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> RowOutcome:
        data = json.loads(text)
        data["files"] = [FileOut(**f) for f in data["files"]]
        return cls(**data)


_worker_cache: dict[str, Any] = {}


def _renderer_for(job: Job) -> Renderer:
    key = f"renderer:{job.renderer}"
    if key not in _worker_cache:
        _worker_cache[key] = load_renderer(job.renderer)
    return _worker_cache[key]


def _plan_for(job: Job, plan_id: str) -> Any:
    """Plans are resolved once per run in each worker (a LoadError is cached too)."""
    from secondlook import service

    cache = _worker_cache.setdefault(f"plans:{job.run_id}", {})
    if len(_worker_cache) > 16:  # long-lived Dask workers: forget old runs
        for key in [
            k for k in _worker_cache if k.startswith("plans:") and k != f"plans:{job.run_id}"
        ]:
            del _worker_cache[key]
    if plan_id not in cache:
        try:
            # Ids only: service.resolve_plan never opens a file a spreadsheet names.
            cache[plan_id] = service.resolve_plan(plan_id)
        except LoadError as err:
            cache[plan_id] = err
    return cache[plan_id]


def _check(job: Job, case: Any, plan: Any) -> Any:
    """`service.check(case, plan, as_of)`, with the law book loaded once per run and worker.

    service.check re-reads (stats) every rule file on each call, which costs more than the
    evaluation itself at batch rates; the result is the same.
    """
    from coverage.engine import evaluate

    return evaluate(plan, case, case.as_of or job.today, _law(job))


def _law(job: Job) -> Any:
    from secondlook import service

    key = f"law:{job.run_id}"
    if key not in _worker_cache:
        for old in [k for k in _worker_cache if k.startswith("law:")]:
            del _worker_cache[old]
        _worker_cache[key] = service.lawbook()
    return _worker_cache[key]


def _problem_text(problem: Problem, row: int) -> str:
    column = column_for_field(problem.field) or (
        "plan" if problem.field.startswith("plan") else None
    )
    message = problem.message
    return str(CellProblem(row, column, message))


def _value_error_text(err: Exception, row: int, what: str) -> str:
    """Show an engine or letters ValueError only when it names a case field (no values)."""
    import re

    message = str(err)
    fields = re.findall(
        r"\b((?:patient|diagnosis|reasons|provider|urgency|denial|"
        r"referring_physician|records_from)\.[a-z_.\[\]0-9]+|as_of|"
        r"request_sent_date|qualified_in_network_specialist)\b",
        message,
    )
    columns = [column_for_field(f) for f in fields]
    if isinstance(err, ValueError) and fields and all(columns):
        for path, column in zip(fields, columns, strict=True):
            message = message.replace(path, str(column))
        return str(CellProblem(row, columns[0], message))
    return str(CellProblem(row, None, f"{what} failed ({type(err).__name__})"))


def _process_row(job: Job, row: int, cells: dict[str, object]) -> RowOutcome:
    case_id = str(cells.get("case_id", "") or "").strip()
    try:
        parsed = parse_row(cells, row)
    except RowError as err:
        return RowOutcome(row, case_id, "error", errors=[str(p) for p in err.problems])
    case = parsed.case
    if not case.plan:
        return RowOutcome(
            row,
            case_id,
            "error",
            errors=[
                str(CellProblem(row, "plan", "required: the plan id (see `secondlook plans list`)"))
            ],
        )
    plan = _plan_for(job, case.plan)
    if isinstance(plan, LoadError):
        return RowOutcome(
            row,
            case_id,
            "error",
            errors=[str(CellProblem(row, "plan", p.message)) for p in plan.problems],
        )
    try:
        determination = _check(job, case, plan)
    except LoadError as err:
        return RowOutcome(
            row, case_id, "error", errors=[_problem_text(p, row) for p in err.problems]
        )
    except Exception as err:  # noqa: BLE001 - one bad row never stops the batch
        return RowOutcome(row, case_id, "error", errors=[_value_error_text(err, row, "the check")])

    warnings: list[str] = []
    chosen = parsed.letters or (job.letter,)
    if chosen == (AUTO,):
        letter_types = list(determination.letters)
        if not letter_types:
            warnings.append("no letter made: the check recommends none for this case")
    else:
        letter_types = list(chosen)
        not_advised = [t for t in letter_types if t not in determination.letters]
        if not_advised:
            warnings.append(f"the check does not recommend {', '.join(not_advised)} for this case")
    if determination.info_needed:
        columns, plan_points = set(), set()
        for need in determination.info_needed:
            column = column_for_field(need.field)
            if column and column != "plan":
                columns.add(column)
            else:
                plan_points.add(need.field)
        parts = sorted(columns)
        if plan_points:
            n = len(plan_points)
            parts.append(f"{n} point{'s' if n > 1 else ''} to confirm with the plan")
        warnings.append(f"{determination.covered}: the answer depends on {' and '.join(parts)}")

    renderer = _renderer_for(job)
    rendered: list[tuple[str, bytes]] = []
    errors: list[str] = []
    made: list[str] = []
    for letter_type in letter_types:
        try:
            if job.dry_run and hasattr(renderer, "check"):
                renderer.check(
                    letter_type, case, plan, determination, today=job.today, law=_law(job)
                )
                data = b""
            else:
                data = renderer.render(
                    letter_type, case, plan, determination, today=job.today, law=_law(job)
                )
        except Exception as err:  # noqa: BLE001 - one bad row never stops the batch
            if chosen == (AUTO,) and _not_applicable(err):
                warnings.append(f"{letter_type} skipped: {err}")
            else:
                errors += _letters_error_text(err, row, letter_type)
            continue
        made.append(letter_type)
        rendered.append((f"{case_id}__{letter_type}.docx", data))
    if errors:
        return RowOutcome(row, case_id, "error", covered=determination.covered, errors=errors)
    if chosen == (AUTO,) and letter_types and not made:
        warnings.append("no letter made: none of the recommended letters applies")
    letter_types = made
    if job.dry_run:
        return RowOutcome(row, case_id, "ok", letter_types, [], determination.covered, warnings)
    if job.pdf and rendered:
        try:
            pdfs = _to_pdf(rendered)
        except Exception as err:  # noqa: BLE001 - LibreOffice failing is a row error, not a stop
            reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
            return RowOutcome(
                row,
                case_id,
                "error",
                covered=determination.covered,
                errors=[str(CellProblem(row, None, f"PDF conversion failed: {reason}"))],
            )
        rendered += pdfs

    if job.letters_dir is not None and job.owner_pid and not _alive(job.owner_pid):
        os._exit(1)  # orphaned by a killed run: leave the rest to the resumed run
    files = []
    for name, data in rendered:
        out = FileOut(name, hashlib.sha256(data).hexdigest(), len(data))
        if job.letters_dir is None:
            out.data = data
        else:
            out.mtime_ns = write_atomic(Path(job.letters_dir) / name, data).st_mtime_ns
        files.append(out)
    return RowOutcome(row, case_id, "ok", letter_types, files, determination.covered, warnings)


def _not_applicable(err: Exception) -> bool:
    try:
        from letters import NotApplicableError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(err, NotApplicableError)


def _letters_error_text(err: Exception, row: int, letter_type: str) -> list[str]:
    """A letter that cannot be made: name the columns it needs (the letters package's errors
    say what is missing or why the letter does not apply, never the member's values)."""
    try:
        from letters import LetterError, MissingFieldError
    except ImportError:  # pragma: no cover - a test renderer without the letters package
        LetterError = MissingFieldError = ()  # type: ignore[assignment,misc]  # noqa: N806
    if MissingFieldError and isinstance(err, MissingFieldError):
        out = []
        for path, why in err.fields:
            column = column_for_field(path)
            if column == "plan":
                text = (
                    f"the plan's data lack {why} ({path.removeprefix('plan.')}), needed for "
                    f"the {letter_type} letter"
                )
            else:
                where = "" if column else f"{path}: "
                text = f"{where}needed for the {letter_type} letter: {why}"
            out.append(str(CellProblem(row, column, text)))
        return out
    if LetterError and isinstance(err, LetterError):
        return [str(CellProblem(row, None, str(err)))]
    return [
        str(
            CellProblem(
                row, None, f"the {letter_type} letter could not be made ({type(err).__name__})"
            )
        )
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - exists, owned by someone else
        return True
    return True


def process_rows(job: Job, rows: list[tuple[int, dict[str, object]]]) -> list[RowOutcome]:
    """Process one chunk of rows. Never raises for a bad row: each row becomes an outcome."""
    outcomes = []
    for number, cells in rows:
        try:
            outcomes.append(_process_row(job, number, cells))
        except Exception as err:  # noqa: BLE001 - e.g. a full disk: this row fails, a re-run redoes it
            reason = type(err).__name__
            if isinstance(err, OSError) and err.strerror:
                reason += f": {err.strerror}"
            problem = CellProblem(number, None, f"this row could not be processed ({reason})")
            case_id = str(cells.get("case_id", "") or "").strip()
            outcomes.append(RowOutcome(number, case_id, "error", errors=[str(problem)]))
    return outcomes


# ---------------------------------------------------------------------------------------------
# PDF through LibreOffice (one soffice call per chunk of letters, a profile per process)


def _to_pdf(rendered: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """PDFs of a row's letters: a warm LibreOffice per worker process (letters.pdf), or one
    soffice run for the row when the warm converter cannot start on this machine."""
    from letters import pdf

    converter = _worker_cache.get("pdf")
    if converter is None and not _worker_cache.get("pdf:unavailable"):
        try:
            converter = pdf.PdfConverter().start()
        except pdf.PdfError:
            _worker_cache["pdf:unavailable"] = True
        else:
            _worker_cache["pdf"] = converter
            # Runs at exit in pool workers too (they leave through os._exit, skipping atexit).
            multiprocessing.util.Finalize(None, converter.close, exitpriority=10)
    if converter is not None:
        converted = {name: converter.convert(data) for name, data in rendered}
    else:
        converted = pdf.convert_batch(dict(rendered))
    return [(name[: -len(".docx")] + ".pdf", converted[name]) for name, _ in rendered]


def close_worker_resources() -> None:
    """Stop the warm LibreOffice of this process, if a run with PDFs started one."""
    converter = _worker_cache.pop("pdf", None)
    if converter is not None:
        converter.close()


# ---------------------------------------------------------------------------------------------
# The journal


class Journal:
    """SQLite state in out/.secondlook-batch/: finished results by content key, and this run's
    row -> outcome table from which the manifest is written."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS results(key TEXT PRIMARY KEY, outcome TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS run_rows(
                row INTEGER PRIMARY KEY, key TEXT, status TEXT NOT NULL, reused INTEGER NOT NULL,
                outcome TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS run_files(name TEXT PRIMARY KEY, row INTEGER NOT NULL);
            """
        )
        self.db.execute("BEGIN")

    def start_run(self) -> None:
        self.db.execute("DELETE FROM run_rows")
        self.db.execute("DELETE FROM run_files")
        self.commit()

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def cached(self, key: str) -> RowOutcome | None:
        hit = self.db.execute("SELECT outcome FROM results WHERE key = ?", (key,)).fetchone()
        return RowOutcome.from_json(hit[0]) if hit else None

    def record(self, key: str | None, outcome: RowOutcome, *, reused: bool = False) -> None:
        text = outcome.to_json()
        if outcome.status == "ok" and key and not reused:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (key, text))
        self.db.execute(
            "INSERT OR REPLACE INTO run_rows VALUES (?, ?, ?, ?, ?)",
            (outcome.row, key, outcome.status, int(reused), text),
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO run_files VALUES (?, ?)",
            [(f.name, outcome.row) for f in outcome.files],
        )

    def outcomes(self) -> Iterator[RowOutcome]:
        cursor = self.db.execute("SELECT outcome FROM run_rows ORDER BY row")
        for (text,) in cursor:
            yield RowOutcome.from_json(text)

    def is_current_file(self, name: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM run_files WHERE name = ?", (name,)).fetchone()
            is not None
        )

    def current_files(self) -> Iterator[str]:
        for (name,) in self.db.execute("SELECT name FROM run_files ORDER BY row, name"):
            yield name

    def forget_stale_results(self) -> None:
        self.db.execute(
            "DELETE FROM results WHERE key NOT IN (SELECT key FROM run_rows WHERE key IS NOT NULL)"
        )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("COMMIT")
        self.db.close()


def _files_intact(letters_dir: Path, outcome: RowOutcome) -> bool:
    for item in outcome.files:
        try:
            st = os.stat(letters_dir / item.name)
        except OSError:
            return False
        if st.st_size != item.size or st.st_mtime_ns != item.mtime_ns:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Where the chunks run


class _InProcess:
    workers = 1
    writes_files = True

    def submit(self, job: Job, rows: list) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(process_rows(job, rows))
        except Exception as err:  # noqa: BLE001
            future.set_exception(err)
        return future

    def wait_any(self, futures: list) -> list:
        return [f for f in futures if f.done()] or futures[:1]

    def recover(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        close_worker_resources()  # e.g. the warm LibreOffice of a run with PDFs


_WORKER_MODULES = ["secondlook.batch", "secondlook.service", "coverage.engine", "letters"]


class _Pool:
    writes_files = True

    def __init__(self, workers: int):
        self.workers = workers
        # forkserver: workers fork from a clean server process that has already imported the
        # engine and the letters package (fast to start, and safe in a threaded app server).
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_WORKER_MODULES)
        self._start()

    def _start(self) -> None:
        self.executor = cf.ProcessPoolExecutor(self.workers, mp_context=self._context)

    def submit(self, job: Job, rows: list) -> cf.Future:
        return self.executor.submit(process_rows, job, rows)

    def wait_any(self, futures: list) -> list:
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def recover(self) -> None:
        """After a worker died (BrokenProcessPool), start a fresh pool."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self._start()

    def close(self, cancel: bool = False) -> None:
        self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


class _Dask:
    writes_files = False  # workers may not share our file system: they send the bytes back

    def __init__(self, address: str, timeout: float):
        try:
            from distributed import Client
        except ImportError:
            raise BatchError("--scheduler needs dask[distributed] installed") from None
        try:
            self.client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise BatchError(
                f"cannot reach the Dask scheduler at {address} ({type(err).__name__})"
            ) from None
        self.workers = max(1, sum(self.client.nthreads().values()))

    def submit(self, job: Job, rows: list):  # noqa: ANN201
        return self.client.submit(process_rows, job, rows, pure=False)

    def wait_any(self, futures: list) -> list:
        from distributed import wait

        with self.client.as_current():
            done, _ = wait(futures, return_when="FIRST_COMPLETED")
        return list(done)

    def recover(self) -> None:
        pass  # the scheduler reschedules work from a lost worker by itself

    def close(self, cancel: bool = False) -> None:
        self.client.close()


# ---------------------------------------------------------------------------------------------
# The run


@dataclass(frozen=True)
class BatchOptions:
    letter: str = AUTO
    pdf: bool = False
    zip: bool = False
    workers: int = 1
    scheduler: str | None = None
    renderer: str = DEFAULT_RENDERER
    ignore_unknown_columns: bool = False
    today: dt.date | None = None
    chunk_size: int | None = None
    scheduler_timeout: float = 15.0  # seconds to wait for the Dask scheduler to answer

    def __post_init__(self) -> None:
        if self.letter != AUTO and self.letter not in LETTER_TYPES:
            raise BatchError(
                f"unknown letter type {self.letter!r}: use auto or {', '.join(LETTER_TYPES)}"
            )
        if self.workers < 1:
            raise BatchError("workers must be at least 1")


@dataclass
class BatchSummary:
    out_dir: Path
    manifest: Path
    zip_path: Path | None = None
    rows: int = 0
    ok: int = 0
    errors: int = 0
    reused: int = 0
    files_written: int = 0
    letters: int = 0
    blank_rows: int = 0
    removed_files: int = 0
    seconds: float = 0.0
    first_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


ProgressCallback = Callable[[int, int | None], None]


def _prepare_out_dir(out: Path) -> Path:
    state = out / STATE_DIR
    if out.exists() and not state.exists():
        clash = [n for n in (LETTERS_DIR, MANIFEST, ZIP_NAME) if (out / n).exists()]
        if clash:
            raise BatchError(
                f"{out}: {clash[0]} exists but was not made by `secondlook batch`; "
                "choose a new or empty output directory"
            )
    (out / LETTERS_DIR).mkdir(parents=True, exist_ok=True)
    state.mkdir(exist_ok=True)
    return state


@contextlib.contextmanager
def _locked(state: Path) -> Iterator[None]:
    with open(state / "lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"another batch is writing to {state.parent}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_temp_files(*directories: Path) -> None:
    for directory in directories:
        for entry in os.scandir(directory):
            if _TMP_MARK in entry.name and entry.name.startswith(".") and entry.is_file():
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def run_batch(
    input_path: str | Path,
    out_dir: str | Path,
    options: BatchOptions = BatchOptions(),  # noqa: B008 - frozen, so sharing it is safe
    progress: ProgressCallback | None = None,
) -> BatchSummary:
    """Run (or resume) a batch. Row problems end up in the manifest; a problem with the input
    file raises LoadError, with the output directory or scheduler BatchError."""
    started = time.perf_counter()
    source = InputFile(input_path, ignore_unknown=options.ignore_unknown_columns)
    source.read_header()  # a bad header stops here, before anything is written
    out = Path(out_dir)
    state = _prepare_out_dir(out)
    letters_dir = out / LETTERS_DIR
    summary = BatchSummary(out_dir=out, manifest=out / MANIFEST)
    with _locked(state):
        _remove_temp_files(out, letters_dir)
        journal = Journal(state / "state.sqlite")
        try:
            journal.start_run()
            _run(source, out, letters_dir, journal, options, summary, progress)
            _finish(out, letters_dir, journal, options, summary)
        finally:
            journal.close()
    summary.blank_rows = source.blank_rows
    summary.ignored_columns = source.header.ignored if source.header else []
    summary.seconds = time.perf_counter() - started
    return summary


def _settings_digest(options: BatchOptions, renderer_version: str) -> str:
    blob = json.dumps(
        [
            BATCH_FORMAT_VERSION,
            options.letter,
            options.pdf,
            # The date is printed on every letter and dates checks for rows without as_of.
            options.today.isoformat() if options.today else None,
            renderer_version,
            engine_fingerprint(),
        ]
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _make_runner(options: BatchOptions, total: int | None):
    if options.scheduler:
        return _Dask(options.scheduler, options.scheduler_timeout)
    if options.workers > 1 and (total is None or total >= 200):  # else start-up costs more
        return _Pool(options.workers)
    return _InProcess()


def _run(
    source: InputFile,
    out: Path,
    letters_dir: Path,
    journal: Journal,
    options: BatchOptions,
    summary: BatchSummary,
    progress: ProgressCallback | None,
) -> None:
    total = source.count_rows()
    renderer = load_renderer(options.renderer)  # fails early, and gives the version
    settings = _settings_digest(options, renderer.version)
    runner = _make_runner(options, total)
    job = Job(
        run_id=hashlib.sha256(f"{settings}{time.time_ns()}".encode()).hexdigest()[:16],
        letter=options.letter,
        pdf=options.pdf,
        today=options.today or dt.date.today(),
        renderer=options.renderer,
        letters_dir=str(letters_dir.resolve()) if runner.writes_files else None,
        owner_pid=os.getpid() if isinstance(runner, _Pool) else 0,
    )
    dispatcher = _Dispatcher(runner, job, journal, letters_dir, summary, progress, total)
    chunk_size = options.chunk_size or _chunk_size(total, runner.workers)
    seen_ids: dict[str, int] = {}
    pending: list = []
    try:
        for raw in source:
            key, early = _triage(raw, settings, seen_ids)
            if early is not None:
                dispatcher.record(None, early)
                continue
            cached = journal.cached(key)
            if cached is not None and _files_intact(letters_dir, cached):
                cached.row = raw.number
                dispatcher.record(key, cached, reused=True)
                if summary.rows % 500 == 0:
                    dispatcher.checkpoint()
                continue
            pending.append((raw.number, key, raw.cells))
            if len(pending) >= chunk_size:
                dispatcher.submit(pending)
                pending = []
                dispatcher.collect(dispatcher.limit)
        if pending:
            dispatcher.submit(pending)
        dispatcher.collect(0)
        dispatcher.checkpoint()
    except BaseException:
        dispatcher.runner.close(cancel=True)
        journal.commit()
        raise
    dispatcher.runner.close()


class _Dispatcher:
    """Sends chunks of rows to the runner, records their outcomes in the journal, and copes
    with workers that die: the rows in flight are redone, one at a time when a pool has broken
    (so that only a row that kills a worker by itself becomes an error)."""

    def __init__(
        self,
        runner: Any,
        job: Job,
        journal: Journal,
        letters_dir: Path,
        summary: BatchSummary,
        progress: ProgressCallback | None,
        total: int | None,
    ):
        self.runner, self.job, self.journal = runner, job, journal
        self.letters_dir, self.summary, self.progress, self.total = (
            letters_dir,
            summary,
            progress,
            total,
        )
        self.limit = max(2, runner.workers * 3)  # chunks in flight: bounded memory
        self.inflight: dict[Any, tuple[list, int]] = {}  # future -> (rows, pool generation)
        self.generation = 0
        self.pool_worked = False  # a chunk has come back from the pool at least once

    def record(self, key: str | None, outcome: RowOutcome, reused: bool = False) -> None:
        if outcome.status == "ok" and not self.runner.writes_files and not reused:
            for item in outcome.files:  # Dask: the client writes what the workers drew up
                data, item.data = item.data, None
                item.mtime_ns = write_atomic(self.letters_dir / item.name, data or b"").st_mtime_ns
        self.journal.record(key, outcome, reused=reused)
        summary = self.summary
        summary.rows += 1
        if outcome.status == "ok":
            summary.ok += 1
            summary.letters += len(outcome.letters)
            if reused:
                summary.reused += 1
            else:
                summary.files_written += len(outcome.files)
        else:
            summary.errors += 1
            if len(summary.first_errors) < 20:
                summary.first_errors.extend(outcome.errors[: 20 - len(summary.first_errors)])

    def checkpoint(self) -> None:
        self.journal.commit()
        if self.progress:
            self.progress(self.summary.rows, self.total)

    def submit(self, rows: list) -> None:
        try:
            future = self.runner.submit(self.job, [(n, c) for n, _, c in rows])
        except Exception:  # noqa: BLE001 - e.g. BrokenProcessPool: the pool died meanwhile
            self._failed(rows, self.generation)
            return
        self.inflight[future] = (rows, self.generation)

    def collect(self, wait_for: int) -> None:
        while len(self.inflight) > wait_for:
            for future in self.runner.wait_any(list(self.inflight)):
                if future not in self.inflight:  # already redone after a pool failure
                    continue
                rows, generation = self.inflight.pop(future)
                try:
                    outcomes = future.result()
                except Exception:  # noqa: BLE001 - infrastructure, not a row
                    self._failed(rows, generation)
                    continue
                self.pool_worked = True
                for (_, key, _), outcome in zip(rows, outcomes, strict=True):
                    self.record(key, outcome)
            self.checkpoint()

    def _failed(self, rows: list, generation: int) -> None:
        """A chunk failed as a whole: its worker died (and a local pool with it)."""
        failed = list(rows)
        if generation == self.generation:
            self.generation += 1
            self.runner.recover()
            # Everything else in flight died with the pool too.
            for future in list(self.inflight):
                failed.extend(self.inflight.pop(future)[0])
        failed.sort(key=lambda r: r[0])
        if isinstance(self.runner, _Pool) and not self.pool_worked:
            # Worker processes cannot start here at all: run in this process instead.
            self.runner.close(cancel=True)
            self.runner = _InProcess()
            self.job = dataclasses.replace(self.job, owner_pid=0)
            for start in range(0, len(failed), 64):
                self.submit(failed[start : start + 64])
            return
        self._one_by_one(failed)

    def _one_by_one(self, rows: list) -> None:
        for number, key, cells in rows:
            try:
                outcome = self.runner.submit(self.job, [(number, cells)]).result()[0]
                self.pool_worked = True
            except Exception as err:  # noqa: BLE001
                self.generation += 1
                self.runner.recover()
                problem = CellProblem(
                    number,
                    None,
                    f"the worker stopped while processing this row ({type(err).__name__})",
                )
                outcome = RowOutcome(
                    number, str(cells.get("case_id", "")), "error", errors=[str(problem)]
                )
            self.record(key, outcome)
        self.journal.commit()


@dataclass
class ValidationReport:
    """What a batch would give, without making anything: counts and the rows in error."""

    rows: int = 0
    ok: int = 0
    errors: int = 0
    letters: int = 0
    blank_rows: int = 0
    error_rows: list[RowOutcome] = field(default_factory=list)  # the first `limit` of them
    warning_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)


def validate_batch(
    input_path: str | Path,
    options: BatchOptions = BatchOptions(),  # noqa: B008
    progress: ProgressCallback | None = None,
    limit: int = 1000,
) -> ValidationReport:
    """Check every row as the batch would (cells, plan, coverage check, each letter's required
    data) without drawing up or writing anything. Raises LoadError for a bad file."""
    source = InputFile(input_path, ignore_unknown=options.ignore_unknown_columns)
    source.read_header()
    total = source.count_rows()
    renderer = load_renderer(options.renderer)
    _worker_cache[f"renderer:{options.renderer}"] = renderer
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
        _, outcome = _triage(raw, "validate", seen_ids)
        if outcome is None:
            outcome = _process_row(job, raw.number, raw.cells)
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


def _chunk_size(total: int | None, workers: int) -> int:
    if workers <= 1:
        return 64
    if total is None:
        return 32
    return max(1, min(64, total // (workers * 8) or 1))


def _triage(raw: RawRow, settings: str, seen_ids: dict[str, int]) -> tuple[str, RowOutcome | None]:
    """Problems found in the main process: unreadable rows and duplicate case ids."""
    key = hashlib.sha256(f"{settings}:{raw.content_hash()}".encode()).hexdigest()
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
    return key, RowOutcome(raw.number, case_id, "error", errors=[str(p) for p in problems])


def _finish(
    out: Path, letters_dir: Path, journal: Journal, options: BatchOptions, summary: BatchSummary
) -> None:
    # Letters no row of this input refers to any more (changed or removed rows) go.
    for entry in os.scandir(letters_dir):
        if entry.is_file() and not journal.is_current_file(entry.name):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                summary.removed_files += 1
    journal.forget_stale_results()
    journal.commit()
    write_manifest(journal.outcomes(), out / MANIFEST)
    zip_path = out / ZIP_NAME
    if options.zip:
        write_zip(out, journal.current_files(), zip_path)
        summary.zip_path = zip_path
    elif zip_path.exists():
        zip_path.unlink()  # a ZIP from an earlier run would no longer match the manifest


def manifest_row(outcome: RowOutcome) -> list[object]:
    return [
        outcome.row,
        outcome.case_id,
        outcome.status,
        " ".join(outcome.letters),
        "; ".join(f"{LETTERS_DIR}/{f.name}" for f in outcome.files),
        "; ".join(f.sha256 for f in outcome.files),
        outcome.covered,
        " | ".join(outcome.warnings),
        " | ".join(outcome.errors),
    ]


def write_manifest(outcomes: Iterable[RowOutcome], path: Path) -> Path:
    """The manifest, one row per input row, every cell neutralised for spreadsheets."""
    with _atomic_output(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(MANIFEST_COLUMNS)
        for outcome in outcomes:
            writer.writerow([neutralise(c) for c in manifest_row(outcome)])
    return path


def write_zip(out: Path, names: Iterable[str], path: Path) -> Path:
    """letters.zip: every current letter and the manifest (stored: .docx is compressed)."""
    with (
        _atomic_output(path, "wb") as handle,
        zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive,
    ):
        archive.write(out / MANIFEST, MANIFEST)
        for name in names:
            archive.write(out / LETTERS_DIR / name, f"{LETTERS_DIR}/{name}")
    return path


def read_manifest(path: Path | str) -> list[dict[str, str]]:
    """The manifest as dicts (for tests, the app and scripts)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


__all__ = [
    "BatchError",
    "BatchOptions",
    "BatchSummary",
    "Job",
    "LettersRenderer",
    "RowOutcome",
    "close_worker_resources",
    "engine_fingerprint",
    "neutralise",
    "process_rows",
    "read_manifest",
    "run_batch",
    "validate_batch",
    "write_atomic",
    "write_manifest",
]
