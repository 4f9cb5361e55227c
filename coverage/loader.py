"""YAML/JSON loading that rejects duplicate keys and reports `file:line: field: message`.

PyYAML silently keeps the last of two equal keys; a plan file with two `prior_auth_required`
lines must be an error instead. Validation errors are mapped back to the line of the offending
key by walking the composed YAML nodes along the pydantic error `loc`.

Every document is bounded before it is built (case files come from users: uploads, the patient
app's "open a saved file", `secondlook letter --case`): at most `MAX_YAML_BYTES`, at most
`MAX_YAML_VALUES` values once aliases (`&anchor` / `*alias`) are expanded, so that a few hundred
bytes cannot stand for billions of values; libyaml refuses nesting deeper than 1,000 levels.
docs/limits.md lists the limits and the messages.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from coverage import blockyaml

try:  # libyaml is several times faster; the pure-Python parser gives the same results.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

M = TypeVar("M", bound=BaseModel)

MAX_YAML_BYTES = 1_000_000  # a case file is a few kilobytes, the largest rule file ~60 KB
MAX_YAML_VALUES = 100_000  # values after expanding aliases (a plan has a few hundred)
TOO_LARGE = f"the file is too large (at most {MAX_YAML_BYTES:,} bytes)"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(file)'}: {self.message}"


class LoadError(Exception):
    """One or more problems in a data file; str() gives one `file:line: field: message` a line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first_line: int):
        self.key, self.line, self.first_line = key, line, first_line


class _ComplexKey(Exception):
    def __init__(self, line: int):
        self.line = line


class _StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    def construct_mapping(self, node, deep=False):  # noqa: ANN001
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):  # `[a, b]: x` or `? {a: 1}`
                raise _ComplexKey(line)
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise _DuplicateKey(str(key), line, seen[key])
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _lenient_timestamp(loader: _StrictLoader, node: yaml.Node) -> Any:
    # `2026-02-31` must reach validation (which names its line), not crash the parser.
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)
_read_plain_block_yaml = blockyaml.make_reader(_StrictLoader)


def parse_yaml(text: str, file: str, *, data_file: bool = False) -> Any:
    """The document in `text`; a LoadError naming `file` and the line when it is not valid.
    `data_file`: one of the project's own (a plan): its typed values may be remembered for the
    next file; never for a case file, which holds member data.

    Every YAML reader in the project comes through here. Plain block YAML, which is what every
    data file is, is read by coverage/blockyaml.py; everything else, and every document with a
    problem, by PyYAML with the checks below. (A faster Rust reader, yaml-rs 0.1.6,
    was tried for plain documents and removed: it crashed the Streamlit server process with a
    segmentation fault when it first read data files in a script thread.)"""
    if len(text) > MAX_YAML_BYTES:
        raise LoadError([Problem(file, None, "", TOO_LARGE)])
    # 5x faster on the files we write; no errors of its own
    data = _read_plain_block_yaml(text, data_file)
    if data is not blockyaml.NOT_MINE:
        return data
    try:
        if "&" in text:  # anchors, so maybe aliases: count what they expand to first
            _check_expansion(text, file)
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as dup:
        field = _path_of_line(text, dup.line) or dup.key
        raise LoadError(
            [Problem(file, dup.line, field, f"duplicate key (first at line {dup.first_line})")]
        ) from None
    except _ComplexKey as bad:
        message = "a key must be a plain name, not a list or a mapping"
        raise LoadError([Problem(file, bad.line, "", message)]) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        raise LoadError([Problem(file, line, "", f"not valid YAML: {err.problem}")]) from None
    except yaml.YAMLError as err:
        raise LoadError([Problem(file, None, "", f"not valid YAML: {err}")]) from None


def _check_expansion(text: str, file: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_YAML_VALUES values (an "alias
    bomb"), from the parser's events alone: nothing is built, and the count is exact."""
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, expanded values so far)
    total = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append((event.anchor, total))
            size = 1
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before = open_nodes.pop()
            if anchor:
                sizes[anchor] = total - before
            continue
        elif isinstance(event, yaml.AliasEvent):
            size = sizes.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor:
                sizes[event.anchor] = 1
        else:
            continue
        total += size
        if total > MAX_YAML_VALUES:
            line = event.start_mark.line + 1 if event.start_mark else None
            message = (
                f"aliases (*name) expand the file to more than {MAX_YAML_VALUES:,} values; "
                "write the values out instead"
            )
            raise LoadError([Problem(file, line, "", message)])


def _path_of_line(text: str, line: int) -> str | None:
    """The dotted path of the mapping key that starts on `line` (for duplicate-key errors)."""
    try:
        root = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        return None

    def walk(node: yaml.Node | None, path: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                here = path + (key_node.value,)
                if key_node.start_mark.line + 1 == line:
                    return here
                found = walk(value_node, here)
                if found:
                    return found
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                found = walk(item, path + (index,))
                if found:
                    return found
        return None

    found = walk(root, ())
    return _field_path(found) if found else None


def _key_matches(node: yaml.Node, part: Any) -> bool:
    value = node.value
    if str(value) == str(part):
        return True
    if isinstance(part, dt.date):
        return value == part.isoformat()
    return False


def _line_for(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest node reachable along `loc` (1-based)."""
    node = root
    line = root.start_mark.line + 1 if root is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if _key_matches(key_node, part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            # Skip pydantic's tagged-union and function-validator labels.
            text = str(part)
            if text.startswith(("function-", "union[")):
                continue
            parts.append(("." if parts else "") + text)
    return "".join(parts)


def problems_from_validation(
    error: ValidationError, text: str, file: str, prefix: tuple[Any, ...] = ()
) -> list[Problem]:
    try:
        root = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        root = None
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        loc = prefix + tuple(item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(Problem(file, _line_for(root, loc), _field_path(loc), message))
    return problems


def read_text(path: Path | str) -> str:
    """A data file's text: UTF-8, at most MAX_YAML_BYTES (raises LoadError).

    Read in 64 KiB pieces with os.read (a buffered read of MAX_YAML_BYTES + 1 allocated a
    megabyte for every 5 KB plan file); a device or a pipe is bounded the same way."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            chunks, size = [], 0
            while chunk := os.read(fd, 65536):
                size += len(chunk)
                if size > MAX_YAML_BYTES:
                    raise LoadError([Problem(str(path), None, "", TOO_LARGE)])
                chunks.append(chunk)
        finally:
            os.close(fd)
        return (chunks[0] if len(chunks) == 1 else b"".join(chunks)).decode("utf-8")
    except UnicodeDecodeError as err:
        raise LoadError([Problem(str(path), None, "", f"not UTF-8 text ({err.reason})")]) from None
    except OSError as err:
        raise LoadError([Problem(str(path), None, "", err.strerror or str(err))]) from None


def parse_model(model: type[M], text: str, file: str, *, data_file: bool = False) -> M:
    data = parse_yaml(text, file, data_file=data_file)
    if data is None:
        raise LoadError([Problem(file, None, "", "the file is empty")])
    if not isinstance(data, dict):
        raise LoadError([Problem(file, 1, "", "expected a mapping of field: value at the top")])
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise LoadError(problems_from_validation(err, text, file)) from None


def load_model(model: type[M], path: Path | str) -> M:
    path = Path(path)
    return parse_model(model, read_text(path), display_path(path))


def display_path(path: Path | str) -> str:
    """Paths relative to the working directory when possible, as editors and CI logs show them."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - different drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative
