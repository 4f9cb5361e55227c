"""A fast reader for the plain block YAML the data files are written in, or "not mine".

PyYAML spends about 1 ms on a plan file, most of it building Python objects event by event
(libyaml parses the file in a fraction of that), so a first load of 10,000 plans took over
10 s. This reader takes the narrow subset our files use, line by line: block mappings whose
keys are plain names (letters, digits, underscores), block sequences, one-line plain and
quoted scalars without escapes, `>`/`|` block scalars without blank or more-indented lines,
`[]` and `{}`, comment lines. Plain scalars are typed by PyYAML's own resolver and
constructors, so `yes`, `2026-01-01`, `1_000` and `~` mean what they mean to PyYAML.

Anything else (tabs and other non-printable characters, anchors, aliases, tags, flow
collections, multi-line plain or quoted scalars, escapes, trailing comments, duplicate keys,
document markers, a line indented where it does not expect one) makes it return NOT_MINE: the
caller then reads the document with PyYAML, which also gives every error message. What it
returns equals what PyYAML returns (tests/test_blockyaml.py compares every YAML file in the
repository and thousands of mutations of them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.resolver import Resolver

NOT_MINE: Any = object()
_UNKNOWN: Any = object()

_TYPED_TAGS = (
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
)
_NOT_PLAIN_START = frozenset("?:,[]{}#&*!|>'\"%@`")
_BLOCK_SCALARS = frozenset((">-", ">", "|-", "|"))
_MAX_DEPTH = 100  # nested collections (libyaml refuses 1,000)
_MAX_REMEMBERED = 10_000  # typed scalars and keys remembered across documents


class _NotMine(Exception):
    pass


def make_reader(loader: type) -> Callable[..., Any]:
    """read(text, remember=False) -> the document, or NOT_MINE; plain scalars typed as by
    `loader`, a PyYAML loader class (its constructors for null, bool, int, float and timestamp).

    With `remember`, typed scalars and key names are kept across documents (at most
    `_MAX_REMEMBERED` of each): only for the project's own data files. A case file's dates of
    birth and member ids are member data, so by default nothing outlives the document."""
    constructor = yaml.constructor.SafeConstructor()
    builders = {tag: loader.yaml_constructors[tag] for tag in _TYPED_TAGS}
    resolvers = Resolver.yaml_implicit_resolvers

    def resolve(value: str) -> Any:
        for tag, regexp in resolvers.get(value[0], ()):
            if regexp.match(value):
                build = builders.get(tag)
                if build is None:  # `<<` (merge), `=`: not ours
                    raise _NotMine
                return build(constructor, yaml.ScalarNode(tag, value))
        return value

    def scalar_reader(typed: dict[str, Any]) -> Callable[[str], Any]:
        def scalar(value: str) -> Any:
            first = value[0]
            if first == '"' or first == "'":
                if (
                    len(value) < 2
                    or value[-1] != first
                    or first in value[1:-1]
                    or (first == '"' and "\\" in value)
                ):
                    raise _NotMine
                return value[1:-1]
            if value == "[]":
                return []
            if value == "{}":
                return {}
            if (
                first in _NOT_PLAIN_START
                or (first == "-" and value[1:2] in ("", " "))
                or ": " in value
                or " #" in value
                or value[-1] == ":"
            ):
                raise _NotMine
            if first not in resolvers:
                return value
            # One lookup, and the value kept in hand: another thread may clear `typed`.
            known = typed.get(value, _UNKNOWN)
            if known is _UNKNOWN:
                known = resolve(value)
                if len(typed) > _MAX_REMEMBERED:
                    typed.clear()
                typed[value] = known
            return known

        return scalar

    def name_checker(names: set[str]) -> Callable[[str], bool]:
        def is_name(key: str) -> bool:
            if not (key.isidentifier() and key.isascii()):
                return False
            if key[0] in resolvers and type(resolve(key)) is not str:
                return False  # `yes:`, `null:`: PyYAML makes a bool or None of it
            if len(names) > _MAX_REMEMBERED:
                names.clear()
            names.add(key)
            return True

        return is_name

    # A plain scalar starting with none of these is a string if it is a scalar at all.
    special = _NOT_PLAIN_START | {"-"} | {first for first in resolvers if first}
    kept_typed: dict[str, Any] = {}  # plain scalar -> its value (all immutable)
    kept_names: set[str] = set()  # keys known to be plain names that PyYAML keeps as strings
    kept = (scalar_reader(kept_typed), kept_names, name_checker(kept_names))

    def read(text: str, remember: bool = False) -> Any:
        if not text.replace("\n", " ").isprintable():
            return NOT_MINE  # tabs, \r, other line breaks, control characters, a BOM
        if remember:
            scalar, names, is_name = kept
        else:
            names = set()
            scalar, is_name = scalar_reader({}), name_checker(names)
        try:
            return _parse(text.split("\n"), scalar, names, is_name, special)
        except _NotMine:
            return NOT_MINE

    read.remembered = (kept_typed, kept_names)  # type: ignore[attr-defined]  # for the tests
    return read


def _parse(lines: list[str], scalar, names, is_name, special) -> Any:  # noqa: ANN001, C901
    """One pass over the lines with a stack of open collections. (Longer and more branched
    than our rule, on purpose: one function, not one per kind of node, with the common case
    first and written out, because this is the hot loop of a catalog load, ~130 lines a plan;
    a line at the column of the collection before it costs one comparison.)"""
    holder: list[Any] = [None]
    stack: list[tuple[int, Any, bool]] = []  # the enclosing (column, collection, is a list)
    column, top, in_list = -1, holder, True  # the innermost open collection
    pending: tuple[Any, Any] | None = (holder, 0)  # an empty value that a deeper block fills
    block: _BlockScalar | None = None
    for line in lines:
        stripped = line.lstrip(" ")
        if block is not None:
            if block.takes(line, stripped):
                continue
            block.store(newline=True)
            block = None
        if not stripped or stripped[0] == "#":
            continue
        indent = len(line) - len(stripped)
        if indent != column:
            if indent > column:  # a block that fills the empty value before it
                if pending is None or (column < 0 and indent):
                    raise _NotMine  # a continuation line, or nesting YAML would refuse
                container, slot = pending
                stack.append((column, top, in_list))
                if len(stack) > _MAX_DEPTH:
                    raise _NotMine
                in_list = stripped[:2] == "- " or stripped == "-"
                column = indent
                top = container[slot] = [] if in_list else {}
            else:
                while indent < column:
                    column, top, in_list = stack.pop()
                if indent != column:
                    raise _NotMine
        pending = None
        if in_list:
            if not (stripped[:2] == "- " or stripped == "-"):
                raise _NotMine
            item = stripped[1:].lstrip(" ")
            key, colon, value = item.partition(": ")
            if not colon and item[-1:] == ":":
                key, colon, value = item[:-1], ":", ""
            if not (colon and (key in names or is_name(key))):
                value = item.rstrip(" ")
                top.append(None)
                if not value:
                    pending = (top, len(top) - 1)
                elif value in _BLOCK_SCALARS:
                    block = _BlockScalar(value, indent, top, len(top) - 1)
                else:
                    top[-1] = scalar(value)
                continue
            new = {}  # `- key: value`: a mapping whose keys are at the column of `key`
            top.append(new)
            stack.append((column, top, in_list))
            column, top, in_list = len(line) - len(item), new, False
        else:
            key, colon, value = stripped.partition(": ")
            if not colon:
                if stripped[-1] != ":":
                    raise _NotMine
                key, value = stripped[:-1], ""
            if key not in names and not is_name(key):
                raise _NotMine
        if key in top:
            raise _NotMine  # a duplicate: PyYAML names it
        value = value.strip(" ")
        if not value:
            top[key] = None
            pending = (top, key)
            continue
        first = value[0]
        if first not in special and ": " not in value and " #" not in value and value[-1] != ":":
            top[key] = value  # plain text, the most common value
        elif (first == ">" or first == "|") and value in _BLOCK_SCALARS:
            top[key] = None
            block = _BlockScalar(value, column, top, key)
        else:
            top[key] = scalar(value)
    if block is not None:
        block.store(newline=block.ended)
    if holder[0] is None:
        raise _NotMine  # an empty document, or only a scalar
    return holder[0]


class _BlockScalar:
    """A `>`/`>-` (lines joined by spaces) or `|`/`|-` (by line breaks) scalar: every line at
    one column deeper than its key or dash, no blank line within, no trailing spaces."""

    __slots__ = ("header", "owner", "container", "slot", "column", "body", "ended")

    def __init__(self, header: str, owner: int, container: Any, slot: Any):
        self.header, self.owner, self.container, self.slot = header, owner, container, slot
        self.column = -1
        self.body: list[str] = []
        self.ended = False  # a blank line came after the text

    def takes(self, line: str, stripped: str) -> bool:
        """Whether `line` belongs to the scalar (False: the scalar ended before it)."""
        if not line:
            if not self.body:
                raise _NotMine  # a blank first line
            self.ended = True
            return True
        if not stripped:
            raise _NotMine  # a line of spaces
        indent = len(line) - len(stripped)
        if self.column < 0:
            if indent <= self.owner:
                raise _NotMine  # an empty block scalar
            self.column = indent
        if indent < self.column or self.ended:
            if indent > self.owner:
                raise _NotMine  # less indented than the text but still inside, or after a gap
            return False
        if indent > self.column or line[-1] == " ":
            raise _NotMine
        self.body.append(line[indent:])
        return True

    def store(self, newline: bool) -> None:
        """Put the text in its place; `newline`: its last line ends with a line break."""
        if not self.body:
            raise _NotMine
        text = (" " if self.header[0] == ">" else "\n").join(self.body)
        if newline and self.header[-1] != "-":
            text += "\n"  # "clip": the last line's own line break
        self.container[self.slot] = text
