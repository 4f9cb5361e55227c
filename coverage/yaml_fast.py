"""A fast reader for the YAML our data files use, giving exactly what PyYAML gives.

PyYAML (even with libyaml) spends most of a catalog load building Python objects in Python;
yaml-rs (Rust) reads the same plan files about ten times faster. But yaml-rs reads YAML 1.2 and
PyYAML reads YAML 1.1, and the two disagree on some plain (unquoted) scalars: `yes`, `no`, `on`,
`off` are booleans in 1.1 and strings in 1.2; `012` is 10 or 12; `1:20` is 80 or a string; `1e3`
is a string or 1000.0; yaml-rs also turns any string shaped like a date into a date, even a
quoted one. PyYAML's meaning is the one our files are written and tested against.

`load(text)` therefore answers only for documents inside a subset where both agree, checked on
the text before parsing: block style only (no flow collections, anchors, aliases, tags,
directives or complex keys), every plain scalar either plainly a string or one of the number,
date, boolean and null spellings both read the same way, keys that are plain strings, quoted
scalars on one line with no escapes, block scalars with strip chomping (`|-`, `>-`), no tabs,
carriage returns, control characters, very long lines or deep indentation. Anything else, and
any document yaml-rs rejects (including every syntax error and duplicate key), gives NOT_FAST,
and the caller reads it with PyYAML, so errors, line numbers and edge cases stay PyYAML's.
The check errs on the side of NOT_FAST; tests/test_yaml_fast.py compares both readers on every
data file and on generated documents.
"""

from __future__ import annotations

import re
from typing import Any

import yaml_rs

NOT_FAST: Any = object()

# Plain scalars both readers resolve to the same number or date.
_AGREED_VALUE = (
    r"(?:[-+]?(?:0|[1-9][0-9]{0,17})"  # decimal integer
    r"|[-+]?(?:0|[1-9][0-9]{0,17})\.[0-9]{1,17}"  # decimal fraction, digits on both sides
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2})"  # date
)
_EOL = r"(?:\n|$)"
_VALUE_END = r"(?=[ ]+\#|[ ]*" + _EOL + ")"
_KEY_END = r"(?=[ ]*:(?:[ \n]|$))"
# Every spelling either reader could take for a number (sign, decimal, hex, octal, binary,
# exponent, sexagesimal, underscores anywhere); other plain scalars starting with a digit (a
# phone number, a member id) are strings to both.
_NUMBER_LIKE = r"[-+]?[._0-9][0-9a-fA-FxXoObB_.:]*+(?:[-+][0-9a-fA-FxXoObB_.:]*+)?"
# yaml-rs turns any string shaped like a date or a time into one, even a quoted one.
_DATE_START = r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}:[0-9])"

# A token (key or value) at a node start that takes the document off the fast path. Each
# alternative starts with a character or class, so the regex engine skips non-matching ones fast.
_UNSAFE_TOKEN = "|".join(
    [
        # anchors, aliases, tags, flow collections, complex keys, reserved indicators
        r"[&*!\[{?:%@`,]",
        # block scalars other than strip chomping (keep/clip differ on empty content)
        r"[|>](?!-[ ]*(?:[ ]\#[^\n]*)?" + _EOL + ")",
        # quoted scalars shaped like a date or time, or not closed on their line
        r"\"(?:" + _DATE_START + r"|[^\"\n]*+" + _EOL + ")",
        r"'(?:" + _DATE_START + r"|(?:[^'\n]++|'')*+" + _EOL + ")",
        # YAML 1.1 booleans and special keys that YAML 1.2 reads as strings
        r"(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|<<|=)"
        r"(?=[ ]+\#|[ ]*" + _EOL + r"|[ ]*:[ \n]|[ ]*:$)",
        # number-, date- or time-like plain scalars other than the agreed spellings; such keys
        r"(?=[-+._0-9])(?!" + _AGREED_VALUE + _VALUE_END + r")"
        r"(?:" + _NUMBER_LIKE + _VALUE_END + r"|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)"
        r"|[0-9]{4}-[0-9]|[0-9]+:[0-9]|[^\n]*?:(?=[ \n]|$))",  # (no [ ]* here: quadratic)
        # null and boolean keys
        r"(?:~|true|True|TRUE|false|False|FALSE|null|Null|NULL|)" + _KEY_END,
    ]
)
# Only tokens starting with one of these can be unsafe; others are strings to both readers.
_RISKY_FIRST = r"(?=[&*!\[{?:%@`,|>\"'\-+._0-9~<=yYnNoOtTfF])"
# A key before a value on the same line: a name (the common case, matched quickly), another
# plain key (not starting with an indicator), or a quoted one.
_KEY = (
    r"(?:[A-Za-z_][A-Za-z0-9_]*+[ ]*+"
    r"|[^\n\"'#:&*!\[{?%@`,|> -](?:[^\n:#]++|:(?![ \n]|$)|(?<![ ])\#)*+"
    r"|\"(?!" + _DATE_START + r")[^\"\n]*\"[ ]*|'(?!" + _DATE_START + r")(?:[^'\n]|'')*'[ ]*)"
    r":[ ]+"
)
# Searched in "\n" + text, so every line starts after a newline (a literal the regex engine
# skips to quickly, unlike ^ in multiline mode).
_UNSAFE = re.compile(
    r"\n(?:"
    r"[^\n]{1000}"  # very long line (PyYAML allows at most 1024 characters in a key)
    r"|[ -]{200}"  # deep nesting (libyaml stops at depth 1000; yaml-rs has no limit)
    r"|(?:---|\.\.\.)(?:[ \n]|$)|%"  # document markers, directives
    r"|[ ]*+(?:"
    + _DATE_START  # a line starting with a date or time (block text, a continuation line)
    + r"|[|>]"  # a block scalar with no key or entry before it on its line
    + r"|(?:-[ ]++)*+(?>"
    + _KEY
    + r")?"
    + _RISKY_FIRST
    + r"(?:"
    + _UNSAFE_TOKEN
    + r")))"
)


def _plain_text(text: str) -> bool:
    """No tabs, carriage returns, control or format characters, line or paragraph separators,
    byte-order marks or backslashes (escapes): all printable except the newlines."""
    return "\\" not in text and text.replace("\n", " ").isprintable()


def load(text: str) -> Any:
    """The document as PyYAML's safe loader would give it, or NOT_FAST."""
    if not _plain_text(text) or _UNSAFE.search("\n" + text):
        return NOT_FAST
    try:
        return yaml_rs.loads(text)
    except Exception:  # noqa: BLE001 - any error is PyYAML's to report, with its wording
        return NOT_FAST
