"""The plan catalog and the law book, loaded from data/ and cached per file.

A file is re-read only when its size or modification time changes, so a warm reload of a large
catalog costs one stat() per file. A new process takes validated plans from a disk cache and
builds each one only when it is first looked up, so `secondlook check` with 10,000 plans builds
one of them.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pydantic
from pydantic import ValidationError

from coverage import markets
from coverage.base import STATE_NAMES
from coverage.law import CoverageRule, LawBook, Parameter, Statement
from coverage.loader import (
    LoadError,
    Problem,
    display_path,
    parse_model,
    parse_yaml,
    problems_from_validation,
    read_text,
)
from coverage.plan import Plan

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
PLANS_DIR = DATA_DIR / "plans"
RULES_DIR = DATA_DIR / "rules"

_cache_lock = threading.Lock()
_file_cache: dict[tuple[str, str], tuple[tuple[int, int], object]] = {}


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def _cached(kind: str, path: Path, build):  # noqa: ANN001
    key = (kind, str(path))
    stamp = _stat_key(path)
    with _cache_lock:
        hit = _file_cache.get(key)
    if hit and hit[0] == stamp:
        return hit[1]
    value = build(path)
    with _cache_lock:
        _file_cache[key] = (stamp, value)
    return value


def clear_cache() -> None:
    with _cache_lock:
        _file_cache.clear()
        _lawbooks.clear()


def load_plan_file(path: Path | str) -> Plan:
    text = read_text(path)
    try:
        plan = parse_model(Plan, text, str(path), data_file=True)
    except LoadError as err:  # the path as the user sees it (relpath costs 10% of a big load)
        shown = display_path(path)
        raise LoadError([replace(p, file=shown) for p in err.problems]) from None
    if plan.id != os.path.splitext(os.path.basename(path))[0]:
        raise LoadError(
            [Problem(display_path(path), 1, "id", f"id {plan.id!r} must match the file name")]
        )
    return plan


class _Stored:
    """A plan validated by an earlier load and kept as its JSON from the disk cache; built
    into a Plan when first used."""

    __slots__ = ("path", "json", "plan")

    def __init__(self, path: str, json: bytes):
        self.path, self.json = path, json
        self.plan: Plan | None = None

    def get(self) -> Plan:
        if self.plan is None:
            try:
                self.plan = Plan.model_validate_json(self.json)
            except ValueError:  # a damaged cache line: read the file itself
                self.plan = load_plan_file(self.path)
            self.json = b""
        return self.plan


class PlanMap(Mapping[str, Plan]):
    """Plans by id. A plan from the disk cache is built when it is first looked up; iterating
    over the values builds every one that is left."""

    __slots__ = ("_entries",)

    def __init__(self, entries: dict[str, Plan | _Stored]):
        self._entries = entries

    def __getitem__(self, plan_id: str) -> Plan:
        entry = self._entries[plan_id]
        return entry.get() if type(entry) is _Stored else entry  # type: ignore[return-value]

    def __contains__(self, plan_id: object) -> bool:
        return plan_id in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def values(self):  # noqa: ANN201
        self._build_all()
        return super().values()

    def items(self):  # noqa: ANN201
        self._build_all()
        return super().items()

    def _build_all(self) -> None:
        pending = [e for e in self._entries.values() if type(e) is _Stored and e.plan is None]
        if pending:
            with _building():
                for entry in pending:
                    entry.get()


@contextmanager
def _building(built=lambda: True):  # noqa: ANN001
    """Build plans with the cyclic GC paused, then, if `built()`, move them out of its sight.

    Thousands of small models trigger the GC over and over, each pass walking every plan built
    so far, and at exit it walks them all again (about 2 s for 10,000 plans). The plans hold no
    reference cycles, so freezing them (gc.freeze) costs nothing: they are still freed by
    reference counting. Anything else alive at that moment is frozen too, which is why a load
    freezes only when it parsed files, never on a warm reload."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if built():
            gc.freeze()
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Catalog:
    plans: Mapping[str, Plan]

    def get(self, plan_id: str) -> Plan:
        try:
            return self.plans[plan_id]
        except KeyError:
            raise KeyError(f"no plan with id {plan_id!r}") from None

    def search(self, text: str = "", **filters: str) -> list[Plan]:
        words = text.lower().split()
        found = []
        for plan in self.plans.values():
            haystack = " ".join(
                [
                    plan.id,
                    plan.name,
                    plan.issuer,
                    plan.market.replace("_", " "),
                    plan.plan_type,
                    plan.situs_state or "",
                    STATE_NAMES.get(plan.situs_state or "", ""),
                ]
            ).lower()
            if all(w in haystack for w in words) and all(
                getattr(plan, key) == value for key, value in filters.items() if value
            ):
                found.append(plan)
        return sorted(found, key=lambda p: (p.issuer, p.name))


def plan_files(directory: Path) -> list[Path]:
    return [Path(file) for _, file in _yaml_files(directory)]


def _yaml_files(directory: Path) -> list[tuple[str, str]]:
    """(name, path) of each .yaml file, sorted by name; scandir and strings: a 10,000-file
    folder lists in milliseconds."""
    with os.scandir(directory) as entries:
        return sorted((e.name, e.path) for e in entries if e.name.endswith(".yaml") and e.is_file())


def _disk_cache_path(directory: Path) -> Path:
    """One cache file per plan folder and plan-model version, under var/cache/ (or the env)."""
    root = Path(os.environ.get("SECONDLOOK_CACHE_DIR", REPO_ROOT / "var" / "cache"))
    key = hashlib.sha256(f"{directory.resolve()}\n{_plan_model_version()}".encode()).hexdigest()
    return root / f"plans-{key[:20]}.jsonl"


# The code a validated plan depends on: how YAML is read, the models and their validators.
_PLAN_CODE = ("base.py", "plan.py", "markets.py", "loader.py", "blockyaml.py", "catalog.py")


@lru_cache(maxsize=1)
def _plan_code_digest() -> str:
    digest = hashlib.sha256(pydantic.VERSION.encode())
    for name in _PLAN_CODE:
        digest.update(b"\0" + (Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def _plan_model_version() -> str:
    """What a validated plan depends on: the code that reads and validates it, and the market
    profiles its validation reads (an edited profile must not reuse plans cached under the old
    one). Cached plans are trusted only under the same version."""
    return f"{_plan_code_digest()}-{markets.profiles_digest()}"


def _read_disk_cache(path: Path) -> dict[str, tuple[tuple[int, int], bytes]]:
    """file name -> (mtime_ns, size) and the plan's JSON, kept as bytes (never decoded here)."""
    entries: dict[str, tuple[tuple[int, int], bytes]] = {}
    try:
        with path.open("rb") as handle:
            for line in handle.read().split(b"\n"):
                if line:
                    name, mtime, size, body = line.split(b"\t", 3)
                    entries[name.decode()] = ((int(mtime), int(size)), body)
    except (OSError, ValueError):
        return {}  # a missing or damaged cache is only a slower load
    return entries


def _write_disk_cache(path: Path, rows: list[bytes]) -> None:
    import tempfile  # only a first load writes the cache: `secondlook check` never imports it

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".plans-", suffix=".tmp")
    except OSError:
        return  # read-only checkout: run without the disk cache
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines(rows)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # no partial file left behind (disk full)


def load_catalog(directory: Path = PLANS_DIR, *, disk_cache: bool = True) -> Catalog:
    """Every plan in `directory`; all problems in all files are reported together.

    Three levels, each invalidated by a file's size or modification time: plans in memory (a
    warm reload is one stat() per file), validated plans as JSON in a disk cache (a new process
    reads no YAML and builds a plan only when it is used), and the YAML files themselves.
    """
    cache_path = _disk_cache_path(directory) if disk_cache else None
    disk: dict[str, tuple[tuple[int, int], bytes]] | None = None
    found: list[tuple[str, str, tuple[int, int], Plan | _Stored | None]] = []
    # Names and paths as strings (pathlib costs more than the stat() here); Path only on a miss.
    for name, file in _yaml_files(directory):
        st = os.stat(file)
        stamp = (st.st_mtime_ns, st.st_size)
        with _cache_lock:
            hit = _file_cache.get(("plan", file))
        entry = hit[1] if hit and hit[0] == stamp else None
        if entry is None and cache_path is not None:
            if disk is None:
                disk = _read_disk_cache(cache_path)
            stored = disk.get(name)
            if stored and stored[0] == stamp:
                entry = _Stored(file, stored[1])
        found.append((name, file, stamp, entry))
    missing = [file for _, file, _, entry in found if entry is None]
    with _building(lambda: bool(missing)):
        parsed = iter(_parse_plan_files(missing))
        entries: dict[str, Plan | _Stored] = {}
        problems: list[Problem] = []
        loaded = []
        for name, file, stamp, entry in found:
            entry = entry or next(parsed)
            if isinstance(entry, LoadError):
                problems.extend(entry.problems)
                continue
            with _cache_lock:
                _file_cache[("plan", file)] = (stamp, entry)
            entries[name[: -len(".yaml")]] = entry  # load_plan_file checked id == file name
            loaded.append((name, stamp, entry))
    if cache_path is not None and missing:
        _write_disk_cache(cache_path, _cache_rows(loaded, disk or {}))
    if problems:
        raise LoadError(problems)
    return Catalog(PlanMap(entries))


def _parse_plan_files(paths: list[str]) -> list[Plan | LoadError]:
    """Each file read, parsed and validated, in order. (Parsing half of them in a forked second
    process was tried: on this shared 2-core machine it cost 25% more CPU and was slower.)"""
    out: list[Plan | LoadError] = []
    for path in paths:
        try:
            out.append(load_plan_file(path))
        except LoadError as err:
            out.append(err)
    return out


def _json(plan: Plan) -> bytes:
    return plan.model_dump_json().encode()


def _cache_rows(loaded, disk) -> list[bytes]:  # noqa: ANN001
    rows = []
    for name, stamp, entry in loaded:
        if name in disk and disk[name][0] == stamp:
            body = disk[name][1]
        elif type(entry) is _Stored and entry.json:
            body = entry.json
        else:
            body = _json(entry.get() if type(entry) is _Stored else entry)
        rows.append(b"%s\t%d\t%d\t%s\n" % (name.encode(), stamp[0], stamp[1], body))
    return rows


def _load_parameter_file(path: Path) -> dict[str, Parameter]:
    text = read_text(path)
    shown = display_path(path)
    data = parse_yaml(text, shown)
    if not isinstance(data, dict) or not data:
        raise LoadError([Problem(shown, 1, "", "expected a mapping of parameter name: definition")])
    out: dict[str, Parameter] = {}
    problems: list[Problem] = []
    for name, body in data.items():
        try:
            out[f"{path.stem}.{name}"] = Parameter.model_validate(body)
        except ValidationError as err:
            problems.extend(problems_from_validation(err, text, shown, prefix=(name,)))
    if problems:
        raise LoadError(problems)
    return out


def _load_rule_file(path: Path) -> CoverageRule:
    return parse_model(CoverageRule, read_text(path), display_path(path))


_lawbooks: dict[str, tuple[tuple, LawBook]] = {}


def _law_files(directory: Path) -> list[Path]:
    files = sorted((directory / "parameters").glob("*.yaml"))
    files.extend(sorted((directory / "statements").glob("*.yaml")))
    files.extend(sorted((directory / "markets").glob("*.yaml")))
    for sub in ("federal", "states"):
        files.extend(sorted((directory / sub).rglob("*.yaml")))
    return files


def _load_statement_file(path: Path) -> dict[str, Statement]:
    text = read_text(path)
    shown = display_path(path)
    data = parse_yaml(text, shown)
    if not isinstance(data, dict) or not data:
        raise LoadError([Problem(shown, 1, "", "expected a mapping of statement name: definition")])
    out: dict[str, Statement] = {}
    problems: list[Problem] = []
    for name, body in data.items():
        try:
            out[f"{path.stem}.{name}"] = Statement.model_validate(body)
        except ValidationError as err:
            problems.extend(problems_from_validation(err, text, shown, prefix=(name,)))
    if problems:
        raise LoadError(problems)
    return out


def _check_references(directory: Path, book: LawBook) -> list[Problem]:
    """Every figure a statement quotes, and every parameter and statement a market profile
    names, must exist."""
    problems = []
    for name, statement in book.statements.items():
        group, _, key = name.partition(".")
        shown = display_path(directory / "statements" / f"{group}.yaml")
        problems.extend(
            Problem(shown, None, f"{key}.text", f"unknown parameter {figure!r}")
            for figure in statement.figures()
            if figure not in book.parameters
        )
    if not (directory / "markets").is_dir():
        return problems
    for market, profile in markets.load_profiles(directory / "markets").items():
        shown = display_path(directory / "markets" / f"{market}.yaml")
        problems.extend(
            Problem(shown, None, f"clocks.{role}", f"unknown parameter {name!r}")
            for role, name in profile.clocks.items()
            if name not in book.parameters
        )
        problems.extend(
            Problem(shown, None, "law", f"unknown statement {name!r}")
            for name in sorted(profile.statement_ids())
            if name not in book.statements
        )
    return problems


def load_lawbook(directory: Path = RULES_DIR) -> LawBook:
    """The law book; the same object while no rule file changes (the engine caches by it)."""
    stamps = tuple((str(p), _stat_key(p)) for p in _law_files(directory))
    key = str(directory.resolve())
    with _cache_lock:
        hit = _lawbooks.get(key)
    if hit and hit[0] == stamps:
        return hit[1]
    book = _build_lawbook(directory)
    with _cache_lock:
        _lawbooks[key] = (stamps, book)
    return book


def _build_lawbook(directory: Path) -> LawBook:
    parameters: dict[str, Parameter] = {}
    rules: list[CoverageRule] = []
    problems: list[Problem] = []
    for path in sorted((directory / "parameters").glob("*.yaml")):
        try:
            parameters.update(_cached("params", path, _load_parameter_file))
        except LoadError as err:
            problems.extend(err.problems)
    for sub in ("federal", "states"):
        for path in sorted((directory / sub).rglob("*.yaml")):
            try:
                rule = _cached("rule", path, _load_rule_file)
            except LoadError as err:
                problems.extend(err.problems)
                continue
            if rule.layer != ("federal" if sub == "federal" else "state"):
                problems.append(
                    Problem(display_path(path), 1, "layer", f"layer {rule.layer!r} in {sub}/")
                )
            rules.append(rule)
    statements: dict[str, Statement] = {}
    for path in sorted((directory / "statements").glob("*.yaml")):
        try:
            statements.update(_cached("statements", path, _load_statement_file))
        except LoadError as err:
            problems.extend(err.problems)
    seen: dict[str, int] = {}
    for rule in rules:
        seen[rule.id] = seen.get(rule.id, 0) + 1
    problems.extend(
        Problem(str(directory), None, "id", f"rule id {rid!r} used {n} times")
        for rid, n in seen.items()
        if n > 1
    )
    if problems:
        raise LoadError(problems)
    book = LawBook(
        parameters=parameters,
        rules=sorted(rules, key=lambda r: (r.priority, r.id)),
        statements=statements,
    )
    try:
        problems = _check_references(directory, book)
    except LoadError as err:
        problems = err.problems
    if problems:
        raise LoadError(problems)
    return book
