"""The fast YAML reader never changes what a file means: it answers exactly as PyYAML does, or
leaves the document to PyYAML (errors and their lines included)."""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

import pytest

from coverage import yaml_fast
from coverage.loader import LoadError, parse_yaml, parse_yaml_pyyaml

ROOT = Path(__file__).resolve().parents[1]
YAML_FILES = sorted(
    p
    for folder in ("data", "examples", "tests")
    for p in (ROOT / folder).rglob("*.yaml")
    if ".venv" not in p.parts
)


def reference(text: str):
    """PyYAML's reading, or the LoadError it raises."""
    try:
        return parse_yaml_pyyaml(text, "f.yaml")
    except LoadError as err:
        return err


def same(a, b) -> bool:
    """Equal with the same types all the way down (True is not 1, a date is not its string)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(
            type(k) is type(j) and same(a[k], b[j]) for k, j in zip(a, b, strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b


def agrees(text: str) -> bool:
    fast = yaml_fast.load(text)
    if fast is yaml_fast.NOT_FAST:
        return True
    expected = reference(text)
    return not isinstance(expected, LoadError) and same(fast, expected)


def test_every_data_file_reads_the_same():
    assert len(YAML_FILES) > 40
    differ = [p.name for p in YAML_FILES if not agrees(p.read_text(encoding="utf-8"))]
    assert differ == []


def test_every_shipped_plan_takes_the_fast_path():
    plans = sorted((ROOT / "data" / "plans").glob("*.yaml"))
    slow = [p.name for p in plans if yaml_fast.load(p.read_text()) is yaml_fast.NOT_FAST]
    assert plans and slow == []


# Each of these means something else in YAML 1.2 (yaml-rs) than in YAML 1.1 (PyYAML), is an
# error in one of them, or is outside what the fast path vouches for.
LEFT_TO_PYYAML = {
    "YAML 1.1 boolean": "covered: yes\n",
    "boolean in a list": "- off\n",
    "octal": "n: 012\n",
    "sexagesimal": "t: 1:20\n",
    "exponent without a dot": "x: 1e3\n",
    "signed fraction without digits before the dot": "x: +.5\n",
    "infinity": "x: .inf\n",
    "underscore number": "x: _1\n",
    "date and time": "at: 2026-01-01 10:00:00\n",
    "date without zero padding": "on_date: 2026-1-1\n",
    "quoted date (yaml-rs makes it a date)": 'start: "2026-01-01"\n',
    "quoted time": "at: '10:00:00'\n",
    "date alone on a line (block text)": "note: >-\n  2026-01-01\n",
    "integer key": "1: one\n",
    "boolean key": "true: x\n",
    "key with a space before the colon": "NO : v\n",
    "anchor and alias": "a: &x 1\nb: *x\n",
    "tag": "a: !!str 1\n",
    "flow sequence": "a: [1, 2]\n",
    "flow mapping": "a: {b: 1}\n",
    "complex key": "? a\n: b\n",
    "merge key": "<<: x\n",
    "tab": "a:\tb\n",
    "carriage return": "a: b\r\n",
    "byte-order mark": "\ufeffa: b\n",
    "line separator": "a: b\u2028c\n",
    "escape in a quoted string": 'a: "\\x41"\n',
    "quoted string over two lines": 'a: "b\n  c"\n',
    "literal block keeping its newline": "a: |\n  b\n",
    "folded block, clip": "a: >\n  b\n",
    "block scalar with an indentation indicator": "a: |2\n   b\n",
    "block scalar at the root": "|-\na: 1\n",
    "document marker": "---\na: 1\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "very long key": "k" * 1100 + ": v\n",
    "deep nesting": "- " * 100_000 + "x\n",
    "deep indentation": "".join(" " * i + "k:\n" for i in range(300)),
    "duplicate key": "a: 1\na: 2\n",
    "syntax error": "a: b: c\n",
}


@pytest.mark.parametrize("text", LEFT_TO_PYYAML.values(), ids=LEFT_TO_PYYAML.keys())
def test_documents_the_fast_path_leaves_to_pyyaml(text):
    assert yaml_fast.load(text) is yaml_fast.NOT_FAST


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'covered: "yes"\nyear: 2026\nrate: 1.5\nstart: 2026-01-01\nok: true\nnone:\n',
            {
                "covered": "yes",
                "year": 2026,
                "rate": 1.5,
                "start": dt.date(2026, 1, 1),
                "ok": True,
                "none": None,
            },
        ),
        ("phone: 1-800-633-4227\nid: 1EG4-TE5-MK72\n", None),
        ("bad_date: 2026-02-31\n", {"bad_date": "2026-02-31"}),  # validation names its line
        ("a:\n  - b: >-\n      text with 'quotes' and a: colon\n", None),
    ],
)
def test_documents_the_fast_path_reads(text, expected):
    fast = yaml_fast.load(text)
    assert fast is not yaml_fast.NOT_FAST
    assert same(fast, reference(text))
    if expected is not None:
        assert same(fast, expected)


def test_errors_are_pyyaml_s_with_their_lines():
    text = "patient:\n  member_id: A1\n  member_id: A2\n"
    with pytest.raises(LoadError) as info:
        parse_yaml(text, "case.yaml")
    assert str(info.value) == "case.yaml:3: patient.member_id: duplicate key (first at line 2)"


# Generated documents: plain scalars of every shape, in every position, and data files with
# random edits (indentation, indicators, quotes, block scalars, comments).
ALPHABET = "0123456789+-._:eExXoObBtTfFnNyYaZz~ iI#'\"lsuL"
FRAGMENTS = [
    *("\n", " ", "  ", ": ", ":", "- ", "-", "#", " #", '"', "'", "|-", ">-", "|", ">"),
    *("\n  ", "\n\n", "yes", "no", "1", "0", "1.5", "2026-01-01", "~", "null", "true"),
    *("&a", "*a", "!", "[", "]", "{", "}", ",", "?", "%", "@", "`", "<<", "=", "x", "é"),
    *("  \n", "\t", "\\", "12:30", "e3", "_", ".", "---", "...", "\r\n", ":\n  |-\n"),
    *(' "a" : ', "10:00:00", "1-800", "_1", "0x1F"),
]


def random_token(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 10)))


def edited(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    start = rng.randrange(len(lines))
    text = "\n".join(lines[start : start + rng.randint(3, 40)]) + "\n"
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(text) + 1)
        choice = rng.random()
        if choice < 0.5:
            text = text[:i] + rng.choice(FRAGMENTS + [random_token(rng)]) + text[i:]
        elif choice < 0.75:
            text = text[:i] + text[i + rng.randint(1, 6) :]
        else:
            lines = text.split("\n")
            k = rng.randrange(len(lines))
            shift = rng.randint(-3, 3)
            lines[k] = " " * shift + lines[k] if shift > 0 else lines[k][min(-shift, 2) :]
            text = "\n".join(lines)
    return text


def test_generated_scalars_read_the_same():
    rng = random.Random(20261130)
    docs = []
    for _ in range(1500):
        token = random_token(rng)
        docs += [f"k: {token}\n", f"{token}: v\n", f"- {token}\n", f'k: "{token}"\n']
        docs += [f"k: '{token}'\n", f"k: >-\n  {token}\n"]
    differ = [d for d in docs if not agrees(d)]
    assert differ == []


def test_edited_data_files_read_the_same():
    rng = random.Random(20261201)
    texts = [p.read_text(encoding="utf-8") for p in YAML_FILES]
    docs = [edited(rng, rng.choice(texts)) for _ in range(1500)]
    fast = sum(yaml_fast.load(d) is not yaml_fast.NOT_FAST for d in docs)
    differ = [d for d in docs if not agrees(d)]
    assert differ == []
    assert fast > 100  # the comparison covered documents the fast path does read
